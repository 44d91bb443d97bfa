"""A slow, obviously correct backend held in memory: the reference every other backend is tested against."""
from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.errors import IndexError_
from indexer.filters import SearchFilters
from indexer.keywords import BM25_B, BM25_K1, TokenizerConfig, get_tokenizer, normalise
from indexer.models import Clause, Document, IndexedDocument
from indexer.store.base import ClauseStore, CollectingWriter, Ranked

_PUBLISHED: dict[str, MemoryStore] = {}  # index name → live store, for the process
_LOCK = threading.Lock()
K1, B = BM25_K1, BM25_B  # the folder backend's BM25 parameters (bm25s, Lucene variant)


class MemoryStore(ClauseStore):
    """Plain lists and brute force: every answer can be checked by reading the code."""

    backend = "memory"

    def __init__(self, documents: Sequence[Document], clauses: Sequence[tuple[Clause, str]], vectors: np.ndarray,
                 manifest: dict, tokenizer: TokenizerConfig | None = None):
        self.manifest = manifest
        self._full = list(documents)
        self._clauses = [c for c, _ in clauses]
        self._keys = [k for _, k in clauses]
        self._vectors = np.asarray(vectors, dtype=np.float32).reshape(len(self._clauses), -1)
        tokenize = get_tokenizer(tokenizer or TokenizerConfig())
        self._tokens = [tokenize(c.text) for c in self._clauses]
        by_doc = Counter(c.doc_id for c in self._clauses)
        self._docs = [IndexedDocument(doc_id=d.doc_id, path=d.path, meta=d.meta, n_clauses=by_doc[d.doc_id],
                                      format=d.format, sha256=d.sha256, page_starts=d.page_starts,
                                      warnings=d.warnings) for d in self._full]

    def __len__(self) -> int:
        return len(self._clauses)

    def documents(self) -> list[IndexedDocument]:
        return list(self._docs)

    def load_documents(self) -> list[Document]:
        return list(self._full)

    def document_text(self, doc_id: str) -> str:
        return next((d.text for d in self._full if d.doc_id == doc_id), "")

    def clause(self, row: int) -> Clause:
        return self._clauses[row]

    def text(self, row: int) -> str:
        return self._clauses[row].text

    def document_of(self, row: int) -> IndexedDocument:
        return next(d for d in self._docs if d.doc_id == self._clauses[row].doc_id)

    def row_of(self, clause_id: str) -> int | None:
        return next((i for i, c in enumerate(self._clauses) if c.clause_id == clause_id), None)

    def rows_of_document(self, doc_id: str) -> np.ndarray:
        return np.array([i for i, c in enumerate(self._clauses) if c.doc_id == doc_id], dtype=np.int64)

    def vectors(self, rows) -> np.ndarray:
        return self._vectors[np.asarray(rows, dtype=np.int64)]

    def clause_keys(self) -> list[tuple[str, str]]:
        return [(c.clause_id, k) for c, k in zip(self._clauses, self._keys, strict=True)]

    def vectors_for_keys(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self._vectors[self._keys.index(k)] for k in keys if k in self._keys}

    def bare_rows(self) -> frozenset[int]:
        parents = {c.parent_id for c in self._clauses if c.parent_id}
        out = set()
        for i, c in enumerate(self._clauses):
            if c.clause_id in parents and c.kind not in ("para", "preamble"):
                rest = c.text[len(c.marker):].strip().strip("。．.:：")
                if len(rest) <= len(c.heading.strip("。．.:：")) + 1:
                    out.add(i)
        return frozenset(out)

    def _admitted(self, filters: SearchFilters | None) -> list[int]:
        rows = []
        for i, c in enumerate(self._clauses):
            d = self.document_of(i)
            if filters is None or (filters.accepts_document(d.meta, d.doc_id) and filters.accepts_section(c.section)):
                rows.append(i)
        return rows

    def select(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        return np.array(self._admitted(filters), dtype=np.int64)

    def dense_topk(self, query: np.ndarray, k: int, filters: SearchFilters | None = None) -> Ranked:
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        scored = [(i, float(self._vectors[i] @ q)) for i in self._admitted(filters)]
        scored.sort(key=lambda x: (-x[1], x[0]))
        return scored[:max(k, 0)]

    def _bm25(self, tokens: Sequence[str], weights: dict[str, float] | None = None) -> list[float]:
        terms = [t for t in dict.fromkeys(tokens) if t]
        n = len(self._tokens)
        if not n:
            return []
        avg = sum(len(t) for t in self._tokens) / n
        df = Counter(t for toks in self._tokens for t in set(toks))
        out = []
        for toks in self._tokens:
            tf = Counter(toks)
            s = 0.0
            for t in terms:
                if tf[t]:
                    idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                    w = (weights or {}).get(t, 1.0)
                    s += w * idf * tf[t] / (tf[t] + K1 * (1 - B + B * len(toks) / avg))
            out.append(s)
        return out

    def keyword_topk(self, tokens: Sequence[str], k: int, filters: SearchFilters | None = None,
                     weights: dict[str, float] | None = None) -> Ranked:
        scores = self._bm25(tokens, weights)
        scored = [(i, scores[i]) for i in self._admitted(filters) if scores[i] > 0]
        scored.sort(key=lambda x: (-x[1], x[0]))
        return scored[:max(k, 0)]

    def keyword_scores(self, tokens: Sequence[str], rows: Sequence[int]) -> np.ndarray:
        scores = self._bm25(tokens)
        return np.array([scores[int(r)] for r in rows], dtype=np.float32)

    def document_frequency(self, tokens: Sequence[str]) -> dict[str, int]:
        return {t: sum(1 for toks in self._tokens if t in toks) for t in dict.fromkeys(tokens)}

    def phrase(self, needle: str, filters: SearchFilters | None = None) -> dict[int, int]:
        needle = normalise(needle)
        if not needle:
            return {}
        out = {}
        for i in self._admitted(filters):
            text, n, pos = normalise(self._clauses[i].text), 0, 0
            while (pos := text.find(needle, pos)) >= 0:
                n, pos = n + 1, pos + 1
            if n:
                out[i] = n
        return out


class MemoryWriter(CollectingWriter):
    def __init__(self, index_dir: Path, **options):
        super().__init__()
        self.name = str(Path(index_dir).resolve())
        self.options = options

    def publish(self, manifest: dict) -> str:
        vecs = self.stacked_vectors(int(manifest["embedder"]["dim"]))
        store = MemoryStore(self._docs, self._clauses, vecs, {**manifest, "backend": MemoryStore.backend})
        with _LOCK:
            _PUBLISHED[self.name] = store
        return self.name


def open_memory(index_dir: Path) -> MemoryStore:
    with _LOCK:
        store = _PUBLISHED.get(str(Path(index_dir).resolve()))
    if store is None:
        raise IndexError_(f"内存索引不存在 / no in-memory index named {index_dir}")
    return store


BACKEND = (open_memory, MemoryWriter)
