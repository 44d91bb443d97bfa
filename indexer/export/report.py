"""A report (summary lines, tables, redlines) and its files: CSV, Excel (.xlsx), Word (.docx) and Markdown, with
Chinese headers.

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

from indexer.compare.align import RELATION_LABELS
from indexer.compare.redline import DELETE, INSERT, redline
from indexer.errors import PolicyError
from indexer.labels import date_words, issuer_words, level_words, number_words, region_words

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


def named_with_id(doc_id: str, documents) -> str:
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


def check_format(path: str | Path) -> str:
    """The export format a path's suffix names (.xlsx …); a PolicyError for any other, so a door can refuse it
    before the work whose result it would write."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise PolicyError(f"不支持的导出格式“{suffix or path.name}”，请使用 {'、'.join(FORMATS)} / "
                          f"unsupported export format '{suffix or path.name}': use {', '.join(FORMATS)}")
    return suffix


def write_report(rep: Report, path: str | Path) -> Path:
    path = Path(path)
    suffix = check_format(path)
    if suffix == ".csv":
        write_csv(rep, path)
    elif suffix == ".xlsx":
        write_xlsx(rep, path)
    elif suffix == ".docx":
        write_docx(rep, path)
    else:
        path.write_text(to_markdown(rep), encoding="utf-8")
    return path


def report_bytes(rep: Report, suffix: str) -> bytes:
    """A report in the format named by its suffix, as bytes (for a download button or an HTTP answer)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return write_report(rep, Path(folder) / f"report{suffix}").read_bytes()


