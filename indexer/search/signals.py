"""The signals a hit can carry (each a ranking of its own, named in `Hit.signals`, with the label users see) and
those computed from the store's answers rather than asked of it: exact wording (phrase) and near-verbatim wording
despite small edits (fuzzy). What the learned fusion reads of each candidate is registered in features.py."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.filters import SearchFilters
from indexer.keywords import normalise
from indexer.store.base import ClauseStore, Ranked

FUZZY_CUTOFF = 60.0  # rapidfuzz partial_ratio (0-100) below which a clause is not a near-verbatim match
FUZZY_FULL_SCAN = 3_000  # up to this many rows fuzzy matching scans everything (~17 µs a clause)
FUZZY_CANDIDATES = 1_000  # above that, it rescores the best keyword matches

# every ranking a Hit's `signals` may name, with its label on a result card
LABELS = {"semantic": "语义", "keyword": "关键词", "place": "地区", "phrase": "短语", "fuzzy": "模糊",
          "doc_number": "文号", "surface": "用词"}


def phrase_ranking(store: ClauseStore, query: str, tokens: Sequence[str], depth: int,
                   filters: SearchFilters | None) -> Ranked:
    """Clauses holding the query's exact wording: more occurrences first, then the keyword score (which prefers
    short, focused clauses)."""
    counts = store.phrase(query, filters)
    if not counts:
        return []
    rows = sorted(counts)
    bm = dict(zip(rows, store.keyword_scores(tokens, rows).tolist(), strict=True))
    ranked = sorted(counts, key=lambda r: (-counts[r], -float(bm[r]), r))[:depth]
    return [(r, float(counts[r])) for r in ranked]


def fuzzy_ranking(store: ClauseStore, query: str, tokens: Sequence[str], depth: int, filters: SearchFilters | None,
                  rows: np.ndarray | None) -> Ranked:
    """Clauses by rapidfuzz partial_ratio with the query (0-1), those above FUZZY_CUTOFF only."""
    from rapidfuzz import fuzz, process

    n = len(store)
    if (n if rows is None else len(rows)) <= FUZZY_FULL_SCAN:
        cand = np.arange(n) if rows is None else rows
    else:  # near-verbatim wording shares most of its words: the keyword ranking finds the candidates
        cand = np.array([r for r, _ in store.keyword_topk(tokens, FUZZY_CANDIDATES, filters)], dtype=np.int64)
    texts = store.normalised_texts(cand)
    found = process.extract(normalise(query), texts, scorer=fuzz.partial_ratio, limit=depth, score_cutoff=FUZZY_CUTOFF)
    found.sort(key=lambda x: (-x[1], int(cand[x[2]])))
    return [(int(cand[i]), float(s) / 100) for _, s, i in found]
