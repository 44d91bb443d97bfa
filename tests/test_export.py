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
from tests.align_fixtures import CHAOZHOU, DONGGUAN, NEWS, PROVINCE, FakeEmbedder, corpus, doc


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


# ---------------------------------------------------------------- who issued a document, and when

def _cells_of(path) -> list[list[str]]:
    """Every table row of an export as text cells, whatever its format."""
    suffix = path.suffix
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        return [["" if v is None else str(v) for v in row] for ws in load_workbook(path)
                for row in ws.iter_rows(values_only=True)]
    if suffix == ".docx":
        from docx import Document as Docx

        return [[c.text for c in r.cells] for t in Docx(str(path)).tables for r in t.rows]
    if suffix == ".csv":
        return list(csv.reader(path.open(encoding="utf-8-sig")))
    return [[c.strip() for c in line.strip("|").split("|")] for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ")]


def _row_of(rows: list[list[str]], doc_id: str) -> dict[str, str]:
    header = next(r for r in rows if "发文机关" in r and "日期" in r and "文号" in r)
    return dict(zip(header, next(r for r in rows if doc_id in r and r is not header), strict=False))


@pytest.mark.parametrize("suffix", [".xlsx", ".docx", ".csv", ".md"])
def test_coverage_and_alignment_exports_name_issuer_date_and_number(tmp_path, suffix, coverage_result,
                                                                     alignment_result):
    """Each document a report is about carries its 发文机关, 日期 and 文号; what the text lacks is said in words."""
    docs = corpus()
    rows = _cells_of(export.export(coverage_result, tmp_path / f"c{suffix}", documents=docs))
    assert _row_of(rows, PROVINCE).items() >= {"发文机关": "广东省人民政府", "日期": "2020-06-17",
                                               "文号": "粤府函〔2020〕82号"}.items()
    assert _row_of(rows, DONGGUAN)["发文机关"] == "东莞市人民政府" and _row_of(rows, DONGGUAN)["文号"] == "文号未标注"
    rows = _cells_of(export.export(alignment_result, tmp_path / f"a{suffix}", documents=docs))
    chaozhou = _row_of(rows, CHAOZHOU)
    assert chaozhou["日期"] == "日期未注明" and chaozhou["文号"] == "文号未标注" and chaozhou["发文机关"] == "潮州市"
    assert _row_of(rows, PROVINCE)["日期"] == "2020-06-17"


def _hit(d, n=1):
    from indexer.models import Hit

    c = d.clauses[n]
    return Hit(rank=n, score=0.5, doc_id=d.doc_id, title=d.meta.title, region=d.meta.region, province=d.meta.province,
               level=d.meta.level, date=d.meta.date, status=d.meta.status, clause_id=c.clause_id,
               section=c.section_str, section_path=c.section, text=c.text, start=c.start, end=c.end, page=None,
               doc_number=d.meta.doc_number)


@pytest.mark.parametrize("suffix", [".xlsx", ".docx", ".csv", ".md"])
def test_search_export_names_issuer_and_says_what_is_missing(tmp_path, suffix):
    hits = [_hit(doc(PROVINCE)), _hit(doc(CHAOZHOU)), _hit(doc(NEWS))]
    rep = export.search_report(hits, "产业集群", documents=corpus())
    rows = _cells_of(export.write_report(rep, tmp_path / f"s{suffix}"))
    assert _row_of(rows, PROVINCE)["发文机关"] == "广东省人民政府"
    assert _row_of(rows, CHAOZHOU).items() >= {"日期": "日期未注明", "文号": "文号未标注", "发文机关": "潮州市"}.items()
    assert _row_of(rows, NEWS)["发文机关"] == "发文机关未标注"


def test_search_summary_writes_every_filter_in_the_words_the_app_shows(tmp_path):
    from openpyxl import load_workbook

    from indexer.filters import SearchFilters

    f = SearchFilters(region="广东省", region_scope="self", level="city,county", status="draft,current",
                      date_from="2020-01-01", date_to="2021-12-31", include_undated=True, section="保障措施",
                      doc_ids=(PROVINCE,))
    rep = export.search_report([_hit(doc(PROVINCE))], "产业集群", f, documents=corpus())
    summary = "\n".join(c.value or "" for c in load_workbook(export.write_report(rep, tmp_path / "s.xlsx"))["摘要"]["A"])
    for words in ("广东省（仅本级）", "市级、县级", "征求意见稿、现行/未标注", "2020-01-01 至 2021-12-31（含未注明日期）",
                  "保障措施", doc(PROVINCE).meta.title):
        assert words in summary, words
    assert "city" not in summary and "draft" not in summary
    f = SearchFilters(region="广东省", date_from="2021")
    line = next(s for s in export.search_report([], "q", f).summary if s.startswith("筛选"))
    assert "广东省（含下辖）" in line and "2021 起" in line and "含未注明日期" not in line
    assert next(s for s in export.search_report([], "q", None).summary if s.startswith("筛选")).endswith("无 / none")
