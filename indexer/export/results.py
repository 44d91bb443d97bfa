"""Coverage, alignment and search results as reports (`indexer.export.report`), and `export` to a file."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from indexer.compare.align import Alignment
from indexer.compare.coverage import Coverage
from indexer.compare.redline import redline, to_text
from indexer.export.report import (
    RELATION,
    STATUS,
    Report,
    Table,
    by_id,
    doc_label,
    documents_table,
    named_with_id,
    write_report,
)
from indexer.labels import date_words, filter_words, issuer_words, level_words, number_words, region_words


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
    summary = (f"参照 / reference: {named_with_id(cov.reference, documents)}",
               f"目标 / target: {named_with_id(cov.target, documents)}",
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
    summary = (f"文件A / document A: {named_with_id(al.doc_a, documents)}",
               f"文件B / document B: {named_with_id(al.doc_b, documents)}",
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
