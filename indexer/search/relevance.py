"""Whether a search's best answer is a real match in one store: the relevance floor (floor.py) measured on this
store once, the words of the query found in it, and whether one clause holds them together."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from indexer.search import bilingual
from indexer.search.floor import (
    COVERAGE_HITS,
    MARGIN,
    MIN_SUPPORT,
    Floor,
    calibrate,
    keyword_support,
    off_topic,
)
from indexer.search.query import QueryReader
from indexer.store.base import ClauseStore, Ranked


class Relevance:
    """The relevance check of one store (an engine reads one index generation, so its floor is kept)."""

    def __init__(self, store: ClauseStore, embed_query: Callable[[str], np.ndarray], bare: set[int] | frozenset[int],
                 query: QueryReader):
        self.store = store
        self.embed_query = embed_query
        self._bare = bare
        self._query = query
        self._floor: Floor | None = None

    def floor(self) -> Floor:
        """Known non-answers and what they reach in this store, measured on first use (40 short queries)."""
        if self._floor is None:
            self._floor = calibrate(self.embed_query, self.best_score)
        return self._floor

    def best_score(self, vec: np.ndarray) -> float | None:
        """The best cosine of any clause with a body (what search ranks) for a query vector."""
        for depth in (16, 1 + len(self._bare)):  # bare headings are few among the best; all of them, rarely
            ranked = self.store.dense_topk(vec, depth)
            best = next((s for r, s in ranked if r not in self._bare), None)
            if best is not None or len(ranked) < depth:
                return best
        return None

    def is_weak(self, query: str, semantic: Ranked, tokens: Sequence[str]) -> bool:
        """Whether neither meaning nor words vouch for the best answer (see floor.py): nonsense (its meaning no
        closer to the library than non-answers' and its words not in it), or a fluent question whose meaning is
        not clear of non-answers' and whose words no clause holds together (刘德华多大了, 外卖骑手的保障)."""
        lift = self.floor().lift(self.embed_query(query), semantic[0][1] if semantic else None)
        if lift < MARGIN and keyword_support(tokens, self.store.document_frequency(tokens),
                                             len(self.store)) < MIN_SUPPORT:
            return True
        return off_topic(lift, lambda: self.coverage(tokens), bilingual.is_english(query))

    def coverage(self, tokens: Sequence[str]) -> float:
        """The largest share of the query's word weight that one of its best keyword hits holds."""
        return self._query.keyword_coverage(tokens, self.store.keyword_topk(tokens, COVERAGE_HITS))
