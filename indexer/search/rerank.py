"""Learned fusion for hybrid search: a linear score over a few features of each candidate clause.

Reciprocal-rank fusion looks only at ranks, so a clause that holds most of the query's rare words but sits at
rank 30 of both lists loses to one that is mediocre in both; and it cannot see the document title (a question
about 法律援助 is usually answered by the 法律援助条例). The reranker sees, for each candidate of the semantic,
keyword and place rankings: its reciprocal ranks, its cosine (raw, relative to the best, relative to the tenth),
its BM25 relative to the best, how much of the query's IDF weight its text, its document's title and its section
path hold, how many of the query's characters and character pairs it holds, whether its document is of a place
the query names, its length. Weights are fitted by benchmarks/fit_rerank.py (listwise softmax, L2) on the tuning
half of the library dev set and stored in rerank_weights.json with the features' means and spreads.
"""
from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.store.base import ClauseStore, Ranked

WEIGHTS_FILE = Path(__file__).with_name("rerank_weights.json")
RRF_K = 60
FEATURES = ("rrf_semantic", "rrf_keyword", "cosine", "cosine_to_best", "bm25_to_best", "word_share",
            "char_share", "pair_share", "named_place", "in_both", "log_length", "title_share", "section_share",
            "cosine_to_tenth")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _alnum(folded: str) -> str:
    """Letters and digits only (no spaces, punctuation): what character evidence counts."""
    return "".join(c for c in folded if c.isalnum())


def candidate_features(store: ClauseStore, query: str, words: Sequence[str], query_vec: np.ndarray,
                       rows: Sequence[int], semantic: Ranked, keyword: Ranked, keyword_terms: Sequence[str],
                       places: Sequence[str]) -> np.ndarray:
    """One row of FEATURES per candidate.

    Args:
        words: the query's own tokens (their IDF weights the shares); keyword_terms: those plus thesaurus words
            (what the keyword ranking searched for); places: regions the query names.
    """
    if not len(rows):
        return np.zeros((0, len(FEATURES)))
    sem_rank = {r: i for i, (r, _) in enumerate(semantic, 1)}
    kw_rank = {r: i for i, (r, _) in enumerate(keyword, 1)}
    cos = store.vectors(list(rows)) @ np.asarray(query_vec, dtype=np.float32).ravel()
    best, tenth = float(cos.max()), float(np.sort(cos)[-min(10, len(cos))])
    bm25 = np.asarray(store.keyword_scores(list(keyword_terms), list(rows)), dtype=np.float64)
    bm25_best = max(float(bm25.max()), 1e-9)
    words = [t for t in dict.fromkeys(words) if t.strip()]
    df = store.document_frequency(words)
    n = max(1, len(store))
    idf = {_fold(t): math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in words}
    total = sum(idf.values()) or 1.0

    def share(folded: str) -> float:
        return sum(w for t, w in idf.items() if t in folded) / total

    q = _alnum(_fold(query))
    q_chars, q_pairs, named = set(q), {q[i:i + 2] for i in range(len(q) - 1)}, set(places)
    titles: dict[str, float] = {}
    out = np.zeros((len(rows), len(FEATURES)))
    for i, row in enumerate(rows):
        text = store.text(row)
        folded = _fold(text)
        alnum = _alnum(folded)
        doc = store.document_of(row)
        if doc.doc_id not in titles:
            titles[doc.doc_id] = share(_fold(doc.meta.title))
        meta = doc.meta
        out[i] = (1 / (RRF_K + sem_rank[row]) if row in sem_rank else 0.0,
                  1 / (RRF_K + kw_rank[row]) if row in kw_rank else 0.0,
                  cos[i], cos[i] - best, bm25[i] / bm25_best, share(folded),
                  len(q_chars & set(alnum)) / max(1, len(q_chars)),
                  sum(p in alnum for p in q_pairs) / max(1, len(q_pairs)),
                  float(bool(named) and (meta.region in named or meta.province in named)),
                  float(row in sem_rank and row in kw_rank), math.log1p(len(text)),
                  titles[doc.doc_id], share(_fold(" ".join(store.clause(row).section))), cos[i] - tenth)
    return out


@dataclass(frozen=True)
class Reranker:
    """score = Σ weight · (feature − mean) / spread, for the features named."""

    features: tuple[str, ...]
    weights: np.ndarray
    means: np.ndarray
    spreads: np.ndarray

    def score(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        cols = [FEATURES.index(f) for f in self.features]
        return ((x[:, cols] - self.means) / self.spreads) @ self.weights

    def to_json(self, **extra) -> str:
        return json.dumps({"features": list(self.features), "weights": self.weights.round(6).tolist(),
                           "means": self.means.round(6).tolist(), "spreads": self.spreads.round(6).tolist(),
                           **extra}, ensure_ascii=False, indent=1)


def rerank(ranked_rows: Sequence[int], scores: np.ndarray) -> Ranked:
    """Rows by score, best first (equal scores keep the fused order), each with the model's probability that it
    is the answer among these candidates (the softmax it was fitted as), so scores read alike across queries."""
    scores = np.asarray(scores, dtype=np.float64)
    if not len(scores):
        return []
    p = np.exp(scores - scores.max())
    p /= p.sum()
    order = np.argsort(-scores, kind="stable")
    return [(int(ranked_rows[i]), float(p[i])) for i in order]


@lru_cache(maxsize=4)
def load(path: str | Path = WEIGHTS_FILE) -> Reranker | None:
    """The fitted reranker (None when no weights file is shipped: hybrid then fuses by rank alone)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError:
        return None
    return Reranker(tuple(data["features"]), np.array(data["weights"], dtype=np.float64),
                    np.array(data["means"], dtype=np.float64), np.array(data["spreads"], dtype=np.float64))
