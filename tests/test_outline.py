"""Outline segmentation: tables of real headings, seed documents, and offset properties."""
from __future__ import annotations

import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.ingest import outline
from indexer.ingest.corpus import DEFAULT_CORPUS, load_document

SEEDS = {
    "chaozhou": DEFAULT_CORPUS / "chaozhou-strategic-clusters-draft.txt",
    "dongguan": DEFAULT_CORPUS / "dongguan-2021-strategic-clusters.txt",
    "guangdong": DEFAULT_CORPUS / "guangdong-2020-strategic-clusters.txt",
    "anhui": DEFAULT_CORPUS / "anhui-2024-county-industry-clusters.txt",
    "news": DEFAULT_CORPUS / "guangdong-2021-chain-leader-news.txt",
}


@pytest.mark.parametrize("line, kind, number, heading", [
    ("一、总体要求", "cn", 1, "总体要求"),
    ("十二、附则", "cn", 12, "附则"),
    ("（一）市场主导，政府引导。充分发挥市场在资源配置中的决定性作用", "cn_paren", 1, "市场主导，政府引导"),
    ("(二)战略性新兴产业集群", "cn_paren", 2, "战略性新兴产业集群"),
    ("（二十七）健全乡村振兴投入保障机制。坚持把农业农村作为一般公共预算优先保障领域", "cn_paren", 27,
     "健全乡村振兴投入保障机制"),
    ("1.新一代电子信息产业集群。重点发展新一代通信设备", "num", 1, "新一代电子信息产业集群"),
    ("10.精密仪器设备产业集群。在工业自动化测控仪器与系统", "num", 10, "精密仪器设备产业集群"),
    ("3、产业精准施策", "num", 3, "产业精准施策"),
    ("１．全角数字标题", "num", 1, "全角数字标题"),
    ("（1）加强组织领导。各地要", "num_paren", 1, "加强组织领导"),
    ("(2)强化资金保障", "num_paren", 2, "强化资金保障"),
    ("2）完善配套", "num_rparen", 2, "完善配套"),
    ("③开展试点示范", "circled", 3, "开展试点示范"),
    ("第一章　总则", "chapter", 1, "总则"),
    ("第十二章 附则", "chapter", 12, "附则"),
    ("第二节 产业布局", "section", 2, "产业布局"),
    ("第三篇  夯实创新基础能力", "part", 3, "夯实创新基础能力"),
    ("第二十一条　本办法自印发之日起施行。", "article", 21, ""),
    ("第一条 【强化文旅体项目用地保障】将文旅体产业发展所需用地纳入规划", "article", 1, "强化文旅体项目用地保障"),
])
def test_heading_table(line, kind, number, heading):
    mk = outline.match_marker(line)
    assert mk is not None and (mk.kind, mk.number) == (kind, number)
    assert outline.split_heading(mk.kind, mk.rest) == heading


@pytest.mark.parametrize("line", [
    "2025年，全市九大战略性产业集群产业规模进一步壮大",
    "1.2万亿元的营业收入",
    "3.5%的年均增速",
    "依照第十条的规定执行。",
    "十九届六中全会精神",
    "一是加强组织领导",
])
def test_not_a_heading(line):
    mk = outline.match_marker(line)
    assert mk is None or mk.kind == "article" and "依照" in line


def test_decimal_outline_nests_each_number_under_its_prefix():
    text = ("一、实施范围\n补贴机具见附件。\n附件\n1.耕整地机械\n1.1耕地机械\n1.1.1犁\n1.1.2旋耕机\n1.2整地机械\n1.2.1耙\n"
            "2.种植施肥机械\n2.1播种机械\n2.1.1穴播机\n")
    cs = {c.text: c for c in outline.segment(text, "h")}
    assert cs["1.1.2旋耕机"].section == ("附件", "1.耕整地机械", "1.1耕地机械", "1.1.2旋耕机")
    assert cs["1.1.2旋耕机"].heading == "旋耕机" and cs["1.1.2旋耕机"].number == 2
    assert cs["1.2.1耙"].parent_id == cs["1.2整地机械"].clause_id
    assert cs["1.2整地机械"].parent_id == cs["1.耕整地机械"].clause_id
    assert cs["2.1.1穴播机"].section[1:] == ("2.种植施肥机械", "2.1播种机械", "2.1.1穴播机")


@pytest.mark.parametrize("text", [
    "一、主要目标\n15.2.1 拖拉机\n",  # no open 15.2 to continue
    "1.发展目标\n2.1 提高产量\n",  # 2.1 does not continue the open 1.
    "1.发展目标\n1.1 提高产量\n1.3 扩大规模\n",  # 1.3 skips 1.2
])
def test_decimal_numbers_out_of_place_are_text(text):
    last = outline.segment(text, "d")[-1]
    assert last.kind == "para"


def test_cross_reference_mid_sentence_is_not_a_heading():
    text = "第一条　为了规范管理，制定本办法。\n依照第十条的规定，可以申请。\n第二条　本办法适用于全省。\n"
    clauses = outline.segment(text, "t")
    assert [c.marker for c in clauses if c.marker] == ["第一条", "第二条"]
    assert clauses[1].kind == "para" and clauses[1].parent_id == "t:a1"


def test_out_of_sequence_number_is_text():
    text = "一、总体要求\n（一）发展思路\n（三）不连续的编号应视为正文\n（二）基本原则\n"
    clauses = outline.segment(text, "t")
    assert [c.marker for c in clauses if c.marker] == ["一、", "（一）", "（二）"]


def test_articles_numbered_through_chapters():
    text = "第一章 总则\n第一条 目的。\n第二条 范围。\n第二章 职责\n第三条 分工。\n第三章 附则\n第四条 施行。\n"
    clauses = outline.segment(text, "t")
    arts = [c for c in clauses if c.kind == "article"]
    assert [(c.number, c.section[0]) for c in arts] == [
        (1, "第一章总则"), (2, "第一章总则"), (3, "第二章职责"), (4, "第三章附则")]



# A regulation amended by deleting whole chapters keeps the numbers of the rest (a Shenzhen regulation runs
# 第一章, 第四章 … 第七章): each is still a chapter, and the articles under it belong to it.
SKIPPING_CHAPTERS = [("第一章　总则", 2), ("第四章　监督管理", 3), ("第五章　法律责任", 2), ("第七章　附则", 1)]


def test_chapters_are_headings_even_when_their_numbering_skips():
    lines, n = ["深圳经济特区某某管理条例"], 0
    for chapter, k in SKIPPING_CHAPTERS:
        lines.append(chapter)
        for _ in range(k):
            n += 1
            lines.append(f"第{'一二三四五六七八'[n - 1]}条　本条的内容，依照有关规定执行。")
    text = "\n".join(lines) + "\n"
    clauses = outline.segment(text, "t")
    assert [c.heading for c in clauses if c.kind == "chapter"] == ["总则", "监督管理", "法律责任", "附则"]
    arts = [c for c in clauses if c.kind == "article"]
    expected = [c.replace("\u3000", "") for c, k in SKIPPING_CHAPTERS for _ in range(k)]
    assert [c.section[0] for c in arts] == expected
    assert [c.clause_id for c in arts][2:4] == ["t:ch4.a3", "t:ch4.a4"]


@pytest.mark.parametrize("line", [
    "第四章规定的情形，依照本条例处理。",  # a cross-reference wrapped onto its own line: a sentence
    "第九章　附则",  # too far ahead of 第二章 to be the next chapter
])
def test_a_chapter_far_ahead_or_in_a_sentence_is_text(line):
    text = f"第一章　总则\n第一条　目的。\n第二章　管理\n第二条　内容。\n{line}\n第三条　施行。\n"
    assert [c.heading for c in outline.segment(text, "t") if c.kind == "chapter"] == ["总则", "管理"]


def test_toc_lines_do_not_steal_headings():
    text = "目  录\n第一章  发展基础\t2\n第二章  发展目标\t9\n第一章  发展基础\n正文一。\n第二章  发展目标\n正文二。\n"
    heads = [c for c in outline.segment(text, "t") if c.kind == "chapter"]
    assert [c.start for c in heads] == [text.index("第一章  发展基础\n"), text.index("第二章  发展目标\n")]


def test_provincial_section_path_and_heading():
    doc = load_document(SEEDS["guangdong"], doc_id="gd")
    c = next(c for c in doc.clauses if c.heading == "新一代电子信息产业集群")
    assert c.section_str == "四、发展重点 › （一）十大战略性支柱产业集群 › 1.新一代电子信息产业集群"
    assert c.level == 3 and c.text.startswith("1.新一代电子信息产业集群。重点发展")
    assert doc.text[c.start:c.end] == c.text


def test_unnumbered_paragraphs_belong_to_their_section():
    doc = load_document(SEEDS["guangdong"], doc_id="gd")
    paras = [c for c in doc.clauses if c.section_str == "一、发展基础" and c.kind == "para"]
    assert len(paras) == 2 and paras[0].text.startswith("改革开放以来")
    principles = [c for c in doc.clauses if c.section_str.endswith("（二）基本原则") and c.kind == "para"]
    assert [p.text[:10] for p in principles][:2] == ["市场主导，政府引导。", "创新引领，重点突破。"]


@pytest.mark.parametrize("name", list(SEEDS))
def test_offsets_map_back_and_cover_the_text(name):
    doc = load_document(SEEDS[name], doc_id=name)
    assert_tiles(doc.text, doc.clauses, doc.skipped)


SKIP_KINDS = {"toc", "salutation", "issuer", "doc_number", "date", "note", "number"}


def assert_tiles(text, clauses, skipped=None):
    """Clauses and skipped spans are in order, never overlap, match the text exactly, and leave only whitespace
    out. Without `skipped`, the text is parsed again for its skipped spans."""
    if skipped is None:
        skipped = outline.parse(text, "p").skipped
    for c in clauses:
        assert text[c.start:c.end] == c.text
    pieces = sorted([(c.start, c.end, c.clause_id) for c in clauses] +
                    [(a, b, f"skipped {kind}") for kind, a, b in skipped])
    pos = 0
    for start, end, name in pieces:
        assert start >= pos, f"overlap at {name}"
        assert start < end, f"empty piece {name}"
        assert text[pos:start].strip() == "", f"text lost before {name}"
        pos = end
    assert text[pos:].strip() == ""
    assert {kind for kind, _, _ in skipped} <= SKIP_KINDS
    ids = [c.clause_id for c in clauses]
    assert len(ids) == len(set(ids))


def test_clause_ids_are_stable_across_runs():
    a = load_document(SEEDS["dongguan"], doc_id="dg")
    b = load_document(SEEDS["dongguan"], doc_id="dg")
    assert [c.clause_id for c in a.clauses] == [c.clause_id for c in b.clauses]
    assert "dg:2.1.1" in {c.clause_id for c in a.clauses}


OUTLINE_LINES = st.sampled_from(["一、总则", "二、目标", "（一）发展思路。正文", "（二）原则", "1.项目。内容",
                                 "2.资金", "第一条 目的", "第二条 范围", "第一章 总则", "第四章 监督管理", "①试点", "正文段落。",
                                 "依照第十条执行。", "", "   ", "\t", "2025年目标"])


FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))  # CI budget; raise locally for longer runs


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.lists(st.one_of(OUTLINE_LINES, st.text(max_size=30)), max_size=40))
def test_property_segment_tiles_any_text(lines):
    text = "\n".join(lines)
    parsed = outline.parse(text, "p")
    clauses = list(parsed.clauses)
    assert clauses == outline.segment(text, "p")
    assert_tiles(text, clauses, parsed.skipped)
    assert [c.to_dict() for c in outline.segment(text, "p")] == [c.to_dict() for c in clauses]
    for c in clauses:
        if c.parent_id:
            assert c.parent_id in {x.clause_id for x in clauses}


def test_no_heading_document_is_split_into_paragraphs():
    text = "\n".join(f"第{i}段内容，没有任何编号。" for i in range(5))
    clauses = outline.segment(text, "n")
    assert len(clauses) == 5 and all(c.kind == "preamble" for c in clauses)
    assert re.fullmatch(r"n:0-p1", clauses[0].clause_id)


def test_document_without_line_breaks_is_cut_at_sentences():
    sentence = "本市将加快推进产业集群发展，完善配套政策并强化要素保障。"
    text = sentence * 200  # one line of 5,800 characters
    clauses = outline.segment(text, "n")
    assert len(clauses) > 5
    assert all(len(c.text) <= outline.MAX_PARAGRAPH for c in clauses)
    assert all(c.text.endswith("。") for c in clauses)
    assert_tiles(text, clauses)


@settings(max_examples=FUZZ_EXAMPLES // 4, deadline=None)
@given(st.text(alphabet="。，产业集群发展\n 1一、（）", min_size=0, max_size=3000))
def test_property_long_paragraphs_still_tile(text):
    assert_tiles(text, outline.segment(text, "q"))


def test_enumeration_numbered_through_chapters():
    text = "一、生产\n（一）粮油\n（二）蔬菜\n二、帮扶\n（三）政策体系\n（四）产业帮扶\n"
    clauses = outline.segment(text, "t")
    assert [c.section_str for c in clauses if c.kind == "cn_paren"] == [
        "一、生产 › （一）粮油", "一、生产 › （二）蔬菜", "二、帮扶 › （三）政策体系", "二、帮扶 › （四）产业帮扶"]


def test_loose_numbering_reused_one_level_down():
    text = "1、河北方案\n2、河南方案\n(一)支柱产业\n1.电子信息产业。正文\n2.绿色石化产业。正文\n(二)新兴产业\n1.半导体产业。正文\n"
    clauses = outline.segment(text, "t")
    nums = [c for c in clauses if c.text.startswith(("1.", "2."))]
    assert [c.section_str for c in nums] == [
        "2、河南方案 › (一)支柱产业 › 1.电子信息产业", "2、河南方案 › (一)支柱产业 › 2.绿色石化产业",
        "2、河南方案 › (二)新兴产业 › 1.半导体产业"]


def test_an_unnumbered_closing_heading_closes_the_open_section():
    text = ("一、背景情况\n近年来各地纷纷出台政策。\n二、河南方案\n河南提出10个新兴产业链。\n总结\n"
            "“链长制”形成的基础是产业集聚。\n(一)十大战略性支柱产业集群\n1.新一代电子信息产业集群\n"
            "2.绿色石化产业集群\n三、下一步工作\n持续跟踪。\n")
    cs = {c.text: c for c in outline.segment(text, "n")}
    summary = cs["总结"]
    assert summary.kind == "plain" and summary.level == 1 and summary.parent_id is None and summary.heading == "总结"
    assert cs["“链长制”形成的基础是产业集聚。"].section == ("总结",)
    assert cs["1.新一代电子信息产业集群"].section == ("总结", "(一)十大战略性支柱产业集群", "1.新一代电子信息产业集群")
    # numbering that continues the top level after it returns to the top level
    assert cs["三、下一步工作"].level == 1 and cs["三、下一步工作"].section == ("三、下一步工作",)


def test_an_appendix_restarts_its_own_numbering_under_it():
    text = "一、发展目标\n到2025年。\n二、保障措施\n加强领导。\n附件1：\n一、投资结构\n项目总投资。\n二、项目清单\n"
    cs = {c.text: c for c in outline.segment(text, "g")}
    assert cs["附件1："].kind == "plain" and cs["附件1："].heading == "附件1"
    assert cs["一、投资结构"].section == ("附件1", "一、投资结构")
    assert cs["二、项目清单"].parent_id == cs["附件1："].clause_id


@pytest.mark.parametrize("line", ["总结经验做法，形成长效机制。", "附件：广西工业和信息化发展重大项目", "做好总结"])
def test_sentences_that_merely_contain_those_words_are_text(line):
    text = f"一、工作要求\n{line}\n"
    assert [c.kind for c in outline.segment(text, "x")] == ["cn", "para"]


@pytest.mark.parametrize("opening", ["附件1", "前言", "编者按："])
def test_an_opening_unnumbered_heading_does_not_swallow_the_document(opening):
    # attachment files often start with a lone 附件1; a 前言 precedes the numbered chapters
    text = f"{opening}\n广东省战略性产业集群重点产品清单\n说明文字。\n一、总体要求\n（一）指导思想\n二、主要任务\n"
    cs = {c.text: c for c in outline.segment(text, "o")}
    assert cs[opening].kind == "plain"
    assert cs["说明文字。"].parent_id == cs[opening].clause_id
    assert cs["一、总体要求"].level == 1 and cs["一、总体要求"].parent_id is None
    assert cs["二、主要任务"].section == ("二、主要任务",)
    assert cs["（一）指导思想"].parent_id == cs["一、总体要求"].clause_id


@pytest.mark.parametrize("line, is_heading", [
    ("1.1 亿元资金用于奖补", False),  # an amount after a space is still an amount
    ("1.1. 耕地机械", True),  # trailing dot style
    ("1.1.耕地机械", True),
])
def test_decimal_marker_forms(line, is_heading):
    text = f"1.耕整地机械\n{line}\n"
    assert (outline.segment(text, "d")[-1].kind == "dec") is is_heading


SHARED_LAWS = DEFAULT_CORPUS.parent.parent / "shared" / "library" / "national" / "laws"


def _article_lines(text: str) -> list[int]:
    """The numbers of the lines that open with 第…条 (every one an article in these statutes)."""
    from indexer.ingest.markers import match_marker
    return [mk.number for line in text.splitlines() if line.startswith("第")
            and (mk := match_marker(line)) is not None and mk.kind == "article"]


@pytest.mark.skipif(not SHARED_LAWS.is_dir(), reason="../shared/library is not beside this checkout")
@pytest.mark.parametrize("name, first, last", [("物权编.md", 205, 462), ("继承编.md", 1119, 1163),
                                               ("人格权编.md", 989, 1039)])
def test_a_part_of_a_code_keeps_its_articles(name, first, last):
    """The 民法典 is shipped one part (编) per file, its articles numbered on from the parts before: each is an
    article clause (第二百一十三条 no longer hangs under an item of 第二百一十二条), up to 第一千一百六十三条."""
    doc = load_document(SHARED_LAWS / name)
    articles = [c for c in doc.clauses if c.kind == "article"]
    assert [c.number for c in articles] == list(range(first, last + 1)) == _article_lines(doc.text)
    assert all(c.clause_id.endswith(f".a{c.number}") for c in articles)
    items = [c for c in doc.clauses if c.kind == "cn_paren"]
    assert items and all(".a" in c.clause_id for c in items)  # （一） items sit under their article


def test_articles_start_where_a_numbered_run_starts():
    """The first article opening a line counts only when the next two follow it: a damaged file that lost 第一条 to
    第四条 still has articles from 第五条; a line quoting 第五条 before 第一条 does not move the start."""
    damaged = "某省某某规定\n\n为了加强管理，制定本规定。\n\n第五条 县级以上人民政府应当加强领导。\n\n" \
              "第六条 行业协会应当加强自律。\n\n第七条 实行实名登记。\n"
    assert [c.number for c in outline.segment(damaged, "d") if c.kind == "article"] == [5, 6, 7]
    quoted = "第五条规定的事项，依照下列规定办理。\n\n第一条 为了规范管理，制定本办法。\n\n第二条 本办法适用于全市。\n\n" \
             "第三条 市人民政府负责实施。\n"
    assert [c.number for c in outline.segment(quoted, "q") if c.kind == "article"] == [1, 2, 3]
    assert outline._first_article(["第五条 甲", "第一条 乙", "第二条 丙"]) == 1
    assert outline._first_article(["第一条 甲", "第二条 乙"]) == 1
    assert outline._first_article(["第五条 甲", "第七条 乙", "第八条 丙"]) == 0
    # found in review: three articles of a law quoted in a preamble are not where the document's own articles start
    quoting = "某市规定\n\n第五条 甲\n\n第六条 乙\n\n第七条 丙\n\n第一条 为了规范，制定本规定。\n\n第二条 适用。\n"
    assert [c.number for c in outline.segment(quoting, "q") if c.kind == "article"] == [1, 2]


ZHEJIANG = SHARED_LAWS.parent.parent / "zhejiang"


@pytest.mark.skipif(not ZHEJIANG.is_dir(), reason="../shared/library is not beside this checkout")
def test_the_paragraph_after_an_articles_list_is_the_articles_own():
    """浙江省饮用水水源保护条例 第二十一条: （一）…（四） then a second paragraph (第二款). Found in use: it was filed under
    item （四）, so its section path told a drafter to cite 第二十一条第（四）项."""
    doc = load_document(ZHEJIANG / "浙江省饮用水水源保护条例(2020-11-27).md")
    by_id = {c.clause_id: c for c in doc.clauses}
    para = next(c for c in doc.clauses if c.text.startswith("在饮用水水源一级保护区内，已经建成的"))
    article = by_id[para.parent_id]
    assert article.kind == "article" and article.number == 21
    assert para.section == article.section and not any("（四）" in s for s in para.section)


def test_a_list_item_broken_inside_a_sentence_keeps_its_run_on_line():
    text = ("第一条 为了规范管理，制定本条例。\n第二条 禁止下列行为：\n（一）在保护区内新建\n排污口；\n（二）游泳。\n"
            "违反前款规定的，责令改正。\n第三条 本条例自公布之日起施行。\n")
    clauses = outline.segment(text, "t")
    run_on = next(c for c in clauses if c.text.startswith("排污口"))
    after = next(c for c in clauses if c.text.startswith("违反前款"))
    assert run_on.parent_id.endswith("a2.1")  # （一） does not end its sentence: the next line is still it
    assert after.parent_id.endswith("a2")  # after （二）。 the article's second paragraph
