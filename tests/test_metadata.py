"""Metadata on the seeds (with the manifest's curated overrides) and on real external files."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.ingest import metadata
from indexer.ingest.corpus import DEFAULT_CORPUS, load_corpus

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="module")
def seeds():
    return {d.doc_id: d.meta for d in load_corpus(DEFAULT_CORPUS)}


def test_dongguan(seeds):
    m = seeds["dongguan-2021-strategic-clusters"]
    assert (m.region, m.province, m.level, m.date) == ("东莞市", "广东省", "city", "2021-01-18")
    assert m.issuer == "东莞市人民政府"
    assert "粤府函〔2020〕82号" in m.cited_numbers and m.doc_number == ""


def test_anhui(seeds):
    m = seeds["anhui-2024-county-industry-clusters"]
    assert (m.doc_number, m.level, m.date) == ("皖政办秘〔2024〕56号", "province", "2024-08-16")
    assert m.date_published == "2024-08-26"  # the portal's date, not the 成文 date
    assert m.title.startswith("安徽省人民政府办公厅关于推进县域特色产业集群")
    assert m.issuer == "安徽省人民政府办公厅" and m.region == "安徽省"


def test_chaozhou_is_a_city_draft(seeds):
    m = seeds["chaozhou-strategic-clusters-draft"]
    assert (m.level, m.status, m.region) == ("city", "draft", "潮州市")
    assert m.date == ""  # undated draft: no date is better than a wrong one


def test_province_and_news(seeds):
    m = seeds["guangdong-2020-strategic-clusters"]
    assert (m.doc_number, m.level, m.region, m.date) == ("粤府函〔2020〕82号", "province", "广东省", "2020-06-17")
    n = seeds["guangdong-2021-chain-leader-news"]
    assert (n.level, n.date, n.issuer, n.doc_number) == ("news", "2021-04-14", "", "")


def test_extraction_alone_leaves_unsupported_fields_empty():
    text = (DEFAULT_CORPUS / "guangdong-2020-strategic-clusters.txt").read_text(encoding="utf-8")
    m = metadata.extract(text)
    assert m.issuer == "" and m.doc_number == "" and m.title == ""


@pytest.mark.parametrize("name, enc, expect", [
    ("guangzhou_2025_cosmetics-industry-support-measures.GBK-raw.txt", "gbk",
     dict(doc_number="穗市监规字〔2025〕1号", issuer="广州市市场监督管理局", region="广州市", level="city",
          date="2025-09-10", status="")),
    ("nanning_2016_science-technology-13th-fyp.GB18030-raw.txt", "gb18030",
     dict(doc_number="南府办〔2016〕71号", region="南宁市", province="广西壮族自治区", level="city",
          title="南宁市人民政府办公厅关于印发南宁市科学技术发展“十三五”专项规划的通知")),
    ("guangdong_2025_philosophy-social-science-award-measures_yuefuban-2025-16.txt", "utf-8",
     dict(doc_number="粤府办〔2025〕16号", level="province", date_written="2025-06-30",
          date_published="2025-07-09")),
    ("guangzhou-huadu_2024_sme-loan-guarantee-measures.txt", "utf-8",
     dict(doc_number="花科工信规字〔2024〕1号", region="花都区", province="广东省", level="county")),
    # no issuer line: the region comes from a title that opens with a full place name
    ("guangxi_2011_industry-it-12th-fyp.txt", "utf-8",
     dict(title="广西壮族自治区工业和信息化发展“十二五”规划", region="广西壮族自治区", level="province", issuer="")),
    ("guangzhou-huangpu_2025_culture-tourism-copyright-measures.txt", "utf-8",
     dict(doc_number="穗埔府规〔2025〕12号", region="黄埔区", province="广东省", level="county")),
])
def test_external_files(name, enc, expect):
    path = SHARED / "external" / name
    if not path.exists():
        pytest.skip("shared/external not present")
    m = metadata.extract(path.read_bytes().decode(enc).replace("\r\n", "\n"))
    for k, v in expect.items():
        assert getattr(m, k) == v, k


@pytest.mark.parametrize("title, place", [
    ("广西壮族自治区工业和信息化发展“十二五”规划", ("广西壮族自治区", "广西壮族自治区", "province")),
    ("广州开发区 广州市黄埔区促进文旅产业与版权经济高质量发展的若干措施", ("黄埔区", "广东省", "county")),
    ("东莞市促进制造业高质量发展若干措施", ("东莞市", "广东省", "city")),
    ("海南自由贸易港建设总体方案", ("", "", "")),  # a national plan about a place, not by it
    ("深圳经济特区数据条例", ("", "", "")),  # no full place name: left empty rather than guessed
    ("粤港澳大湾区发展规划纲要", ("", "", "")),
    ("2026年中央一号文件", ("", "", "")),
])
def test_title_place_needs_a_full_place_name_at_the_start(title, place):
    assert metadata.title_place(title) == place


@pytest.mark.parametrize("raw, iso", [("2021年1月18日", "2021-01-18"), ("二〇二四年八月十六日", "2024-08-16"),
                                      ("2024-08-26 22:07:56", "2024-08-26"), ("印发日期：2020/6/7", "2020-06-07")])
def test_dates(raw, iso):
    assert metadata.find_date(raw) == iso


def test_expiry_is_judged_against_today():
    lines = ["失效日期：2027年12月31日"]
    fields = metadata.header_fields(lines)
    assert metadata.find_status(lines, "", fields, today="2026-11-22") == ""
    assert metadata.find_status(lines, "", fields, today="2028-01-01") == "expired"


def test_a_title_wrapped_over_lines_is_read_whole_without_the_issuer_line_above_it():
    from indexer.ingest.metadata import find_title

    lines = ["海南省农业农村厅  海南省财政厅", "关于印发2024-2026年海南省农机", "购置与应用补贴实施方案的通知", "各市、县："]
    assert find_title(lines) == "关于印发2024-2026年海南省农机购置与应用补贴实施方案的通知"
    three = ["广西壮族自治区人民政府办公厅关于印发", "广西壮族自治区北部湾经济区", "发展规划实施方案的通知"]
    assert find_title(three) == "".join(three)


EXTERNAL = SHARED / "external"


@pytest.mark.skipif(not EXTERNAL.is_dir(), reason="shared/external not present")
@pytest.mark.parametrize("suffix", [".pdf", ".docx"])
def test_the_2026_no1_document_is_national_with_its_issuer_and_date(suffix):
    """A Xinhua release (中央一号文件 2 月 3 日由新华社受权发布): every filter silently dropped it."""
    from indexer.ingest.corpus import load_document

    m = load_document(EXTERNAL / f"national_2026_central-no1-document{suffix}").meta
    assert (m.issuer, m.date, m.date_published, m.region, m.level) == (
        "中共中央 国务院", "2026-02-03", "2026-02-03", "全国", "national")


@pytest.mark.parametrize("text, issuer, date", [
    ("关于加快构建普惠托育服务体系的若干措施\n新华社北京2025年3月5日电 中共中央办公厅、国务院办公厅近日印发了《关于加快构建"
     "普惠托育服务体系的若干措施》，并发出通知。\n", "中共中央办公厅 国务院办公厅", "2025-03-05"),
    ("中共中央 国务院关于进一步深化农村改革的意见\n（2025年1月1日）\n新华社北京2月23日电\n", "中共中央 国务院", "2025-01-01"),
    ("2025年中央一号文件\n新华社北京2月23日电\n", "中共中央 国务院", "2025-02-23"),  # the year from the title
    ("关于某事的意见\n新华社北京2月23日电 国务院近日印发《关于某事的意见》。\n", "国务院", ""),  # no year anywhere
])
def test_a_news_agency_release_gives_issuer_date_and_national_level(text, issuer, date):
    m = metadata.extract(text + "一、总体要求\n正文内容。\n")
    assert (m.issuer, m.date, m.region, m.level) == (issuer, date, "全国", "national")


@pytest.mark.parametrize("title, issuer", [
    ("中共中央关于进一步全面深化改革推进中国式现代化的决定", "中共中央"),
    ("国务院办公厅转发国家发展改革委关于恢复和扩大消费措施的通知", "国务院办公厅"),
    ("中共中央办公厅 国务院办公厅印发《关于加快构建普惠托育服务体系的若干措施》", "中共中央办公厅 国务院办公厅"),
    ("国务院2024年度立法工作计划", ""),
])
def test_a_title_opening_with_a_central_organ_is_national(title, issuer):
    m = metadata.extract(title + "\n一、总体要求\n正文内容。\n")
    assert (m.issuer, m.region, m.level) == (issuer, "全国", "national")
