"""The features the learned fusion reads of each candidate clause, registered in one place.

A feature is one `Feature` entry of `REGISTRY`: its name (what rerank_weights.json names), the label shown to
users, and a function of the query's `Candidates` that gives one value per candidate. Adding a feature is one
entry here plus a refit (benchmarks/fit_rerank.py); weights fitted before it still load, since a Reranker uses
the features it names.
"""
from __future__ import annotations

import math
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from indexer.search.fusion import RRF_K
from indexer.search.query import idf_weights
from indexer.store.base import ClauseStore, Ranked


@dataclass(frozen=True)
class QueryEvidence:
    """What one hybrid search knows about its query when it reranks."""

    query: str
    words: tuple[str, ...]  # the query's own tokens (their IDF weights the shares)
    vector: np.ndarray = field(repr=False)
    semantic: Ranked = field(default_factory=list, repr=False)
    keyword: Ranked = field(default_factory=list, repr=False)
    keyword_terms: tuple[str, ...] = ()  # the words plus thesaurus words: what the keyword ranking searched for
    places: tuple[str, ...] = ()  # regions the query names


def fold(text: str) -> str:
    """Text as the features compare it: full/half width and case folded."""
    return unicodedata.normalize("NFKC", text).lower()


def alnum(folded: str) -> str:
    """Letters and digits only (no spaces, punctuation): what character evidence counts."""
    return "".join(c for c in folded if c.isalnum())


def _bound(kept: OrderedDict, most: int) -> None:
    """Drop the oldest entries beyond `most` (threads of one engine share the dict: popitem is one atomic step)."""
    while len(kept) > most:
        try:
            kept.popitem(last=False)
        except KeyError:  # another thread emptied it first
            return


class FoldedTexts:
    """Each clause's folded text and its letters and digits, folded once per row for an engine's life (an engine
    reads one index generation), not again for every query that has the row among its candidates."""

    def __init__(self, store: ClauseStore):
        self.store = store
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._chars: OrderedDict[int, frozenset[str]] = OrderedDict()
        self._titles: dict[str, str] = {}

    KEPT = 32_768  # rows kept folded (the oldest go first): a library of a million clauses must not fill memory

    def text(self, row: int) -> str:
        t = self._texts.get(row)
        if t is None:
            t = self._texts[row] = fold(self.store.text(row))
            _bound(self._texts, self.KEPT)
        return t

    def chars(self, row: int) -> frozenset[str]:
        c = self._chars.get(row)
        if c is None:
            c = self._chars[row] = frozenset(alnum(self.text(row)))
            _bound(self._chars, self.KEPT)
        return c

    def title(self, doc_id: str, title: str) -> str:
        t = self._titles.get(doc_id)
        if t is None:
            t = self._titles[doc_id] = fold(title)
        return t


class Candidates:
    """One query's candidate rows and what the features read of them, each computed once."""

    def __init__(self, store: ClauseStore, ev: QueryEvidence, rows: Sequence[int], folded: FoldedTexts | None = None):
        self.store, self.ev, self.rows = store, ev, list(rows)
        self.fold = folded or FoldedTexts(store)
        self.texts = [store.text(r) for r in self.rows]
        docs = [store.document_of(r) for r in self.rows]
        self.metas, self.doc_ids = [d.meta for d in docs], [d.doc_id for d in docs]

    @cached_property
    def cos(self) -> np.ndarray:
        return self.store.vectors(self.rows) @ np.asarray(self.ev.vector, dtype=np.float32).ravel()

    @cached_property
    def idf(self) -> dict[str, float]:
        """The IDF weight of each of the query's own words, folded."""
        words = [t for t in dict.fromkeys(self.ev.words) if t.strip()]
        return {fold(t): w for t, w in idf_weights(self.store, words).items()}

    def share(self, folded: str) -> float:
        """The share of the query's IDF weight whose words a folded text holds."""
        total = sum(self.idf.values()) or 1.0
        return sum(w for t, w in self.idf.items() if t in folded) / total

    @cached_property
    def folded(self) -> list[str]:
        return [self.fold.text(r) for r in self.rows]


def _rrf_semantic(c: Candidates) -> np.ndarray:
    rank = {r: i for i, (r, _) in enumerate(c.ev.semantic, 1)}
    return np.array([1 / (RRF_K + rank[r]) if r in rank else 0.0 for r in c.rows])


def _cosine_to_tenth(c: Candidates) -> np.ndarray:
    return c.cos - float(np.sort(c.cos)[-min(10, len(c.cos))])


def _bm25_to_best(c: Candidates) -> np.ndarray:
    bm25 = np.asarray(c.store.keyword_scores(list(c.ev.keyword_terms), c.rows), dtype=np.float64)
    return bm25 / max(float(bm25.max()), 1e-9)


def _char_share(c: Candidates) -> np.ndarray:
    q_chars = set(alnum(fold(c.ev.query)))
    return np.array([len(q_chars & c.fold.chars(r)) / max(1, len(q_chars)) for r in c.rows])


def _named_place(c: Candidates) -> np.ndarray:
    named = set(c.ev.places)
    return np.array([float(bool(named) and (m.region in named or m.province in named)) for m in c.metas])


def _title_share(c: Candidates) -> np.ndarray:
    titles: dict[str, float] = {}
    for doc_id, meta in zip(c.doc_ids, c.metas, strict=True):
        if doc_id not in titles:
            titles[doc_id] = c.share(c.fold.title(doc_id, meta.title))
    return np.array([titles[d] for d in c.doc_ids])


@dataclass(frozen=True)
class Feature:
    """One thing the learned fusion reads of a candidate."""

    name: str  # as rerank_weights.json names it
    label: str  # what users are shown
    values: Callable[[Candidates], np.ndarray]  # one value per candidate


REGISTRY: tuple[Feature, ...] = (
    Feature("rrf_semantic", "语义排名", _rrf_semantic),
    Feature("cosine", "语义相似度", lambda c: c.cos),
    Feature("cosine_to_best", "与最相似者之差", lambda c: c.cos - float(c.cos.max())),
    Feature("cosine_to_tenth", "与第十相似者之差", _cosine_to_tenth),
    Feature("bm25_to_best", "关键词得分", _bm25_to_best),
    Feature("word_share", "含查询词", lambda c: np.array([c.share(f) for f in c.folded])),
    Feature("char_share", "含查询字", _char_share),
    Feature("named_place", "查询所指地区", _named_place),
    Feature("log_length", "条款长度", lambda c: np.array([math.log1p(len(t)) for t in c.texts])),
    Feature("title_share", "标题含查询词", _title_share),
)
FEATURES = tuple(f.name for f in REGISTRY)
LABELS = {f.name: f.label for f in REGISTRY}


def candidate_features(store: ClauseStore, ev: QueryEvidence, rows: Sequence[int],
                       folded: FoldedTexts | None = None) -> np.ndarray:
    """One row of FEATURES per candidate row (`folded`: the store's texts folded once, kept between queries)."""
    if not len(rows):
        return np.zeros((0, len(REGISTRY)))
    c = Candidates(store, ev, rows, folded)
    out = np.zeros((len(c.rows), len(REGISTRY)))
    for j, feature in enumerate(REGISTRY):
        out[:, j] = feature.values(c)
    return out
