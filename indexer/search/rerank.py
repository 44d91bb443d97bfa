"""Learned fusion for hybrid search: a linear score over a few features of each candidate clause.

Reciprocal-rank fusion looks only at ranks, so a clause that holds most of the query's rare words but sits at
rank 30 of both lists loses to one that is mediocre in both; and it cannot see the document title (a question
about 法律援助 is usually answered by the 法律援助条例). The reranker sees, for each candidate of the semantic,
keyword and place rankings: its reciprocal semantic rank, its cosine (raw, relative to the best and to the tenth
candidate), its BM25 relative to the best, how much of the query's IDF weight its text and its document's title
hold, how many of the query's characters it holds, whether its document is of a place the query names, and its
length (one entry each in features.py). Weights are fitted by benchmarks/fit_rerank.py (listwise softmax, L2) on the library dev set's tuning
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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.search.features import FEATURES, QueryEvidence, candidate_features
from indexer.store.base import Ranked

__all__ = ["FEATURES", "MIN_SPREAD", "WEIGHTS_FILE", "QueryEvidence", "Reranker", "candidate_features", "load",
           "rerank"]

log = logging.getLogger(__name__)

WEIGHTS_FILE = Path(__file__).with_name("rerank_weights.json")
MIN_SPREAD = 1e-6  # a feature (almost) constant in training must not divide by zero


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
