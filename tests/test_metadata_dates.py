"""Dates at the end of a document: the 版记's "…年…月…日印发", labelled 成文日期, OCR's misread characters."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.ingest import metadata, ocr
from indexer.ingest.corpus import load_document

SCANNED = Path(__file__).resolve().parents[2] / "shared" / "external" / \
    "national_2025_moa-farm-machinery-subsidy-opinion_SCANNED.pdf"
HEAD = "农业农村部办公厅关于加力推进农机购置与应用补贴的意见\n各省、自治区、直辖市农业农村厅：\n一、总体要求\n加快推进农机装备升级。\n"
# the last lines of the scanned opinion as OCR reads them: a seal over the signature date garbles it
OCR_TAIL = "切实提升政策知晓度和实施透明度。\n202办年公厅23\n农业农村部办公厅 2025年1月24日印发"


@pytest.mark.parametrize("tail, written, published", [
    (OCR_TAIL, "2025-01-24", ""),
    ("东莞市人民政府办公室          2021年1月18日印发", "2021-01-18", ""),
    ("抄送：省政府办公厅。\n东莞市人民政府办公室 2021 年 1 月 18 日 印发", "2021-01-18", ""),
    ("2021年1月18日印发", "2021-01-18", ""),
    ("成文日期：2021年1月18日", "2021-01-18", ""),
    ("成 文 日 期 ： 2021-01-18", "2021-01-18", ""),
    ("成文日期: 2021年01月18日 发布日期: 2021年01月20日", "2021-01-18", "2021-01-20"),
    ("东莞市人民政府\n2021年1月18曰", "2021-01-18", ""),  # OCR: 曰 for 日
    ("（此件公开发布）\n二O二一年一月十八日", "2021-01-18", ""),  # OCR: the letter O for 〇
    ("东莞市人民政府\n二〇二一年一月十八日\n东莞市人民政府办公室 2021年1月20日印发", "2021-01-18", ""),  # 成文 before 印发
    ("附件：项目清单", "", ""),
])
def test_dates_at_the_end(tail, written, published):
    m = metadata.extract(HEAD + tail)
    assert (m.date_written, m.date_published) == (written, published)
    assert m.date == (written or published)


def test_a_dated_sentence_is_not_a_print_date():
    m = metadata.extract(HEAD + "本意见自2025年3月1日起施行，由农业农村部负责解释并印发")
    assert m.date_written == ""


def test_plain_text_file_ending_with_its_print_date(tmp_path):
    f = tmp_path / "opinion.txt"
    f.write_bytes((HEAD + OCR_TAIL + "\n").encode("gb18030"))
    assert load_document(f).meta.date == "2025-01-24"


@pytest.mark.slow
@pytest.mark.skipif(not SCANNED.exists(), reason="shared/external not present")
def test_scanned_opinion_gets_the_date_of_its_print_line():
    if not ocr.available():
        pytest.skip("rapidocr-onnxruntime not installed")
    m = load_document(SCANNED).meta
    assert (m.date, m.issuer, m.level) == ("2025-01-24", "农业农村部办公厅", "national")


GUANGXI = Path(__file__).resolve().parents[2] / "shared" / "external" / "guangxi_2011_industry-it-12th-fyp.txt"
PLAN_BODY = "\n前  言\n“十二五”时期是我区加快发展的关键时期。\n第一章  发展基础\n一、发展回顾\n正文。\n"


@pytest.mark.parametrize("head, issuer, date", [
    ("广西北部湾经济区发展规划\n广西壮族自治区人民政府\n二〇〇八年一月", "广西壮族自治区人民政府", "2008-01"),
    ("广西壮族自治区工业和信息化\n发展“十二五”规划\n广西壮族自治区工业和信息化委员会\n2011年12月",
     "广西壮族自治区工业和信息化委员会", "2011-12"),
    ("南宁市科学技术发展“十三五”规划\n南宁市科学技术局  2016年12月", "南宁市科学技术局", "2016-12"),
    ("北海市工业发展规划\n（北海市人民政府  2012年3月5日）", "北海市人民政府", "2012-03-05"),
    ("钦州市港口发展规划\n钦州市人民政府办公室\n钦州市发展和改革委员会\n2013年6月", "钦州市人民政府办公室 钦州市发展和改革委员会",
     "2013-06"),
])
def test_issuer_and_date_lines_under_a_plan_title(head, issuer, date):
    """A plan printed with its issuer and its date under the title (the Guangxi / Beibu Gulf style)."""
    m = metadata.extract(head + PLAN_BODY)
    assert (m.issuer, m.date_written, m.date) == (issuer, date, date)
    assert m.level in ("province", "city")


def test_a_month_in_the_body_is_no_date_of_the_document():
    m = metadata.extract("广西北部湾经济区发展规划\n前  言\n2008年1月，国务院批准实施本规划。\n第一章  发展基础\n正文。\n")
    assert m.date == "" and m.issuer == ""


@pytest.mark.skipif(not GUANGXI.exists(), reason="shared/external not present")
def test_the_guangxi_plan_with_its_issuer_and_date_lines():
    from indexer.ingest import outline

    lines = GUANGXI.read_text(encoding="utf-8").split("\n")
    text = "\n".join(lines[:2] + ["广西壮族自治区工业和信息化委员会", "二〇一一年十二月"] + lines[2:])
    m = metadata.extract(text)
    assert (m.issuer, m.date, m.region, m.level) == ("广西壮族自治区工业和信息化委员会", "2011-12", "广西壮族自治区",
                                                     "province")
    # the two lines are the document's metadata, kept out of its searchable clauses
    assert [k for k, _, _ in outline.parse(text[:3000], "gx").skipped][:2] == ["issuer", "date"]
