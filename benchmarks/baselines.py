"""Naive retrieval baselines over sentence units, to measure the product against on the same documents.

A unit is a piece of a document's text between 。 and line breaks; every baseline ranks units, and a unit is a
hit by the same needle rule as a product clause (indexer.evaluate.is_relevant on its text). The baselines are
deliberately plain: character overlap, jieba BM25 (bm25s, no stopwords, no user dictionary), e5 dense with the
model's own query/passage prefixes, and reciprocal-rank fusion of the last two.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

RRF_K = 60
DEPTH = 100  # candidates each signal hands to fusion, as the product's hybrid mode does

_SPLIT = re.compile(r"(?<=。)|\n")
# Not a sentence: empty lines, Markdown/HTML scaffolding, lone punctuation.
_NOISE = re.compile(r"^(?:<!--.*-->|[#\s\W_]*)$")

Ranked = list[tuple[int, float]]  # (unit index, score), best first


@dataclass(frozen=True)
class Unit:
    doc_id: str
    text: str


def sentence_units(doc_id: str, text: str) -> list[Unit]:
    """A document's text cut after every 。 and at every line break; blank and markup-only pieces dropped."""
    out = []
    for piece in _SPLIT.split(text):
        piece = piece.strip()
        if piece and not _NOISE.match(piece):
            out.append(Unit(doc_id, piece))
    return out


def _chars(s: str) -> set[str]:
    """Distinct content characters: NFKC-folded, lower-cased, without spaces and punctuation."""
    return {c for c in unicodedata.normalize("NFKC", s).lower() if c.isalnum()}


def top(scores: np.ndarray, depth: int) -> Ranked:
    """Indices of the `depth` best scores, best first; equal scores keep document order (stable sort)."""
    order = np.argsort(-scores, kind="stable")[:depth]
    return [(int(i), float(scores[i])) for i in order]


class CharOverlap:
    """Rank by how many distinct query characters a unit contains; among equals the shorter unit first."""

    def __init__(self, texts: Sequence[str]):
        self._sets = [_chars(t) for t in texts]
        self._lengths = np.array([len(t) for t in texts], dtype=np.float64)

    def rank(self, query: str, depth: int = DEPTH) -> Ranked:
        q = _chars(query)
        if not q or not self._sets:
            return []
        overlap = np.array([len(q & s) for s in self._sets], dtype=np.float64)
        # The length term is below 1, so it only orders units with the same overlap.
        scores = overlap + 1.0 / (2.0 + self._lengths)
        return [(i, s) for i, s in top(scores, depth) if overlap[i] > 0]


def jieba_tokens(text: str) -> list[str]:
    """jieba.lcut on NFKC-folded, lower-cased text, without whitespace and punctuation tokens."""
    import jieba
    return [t for t in jieba.lcut(unicodedata.normalize("NFKC", text).lower()) if any(c.isalnum() for c in t)]


class BM25:
    """bm25s (Lucene BM25, k1=1.5, b=0.75) over jieba tokens."""

    def __init__(self, texts: Sequence[str], tokenize: Callable[[str], list[str]] = jieba_tokens):
        import bm25s
        self._tokenize = tokenize
        self._n = len(texts)
        self._model = bm25s.BM25()
        self._model.index([tokenize(t) for t in texts], show_progress=False)

    def rank(self, query: str, depth: int = DEPTH) -> Ranked:
        tokens = self._tokenize(query)
        if not tokens or not self._n:
            return []
        scores = np.asarray(self._model.get_scores(tokens), dtype=np.float64)
        return [(i, s) for i, s in top(scores, min(depth, self._n)) if s > 0]


class Dense:
    """Cosine similarity between a query vector and unit vectors (both already L2-normalised)."""

    def __init__(self, vectors: np.ndarray, embed_query: Callable[[str], np.ndarray]):
        self._vectors = np.asarray(vectors, dtype=np.float32)
        self._embed_query = embed_query

    def rank(self, query: str, depth: int = DEPTH) -> Ranked:
        if not len(self._vectors):
            return []
        return top(self._vectors @ np.asarray(self._embed_query(query), dtype=np.float32), depth)


def rrf(rankings: Sequence[Ranked], k: int = RRF_K) -> Ranked:
    """Reciprocal-rank fusion: Σ 1/(k + rank) over the rankings; ties by unit index for determinism."""
    fused: dict[int, float] = {}
    for ranked in rankings:
        for r, (i, _) in enumerate(ranked, 1):
            fused[i] = fused.get(i, 0.0) + 1.0 / (k + r)
    return sorted(fused.items(), key=lambda x: (-x[1], x[0]))


class Fused:
    """RRF of several rankers, each asked for DEPTH candidates."""

    def __init__(self, *rankers, k: int = RRF_K):
        self._rankers = rankers
        self._k = k

    def rank(self, query: str, depth: int = DEPTH) -> Ranked:
        return rrf([r.rank(query, DEPTH) for r in self._rankers], self._k)[:depth]
