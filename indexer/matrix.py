"""Implementation matrix: every library document that answers a reference document × the reference's items.

A provincial list (the 20 clusters) is compared item by item with each city's list through the same coverage
model the 覆盖 page uses (`library.coverage_between`), so a row of the matrix is exactly that page's answer. A
provincial regulation has no named list: its reference items are its articles (第X条, each with its paragraphs
and enumerations), grouped by chapter, and a city's regulation covers an article when the clause alignment
(`library.align_pair`) pairs one of the article's clauses with one of the city's. Documents are found by what
ties them to the reference (`answering_documents`); the user adds or drops any.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.coverage import COVERED, MISSING, embedding_memo, region_mentions
from indexer.errors import NotFoundError, PolicyError
from indexer.models import Clause, Document, NamedList

UNIT_LIST, UNIT_ARTICLE = "list", "article"
UNIT_LABELS = {UNIT_LIST: "清单条目 list items", UNIT_ARTICLE: "条 articles"}
# Why a document is taken to answer the reference (several may hold).
CITES, SHARES, LOWER, SUBJECT, ADDED = "cites_number", "shares_items", "lower_level", "same_subject", "added"
REASON_LABELS = {CITES: "引用其文号", SHARES: "沿用其清单条目", LOWER: "同省下级", SUBJECT: "同一主题",
                 ADDED: "用户添加"}
LEVEL_RANK = {"national": 0, "province": 1, "city": 2, "county": 3}
# A document shares the reference's list when it names this many of its items word for word (a city picks a
# few of the province's 20; an unrelated plan names one or two by chance).
MIN_SHARED = 3
MIN_ARTICLES = 5  # a reference with at least this many 第X条 is a regulation: its articles are the items
SUBJECT_SHARE = 0.7  # share of the shorter subject's bigrams found in the other (物业管理 ⊂ 住宅小区物业管理)
_DOC_TYPES = re.compile(r"(?:实施细则|实施办法|实施意见|实施方案|若干规定|若干措施|条例|规定|办法|意见|方案|通知|"
                        r"决定|规划|计划|细则)$")
# Words every regulation title carries; left out so that 物业管理条例 and 住宅物业管理条例 meet on 物业.
_GENERIC_TITLE_WORDS = ("管理", "促进", "保护", "关于", "印发", "进一步", "加快", "推进")


@dataclass(frozen=True)
class RefItem:
    """One column of the matrix: a list item, or an article with the clauses under it."""

    name: str  # 新一代电子信息, or 第五条
    clause_id: str | None
    group: str  # the sub-list or chapter it sits in ("" when none)
    text: str
    clause_ids: tuple[str, ...] = ()  # its clause and every clause below it

    def to_dict(self) -> dict:
        return {"name": self.name, "clause_id": self.clause_id, "group": self.group, "text": self.text}


@dataclass(frozen=True)
class Cell:
    status: str  # covered | missing
    confidence: float  # 0–1: the best pair's P(match) (list) or alignment score (articles)
    matches: tuple[str, ...]  # the target's items (names) or articles (markers) carrying it
    clause_ids: tuple[str, ...]  # the target clauses carrying it
    names_region: bool = False  # the reference item's text names the target's region

    @property
    def named_gap(self) -> bool:
        return self.names_region and self.status == MISSING

    def to_dict(self) -> dict:
        return {"status": self.status, "confidence": round(self.confidence, 4), "matches": list(self.matches),
                "clause_ids": list(self.clause_ids), "names_region": self.names_region,
                "named_gap": self.named_gap}


@dataclass(frozen=True)
class Addition:
    """A target item (or article) that takes up no reference item: a local addition."""

    name: str
    clause_id: str | None
    text: str
    nearest: str = ""  # the closest reference item, when the model names one
    score: float = 0.0

    def to_dict(self) -> dict:
        return {"name": self.name, "clause_id": self.clause_id, "text": self.text, "nearest": self.nearest,
                "score": round(self.score, 4)}


@dataclass(frozen=True)
class Row:
    doc_id: str
    title: str
    region: str
    level: str
    date: str
    reasons: tuple[str, ...]
    source: str  # the target list's section, or "articles"/"clauses"
    cells: tuple[Cell, ...]
    additions: tuple[Addition, ...]

    @property
    def covered(self) -> int:
        return sum(c.status == COVERED for c in self.cells)

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "region": self.region, "level": self.level,
                "date": self.date, "reasons": list(self.reasons), "source": self.source,
                "cells": [c.to_dict() for c in self.cells], "additions": [a.to_dict() for a in self.additions],
                "covered": self.covered, "named_gaps": [self.cells.index(c) for c in self.cells if c.named_gap]}


@dataclass(frozen=True)
class Matrix:
    reference: str
    title: str
    date: str
    unit: str  # list | article
    section: str  # the reference list's section ("" for articles)
    items: tuple[RefItem, ...]
    rows: tuple[Row, ...]

    def taken_up(self, j: int) -> int:
        """How many rows cover reference item j."""
        return sum(r.cells[j].status == COVERED for r in self.rows)

    def untouched(self) -> list[str]:
        """Reference items no row takes up."""
        return [it.name for j, it in enumerate(self.items) if self.rows and not self.taken_up(j)]

    def count_label(self, j: int) -> str:
        return f"{self.taken_up(j)} / {len(self.rows)}"

    def to_dict(self) -> dict:
        return {"reference": self.reference, "title": self.title, "date": self.date, "unit": self.unit,
                "section": self.section, "items": [it.to_dict() for it in self.items],
                "rows": [r.to_dict() for r in self.rows],
                "counts": [{"name": it.name, "taken_up": self.taken_up(j), "of": len(self.rows)}
                           for j, it in enumerate(self.items)],
                "untouched": self.untouched()}


# ---------------------------------------------------------------- reference items

def descendants(doc: Document, clause_id: str) -> tuple[str, ...]:
    """The clause and every clause below it, in outline order."""
    kids: dict[str, list[str]] = {}
    for c in doc.clauses:
        if c.parent_id:
            kids.setdefault(c.parent_id, []).append(c.clause_id)
    out, todo = [], [clause_id]
    while todo:
        cid = todo.pop()
        out.append(cid)
        todo.extend(reversed(kids.get(cid, [])))
    order = {c.clause_id: k for k, c in enumerate(doc.clauses)}
    return tuple(sorted(out, key=lambda x: order.get(x, -1)))


def articles(doc: Document) -> list[Clause]:
    return [c for c in doc.clauses if c.kind == "article"]


def reference_unit(doc: Document) -> str:
    """Articles for a regulation (≥ MIN_ARTICLES 第X条), else the named list."""
    return UNIT_ARTICLE if len(articles(doc)) >= MIN_ARTICLES else UNIT_LIST


def _subtree_text(doc: Document, ids: Sequence[str]) -> str:
    want = set(ids)
    return "\n".join(c.text for c in doc.clauses if c.clause_id in want)


def reference_items(doc: Document, unit: str, named: NamedList | None = None) -> list[RefItem]:
    if unit == UNIT_LIST:
        if named is None:
            raise PolicyError("清单模式需要参照清单 / a list reference needs its list")
        parts = [p for p in named.parts] or [named.section]
        out = []
        for li in named.items:
            ids = descendants(doc, li.clause_id) if li.clause_id else ()
            sec = doc.clause(li.clause_id).section_str if li.clause_id else ""
            group = next((p for p in parts if sec.startswith(p) and p != named.section), "")
            out.append(RefItem(li.name, li.clause_id, group.split(" › ")[-1], li.text or li.heading, ids))
        return out
    out = []
    for c in articles(doc):
        ids = descendants(doc, c.clause_id)
        chapter = next((s for s in c.section[:-1] if s.startswith("第") and "章" in s[:6]), "")
        out.append(RefItem(c.marker, c.clause_id, chapter, _subtree_text(doc, ids), ids))
    return out


# ---------------------------------------------------------------- which documents answer

def title_subject(doc: Document) -> str:
    """What a title is about, without its place, document type and generic words: 杭州市物业管理条例 → 物业."""
    t = re.sub(r"[（(][^）)]*[）)]", "", doc.meta.title or "")
    for place in sorted({doc.meta.region, doc.meta.province} - {""}, key=len, reverse=True):
        t = t.replace(place, "")
    if not (doc.meta.region or doc.meta.province):  # 住宅小区物业 must keep its 小区 when the place is known
        t = re.sub(r"^[\u4e00-\u9fff]{2,4}?(?:省|市|县|区)(?:人民政府)?", "", t)
    t = t.replace("人民政府", "")
    for _ in range(2):
        t = _DOC_TYPES.sub("", t)
    for w in _GENERIC_TITLE_WORDS:
        t = t.replace(w, "")
    return t.strip("《》“”的 ")


def _bigrams(s: str) -> set[str]:
    return {s[k:k + 2] for k in range(len(s) - 1)} or ({s} if s else set())


def same_subject(a: Document, b: Document) -> bool:
    sa, sb = _bigrams(title_subject(a)), _bigrams(title_subject(b))
    if not sa or not sb:
        return False
    small, big = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    return len(small & big) / len(small) >= SUBJECT_SHARE


def _norm_number(s: str) -> str:
    return re.sub(r"[〔〕\[\]（）()【】﹝﹞\s]", "", s)


def shared_items(ref_items: Sequence[RefItem], doc: Document) -> int:
    """How many reference list items the document names word for word."""
    return sum(1 for it in ref_items if len(it.name) >= 2 and it.name in doc.text)


def answer_reasons(ref: Document, doc: Document, items: Sequence[RefItem], unit: str) -> tuple[str, ...]:
    """Why `doc` answers `ref` (empty when nothing ties them)."""
    out = []
    if ref.meta.doc_number and _norm_number(ref.meta.doc_number) in {_norm_number(n) for n in doc.meta.cited_numbers}:
        out.append(CITES)
    if unit == UNIT_LIST and shared_items(items, doc) >= min(MIN_SHARED, len(items)):
        out.append(SHARES)
    rank_r, rank_d = LEVEL_RANK.get(ref.meta.level), LEVEL_RANK.get(doc.meta.level)
    province = ref.meta.province or ref.meta.region
    lower = (rank_r is not None and rank_d is not None and rank_d > rank_r and bool(province)
             and doc.meta.province == province)
    subject = same_subject(ref, doc)
    if lower and (out or subject):
        out.append(LOWER)
    if subject and (out or unit == UNIT_ARTICLE):
        out.append(SUBJECT)
    return tuple(out)


def answering_documents(docs: Sequence[Document], ref: Document, unit: str | None = None,
                        named: NamedList | None = None) -> list[tuple[Document, tuple[str, ...]]]:
    """The documents that answer `ref`: they cite its 文号, name its list items, or are of a lower level in the
    same province on the same subject. In library order."""
    unit = unit or reference_unit(ref)
    if unit == UNIT_LIST and named is None:
        from indexer.library import pick_list

        named = pick_list(ref)
    items = reference_items(ref, unit, named)
    out = []
    for d in docs:
        if d.doc_id == ref.doc_id:
            continue
        why = answer_reasons(ref, d, items, unit)
        if why and (unit == UNIT_ARTICLE and (LOWER in why or CITES in why) or unit == UNIT_LIST):
            out.append((d, why))
    return out


# ---------------------------------------------------------------- rows

def _article_of(doc: Document) -> dict[str, Clause]:
    """clause id → the article it sits in (itself for an article; absent outside articles)."""
    by_id = {c.clause_id: c for c in doc.clauses}
    out = {}
    for c in doc.clauses:
        x: Clause | None = c
        while x is not None and x.kind != "article":
            x = by_id.get(x.parent_id) if x.parent_id else None
        if x is not None:
            out[c.clause_id] = x
    return out


def _list_row(docs, ref: Document, named: NamedList, tdoc: Document, reasons, embedder) -> Row:
    from indexer.library import coverage_between

    answer = coverage_between(docs, ref.doc_id, tdoc.doc_id, reference_section=named.section, embedder=embedder)
    cov = answer.result
    cells = []
    for j, r in enumerate(cov.reference_items):
        best = float(cov.matrix[:, j].max()) if cov.matrix is not None and cov.matrix.size else 0.0
        cells.append(Cell(r.status, best, tuple(m.name for m in r.matches),
                          tuple(m.clause_id for m in r.matches if m.clause_id), r.names_target_region))
    text_of = {li.name: li.text for li in answer.target.items} if answer.target else {}
    adds = tuple(Addition(t.name, t.clause_id, text_of.get(t.name, ""), t.nearest, t.score)
                 for t in cov.target_items if t.best is None)
    return _row(tdoc, reasons, answer.target.section if answer.target else "", cells, adds)


def _row(tdoc: Document, reasons, source: str, cells, adds) -> Row:
    from indexer.library import target_region

    return Row(tdoc.doc_id, tdoc.meta.title or tdoc.doc_id, target_region(tdoc), tdoc.meta.level, tdoc.meta.date,
               tuple(reasons), source, tuple(cells), tuple(adds))


def _clause_row(docs, ref: Document, items: Sequence[RefItem], tdoc: Document, reasons, vectors, embedder) -> Row:
    """Cells from the clause alignment: an item is covered when one of its clauses is paired."""
    from indexer.library import align_pair, target_region

    al = align_pair(docs, ref.doc_id, tdoc.doc_id, vectors=vectors, embedder=embedder)
    art = _article_of(tdoc)
    region = target_region(tdoc)
    cells = []
    paired_b: set[str] = set()
    for it in items:
        ids = set(it.clause_ids or ((it.clause_id,) if it.clause_id else ()))
        pairs = sorted((p for p in al.pairs if p.a.clause_id in ids), key=lambda p: -p.score)
        marks, cids = [], []
        for p in pairs:
            a = art.get(p.b.clause_id)
            mark = a.marker if a is not None else p.b.clause_id.split(":", 1)[-1]
            if mark not in marks:
                marks.append(mark)
            cids.append(p.b.clause_id)
            paired_b.add(a.clause_id if a is not None else p.b.clause_id)
        named = bool(region_mentions(it.text, region)) if region else False
        cells.append(Cell(COVERED if pairs else MISSING, pairs[0].score if pairs else 0.0, tuple(marks),
                          tuple(cids), named))
    by_art: dict[str, list[str]] = {}
    for cid, a in art.items():
        by_art.setdefault(a.clause_id, []).append(cid)
    paired = {p.b.clause_id for p in al.pairs}
    adds = []
    for a in articles(tdoc):
        if a.clause_id in paired_b or paired & set(by_art.get(a.clause_id, ())):
            continue
        text = _subtree_text(tdoc, descendants(tdoc, a.clause_id))
        adds.append(Addition(a.marker, a.clause_id, text))
    source = "articles" if articles(tdoc) else "clauses"
    return _row(tdoc, reasons, source, cells, adds)


def implementation_matrix(docs: Sequence[Document], reference: str, targets: Sequence[str] | None = None, *,
                          add: Sequence[str] = (), drop: Sequence[str] = (), reference_section: str | None = None,
                          unit: str | None = None, embedder=None, vectors=None) -> Matrix:
    """The matrix of the documents answering `reference` × its items.

    Args:
        targets: exactly these documents (doc_id, path or file name); None finds them (`answering_documents`).
        add / drop: documents added to or dropped from those found.
        unit: "list" or "article"; default by the reference (`reference_unit`).
        embedder: the index's embedder (item vectors match the index); vectors: the index's clause vectors.
    """
    from indexer.library import find, index_embedder, pick_list

    ref = find(docs, reference)
    unit = unit or (UNIT_LIST if reference_section else reference_unit(ref))
    named = pick_list(ref, reference_section) if unit == UNIT_LIST else None
    items = reference_items(ref, unit, named)
    if targets is not None:
        chosen = []
        for key in targets:
            d = find(docs, key)
            chosen.append((d, answer_reasons(ref, d, items, unit) or (ADDED,)))
    else:
        chosen = answering_documents(docs, ref, unit, named)
    have = {d.doc_id for d, _ in chosen}
    for key in add:
        d = find(docs, key)
        if d.doc_id not in have:
            chosen.append((d, answer_reasons(ref, d, items, unit) + (ADDED,)))
            have.add(d.doc_id)
    gone = {find(docs, key).doc_id for key in drop}
    chosen = [(d, why) for d, why in chosen if d.doc_id not in gone and d.doc_id != ref.doc_id]
    memo = embedding_memo(embedder if embedder is not None else index_embedder())
    rows = []
    for d, why in chosen:
        if unit == UNIT_LIST:
            try:
                pick_list(d)
            except NotFoundError:
                rows.append(_clause_row(docs, ref, items, d, why, vectors, memo))
                continue
            rows.append(_list_row(docs, ref, named, d, why, memo))
        else:
            rows.append(_clause_row(docs, ref, items, d, why, vectors, memo))
    return Matrix(ref.doc_id, ref.meta.title or ref.doc_id, ref.meta.date, unit, named.section if named else "",
                  tuple(items), tuple(rows))


def store_vectors(store):
    """A clause → vector lookup from any ClauseStore (what `align_pair` takes), so article matrices reuse the
    index's vectors whatever the backend."""
    import numpy as np

    def vectors(clauses: Sequence[Clause]) -> np.ndarray:
        rows = [store.row_of(c.clause_id) for c in clauses]
        missing = [c.clause_id for c, r in zip(clauses, rows, strict=True) if r is None]
        if missing:
            raise NotFoundError(f"索引中没有这些条款 / not in the index: {', '.join(missing[:3])}")
        return store.vectors(rows)

    return vectors
