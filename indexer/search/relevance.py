"""Whether a search's best answer is a real match in one store: the relevance floor (floor.py) measured on this
store once, the words of the query found in it, and whether one clause holds them together."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from indexer.cache_files import load_arrays, save_arrays
from indexer.search import bilingual
from indexer.search.floor import (
    COVERAGE_HITS,
    FLUENT_MARGIN,
    MARGIN,
    MIN_SUPPORT,
    PROBES,
    WORDLESS_MARGIN,
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
                 query: QueryReader, cache_dir: Path | None = None):
        """cache_dir: where the floor measured on this store is kept, so the next process reads it (a few
        kilobytes per generation) instead of embedding and searching 40 probes again (about half a second)."""
        self.store = store
        self.embed_query = embed_query
        self._bare = bare
        self._query = query
        self._floor: Floor | None = None
        self._cache = cache_dir / f"floor-{self._cache_key()}.npz" if cache_dir is not None else None

    def floor(self) -> Floor:
        """Known non-answers and what they reach in this store, measured on first use (40 short queries)."""
        if self._floor is None:
            self._floor = self._read_floor() or self._measure_floor()
        return self._floor

    def _cache_key(self) -> str:
        """The generation, its model and the probes: a floor measured on other data or probes never applies."""
        parts = [self.store.generation or "", self.store.embedder_name, str(len(self.store)), *PROBES]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]

    def _read_floor(self) -> Floor | None:
        f = load_arrays(self._cache) if self._cache is not None and self.store.generation else None
        return Floor(probes=f["probes"], reach=f["reach"]) if f and {"probes", "reach"} <= f.keys() else None

    def _measure_floor(self) -> Floor:
        floor = calibrate(self.embed_query, self.best_score)
        if self._cache is not None and self.store.generation and save_arrays(self._cache, probes=floor.probes,
                                                                              reach=floor.reach):
            for old in self._cache.parent.glob("floor-*.npz"):  # earlier generations' (measured again if an
                if old != self._cache:                          # engine of one is still open)
                    old.unlink(missing_ok=True)
        return floor

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
        if lift >= max(MARGIN, FLUENT_MARGIN, WORDLESS_MARGIN):
            return False
        support = keyword_support(tokens, self.store.document_frequency(tokens), len(self.store))
        if lift < MARGIN and support < MIN_SUPPORT:
            return True
        return off_topic(lift, lambda: self.coverage(tokens), bilingual.is_english(query), support)

    def coverage(self, tokens: Sequence[str]) -> float:
        """The largest share of the query's word weight that one of its best keyword hits holds."""
        return self._query.keyword_coverage(tokens, self.store.keyword_topk(tokens, COVERAGE_HITS))
