"""English queries read against one store: the Chinese words they are also searched with (bilingual.py picks them
by the clauses the query as typed finds best), and that ranking kept for the relevance check."""
from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from indexer.embedders import EmbedderError
from indexer.filters import SearchFilters
from indexer.search import bilingual
from indexer.search.query import QueryReader
from indexer.store.base import ClauseStore, Ranked


class EnglishReader:
    """Translates English queries for one store; remembers the last query's own semantic ranking."""

    def __init__(self, store: ClauseStore, embed_query: Callable[[str], np.ndarray], bare: set[int] | frozenset[int],
                 query: QueryReader):
        self.store = store
        self.embed_query = embed_query
        self._bare = bare
        self._query = query
        self._lock = threading.Lock()
        self._typed: tuple[tuple, Ranked] | None = None  # the last English query's own semantic ranking

    def translation(self, query: str, mode: str, filters: SearchFilters | None) -> list[str]:
        """The Chinese words an English query is also searched with, in the modes that read words (hybrid,
        keyword); none for any other query or mode."""
        if mode not in ("hybrid", "keyword") or not bilingual.is_english(query):
            return []
        gloss = bilingual.glossary()
        if gloss is None:
            return []
        try:
            context = [self.store.text(r) for r, _ in self.typed_semantic(query, filters)]
        except EmbedderError:
            if mode != "keyword":
                raise
            context = []  # keyword search needs no model: each word's most widely used sense
        return bilingual.translate(query, gloss, self.store.document_frequency, context, self._query.places(),
                                   self._query.tokenizer)

    def typed_semantic(self, query: str, filters: SearchFilters | None) -> Ranked:
        """The best CONTEXT clauses with a body for the query as typed (kept for the search's floor check)."""
        key = (query, filters)
        with self._lock:
            if self._typed is not None and self._typed[0] == key:
                return self._typed[1]
        vec, want = self.embed_query(query), bilingual.CONTEXT
        for depth in (2 * want, want + len(self._bare)):  # bare headings are few among the best; all, rarely
            found = self.store.dense_topk(vec, depth, filters)
            ranked = [x for x in found if x[0] not in self._bare][:want]
            if len(ranked) == want or len(found) < depth:
                break
        with self._lock:
            self._typed = (key, ranked)
        return ranked
