"""Reports: .xlsx, .docx, .csv and .md written and read back."""
from __future__ import annotations

import csv

import pytest

from indexer import export
from indexer.cli import main
from indexer.compare import align
from indexer.compare import coverage as cov
from indexer.errors import PolicyError
from indexer.ingest.lists import primary_list
from tests.align_fixtures import CHAOZHOU, DONGGUAN, PROVINCE, FakeEmbedder, doc


@pytest.fixture(scope="module")
def coverage_result():
    return cov.coverage(primary_list(doc(PROVINCE)), primary_list(doc(DONGGUAN)), region="东莞市",
                        embedder=FakeEmbedder())


@pytest.fixture(scope="module")
def alignment_result():
    return align.align_documents(doc(CHAOZHOU), doc(PROVINCE), embedder=FakeEmbedder())


def test_coverage_xlsx_reads_back(tmp_path, coverage_result):
    from openpyxl import load_workbook

    path = export.export(coverage_result, tmp_path / "coverage.xlsx")
    wb = load_workbook(path)
    assert {"摘要", "参照条目", "目标条目"} <= set(wb.sheetnames)
    ws = wb["参照条目"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["参照条目", "条款编号", "对应目标条目"] and "是否点名本地区" in header
    names = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert names == [r.name for r in coverage_result.reference_items]
    flags = {r[0]: r[header.index("是否点名本地区")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert flags["区块链与量子信息"] == "是" and flags["绿色石化"] == "否"
    assert [c.value for c in wb["目标条目"][1]][:5] == ["目标条目", "条款编号", "对应参照条目", "匹配得分", "状态"]


def test_alignment_docx_reads_back_with_redline(tmp_path, alignment_result):
    from docx import Document as Docx

    path = export.export(alignment_result, tmp_path / "align.docx")
    d = Docx(str(path))
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells][:3] == ["A条款编号", "A章节", "A条文"]
    assert len(table.rows) == 1 + len(alignment_result.pairs) + len(alignment_result.only_a) + len(
        alignment_result.only_b)
    runs = [r for p in d.paragraphs for r in p.runs]
    if any(p.relation in ("near_identical", "partial") for p in alignment_result.pairs):
        assert any(r.font.strike for r in runs) or any(r.font.underline for r in runs)


def test_coverage_docx_reads_back(tmp_path, coverage_result):
    from docx import Document as Docx

    d = Docx(str(export.export(coverage_result, tmp_path / "c.docx")))
    assert len(d.tables) == 2
    assert d.tables[0].rows[1].cells[0].text == coverage_result.reference_items[0].name


def test_csv_has_bom_and_chinese_headers(tmp_path, alignment_result):
    path = export.export(alignment_result, tmp_path / "a.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["A条款编号", "A章节", "A条文"] and "关系" in rows[0]
    assert len(rows) == 1 + len(alignment_result.pairs) + len(alignment_result.only_a) + len(
        alignment_result.only_b)


def test_markdown(tmp_path, coverage_result):
    text = export.export(coverage_result, tmp_path / "c.md").read_text(encoding="utf-8")
    assert text.startswith("# ") and "| 参照条目 |" in text and "| 目标条目 |" in text
    assert text.count("\n| ") >= 2 + 20 + 9


def test_markdown_escapes_pipes():
    rep = export.Report("t", (), (export.Table("x", ("a",), (("p|q\nr",),)),))
    assert "p\\|q<br>r" in export.to_markdown(rep)


def test_unknown_format_is_a_clear_error(tmp_path, coverage_result):
    with pytest.raises(PolicyError, match="unsupported export format"):
        export.export(coverage_result, tmp_path / "c.pdf")


@pytest.mark.slow
def test_cli_coverage_export_xlsx(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "cov.xlsx"
    assert main(["coverage", "--reference", PROVINCE, "--target", DONGGUAN, "--export", str(out)]) == 0
    ws = load_workbook(out)["参照条目"]
    header = [c.value for c in ws[1]]
    gaps = {r[0] for r in ws.iter_rows(min_row=2, values_only=True) if r[header.index("点名未覆盖")] == "是"}
    assert {"区块链与量子信息", "数字创意"} <= gaps
