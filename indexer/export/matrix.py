"""The implementation matrix and the diffusion timeline as reports (.xlsx, .docx, .csv, .md), Chinese headers.

Built on `indexer.export`'s Report and writers, so the same cleaning (control characters, formula-like cells)
applies. Items are rows and documents columns: a provincial list has 20 items and a handful of cities answer
it, so the table stays narrow enough for a Word page.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from indexer.compare.diffusion import WORDING_LABELS, Timeline
from indexer.compare.matrix import REASON_LABELS, UNIT_LABELS, Matrix
from indexer.export.report import STATUS, Report, Table, by_id, doc_label, report_bytes, write_report
from indexer.labels import (
    EARLIER_WORDS,
    NO_LAG,
    date_words,
    issuer_words,
    level_words,
    number_words,
    region_words,
)

NAMED_GAP = "点名未覆盖"


def cell_label(cell) -> str:
    """How a cell reads in a report: 已覆盖 / 未覆盖 / 点名未覆盖 (the reference names the region, no answer)."""
    return NAMED_GAP if cell.named_gap else STATUS[cell.status]


def _short(doc_id: str, documents) -> str:
    label = doc_label(doc_id, documents)
    return label if len(label) <= 24 else label[:23] + "…"


def matrix_report(m: Matrix, documents=None, settings: Sequence[str] = ()) -> Report:
    heads = tuple(_short(r.doc_id, documents) for r in m.rows)
    n = len(m.rows)
    grid = Table("实施矩阵", ("参照条目", "所属部分", *heads, "采纳文件数"),
                 tuple((it.name, it.group, *(cell_label(r.cells[j]) for r in m.rows), f"{m.taken_up(j)}/{n}")
                       for j, it in enumerate(m.items)))
    conf = Table("置信度", ("参照条目", *heads),
                 tuple((it.name, *(round(r.cells[j].confidence, 3) for r in m.rows)) for j, it in enumerate(m.items)))
    counts = Table("条目统计", ("参照条目", "采纳文件数", "文件总数", "采纳比例"),
                   tuple((it.name, m.taken_up(j), n, round(m.taken_up(j) / n, 3) if n else None)
                         for j, it in enumerate(m.items)))
    detail = Table("明细", ("文件", "doc_id", "参照条目", "状态", "置信度", "对应条目/条款", "点名本地区", "clause_id"),
                   tuple((r.title, r.doc_id, it.name, cell_label(r.cells[j]), round(r.cells[j].confidence, 3),
                          "、".join(r.cells[j].matches), "是" if r.cells[j].names_region else "否",
                          "、".join(r.cells[j].clause_ids))
                         for r in m.rows for j, it in enumerate(m.items)))
    adds = Table("本地新增", ("文件", "doc_id", "新增条目/条款", "最接近的参照条目", "文本"),
                 tuple((r.title, r.doc_id, a.name, a.nearest, a.text[:300]) for r in m.rows for a in r.additions))
    known = by_id(documents)

    def meta(doc_id: str, field: str, words) -> str:  # "" when the library is not given: not known, not missing
        d = known.get(doc_id)
        return words(getattr(d.meta, field)) if d is not None else ""

    docs = Table("文件", ("doc_id", "标题", "地区", "层级", "日期", "文号", "发文机关", "纳入原因", "已覆盖", "本地新增"),
                 tuple((r.doc_id, r.title, region_words(r.region), level_words(r.level), date_words(r.date),
                        meta(r.doc_id, "doc_number", number_words), meta(r.doc_id, "issuer", issuer_words),
                        "、".join(REASON_LABELS.get(x, x) for x in r.reasons), r.covered,
                        len(r.additions))
                       for r in m.rows))
    untouched = m.untouched()
    summary = (f"参照 / reference: {doc_label(m.reference, documents)} [{m.reference}]",
               f"参照条目 / items: {len(m.items)} {UNIT_LABELS[m.unit]}" + (f"（{m.section}）" if m.section else ""),
               *((f"条件 / settings: {'；'.join(settings)}",) if settings else ()),
               f"答复文件 / answering documents: {n}",
               f"无一文件采纳 / taken up by none: {'、'.join(untouched) or '无'}",
               f"有文件但无答复的地区 / places with no answer: {'、'.join(m.unanswered) or '无'}")
    return Report(f"实施矩阵：{doc_label(m.reference, documents)}", summary,
                  (grid, conf, counts, docs, detail, adds))


def timeline_report(t: Timeline, documents=None) -> Report:
    rows = tuple((date_words(c.date), EARLIER_WORDS if c.earlier else c.lag_days if c.lag_days is not None else NO_LAG,
                  c.title, c.doc_id, region_words(c.region), level_words(c.level),
                  WORDING_LABELS[c.wording], round(c.reuse_share, 3), round(c.confidence, 3), "、".join(c.matches),
                  c.first_date) for c in t.carriers)
    table = Table("扩散时间线", ("日期", "滞后天数", "文件", "doc_id", "地区", "层级", "措辞", "原文复用比例",
                               "置信度", "对应条目/条款", "首次通过"), rows)
    summary = (f"参照 / reference: {doc_label(t.reference, documents)} [{t.reference}]，{date_words(t.date) if not t.date else '日期 ' + t.date}",
               f"条目 / item: {t.item.name}" + (f"（{t.item.group}）" if t.item.group else ""),
               f"采纳文件 / carriers: {sum(c.adopted for c in t.carriers)}"
               + (f"；先行规定（早于参照文件）/ made earlier: {sum(c.earlier for c in t.carriers)}"
                  if any(c.earlier for c in t.carriers) else "")
               + f"；未采纳 / silent: {'、'.join(t.silent) or '无'}")
    return Report(f"扩散时间线：{t.item.name}", summary, (table,))


def export_matrix(result: Matrix | Timeline, path: str | Path, documents=None, settings: Sequence[str] = ()) -> Path:
    """Write a matrix or a timeline to `path` (.xlsx, .docx, .csv, .md by its suffix)."""
    rep = matrix_report(result, documents, settings) if isinstance(result, Matrix) else timeline_report(result, documents)
    return write_report(rep, path)


def matrix_bytes(result: Matrix | Timeline, suffix: str, documents=None) -> bytes:
    rep = matrix_report(result, documents) if isinstance(result, Matrix) else timeline_report(result, documents)
    return report_bytes(rep, suffix)
