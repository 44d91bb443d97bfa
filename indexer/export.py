"""Coverage and alignment reports as CSV, Excel (.xlsx), Word (.docx) and Markdown, with Chinese headers.

Every string is made safe where it leaves for a file (`clean_text`, `spreadsheet_cell`, `markdown_text`), not when
the report is built: the app shows the same rows on screen, where a leading "=" must stay as typed.
"""
from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.compare.align import RELATION_LABELS, Alignment
from indexer.compare.coverage import Coverage
from indexer.compare.redline import DELETE, INSERT, redline, to_text
from indexer.errors import PolicyError
from indexer.labels import date_words, filter_words, issuer_words, level_words, number_words, region_words

FORMATS = (".csv", ".xlsx", ".docx", ".md")
STATUS = {"covered": "已覆盖", "missing": "未覆盖", "aligned": "已对应", "local_addition": "本地新增"}  # as on screen
RELATION = RELATION_LABELS
# The redline colours of the screen (del.rl-del / ins.rl-ins in app_pages/render.py), so Word shows the same marks.
REDLINE_COLOURS = {DELETE: "A50E0E", INSERT: "0B6B2B"}
REDLINE_LEGEND = "差异标注（删除为红色删除线，新增为绿色下划线）/ redline: deleted in red strike-through, inserted in green underline"

# ---------------------------------------------------------------- what may leave for a file

# XML 1.0 (xlsx, docx) forbids C0 controls other than tab, LF and CR, the non-characters U+FFFE/U+FFFF and lone
# surrogates (what a file decoded with surrogateescape may hold); a terminal would act on ESC in a .md or .csv.
_ILLEGAL = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BREAKS = re.compile("[\x0b\x0c]")  # vertical tab, form feed: page and line breaks in extracted text
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(text: str) -> str:
    """Text every export format can hold: breaks kept as line breaks, other control characters dropped."""
    return _ILLEGAL.sub("", _SURROGATE.sub("\ufffd", _BREAKS.sub("\n", text)))


def clean(value):
    """A cell value for a file: text cleaned, numbers and empty cells (None) as they are."""
    return clean_text(value) if isinstance(value, str) else value


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def spreadsheet_cell(value):
    """A CSV cell that a spreadsheet shows as text: a leading single quote before what reads as a formula."""
    value = clean(value)
    return "'" + value if is_formula_like(value) else value


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]  # str, int, float, or None for an empty cell


@dataclass(frozen=True)
class Report:
    title: str
    summary: tuple[str, ...]
    tables: tuple[Table, ...]
    redlines: tuple[tuple[str, str, str], ...] = ()  # (label, old, new) for Word


# ---------------------------------------------------------------- which documents a report is about

def by_id(documents: Iterable | Mapping | None) -> Mapping:
    """doc_id → a Document or IndexedDocument (anything with `.meta`), from a list or a mapping."""
    if documents is None:
        return {}
    if isinstance(documents, Mapping):
        return documents
    return {d.doc_id: d for d in documents}


def doc_label(doc_id: str, documents: Iterable | Mapping | None = None) -> str:
    """How a report names a document: 《title》（文号）, or the doc_id when the document is not known."""
    d = by_id(documents).get(doc_id)
    meta = getattr(d, "meta", None)
    if meta is None or not meta.title:
        return doc_id
    return f"《{meta.title}》（{meta.doc_number}）" if meta.doc_number else f"《{meta.title}》"


def _named(doc_id: str, documents) -> str:
    """The label and, when it differs, the doc_id: the reader sees the title, a script can still find the file."""
    label = doc_label(doc_id, documents)
    return label if label == doc_id else f"{label} [{doc_id}]"


DOCUMENT_HEADERS = ("角色", "标题", "文号", "发文机关", "日期", "地区", "层级", "doc_id")


def documents_table(roles: Sequence[tuple[str, str]], documents) -> tuple[Table, ...]:
    """Who issued each document a report is about, and when: one row per (role, doc_id) the library knows (a
    pasted list is no document), missing values in words; no table when the library knows none of them."""
    known = by_id(documents)
    rows = []
    for role, doc_id in roles:
        meta = getattr(known.get(doc_id), "meta", None)
        if meta is not None:
            rows.append((role, meta.title or doc_id, number_words(meta.doc_number), issuer_words(meta.issuer),
                         date_words(meta.date), region_words(meta.region, meta.level), level_words(meta.level),
                         doc_id))
    return (Table("文件", DOCUMENT_HEADERS, tuple(rows)),) if rows else ()


def _settings_line(settings: Sequence[str]) -> tuple[str, ...]:
    return (f"条件 / settings: {'；'.join(settings)}",) if settings else ()


def _yes(b: bool) -> str:
    return "是" if b else "否"


def _score(x: float, digits: int = 3) -> float:
    return round(float(x), digits)


def coverage_report(cov: Coverage, documents=None, settings: Sequence[str] = ()) -> Report:
    """A coverage result as a report; `documents` (doc_id → document, or a list) names both lists' documents
    by title and 文号, `settings` records the choices made (lists, region)."""
    d = cov.to_dict()["summary"]
    ref, tgt = doc_label(cov.reference, documents), doc_label(cov.target, documents)
    summary = (f"参照 / reference: {_named(cov.reference, documents)}",
               f"目标 / target: {_named(cov.target, documents)}",
               f"目标地区 / region: {cov.region or '未知'}",
               *_settings_line(settings),
               f"参照条目 {d['reference_items']} 项，已覆盖 {d['covered']} 项，未覆盖 {d['missing']} 项",
               f"点名本地区但未覆盖：{'、'.join(d['named_gaps']) or '无'}",
               f"目标条目 {d['target_items']} 项，本地新增：{'、'.join(d['local_additions']) or '无'}")
    ref_rows = Table("参照条目", ("参照条目", "条款编号", "对应目标条目", "匹配得分", "状态", "是否点名本地区", "点名未覆盖"),
                     tuple((r.name, r.clause_id or "", "、".join(m.name for m in r.matches),
                            _score(r.matches[0].score) if r.matches else None, STATUS[r.status],
                            _yes(r.names_target_region), _yes(r.named_gap)) for r in cov.reference_items))
    tgt_rows = Table("目标条目", ("目标条目", "条款编号", "对应参照条目", "匹配得分", "状态", "最接近的参照条目",
                                  "其他对应参照条目"),
                     tuple((t.name, t.clause_id or "", t.best or "", _score(t.score), STATUS[t.status], t.nearest,
                            "、".join(m.name for m in t.also)) for t in cov.target_items))
    docs = documents_table((("参照", cov.reference), ("目标", cov.target)), documents)
    return Report(f"清单覆盖情况：{tgt} 对照 {ref}", summary, (*docs, ref_rows, tgt_rows))


def alignment_report(al: Alignment, documents=None, settings: Sequence[str] = ()) -> Report:
    """An alignment as a report; `documents` names A and B by title and 文号 (see coverage_report)."""
    c = al.to_dict()["counts"]
    summary = (f"文件A / document A: {_named(al.doc_a, documents)}",
               f"文件B / document B: {_named(al.doc_b, documents)}",
               *_settings_line(settings),
               f"对应条款 {c['pairs']} 对（完全相同 {c['identical']}，基本相同 {c['near_identical']}，"
               f"改写 {c['paraphrase']}，部分对应 {c['partial']}）；仅见于A {c['only_a']} 条，仅见于B {c['only_b']} 条")
    rows = [(p.a.clause_id, p.a.section, p.a.text, p.b.clause_id, p.b.section, p.b.text, _score(p.score),
             RELATION[p.relation], to_text(redline(p.a.text, p.b.text, ignore_width=True)) if p.relation != "identical" else "")
            for p in al.pairs]
    rows += [(x.clause_id, x.section, x.text, "", "", "", None, RELATION["only_a"], "") for x in al.only_a]
    rows += [("", "", "", x.clause_id, x.section, x.text, None, RELATION["only_b"], "") for x in al.only_b]
    table = Table("条款对应", ("A条款编号", "A章节", "A条文", "B条款编号", "B章节", "B条文", "匹配得分", "关系", "差异标注"),
                  tuple(rows))
    reds = tuple((f"{p.a.section or p.a.clause_id} ↔ {p.b.section or p.b.clause_id}（{RELATION[p.relation]}）",
                  p.a.text, p.b.text)
                 for p in al.pairs if p.relation in ("near_identical", "partial"))
    title = f"条款比对：{doc_label(al.doc_a, documents)} 与 {doc_label(al.doc_b, documents)}"
    docs = documents_table((("文件A", al.doc_a), ("文件B", al.doc_b)), documents)
    return Report(title, summary, (*docs, table), reds)


# ---------------------------------------------------------------- writers

def _text(v) -> str:
    """A cell as text for Word and Markdown (an empty cell is empty, not "None")."""
    return "" if v is None else clean_text(str(v))


def write_csv(rep: Report, path: Path) -> None:
    # utf-8-sig: Excel opens the file as UTF-8 only with the byte-order mark
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        for k, t in enumerate(rep.tables):
            if len(rep.tables) > 1:
                if k:
                    w.writerow([])
                w.writerow([spreadsheet_cell(t.title)])
            w.writerow([spreadsheet_cell(h) for h in t.headers])
            w.writerows([spreadsheet_cell(v) for v in row] for row in t.rows)


def _xlsx_append(sheet, values) -> None:
    """Append a row; text that would read as a formula is stored as text with Excel's quote prefix (shown as typed)."""
    values = [clean(v) for v in values]
    sheet.append(values)
    for cell, v in zip(sheet[sheet.max_row], values, strict=False):
        if is_formula_like(v):
            cell.value = v
            cell.data_type = "s"
            cell.quotePrefix = True


def _sheet_title(title: str) -> str:
    """Excel refuses sheet names with \\ / ? * [ ] : or over 31 characters."""
    return re.sub(r"[\\/?*\[\]:]", "_", clean_text(title)).strip()[:31] or "表"


def write_xlsx(rep: Report, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment as XAlign
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "摘要"
    _xlsx_append(ws, [rep.title])
    ws["A1"].font = Font(bold=True, size=14)
    for line in rep.summary:
        _xlsx_append(ws, [line])
    ws.column_dimensions["A"].width = 100
    for t in rep.tables:
        sh = wb.create_sheet(_sheet_title(t.title))
        _xlsx_append(sh, t.headers)
        for cell in sh[1]:
            cell.font = Font(bold=True)
        for row in t.rows:
            _xlsx_append(sh, row)
        sh.freeze_panes = "A2"
        for k, h in enumerate(t.headers):
            longest = max([len(str(h))] + [len(_text(r[k])) for r in t.rows[:200]])
            letter = sh.cell(row=1, column=k + 1).column_letter
            sh.column_dimensions[letter].width = min(60, max(10, longest * 2 + 2))
        for row in sh.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = XAlign(wrap_text=True, vertical="top")
    wb.save(path)


def write_docx(rep: Report, path: Path) -> None:
    from docx import Document as Docx
    from docx.shared import RGBColor

    doc = Docx()
    doc.add_heading(_text(rep.title), level=1)
    for line in rep.summary:
        doc.add_paragraph(_text(line))
    for t in rep.tables:
        doc.add_heading(_text(t.title), level=2)
        table = doc.add_table(rows=1, cols=len(t.headers))
        table.style = "Table Grid"
        for cell, h in zip(table.rows[0].cells, t.headers, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(_text(h)).bold = True
        for row in t.rows:
            cells = table.add_row().cells
            for cell, v in zip(cells, row, strict=True):
                cell.text = _text(v)
    if rep.redlines:
        doc.add_heading(REDLINE_LEGEND, level=2)
        for label, old, new in rep.redlines:
            doc.add_paragraph(_text(label)).runs[0].bold = True
            para = doc.add_paragraph()
            for op in redline(clean_text(old), clean_text(new), ignore_width=True):
                run = para.add_run(op.text)
                if op.op in REDLINE_COLOURS:
                    run.font.color.rgb = RGBColor.from_string(REDLINE_COLOURS[op.op])
                    if op.op == DELETE:
                        run.font.strike = True
                    else:
                        run.font.underline = True
    doc.save(path)


# Inline Markdown a document's text must not start: links and images ([…](…), ![…](…), [x]: url definitions) and
# the code spans, emphasis and strike-through that could swallow or reorder an escape. Block syntax (#, >, -)
# only acts at the start of a line, and every line of an export starts with the writer's own markup.
_MD_INLINE = re.compile(r"([\\`*_\[\]~])")


def markdown_text(v) -> str:
    """Text as Markdown shows it, never as markup: HTML escaped (a <script> or <img onerror> stays text, and so
    does an entity such as &#91;), then link, image and emphasis characters backslash-escaped, so
    [点击](javascript:…) and ![](http://…/p.png) are shown as written instead of becoming a link or a fetch."""
    return _MD_INLINE.sub(r"\\\1", html.escape(_text(v), quote=False))


_md = markdown_text


def _md_cell(v) -> str:
    return _md(v).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def to_markdown(rep: Report) -> str:
    lines = [f"# {_md_cell(rep.title)}", ""] + [f"- {_md_cell(s)}" for s in rep.summary]
    for t in rep.tables:
        lines += ["", f"## {_md_cell(t.title)}", "", "| " + " | ".join(_md_cell(h) for h in t.headers) + " |",
                  "|" + "---|" * len(t.headers)]
        lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in t.rows]
    return "\n".join(lines) + "\n"


def write_report(rep: Report, path: str | Path) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise PolicyError(f"不支持的导出格式 / unsupported export format '{suffix or path.name}': "
                          f"use {', '.join(FORMATS)}")
    if suffix == ".csv":
        write_csv(rep, path)
    elif suffix == ".xlsx":
        write_xlsx(rep, path)
    elif suffix == ".docx":
        write_docx(rep, path)
    else:
        path.write_text(to_markdown(rep), encoding="utf-8")
    return path


SEARCH_HEADERS = ("序号", "标题", "文号", "发文机关", "地区", "层级", "日期", "章节", "条款", "页码", "得分", "clause_id",
                  "doc_id")


def search_report(hits, query: str, filters=None, documents=None) -> Report:
    """Search results as a report: the query and every filter in words in the summary, one row per hit, scores
    as numbers.

    Args:
        filters: the search's SearchFilters (or None, or a phrase already in words).
        documents: the library (a list, or doc_id → document): each hit's 发文机关 comes from its document's
            metadata (an empty cell when the library is not given).
    """
    known = by_id(documents)

    def issuer(doc_id: str) -> str:
        meta = getattr(known.get(doc_id), "meta", None)
        return issuer_words(meta.issuer) if meta is not None else ""

    rows = tuple((n, h.title or h.doc_id, number_words(h.doc_number), issuer(h.doc_id), region_words(h.region, h.level),
                  level_words(h.level), date_words(h.date), h.section, h.text, h.page if h.page is not None else "",
                  round(float(h.score), 4), h.clause_id, h.doc_id)
                 for n, h in enumerate(hits, 1))
    words = filters if isinstance(filters, str) else "；".join(filter_words(filters, known))
    summary = (f"检索词 / query: {query}", f"筛选 / filters: {words or '无 / none'}", f"结果 / hits: {len(rows)}")
    return Report(title="检索结果 Search results", summary=summary,
                  tables=(Table("检索结果", SEARCH_HEADERS, rows),))


def report_bytes(rep: Report, suffix: str) -> bytes:
    """A report in the format named by its suffix, as bytes (for a download button or an HTTP answer)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return write_report(rep, Path(folder) / f"report{suffix}").read_bytes()


def export(result: Coverage | Alignment, path: str | Path, documents=None, settings: Sequence[str] = ()) -> Path:
    """Write a coverage or alignment result to `path`; the suffix picks the format.

    Args:
        documents: the library (a list, or doc_id → document), so the report names documents by title and 文号.
        settings: the choices behind the result, one short phrase each (recorded in the report's summary).
    """
    if isinstance(result, Coverage):
        rep = coverage_report(result, documents, settings)
    else:
        rep = alignment_report(result, documents, settings)
    return write_report(rep, path)
