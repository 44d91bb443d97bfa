"""Implementation matrix: every library document that answers a reference document × the reference's items.

A provincial list (the 20 clusters) is compared item by item with each city's list through the same coverage
model the 覆盖 page uses (`pairs.coverage_between`), so a row of the matrix is exactly that page's answer. A
provincial regulation has no named list: its reference items are its articles (第X条, each with its paragraphs
and enumerations), grouped by chapter, and a city's regulation covers an article when the clause alignment
(`article_cells.clause_cells`) pairs one of the article's clauses with one of the city's and the two articles share
wording (`ARTICLE_CONFIRM`). Documents are found by what ties them to the reference (`answering_documents`); the
user adds or drops any; places of the province with documents in the library but no answer are listed.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from indexer.compare.answering import (  # noqa: F401 — part of this module's API
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
from indexer.compare.article_cells import (  # noqa: F401 — part of this module's API
    ARTICLE_CONFIRM,
    Addition,
    Cell,
    ClauseCells,
    article_coverage,
    clause_cells,
)
from indexer.compare.coverage import COVERED, embedding_memo
from indexer.compare.pairs import coverage_between
from indexer.compare.reference import (  # noqa: F401 — part of this module's API
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
from indexer.errors import NotFoundError
from indexer.ingest.lists import pick_list
from indexer.ingest.places import document_region
from indexer.models import Document, NamedList, find_document

# 第五十二条 本条例自2021年5月1日起施行。（…同时废止。）
COMMENCEMENT = re.compile(r"^\s*(?:第[零〇一二两三四五六七八九十百千0-9]+条\s*)?本(?:条例|规定|办法|细则|决定|规则)自[^。]{2,30}"
                          r"(?:起施行|起实施|施行)。?(?:[^。]{0,80}同时废止。?)?\s*$")


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
        """Reference items no row takes up (not the article saying when the reference takes effect: every city's
        own says when its own does)."""
        return [it.name for j, it in enumerate(self.items)
                if self.rows and not self.taken_up(j) and not COMMENCEMENT.match(it.text)]

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

def _list_row(docs, ref: Document, named: NamedList, tdoc: Document, reasons, embedder) -> Row:
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
    return Row(tdoc.doc_id, tdoc.meta.title or tdoc.doc_id, document_region(tdoc), tdoc.meta.level, tdoc.meta.date,
               tuple(reasons), source, tuple(cells), tuple(adds))


def _clause_row(docs, ref: Document, items: Sequence[RefItem], tdoc: Document, reasons, vectors, embedder,
                unit: str = UNIT_ARTICLE) -> Row:
    cc = clause_cells(ref, items, tdoc, vectors, embedder, unit)
    return _row(tdoc, reasons, "articles" if articles(tdoc) else "clauses", cc.cells, cc.additions)


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
    find = find_document
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
    memo = embedding_memo(embedder)
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
