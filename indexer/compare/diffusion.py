"""Diffusion timeline: which documents carry a reference provision, when, and whether they copied or rewrote it.

A provision is one column of the implementation matrix (a list item or an article): its carriers are the rows
that cover it, plus any document whose text reuses it near-verbatim (`reuse.find_reuse`) even when the
coverage model did not pair it; reprints of the reference (news, 转载) are carriers too, marked, and never
counted as answers. Wording is judged from the reuse spans: the share of the provision's letters
and digits that a carrier repeats (punctuation and width aside). Lag is counted in days from the reference's
date; undated documents come last, marked, rather than being dropped.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from indexer.compare.align import normalize
from indexer.compare.answering import made_before
from indexer.compare.coverage import COVERED, core_name
from indexer.compare.matrix import (
    COMMENCEMENT,
    REPRINT,
    UNIT_ARTICLE,
    UNIT_LIST,
    Matrix,
    RefItem,
    implementation_matrix,
    reference_items,
    reference_unit,
)
from indexer.errors import NotFoundError, PolicyError
from indexer.ingest.lists import pick_list
from indexer.models import Document, find_document
from indexer.text import bigrams

VERBATIM, PARTLY, REWRITTEN = "verbatim", "partly_reused", "rewritten"
WORDING_LABELS = {VERBATIM: "照搬原文", PARTLY: "部分沿用", REWRITTEN: "改写"}
# Share of the provision's letters and digits repeated in reuse spans: a reprint repeats all of it (1.0 on the
# seed news); a city that quotes one sentence of a 180-character item repeats ~0.15.
VERBATIM_SHARE = 0.8
PARTLY_SHARE = 0.2
# Local additions of two documents are the same addition when their names agree (list items) or their texts
# do (articles: Indel similarity of the normalised first 300 characters).
SAME_NAME_SHARE = 0.6
SAME_TEXT_RATIO = 60.0


@dataclass(frozen=True)
class Span:
    ref_start: int  # offsets into the reference document's text
    ref_end: int
    doc_start: int  # offsets into the carrier's text
    doc_end: int
    similarity: float
    text: str  # the carrier's passage

    def to_dict(self) -> dict:
        return {"ref_start": self.ref_start, "ref_end": self.ref_end, "doc_start": self.doc_start,
                "doc_end": self.doc_end, "similarity": round(self.similarity, 4), "text": self.text}


@dataclass(frozen=True)
class Carrier:
    doc_id: str
    title: str
    region: str
    level: str
    date: str  # "" when undated
    lag_days: int | None  # days after the reference's date (negative: before it); None when either is undated
    matches: tuple[str, ...]  # the carrier's items or articles carrying the provision
    clause_ids: tuple[str, ...]
    confidence: float  # the matrix cell's confidence (0 when found by reuse only)
    wording: str  # verbatim | partly_reused | rewritten
    reuse_share: float  # share of the provision's letters and digits repeated
    spans: tuple[Span, ...]
    first_date: str = ""  # a regulation's first adoption (通过), which its current date may postdate
    lag_first_days: int | None = None  # days after the reference's first adoption (regulations), when known
    reprint: bool = False  # a reprint of the reference (news, 转载): it carries the words, it answers nothing
    earlier: bool = False  # first made before the reference: it carried the provision first, it did not take it up

    @property
    def undated(self) -> bool:
        return not self.date

    @property
    def adopted(self) -> bool:
        """Took the provision up after the reference: neither a reprint nor a text made before it."""
        return not (self.reprint or self.earlier)

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "region": self.region, "level": self.level,
                "date": self.date, "undated": self.undated, "lag_days": self.lag_days, "matches": list(self.matches),
                "clause_ids": list(self.clause_ids), "confidence": round(self.confidence, 4),
                "wording": self.wording, "reuse_share": round(self.reuse_share, 4),
                "spans": [s.to_dict() for s in self.spans], "first_date": self.first_date,
                "lag_first_days": self.lag_first_days, "reprint": self.reprint, "earlier": self.earlier}


@dataclass(frozen=True)
class Timeline:
    reference: str
    title: str
    date: str
    unit: str
    item: RefItem
    carriers: tuple[Carrier, ...]  # dated by date, then undated
    silent: tuple[str, ...]  # answering documents that do not carry it
    # A regulation's current text dates from its last amendment; cities often answered its first version.
    first_date: str = ""

    def to_dict(self) -> dict:
        return {"reference": self.reference, "title": self.title, "date": self.date, "first_date": self.first_date,
                "unit": self.unit,
                "item": self.item.to_dict(), "carriers": [c.to_dict() for c in self.carriers],
                "silent": list(self.silent),
                "summary": {"carriers": len(self.carriers), "dated": sum(not c.undated for c in self.carriers),
                            "adopted": sum(c.adopted for c in self.carriers),
                            "earlier": sum(c.earlier for c in self.carriers),
                            "reprints": sum(c.reprint for c in self.carriers),
                            "verbatim": sum(c.wording == VERBATIM for c in self.carriers),
                            "rewritten": sum(c.wording == REWRITTEN for c in self.carriers)}}


# ---------------------------------------------------------------- dates and wording

def lag_days(ref_date: str, date: str) -> int | None:
    try:
        return (dt.date.fromisoformat(date) - dt.date.fromisoformat(ref_date)).days
    except (TypeError, ValueError):
        return None


def _alnum_mask(text: str, start: int, end: int) -> list[int]:
    return [i for i in range(start, end) if any(c.isalnum() for c in unicodedata.normalize("NFKC", text[i]))]


def reuse_spans(ref: Document, item: RefItem, doc: Document, pairs=None) -> tuple[tuple[Span, ...], float]:
    """The reuse spans of `doc` inside the item's clauses, and the share of the item's letters they repeat."""
    from indexer.compare.reuse import find_reuse

    ids = set(item.clause_ids or ((item.clause_id,) if item.clause_id else ()))
    clauses = [c for c in ref.clauses if c.clause_id in ids]
    if not clauses:
        return (), 0.0
    pairs = find_reuse([ref, doc]) if pairs is None else pairs
    spans = tuple(Span(p.a.start, p.a.end, p.b.start, p.b.end, p.similarity, p.b.text)
                  for p in pairs if p.a.doc_id == ref.doc_id and p.a.clause_id in ids)
    total = {i for c in clauses for i in _alnum_mask(ref.text, c.start, c.end)}
    if not total:
        return spans, 0.0
    covered = {i for s in spans for i in range(s.ref_start, s.ref_end)} & total
    return spans, len(covered) / len(total)


def wording(share: float) -> str:
    return VERBATIM if share >= VERBATIM_SHARE else PARTLY if share >= PARTLY_SHARE else REWRITTEN


# ---------------------------------------------------------------- which provision

def locate(docs: Sequence[Document], clause_id: str | None = None, item: str | None = None,
           reference: str | None = None) -> tuple[Document, str, int, str | None]:
    """(reference document, unit, item index, list section) of a clause id or of an item name."""
    find = find_document
    if clause_id:
        doc = find(docs, clause_id.split(":", 1)[0])
        candidates = [doc]
    elif reference:
        candidates = [find(docs, reference)]
    else:  # the province's document first: an item name is usually the province's
        candidates = sorted(docs, key=lambda d: (d.meta.level != "province", d.meta.level == "news"))
    found = []  # without a reference, the provincial (else first) documents holding such an item: one, or ask
    for doc in candidates:
        if found and doc.meta.level != found[0][0].meta.level:
            break  # a city's or a reprint's item of that name does not compete with the province's
        unit = reference_unit(doc)
        named = None
        if unit == UNIT_LIST:
            try:
                named = pick_list(doc)
            except NotFoundError:
                continue
        items = reference_items(doc, unit, named)
        for j, it in enumerate(items):
            if (clause_id and clause_id in (it.clause_ids or (it.clause_id,))) or \
                    (item and {item.strip(), core_name(item.strip())} & {it.name, core_name(it.name)}):
                found.append((doc, unit, j, named.section if named else None))
                break
        if found and (clause_id or reference or len(found) > 1):
            break
    if len(found) > 1:
        raise PolicyError(f"多份文件都有条目「{item}」（{found[0][0].doc_id}、{found[1][0].doc_id} 等），请用 --reference "
                          f"指明参照文件 / several documents have an item {item!r}: name the reference (--reference)")
    if found:
        return found[0]
    what = clause_id or item
    raise NotFoundError(f"找不到参照条目 / no reference item {what!r}: give a list item's name or a clause id "
                        "of a reference list or article (`python -m indexer lists DOC`)")


# ---------------------------------------------------------------- the timeline

def timeline_of(matrix: Matrix, j: int, docs: Sequence[Document]) -> Timeline:
    """The diffusion timeline of reference item j of a matrix (rows are the candidate carriers)."""
    find = find_document
    ref = find(docs, matrix.reference)
    it = matrix.items[j]
    first = ref.meta.date_passed if matrix.unit == UNIT_ARTICLE and ref.meta.date_passed != matrix.date else ""
    carriers, silent = [], []
    for row in matrix.rows:
        doc = find(docs, row.doc_id)
        cell = row.cells[j]
        spans, share = reuse_spans(ref, it, doc)
        if cell.status != COVERED and share < PARTLY_SHARE:
            silent.append(row.doc_id)
            continue
        matches, cids = cell.matches, cell.clause_ids
        if cell.status != COVERED:  # found by its reused text alone
            cids = tuple(dict.fromkeys(s_cid for s_cid in _clauses_at(doc, spans)))
            matches = cids
        carriers.append(Carrier(row.doc_id, row.title, row.region, row.level, row.date,
                                lag_days(matrix.date, row.date), matches, cids, cell.confidence, wording(share),
                                share, spans, doc.meta.date_passed if matrix.unit == UNIT_ARTICLE else "",
                                lag_days(first, row.date) if first else None, earlier=made_before(doc, ref)))
    for rel in matrix.related:  # reprints carry the words without answering: shown, marked, never counted
        if rel.excluded != REPRINT:
            continue
        doc = find(docs, rel.doc_id)
        spans, share = reuse_spans(ref, it, doc)
        if share < PARTLY_SHARE:
            continue
        cids = tuple(dict.fromkeys(_clauses_at(doc, spans)))
        carriers.append(Carrier(doc.doc_id, doc.meta.title or doc.doc_id, doc.meta.region, doc.meta.level,
                                doc.meta.date, lag_days(matrix.date, doc.meta.date), cids, cids, 0.0,
                                wording(share), share, spans, reprint=True))
    carriers.sort(key=lambda c: (c.undated, c.date, c.doc_id))
    return Timeline(matrix.reference, matrix.title, matrix.date, matrix.unit, it, tuple(carriers), tuple(silent),
                    first)


def _clauses_at(doc: Document, spans: Sequence[Span]):
    for s in spans:
        for c in doc.clauses:
            if c.start <= s.doc_start < c.end:
                yield c.clause_id
                break


def diffusion(docs: Sequence[Document], clause_id: str | None = None, item: str | None = None, *,
              reference: str | None = None, targets: Sequence[str] | None = None, add: Sequence[str] = (),
              drop: Sequence[str] = (), embedder=None, vectors=None) -> Timeline:
    """The timeline of one reference provision, given by clause id or by item name (with its reference)."""
    ref, unit, j, section = locate(docs, clause_id, item, reference)
    m = implementation_matrix(docs, ref.doc_id, targets, add=add, drop=drop, reference_section=section,
                              unit=unit, embedder=embedder, vectors=vectors)
    return timeline_of(m, j, docs)


# ---------------------------------------------------------------- local additions that spread

@dataclass(frozen=True)
class Spread:
    """One local addition found in several answering documents, earliest first."""

    name: str  # as the earliest document words it
    documents: tuple[tuple[str, str, str], ...]  # (doc_id, date, the addition's name there)

    def to_dict(self) -> dict:
        return {"name": self.name, "documents": [{"doc_id": d, "date": t, "name": n} for d, t, n in self.documents]}


def _same_addition(unit: str, a, b) -> bool:
    if unit == UNIT_LIST:
        x, y = bigrams(core_name(a.name)), bigrams(core_name(b.name))
        return bool(x and y) and len(x & y) / min(len(x), len(y)) >= SAME_NAME_SHARE
    return fuzz.ratio(normalize(a.text)[:300], normalize(b.text)[:300]) >= SAME_TEXT_RATIO


def spread_additions(matrix: Matrix) -> list[Spread]:
    """Local additions that several answering documents share (what spread from city to city)."""
    flat = [(r, a) for r in matrix.rows for a in r.additions  # every city says when its own text takes effect
            if matrix.unit == UNIT_LIST or not COMMENCEMENT.match(a.text)]
    parent = list(range(len(flat)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(flat)):
        for k in range(i + 1, len(flat)):
            if flat[i][0].doc_id != flat[k][0].doc_id and _same_addition(matrix.unit, flat[i][1], flat[k][1]):
                parent[root(k)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(flat)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        docs = {flat[i][0].doc_id for i in members}
        if len(docs) < 2:
            continue
        members.sort(key=lambda i: (not flat[i][0].date, flat[i][0].date, flat[i][0].doc_id))
        seen, entries = set(), []
        for i in members:
            r, a = flat[i]
            if r.doc_id not in seen:
                seen.add(r.doc_id)
                entries.append((r.doc_id, r.date, a.name))
        name = entries[0][2]
        if matrix.unit != UNIT_LIST:  # 第五十七条 says nothing of what spread: its first words do
            words = re.sub(r"^第[零〇一二两三四五六七八九十百千0-9]+条\s*", "", flat[members[0]][1].text.strip())
            name = f"{name}「{words[:16]}{'…' if len(words) > 16 else ''}」"
        out.append(Spread(name, tuple(entries)))
    out.sort(key=lambda s: (-len(s.documents), s.documents[0][1] or "9999"))
    return out
