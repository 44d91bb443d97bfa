"""Shared helpers for the align/coverage/reuse/export tests: seed documents, dev gold, a fake embedder."""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

from indexer.ingest.corpus import load_default_corpus

SHARED = Path(__file__).resolve().parents[2] / "shared"
PROVINCE = "guangdong-2020-strategic-clusters"
DONGGUAN = "dongguan-2021-strategic-clusters"
CHAOZHOU = "chaozhou-strategic-clusters-draft"
NEWS = "guangdong-2021-chain-leader-news"


@functools.lru_cache(maxsize=1)
def corpus():
    return tuple(load_default_corpus())


def doc(doc_id):
    return next(d for d in corpus() if d.doc_id == doc_id)


def clause(doc_id, local_id):
    return doc(doc_id).clause(f"{doc_id}:{local_id}")


@functools.lru_cache(maxsize=1)
def gold():
    return json.loads((SHARED / "eval" / "dev_alignment.json").read_text(encoding="utf-8"))


class FakeEmbedder:
    """Deterministic bag-of-character-bigrams vectors: similar texts get similar vectors, no model."""

    name = "fake"
    dim = 256

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for k in range(max(1, len(text) - 1)):
            h = int.from_bytes(hashlib.blake2b(text[k:k + 2].encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        v += 0.01
        return v / np.linalg.norm(v)

    def embed_passages(self, texts):
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text):
        return self._vec(text)
