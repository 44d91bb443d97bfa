"""Lines kept out of the clauses (salutation, issuer, 文号, dates, notes, contents lists) and table clauses."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.ingest import outline, tables, toc
from indexer.ingest.corpus import DEFAULT_CORPUS, load_document
from indexer.ingest.junk import junk_kind
from indexer.ingest.readers import SUPPORTED_SUFFIXES
from tests.test_outline import FUZZ_EXAMPLES, SEEDS, assert_tiles

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EXTERNAL = SHARED / "external"
ZHEJIANG = SHARED / "library" / "zhejiang"
GUANGXI = EXTERNAL / "guangxi_2011_industry-it-12th-fyp.txt"
needs_external = pytest.mark.skipif(not GUANGXI.exists(), reason="shared/external not present")


@pytest.mark.parametrize("line, kind", [  # all from the seeds and shared/external
    ("各地级以上市人民政府，省政府各部门、各直属机构：", "salutation"),
    ("各镇人民政府(街道办事处),市府直属各单位:", "salutation"),
    ("各县、区人民政府，市人民政府各部门，各管委会，市级各双管单位，市直各事业、企业单位：", "salutation"),
    ("各市、县、自治县农业农村局、财政局：", "salutation"),
    ("各相关单位：", "salutation"),
    ("东莞市人民政府", "issuer"),
    ("广州市花都区科技工业和信息化局", "issuer"),
    ("海南省农业农村厅\xa0\u2002海南省财政厅", "issuer"),
    ("办 公 厅 文 件", "issuer"),
    ("粤府办〔2025〕16号", "doc_number"),
    ("穗埔府规〔2025〕12 号", "doc_number"),
    ("皖政办秘〔2024〕56号", "doc_number"),
    ("2021年1月18日", "date"),
    ("二〇二一年一月十八日", "date"),
    ("南宁市人民政府办公厅                    2016年11月29日印发", "date"),
    ("（此件主动公开）", "note"),
    ("（征求意见稿）", "note"),
    ("公开方式：主动公开", "note"),
    ("抄送：市委各部门，南宁警备区，各人民团体。", "note"),
    ("- 12 -", "number"),
    ("第3页 共10页", "number"),
    ("|---|---|", "number"),
])
def test_metadata_lines_are_recognised(line, kind):
    assert junk_kind(line, opening=True) == kind


@pytest.mark.parametrize("line", [
    "市政府各部门要做到以下几点：",  # a sentence introducing a list has a verb
    "各有关单位要高度重视，认真组织实施。",
    "广东省人民政府关于培育发展战略性支柱产业集群和战略性新兴产业集群的意见",  # a title
    "南宁市人民政府办公厅关于印发南宁市",
    "2019年1月15日 丽水市第四届人民代表大会常务委员会第十四次会议通过",  # adoption record: searchable
    "到2025年，全市九大战略性产业集群产业规模进一步壮大",
    "相关文件",
    "2025年目标",
    "附件1-7.zip",
])
def test_text_lines_are_not_metadata(line):
    assert junk_kind(line, opening=True) is None


def test_a_bare_issuer_in_the_body_is_a_signature_only_next_to_a_date():
    text = "一、总体要求\n正文。\n东莞市人民政府\n正文继续。\n二、工作目标\n东莞市人民政府\n2021年1月18日\n"
    parsed = outline.parse(text, "t")
    first = text.index("东莞市人民政府")
    assert any(c.start == first and c.kind == "para" for c in parsed.clauses)
    assert [k for k, _, _ in parsed.skipped] == ["issuer", "date"]
    assert parsed.skipped[0][1] == text.index("东莞市人民政府", first + 1)


def test_headings_are_never_metadata():
    # 第二条 (浙江省信访条例 第十七条) starts like a salutation (各级人民政府…：) but is an article
    text = "第一条 正文。\n第二条 各级人民政府、县级以上人民政府工作部门依据职责权限，受理下列信访事项：\n"
    assert [c.kind for c in outline.segment(text, "t")] == ["article", "article"]


def test_cover_note_lines_of_a_seed_are_skipped_not_searchable():
    doc = load_document(SEEDS["dongguan"], doc_id="dg")
    assert [(k, doc.text[a:b]) for k, a, b in doc.skipped] == [
        ("salutation", "各镇人民政府(街道办事处),市府直属各单位:"), ("issuer", "东莞市人民政府"), ("date", "2021年1月18日")]
    texts = {c.text for c in doc.clauses}
    assert "东莞市人民政府" not in texts and "2021年1月18日" not in texts
    assert doc.clauses[0].text.startswith("现将《关于培育发展战略性产业集群的实施意见》印发给你们")
    assert_tiles(doc.text, doc.clauses, doc.skipped)


def test_a_cc_note_wrapped_over_lines_is_one_note():
    text = "一、正文\n内容。\n抄送：市委各部门，南宁警备区，各人民团体。\n市人大常委会办公厅，市政协办公厅。\n各民主党派市委会，市工商联。\n"
    parsed = outline.parse(text, "t")
    assert [c.text for c in parsed.clauses] == ["一、正文", "内容。"]
    assert parsed.skipped == (("note", text.index("抄送"), len(text) - 1),)


# A plan's contents list as Word and PDF exports write it: each title, then its page number on a line of its own
# (the first entries of the Guangxi plan's 目录, laid out so).
TOC_BODY = ("第一章  发展基础与发展环境\n一、“十一五”发展回顾与总结\n“十一五”期间，我区工业经济实现平稳快速发展。\n"
            "二、“十二五”发展形势与环境\n发展条件进一步改善。\n第二章  总体思路和发展目标\n一、指导思想\n以科学发展观为指导。\n"
            "二、基本原则\n加快发展原则。\n")
TOC_SPLIT = ("第一章  发展基础与发展环境\n2\n一、“十一五”发展回顾与总结\n2\n二、“十二五”发展形势与环境\n11\n"
             "第二章  总体思路和发展目标\n14\n一、指导思想\n14\n二、基本原则\n14\n")


@pytest.mark.parametrize("title", ["目  录\n", "目录\n", ""])
@pytest.mark.parametrize("entries", [TOC_SPLIT, TOC_SPLIT.replace("\n2\n", "\n……2\n").replace("\n14\n", "\n（14）\n"),
                                     "第一章  发展基础与发展环境\t2\n一、“十一五”发展回顾与总结\t2\n"
                                     "二、“十二五”发展形势与环境……11\n第二章  总体思路和发展目标  14\n"])
def test_a_contents_list_is_skipped_and_the_chapters_appear_once(title, entries):
    text = "广西壮族自治区工业和信息化发展“十二五”规划\n" + title + entries + TOC_BODY
    parsed = outline.parse(text, "gx")
    chapters = [c for c in parsed.clauses if c.kind == "chapter"]
    assert [c.start for c in chapters] == [text.index("第一章", len(title) + len(entries)),
                                           text.index("第二章", len(title) + len(entries) + 30)]
    assert not any("~" in c.clause_id for c in parsed.clauses)  # no second copy of a chapter
    assert not any(re.fullmatch(r"[\d\W]+", c.text) for c in parsed.clauses)
    toc_span = [(a, b) for k, a, b in parsed.skipped if k == "toc"]
    assert toc_span == [(text.index(title or entries[:5]), text.index(entries) + len(entries) - 1)]
    assert_tiles(text, list(parsed.clauses), parsed.skipped)


def test_title_number_pairs_that_the_body_does_not_repeat_are_not_a_contents_list():
    lines = ["南宁市", "12", "柳州市", "15", "桂林市", "19", "正文。"]
    assert toc.toc_blocks(lines) == []
    falling = ["第一章 总则", "9", "第二章 职责", "3", "第三章 附则", "1", "第一章 总则", "第二章 职责", "第三章 附则"]
    assert toc.toc_blocks(falling) == []  # page numbers never go down


# An indicator table flattened into one cell per line, as a PDF or Word extraction writes it.
FLAT_TABLE = ("一、发展目标\n到2015年，主要指标完成情况如下。\n表1  “十二五”主要指标完成情况\n指标\n2010年\n规划目标\n完成情况\n"
              "2015年\n地区生产总值（亿元）\n1800\n2800\n2950\n3410\n工业增加值（亿元）\n560\n1100\n980\n1150\n"
              "研发投入占比（%）\n1.2\n2.0\n1.8\n2.1\n二、保障措施\n加强组织领导。\n")


def test_a_flattened_indicator_table_is_one_table_clause():
    clauses = outline.segment(FLAT_TABLE, "nn")
    kinds = [c.kind for c in clauses]
    assert kinds == ["cn", "para", "table", "cn", "para"]
    t = clauses[2]
    assert t.heading == "表1  “十二五”主要指标完成情况" and t.section == ("一、发展目标", t.heading)
    assert t.text.startswith("表1") and t.text.endswith("2.1") and t.parent_id == clauses[0].clause_id
    assert t.clause_id == "nn:1-t1"
    assert_tiles(FLAT_TABLE, clauses)


def test_a_long_flattened_table_is_cut_into_nested_pieces():
    rows = "".join(f"第{k}项指标名称\n{k}.5\n{k + 1}.5\n" for k in range(200))
    text = "一、目标\n" + rows
    clauses = outline.segment(text, "x")
    pieces = [c for c in clauses if c.kind == "table"]
    assert len(pieces) > 3 and all(len(c.text) <= outline.MAX_PARAGRAPH for c in pieces)
    head = pieces[0]
    assert all(c.parent_id == head.clause_id and c.section[:-1] == head.section for c in pieces[1:])
    assert_tiles(text, clauses)


@needs_external
def test_the_guangxi_tables_are_table_clauses():
    doc = load_document(GUANGXI, doc_id="gx")
    by_id = {c.clause_id: c for c in doc.clauses}
    t1 = next(c for c in doc.clauses if c.heading.startswith("表1"))
    assert t1.kind == "table" and t1.section[-2] == "（六）两化融合成效显著"
    assert "工业总产值\t亿元\t11638.28" in t1.text
    # 综 / 合 / 实 / 力: a row label wrapped one character per line is part of its table, not four clauses
    assert not any(len(c.text) == 1 for c in doc.clauses)
    row = next(c for c in doc.clauses if "娃哈哈饮料生产项目" in c.text)
    head = by_id[row.parent_id]
    assert row.kind == head.kind == "table" and head.heading == "表格：序号 / 项目名称 / 建设规模及内容 / 总投资"
    assert row.text.count("\n") <= 2  # one project (its row wraps once) is one clause
    # short rows of figures are grouped: 表1 was 70 clauses, 20 of them one character long
    pieces = [t1] + [c for c in doc.clauses if c.parent_id == t1.clause_id]
    assert len(pieces) < 20 and all(len(c.text) >= tables.TABLE_PIECE for c in pieces[:-1])
    assert len(doc.clauses) < 2100  # 2,425 before


@settings(max_examples=FUZZ_EXAMPLES // 4, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["序号", "项目名称", "12", "3.5%", "产业园建设项目", "2011-2015", ""]),
                         min_size=1, max_size=5).map("\t".join), min_size=0, max_size=60),
       st.sampled_from(["", "表3 重大项目\n", "一、项目\n"]))
def test_property_table_pieces_hold_whole_rows(rows, before):
    text = before + "\n".join(rows) + "\n正文。"
    clauses = outline.segment(text, "p")
    for c in clauses:  # every clause, table pieces included, starts a line and ends one
        assert not text[text.rfind("\n", 0, c.start) + 1:c.start].strip()
        assert not text[c.end:(text.find("\n", c.end) + 1 or len(text))].strip()
        if c.kind == "table" and c.heading == "续表":
            assert clauses[[x.clause_id for x in clauses].index(c.parent_id)].kind == "table"
    assert_tiles(text, clauses)


def test_find_tables_never_takes_headings_or_claimed_lines():
    lines = ["一、目标", "指标", "2010", "2015", "产值", "12", "15", "投资", "3", "4", "二、措施", "a\tb", "c\td"]
    found = tables.find_tables(lines, outline.is_heading_line)
    assert [(t.first, t.last, t.flat) for t in found] == [(1, 9, True), (11, 12, False)]
    assert tables.find_tables(lines, outline.is_heading_line, taken={11}) == found[:1]


def _documents(folder: Path):
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and "SCANNED" not in p.name:
            yield load_document(p, ocr=False)


NUMBER_ONLY = re.compile(r"[\d\W_]+|第\s*\d{1,4}\s*页.{0,8}|[Pp]age\s*\d{1,4}.{0,8}")


@pytest.mark.skipif(not ZHEJIANG.exists(), reason="shared/library not present")
@pytest.mark.parametrize("folder", [DEFAULT_CORPUS, EXTERNAL, ZHEJIANG], ids=["corpus", "external", "zhejiang"])
def test_no_clause_is_only_digits_punctuation_or_a_page_number(folder):
    # before the skipped spans: 1 such clause in external (a Markdown table rule), and 215 one-figure clauses
    # in a flattened indicator table of the issue; 0 now over the 16 + 410 files
    bad, n = [], 0
    for doc in _documents(folder):
        n += len(doc.clauses)
        bad += [(doc.doc_id, c.text) for c in doc.clauses if NUMBER_ONLY.fullmatch(c.text.strip())]
    assert n > 100 and bad == []


def test_a_line_of_figures_is_never_a_heading():
    # "3.14 2.71" starts like a decimal heading (3.14) but holds nothing to search
    parsed = outline.parse("12\n3.14 2.71\n1、2、3\n", "t")
    assert parsed.clauses == () and [k for k, _, _ in parsed.skipped] == ["number"]


HAINAN = EXTERNAL / "hainan_2024_farm-machinery-subsidy-implementation-plan"
WRAPPED_TITLES = ("关于印发2024-2026年海南省农机\n购置与应用补贴实施方案的通知", "2024—2026年海南省\n农机购置与应用补贴实施方案")
COVER_NOTE = (f"海南省农业农村厅  海南省财政厅\n{WRAPPED_TITLES[0]}\n\n各市、县、自治县农业农村局、财政局：\n"
              "现将《实施方案》印发给你们，请遵照执行。\n\n海南省农业农村厅  海南省财政厅\n2024年7月1日\n（此件主动公开）\n\n"
              f"{WRAPPED_TITLES[1]}\n\n一、总体要求\n以习近平新时代中国特色社会主义思想为指导。\n")


def test_a_title_wrapped_over_two_lines_is_one_clause():
    parsed = outline.parse(COVER_NOTE, "t")
    preamble = [c.text for c in parsed.clauses if c.kind == "preamble"]
    assert preamble == [WRAPPED_TITLES[0], "现将《实施方案》印发给你们，请遵照执行。", WRAPPED_TITLES[1]]
    # the line under （此件主动公开） opens the next title: it does not continue the note
    assert [k for k, _, _ in parsed.skipped] == ["issuer", "salutation", "issuer", "date", "note"]
    assert_tiles(COVER_NOTE, list(parsed.clauses), parsed.skipped)


@pytest.mark.parametrize("text", [
    "一、总体要求\n加快推进产业集群发展，制定本实施\n方案。\n",  # wrapped body text under a heading
    "关于印发实施方案的通知\n2024年7月1日\n",  # a one-line title and a date
])
def test_body_lines_and_one_line_titles_are_not_joined(text):
    assert all("\n" not in c.text for c in outline.segment(text, "t"))


@needs_external
@pytest.mark.parametrize("suffix", [".doc", ".pdf"])
def test_the_hainan_titles_are_one_clause_each_in_doc_and_pdf(suffix):
    doc = load_document(HAINAN.with_suffix(suffix), doc_id="hn")
    titles = [re.sub(r"\s", "", c.text) for c in doc.clauses if c.kind == "preamble" and len(c.text) < 60]
    assert titles == ["关于印发2024-2026年海南省农机购置与应用补贴实施方案的通知", "2024—2026年海南省农机购置与应用补贴实施方案"]
