"""Learned fusion for hybrid search: a linear score over a few features of each candidate clause.

Reciprocal-rank fusion looks only at ranks, so a clause that holds most of the query's rare words but sits at
rank 30 of both lists loses to one that is mediocre in both; and it cannot see the document title (a question
about 法律援助 is usually answered by the 法律援助条例). The reranker sees, for each candidate of the semantic,
keyword and place rankings: its reciprocal semantic rank, its cosine (raw, relative to the best and to the tenth
candidate), its BM25 relative to the best, how much of the query's IDF weight its text and its document's title
hold, how many of the query's characters it holds, whether its document is of a place the query names, and its
length. Weights are fitted by benchmarks/fit_rerank.py (listwise softmax, L2) on the library dev set's tuning
split and a second tuning set (116 queries; never the held-out split or the fresh test set) and stored in rerank_weights.json with the features' means and spreads and the embedder they were
fitted with: cosines of another model spread differently, so for another embedder hybrid fuses by rank alone.
(Also tried on the tuning half and left out: the reciprocal keyword rank, shared character pairs, "in both
lists", the section path's share of the query, the best sentence's cosine, the share of thesaurus words held,
the document's number of candidates and its best cosine — none moved leave-one-out by more than one query; and
"the clause gives the kind of answer the question asks for" (a penalty for 罚多少, a time limit for 多久, an
amount, an office, a rule): leave-one-out colloquial .611 → .642 on 116 queries, but no gain on 60 unseen ones.)
"""
from __future__ import annotations

import json
import logging
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.search.fusion import RRF_K
from indexer.search.query import idf_weights
from indexer.store.base import ClauseStore, Ranked

log = logging.getLogger(__name__)

WEIGHTS_FILE = Path(__file__).with_name("rerank_weights.json")
FEATURES = ("rrf_semantic", "cosine", "cosine_to_best", "cosine_to_tenth", "bm25_to_best", "word_share",
            "char_share", "named_place", "log_length", "title_share")
MIN_SPREAD = 1e-6  # a feature (almost) constant in training must not divide by zero


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


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _alnum(folded: str) -> str:
    """Letters and digits only (no spaces, punctuation): what character evidence counts."""
    return "".join(c for c in folded if c.isalnum())


def candidate_features(store: ClauseStore, ev: QueryEvidence, rows: Sequence[int]) -> np.ndarray:
    """One row of FEATURES per candidate row."""
    if not len(rows):
        return np.zeros((0, len(FEATURES)))
    sem_rank = {r: i for i, (r, _) in enumerate(ev.semantic, 1)}
    cos = store.vectors(list(rows)) @ np.asarray(ev.vector, dtype=np.float32).ravel()
    best, tenth = float(cos.max()), float(np.sort(cos)[-min(10, len(cos))])
    bm25 = np.asarray(store.keyword_scores(list(ev.keyword_terms), list(rows)), dtype=np.float64)
    bm25_best = max(float(bm25.max()), 1e-9)
    words = [t for t in dict.fromkeys(ev.words) if t.strip()]
    idf = {_fold(t): w for t, w in idf_weights(store, words).items()}
    total = sum(idf.values()) or 1.0

    def share(folded: str) -> float:
        return sum(w for t, w in idf.items() if t in folded) / total

    q_chars, named = set(_alnum(_fold(ev.query))), set(ev.places)
    titles: dict[str, float] = {}
    out = np.zeros((len(rows), len(FEATURES)))
    for i, row in enumerate(rows):
        text = store.text(row)
        folded = _fold(text)
        doc = store.document_of(row)
        if doc.doc_id not in titles:
            titles[doc.doc_id] = share(_fold(doc.meta.title))
        out[i] = (1 / (RRF_K + sem_rank[row]) if row in sem_rank else 0.0,
                  cos[i], cos[i] - best, cos[i] - tenth, bm25[i] / bm25_best, share(folded),
                  len(q_chars & set(_alnum(folded))) / max(1, len(q_chars)),
                  float(bool(named) and (doc.meta.region in named or doc.meta.province in named)),
                  math.log1p(len(text)), titles[doc.doc_id])
    return out


@dataclass(frozen=True)
class Reranker:
    """score = Σ weight · (feature − mean) / spread, for the features named; fitted with one embedder."""

    features: tuple[str, ...]
    weights: np.ndarray
    means: np.ndarray
    spreads: np.ndarray
    embedder: str = ""  # the embedder the cosine features were fitted with ("" = any)

    def score(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        cols = [FEATURES.index(f) for f in self.features]
        return ((x[:, cols] - self.means) / self.spreads) @ self.weights

    def suits(self, embedder: str) -> bool:
        return not self.embedder or self.embedder == embedder

    def to_json(self, **extra) -> str:
        return json.dumps({"features": list(self.features), "weights": self.weights.round(6).tolist(),
                           "means": self.means.round(6).tolist(), "spreads": self.spreads.round(6).tolist(),
                           "embedder": self.embedder, **extra}, ensure_ascii=False, indent=1)


def rerank(ranked_rows: Sequence[int], scores: np.ndarray) -> Ranked:
    """Rows by learned score (higher is better; comparable within one result list), best first; equal scores
    keep the fused order."""
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    return [(int(ranked_rows[i]), float(scores[i])) for i in order]


def load(path: str | Path = WEIGHTS_FILE) -> Reranker | None:
    """The fitted reranker; None when no usable weights file is there (hybrid then fuses by rank alone).
    Re-read when the file changes."""
    path = Path(path)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    return _load(str(path), stamp)


@lru_cache(maxsize=4)
def _load(path: str, stamp: int) -> Reranker | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        model = Reranker(tuple(data["features"]), np.array(data["weights"], dtype=np.float64),
                         np.array(data["means"], dtype=np.float64),
                         np.maximum(np.array(data["spreads"], dtype=np.float64), MIN_SPREAD),
                         str(data.get("embedder", "")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("学习融合权重不可用，改用排名融合 / rerank weights %s unusable (%s): rank fusion instead", path, exc)
        return None
    if (not set(model.features) <= set(FEATURES)
            or not len(model.features) == len(model.weights) == len(model.means) == len(model.spreads)):
        log.warning("学习融合权重与特征不符 / rerank weights %s do not fit the features: rank fusion instead", path)
        return None
    return model
