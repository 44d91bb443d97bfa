"""Coverage and alignment reports as CSV, Excel (.xlsx), Word (.docx) and Markdown, with Chinese headers."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from indexer.align import RELATION_LABELS, Alignment
from indexer.coverage import Coverage
from indexer.errors import PolicyError
from indexer.redline import DELETE, INSERT, redline, to_text

FORMATS = (".csv", ".xlsx", ".docx", ".md")
STATUS = {"covered": "已覆盖", "missing": "未覆盖", "aligned": "已对应", "local_addition": "本地新增"}  # as on screen
RELATION = RELATION_LABELS


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]


@dataclass(frozen=True)
class Report:
    title: str
    summary: tuple[str, ...]
    tables: tuple[Table, ...]
    redlines: tuple[tuple[str, str, str], ...] = ()  # (label, old, new) for Word


def _yes(b: bool) -> str:
    return "是" if b else "否"


def coverage_report(cov: Coverage) -> Report:
    d = cov.to_dict()["summary"]
    summary = (f"参照：{cov.reference}；目标：{cov.target}；目标地区：{cov.region or '未知'}",
               f"参照条目 {d['reference_items']} 项，已覆盖 {d['covered']} 项，未覆盖 {d['missing']} 项",
               f"点名本地区但未覆盖：{'、'.join(d['named_gaps']) or '无'}",
               f"目标条目 {d['target_items']} 项，本地新增：{'、'.join(d['local_additions']) or '无'}")
    ref = Table("参照条目", ("参照条目", "条款编号", "对应目标条目", "匹配得分", "状态", "是否点名本地区", "点名未覆盖"),
                tuple((r.name, r.clause_id or "", "、".join(m.name for m in r.matches),
                       round(r.matches[0].score, 3) if r.matches else "", STATUS[r.status],
                       _yes(r.names_target_region), _yes(r.named_gap)) for r in cov.reference_items))
    tgt = Table("目标条目", ("目标条目", "条款编号", "对应参照条目", "匹配得分", "状态", "最接近的参照条目", "其他对应参照条目"),
                tuple((t.name, t.clause_id or "", t.best or "", round(t.score, 3), STATUS[t.status], t.nearest,
                       "、".join(m.name for m in t.also)) for t in cov.target_items))
    return Report(f"清单覆盖情况：{cov.target} 对照 {cov.reference}", summary, (ref, tgt))


def alignment_report(al: Alignment) -> Report:
    c = al.to_dict()["counts"]
    summary = (f"文件A：{al.doc_a}；文件B：{al.doc_b}",
               f"对应条款 {c['pairs']} 对（完全相同 {c['identical']}，基本相同 {c['near_identical']}，"
               f"改写 {c['paraphrase']}，部分对应 {c['partial']}）；仅见于A {c['only_a']} 条，仅见于B {c['only_b']} 条")
    rows = [(p.a.clause_id, p.a.section, p.a.text, p.b.clause_id, p.b.section, p.b.text, round(p.score, 3),
             RELATION[p.relation], to_text(redline(p.a.text, p.b.text, ignore_width=True)) if p.relation != "identical" else "")
            for p in al.pairs]
    rows += [(x.clause_id, x.section, x.text, "", "", "", "", RELATION["only_a"], "") for x in al.only_a]
    rows += [("", "", "", x.clause_id, x.section, x.text, "", RELATION["only_b"], "") for x in al.only_b]
    table = Table("条款对应", ("A条款编号", "A章节", "A条文", "B条款编号", "B章节", "B条文", "匹配得分", "关系", "差异标注"),
                  tuple(rows))
    reds = tuple((f"{p.a.clause_id} ↔ {p.b.clause_id}（{RELATION[p.relation]}）", p.a.text, p.b.text)
                 for p in al.pairs if p.relation in ("near_identical", "partial"))
    return Report(f"条款比对：{al.doc_a} 与 {al.doc_b}", summary, (table,), reds)


# ---------------------------------------------------------------- writers

def write_csv(rep: Report, path: Path) -> None:
    # utf-8-sig: Excel opens the file as UTF-8 only with the byte-order mark
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        for k, t in enumerate(rep.tables):
            if len(rep.tables) > 1:
                if k:
                    w.writerow([])
                w.writerow([t.title])
            w.writerow(t.headers)
            w.writerows(t.rows)


def write_xlsx(rep: Report, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment as XAlign
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "摘要"
    ws.append([rep.title])
    ws["A1"].font = Font(bold=True, size=14)
    for line in rep.summary:
        ws.append([line])
    ws.column_dimensions["A"].width = 100
    for t in rep.tables:
        sh = wb.create_sheet(t.title[:31])
        sh.append(list(t.headers))
        for cell in sh[1]:
            cell.font = Font(bold=True)
        for row in t.rows:
            sh.append(list(row))
        sh.freeze_panes = "A2"
        for k, h in enumerate(t.headers):
            longest = max([len(str(h))] + [len(str(r[k])) for r in t.rows[:200]])
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
    doc.add_heading(rep.title, level=1)
    for line in rep.summary:
        doc.add_paragraph(line)
    for t in rep.tables:
        doc.add_heading(t.title, level=2)
        table = doc.add_table(rows=1, cols=len(t.headers))
        table.style = "Table Grid"
        for cell, h in zip(table.rows[0].cells, t.headers, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(str(h)).bold = True
        for row in t.rows:
            cells = table.add_row().cells
            for cell, v in zip(cells, row, strict=True):
                cell.text = str(v)
    if rep.redlines:
        doc.add_heading("差异标注（删除为红色删除线，新增为蓝色下划线）", level=2)
        for label, old, new in rep.redlines:
            doc.add_paragraph(label).runs[0].bold = True
            para = doc.add_paragraph()
            for op in redline(old, new, ignore_width=True):
                run = para.add_run(op.text)
                if op.op == DELETE:
                    run.font.strike = True
                    run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
                elif op.op == INSERT:
                    run.font.underline = True
                    run.font.color.rgb = RGBColor(0x00, 0x40, 0xC0)
    doc.save(path)


def _md_cell(v) -> str:
    return str(v).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def to_markdown(rep: Report) -> str:
    lines = [f"# {rep.title}", ""] + [f"- {s}" for s in rep.summary]
    for t in rep.tables:
        lines += ["", f"## {t.title}", "", "| " + " | ".join(t.headers) + " |",
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


SEARCH_HEADERS = ("序号", "标题", "文号", "地区", "层级", "日期", "章节", "条款", "页码", "得分", "clause_id", "doc_id")


def search_report(hits, query: str, filters: str = "") -> Report:
    """Search results as a report: the query and filters in the summary, one row per hit, scores as numbers."""
    from indexer.models import LEVEL_LABELS

    rows = tuple((n, h.title, h.doc_number, h.region, LEVEL_LABELS.get(h.level, h.level), h.date, h.section,
                  h.text, h.page if h.page is not None else "", round(float(h.score), 4), h.clause_id, h.doc_id)
                 for n, h in enumerate(hits, 1))
    summary = (f"检索词 / query: {query}", f"筛选 / filters: {filters or '无 / none'}", f"结果 / hits: {len(rows)}")
    return Report(title="检索结果 Search results", summary=summary,
                  tables=(Table("检索结果", SEARCH_HEADERS, rows),))


def report_bytes(rep: Report, suffix: str) -> bytes:
    """A report in the format named by its suffix, as bytes (for a download button or an HTTP answer)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return write_report(rep, Path(folder) / f"report{suffix}").read_bytes()


def export(result: Coverage | Alignment, path: str | Path) -> Path:
    """Write a coverage or alignment result to `path`; the suffix picks the format."""
    rep = coverage_report(result) if isinstance(result, Coverage) else alignment_report(result)
    return write_report(rep, path)
