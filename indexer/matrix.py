"""Implementation matrix: every library document that answers a reference document × the reference's items.

A provincial list (the 20 clusters) is compared item by item with each city's list through the same coverage
model the 覆盖 page uses (`library.coverage_between`), so a row of the matrix is exactly that page's answer. A
provincial regulation has no named list: its reference items are its articles (第X条, each with its paragraphs
and enumerations), grouped by chapter, and a city's regulation covers an article when the clause alignment
(`library.align_pair`) pairs one of the article's clauses with one of the city's and the two articles share
wording (`ARTICLE_CONFIRM`). Documents are found by what ties them to the reference (`answering_documents`); the
user adds or drops any; places of the province with documents in the library but no answer are listed.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from indexer.answering import (  # noqa: F401 — part of this module's API
    ADDED,
    BASIS,
    CITES,
    DROPPED,
    EXCLUSION_LABELS,
    LEVEL_RANK,
    LOWER,
    REASON_LABELS,
    REPRINT,
    SHARES,
    SUBJECT,
    Relation,
    answer_reasons,
    answering_documents,
    relations,
    same_subject,
    title_subject,
    unanswered_regions,
)
from indexer.coverage import COVERED, MISSING, embedding_memo, region_mentions
from indexer.errors import NotFoundError
from indexer.models import Clause, Document, NamedList
from indexer.reference import (  # noqa: F401 — part of this module's API
    MIN_ARTICLES,
    UNIT_ARTICLE,
    UNIT_LABELS,
    UNIT_LIST,
    RefItem,
    articles,
    descendants,
    reference_items,
    reference_unit,
    subtree_text,
)

# A clause pair found by the alignment carries a reference article only when the two articles also share this
# much wording (cosine of IDF-weighted character bigrams over both regulations' articles). Same-topic
# regulations pair many clauses on related but different duties (utilities vs collecting their fees); on the
# first 20-cell spot check of the Zhejiang matrices the wrong pairs had 0.06–0.10, the right ones 0.14–0.51 but
# one (0.05). Set on that check; `benchmarks/bench_provincial.py zhejiang --spot` prints a fresh one.
ARTICLE_CONFIRM = 0.1



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
    # places below the reference in its province with documents in the library, none of which answers it
    unanswered: tuple[str, ...] = ()
    # documents tied to the reference but not counted (another province, same level, news, reprints …), or
    # dropped by the user, each with why
    related: tuple[Relation, ...] = ()

    def reprints(self) -> list[str]:
        return [r.doc_id for r in self.related if r.excluded == REPRINT]

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
                "untouched": self.untouched(), "unanswered_regions": list(self.unanswered),
                "related": [r.to_dict() for r in self.related]}


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


def _article_similarity(ref: Document, items: Sequence[RefItem], tdoc: Document) -> dict[tuple[int, str], float]:
    """(item index, target article id) → cosine of their character-bigram TF-IDF, IDF over both documents'
    articles (so 物业服务企业 or 应当, which every article of both says, weighs nothing)."""
    from indexer.align import bigram_tfidf, normalize

    tarts = articles(tdoc)
    texts = [normalize(it.text) for it in items] + [normalize(subtree_text(tdoc, descendants(tdoc, a.clause_id)))
                                                   for a in tarts]
    v = bigram_tfidf(texts)
    sims = v[: len(items)] @ v[len(items):].T
    return {(j, a.clause_id): float(sims[j, k]) for j in range(len(items)) for k, a in enumerate(tarts)}


@dataclass(frozen=True)
class ClauseCells:
    """A target document against a reference's items through the clause alignment."""

    cells: tuple[Cell, ...]
    additions: tuple[Addition, ...]
    carried: dict  # target article (or clause) id → (index of the reference item it carries best, score)
    # per reference item: (target article mark, its first paired clause id, best pair score), best first
    marks: tuple[tuple[tuple[str, str, float], ...], ...] = ()


def clause_cells(docs, ref: Document, items: Sequence[RefItem], tdoc: Document, vectors, embedder,
                 unit: str = UNIT_ARTICLE) -> ClauseCells:
    """Cells from the clause alignment: an item is covered when one of its clauses is paired (for articles: with
    a clause of a target article that shares enough of the article's wording, see ARTICLE_CONFIRM)."""
    from indexer.library import align_pair, target_region

    al = align_pair(docs, ref.doc_id, tdoc.doc_id, vectors=vectors, embedder=embedder)
    art = _article_of(tdoc)
    sim = _article_similarity(ref, items, tdoc) if unit == UNIT_ARTICLE and articles(tdoc) else None
    region = target_region(tdoc)
    cells, per_item = [], []
    carried: dict[str, tuple[int, float]] = {}  # target articles (or clauses outside articles) carrying an item
    for j, it in enumerate(items):
        ids = set(it.clause_ids or ((it.clause_id,) if it.clause_id else ()))
        pairs = sorted((p for p in al.pairs if p.a.clause_id in ids), key=lambda p: -p.score)
        if sim is not None:
            pairs = [p for p in pairs if p.b.clause_id in art
                     and sim.get((j, art[p.b.clause_id].clause_id), 0.0) >= ARTICLE_CONFIRM]
        marks, cids, first = [], [], []
        for p in pairs:
            a = art.get(p.b.clause_id)
            mark = a.marker if a is not None else p.b.clause_id.split(":", 1)[-1]
            if mark not in marks:
                marks.append(mark)
                first.append((mark, p.b.clause_id, p.score))
            cids.append(p.b.clause_id)
            key = a.clause_id if a is not None else p.b.clause_id
            if key not in carried or carried[key][1] < p.score:
                carried[key] = (j, p.score)
        named = bool(region_mentions(it.text, region)) if region else False
        cells.append(Cell(COVERED if pairs else MISSING, pairs[0].score if pairs else 0.0, tuple(marks),
                          tuple(cids), named))
        per_item.append(tuple(first))
    adds = tuple(Addition(a.marker, a.clause_id, subtree_text(tdoc, descendants(tdoc, a.clause_id)))
                 for a in articles(tdoc) if a.clause_id not in carried)
    return ClauseCells(tuple(cells), adds, carried, tuple(per_item))


def _clause_row(docs, ref: Document, items: Sequence[RefItem], tdoc: Document, reasons, vectors, embedder,
                unit: str = UNIT_ARTICLE) -> Row:
    cc = clause_cells(docs, ref, items, tdoc, vectors, embedder, unit)
    return _row(tdoc, reasons, "articles" if articles(tdoc) else "clauses", cc.cells, cc.additions)


def article_coverage(docs: Sequence[Document], ref: Document, tdoc: Document, *, vectors=None, embedder=None):
    """Coverage of one regulation by another, article by article, through the matrix's article cells: the
    coverage page and `coverage` answer for regulations exactly what the matrix's row says.

    Returns (Coverage, the reference's articles as a NamedList, the target's articles as a NamedList)."""
    from indexer.coverage import ALIGNED, LOCAL_ADDITION, Coverage, Match, ReferenceResult, TargetResult
    from indexer.library import index_embedder, target_region
    from indexer.models import ListItem

    items = reference_items(ref, UNIT_ARTICLE)
    memo = embedding_memo(embedder if embedder is not None else index_embedder())
    cc = clause_cells(docs, ref, items, tdoc, vectors, memo)
    region = target_region(tdoc)
    tarts = articles(tdoc) or [c for c in tdoc.clauses if c.clause_id in cc.carried]
    mark = {c.clause_id: c.marker or c.clause_id.split(":", 1)[-1] for c in tarts}
    refs = []
    for it, cell, marks in zip(items, cc.cells, cc.marks, strict=True):
        mentions = region_mentions(it.text, region) if region else ()
        refs.append(ReferenceResult(it.name, it.clause_id, tuple(Match(m, score, cid) for m, cid, score in marks),
                                    cell.status, bool(mentions), mentions))
    tgts = []
    for c in tarts:
        j, score = cc.carried.get(c.clause_id, (None, 0.0))
        best = items[j].name if j is not None else None
        tgts.append(TargetResult(mark[c.clause_id], c.clause_id, best, score, ALIGNED if best else LOCAL_ADDITION,
                                 best or ""))
    result = Coverage(ref.doc_id, tdoc.doc_id, region, tuple(refs), tuple(tgts))

    def as_list(doc: Document, arts) -> NamedList:
        return NamedList(doc.doc_id, UNIT_LABELS[UNIT_ARTICLE], None, tuple(
            ListItem(a.marker or a.clause_id, a.heading, a.clause_id,
                     subtree_text(doc, descendants(doc, a.clause_id))) for a in arts))

    return result, as_list(ref, articles(ref)), as_list(tdoc, tarts)


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
    found = {r.doc_id: r for r in relations(docs, ref, unit, named)}

    def chosen_by_hand(d: Document) -> tuple[str, ...]:
        rel = found.get(d.doc_id)
        return (*(rel.reasons if rel is not None else ()), ADDED)

    if targets is not None:
        chosen = [(d, found[d.doc_id].reasons if d.doc_id in found and found[d.doc_id].counted else
                   chosen_by_hand(d)) for d in (find(docs, key) for key in targets)]
    else:
        by_id = {d.doc_id: d for d in docs}
        chosen = [(by_id[r.doc_id], r.reasons) for r in found.values() if r.counted]
    have = {d.doc_id for d, _ in chosen}
    for key in add:
        d = find(docs, key)
        if d.doc_id not in have:
            chosen.append((d, chosen_by_hand(d)))
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
                rows.append(_clause_row(docs, ref, items, d, why, vectors, memo, UNIT_LIST))
                continue
            rows.append(_list_row(docs, ref, named, d, why, memo))
        else:
            rows.append(_clause_row(docs, ref, items, d, why, vectors, memo))
    silent = unanswered_regions(docs, ref, [r.region for r in rows])
    in_rows = {r.doc_id for r in rows}
    related = tuple(r if not r.counted else replace(r, counted=False, excluded=DROPPED)
                    for r in found.values() if r.doc_id not in in_rows)
    return Matrix(ref.doc_id, ref.meta.title or ref.doc_id, ref.meta.date, unit, named.section if named else "",
                  tuple(items), tuple(rows), tuple(silent), related)
