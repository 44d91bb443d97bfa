"""Table rows in hybrid results: a row of a plan's project table answers questions about that row, not general ones.

A flattened table row ("21 晶体硅棒、块太阳能电池…项目用地1000亩…") lists a project's product, place and owner, so
its meaning and its words touch many general questions (在楼顶装太阳能板), and a plan with hundreds of rows fills
the results with them. In hybrid order a row keeps its place only when it is the first of its document's rows
and holds more of the query's word weight than any prose candidate does (the query names it: 晶体硅棒); every
other row follows the prose, in its order.
"""
from __future__ import annotations

from collections.abc import Sequence

from indexer.search.features import fold
from indexer.search.query import idf_weights
from indexer.store.base import ClauseStore, Ranked

TABLE = "table"  # the clause kind of table rows (ingest/tables.py, outline.py)


def word_shares(store: ClauseStore, words: Sequence[str], rows: Sequence[int]) -> dict[int, float]:
    """The share of the query's IDF weight whose words each row's text holds."""
    idf = {fold(t): w for t, w in idf_weights(store, [t for t in dict.fromkeys(words) if t.strip()]).items()}
    total = sum(idf.values()) or 1.0
    return {r: sum(w for t, w in idf.items() if t in fold(store.text(r))) / total for r in rows}


def rows_after_prose(store: ClauseStore, ordered: Ranked, words: Sequence[str], depth: int) -> Ranked:
    """`ordered` with the table rows the query does not name moved behind the prose of its first `depth`."""
    head = ordered[:depth]
    table = {r for r, _ in head if store.clause(r).kind == TABLE}
    if not table or len(table) == len(head):
        return ordered
    share = word_shares(store, words, [r for r, _ in head])
    prose_best = max(share[r] for r, _ in head if r not in table)
    kept, later, seen = [], [], set()
    for row, score in head:
        if row in table:
            doc = store.document_of(row).doc_id
            if doc in seen or share[row] <= prose_best:
                later.append((row, score))
                continue
            seen.add(doc)
        kept.append((row, score))
    return kept + later + list(ordered[depth:])
