"""The milvus backend: clauses, filters, dense and BM25 search in a Milvus collection (Lite file or cluster).

One collection per build, named in a small local sidecar generation (manifest, documents, texts, document
frequencies) that is published exactly like a folder generation: a killed build leaves a collection nobody
names, and the previous one keeps serving. On a server the alias `<prefix>` is switched to the new collection
too, as Milvus recommends for zero-downtime reloads (Milvus Lite has no aliases).
"""
from __future__ import annotations

import bisect
import importlib.util
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.errors import IndexError_
from indexer.filters import SearchFilters
from indexer.keywords import normalise
from indexer.models import Document, IndexedDocument
from indexer.store.base import MISSING, ClauseStore, Ranked
from indexer.store.damage import broken, read_texts
from indexer.store.generations import current_generation
from indexer.store.milvus_errors import gone, translated, wrong_dim
from indexer.store.milvus_expr import and_, filter_expr, in_list, like_contains, literal, pks_expr
from indexer.store.milvus_schema import (
    ANALYZERS,
    CLAUSE_OUT,
    DEFAULT_ANALYZER,
    connect,
    escapes,
    query_terms,
    record_clause,
    resolve_uri,
)
from indexer.store.milvus_writer import MilvusWriter
from indexer.store.records import indexed_document

if importlib.util.find_spec("pymilvus") is None:  # say what to install when the backend is chosen
    raise ImportError("pymilvus is not installed", name="pymilvus")

FETCH_BATCH = 1000  # pks per query when reading records or vectors
MAX_LIMIT = 16384  # Milvus's largest limit for one search
RECORD_CACHE = 8192  # clause records kept after a search returned them (hits are read right after)
BM25_SCALE = 2.5  # Milvus's BM25 multiplies each term by (k1 + 1); bm25s (Lucene variant) does not


class MilvusStore(ClauseStore):
    """A published Milvus index: searches and filters run in Milvus; documents come from the sidecar."""

    backend = "milvus"

    def __init__(self, folder: Path, manifest: dict, doc_records: list[dict], index_dir: Path):
        self.folder, self.index_dir, self.manifest = folder, index_dir, manifest
        info = manifest["milvus"]
        self.uri = resolve_uri(index_dir, info.get("uri", ""))
        self.client = connect(self.uri)
        self.collection = info["collection"]
        self.analyzer = info.get("analyzer", DEFAULT_ANALYZER)
        self._escaped = escapes(info.get("analyzer_params") or ANALYZERS.get(self.analyzer, {}))
        self._search_params = {"metric_type": "IP", "params": dict(info.get("search_params") or {})}
        self._doc_records = doc_records
        self._docs = [indexed_document(d) for d in doc_records]
        self._known = {"region": {d.meta.region for d in self._docs}, "province": {d.meta.province for d in self._docs}}
        self._starts = np.cumsum([0] + [d.n_clauses for d in self._docs]).tolist()
        self._n = int(self._starts[-1])
        try:  # row → pk (rows are positions in document order; pks are stable across builds)
            self._pks = np.load(folder / "pks.npy", allow_pickle=False).astype(np.int64)
        except (OSError, ValueError) as exc:
            raise broken(folder, f"pks.npy: {exc}") from exc
        if len(self._pks) != self._n:
            raise broken(folder, f"pks.npy holds {len(self._pks)} rows, documents.json {self._n}")
        size = int(info.get("next_pk", 0)) or (int(self._pks.max()) + 1 if self._n else 0)
        self._row = np.full(size, -1, np.int32)  # pk → row: 4 bytes per pk ever assigned
        self._row[self._pks] = np.arange(self._n)
        self._visible = f"born <= {int(info.get('generation', 1))}"  # rows of later (or killed) builds stay unseen
        self._lock = threading.Lock()
        self._records: OrderedDict[int, dict] = OrderedDict()
        self._by_id: dict[str, int] = {}
        self._rows: OrderedDict[SearchFilters, np.ndarray] = OrderedDict()
        self._texts: dict[str, str] | None = None
        self._df: dict[str, int] | None = None
        self._check_collection(int(manifest.get("embedder", {}).get("dim", 0)))
        with translated(self.uri, self.collection):
            stored = self.client.query(self.collection, filter=self._visible, output_fields=["count(*)"])[0]["count(*)"]
        self._bare = frozenset(self._rows_of(self._scan("bare == true", ["pk"])).tolist())
        if stored < self._n:  # more for a moment: the clauses a newer build replaced, deleted right after
            raise broken(folder, f"Milvus collection {self.collection} holds {stored} clauses, expected {self._n}")
        texts = folder / "texts.jsonl"
        if texts.exists() and texts.stat().st_size < 64 * 2**20:
            self._doc_texts()  # read now while small: a later build may delete this sidecar generation

    # ---- Milvus calls: each failure is one line naming the URI (milvus_errors)

    def _check_collection(self, dim: int) -> None:
        """The collection is there and holds vectors of the index's model dimension."""
        with translated(self.uri, self.collection):
            if not self.client.has_collection(self.collection):
                raise gone(self.uri, self.collection)
            fields = self.client.describe_collection(self.collection).get("fields", [])
            if "Loaded" not in str(self.client.get_load_state(self.collection).get("state", "")):
                self.client.load_collection(self.collection)  # milvus-lite 3 reopens collections released
        stored = next((int(f.get("params", {}).get("dim", 0)) for f in fields if f.get("name") == "vector"), dim)
        if dim and stored != dim:
            raise wrong_dim(self.uri, self.collection, dim, stored)

    def _rows_of(self, records) -> np.ndarray:
        """The rows of entities (by their "pk", or "id" for search hits); -1 for one this build does not hold."""
        pks = np.fromiter((_pk(r) for r in records), dtype=np.int64)
        inside = (pks >= 0) & (pks < len(self._row))
        out = np.full(len(pks), -1, np.int64)
        out[inside] = self._row[pks[inside]]
        return out

    def _scan(self, expr: str, fields: list[str]) -> list[dict]:
        """Every entity of this build matching expr, each with its "row" (iterated: a query alone returns
        at most 16384)."""
        out: list[dict] = []
        with translated(self.uri, self.collection):
            it = self.client.query_iterator(self.collection, batch_size=4096, filter=and_(self._visible, expr),
                                            output_fields=list(dict.fromkeys(["pk", *fields])))
            try:
                while batch := it.next():
                    out.extend(batch)
            finally:
                it.close()
        for r, row in zip(out, self._rows_of(out).tolist(), strict=True):
            r["row"] = row
        return [r for r in out if r["row"] >= 0]

    def _fetch(self, rows: Sequence[int], fields: list[str]) -> dict[int, dict]:
        """Entities by row."""
        out: dict[int, dict] = {}
        rows = list(dict.fromkeys(int(r) for r in rows))
        for i in range(0, len(rows), FETCH_BATCH):
            chunk = self._pks[rows[i:i + FETCH_BATCH]].tolist()
            with translated(self.uri, self.collection):
                got = self.client.query(self.collection, filter=pks_expr(chunk), output_fields=fields)
            for r, row in zip(got, self._rows_of(got).tolist(), strict=True):
                out[row] = r
        return out

    def _remember(self, records: dict[int, dict]) -> None:
        with self._lock:
            for row, r in records.items():
                self._records[row] = r
                self._records.move_to_end(row)
            while len(self._records) > RECORD_CACHE:
                self._records.popitem(last=False)

    def _record(self, row: int) -> dict:
        row = int(row)
        if not 0 <= row < self._n:
            raise IndexError(row)
        with self._lock:
            rec = self._records.get(row)
        if rec is None:
            rec = self._fetch([row], CLAUSE_OUT)[row]
            self._remember({row: rec})
        return rec

    # ---- what is stored

    @property
    def generation(self) -> str:
        return self.folder.name

    @property
    def location(self) -> str:
        return str(self.folder)  # the sidecar generation that names the collection

    def __len__(self) -> int:
        return self._n

    def documents(self) -> list[IndexedDocument]:
        return list(self._docs)

    def _doc_texts(self) -> dict[str, str]:
        if self._texts is None:
            self._texts = read_texts(self.folder, [d.doc_id for d in self._docs])
        return self._texts

    def document_text(self, doc_id: str) -> str:
        return self._doc_texts().get(doc_id, "")

    def clause(self, row: int):
        return record_clause(self._record(row))

    def text(self, row: int) -> str:
        return self._record(row)["text"]

    def document_of(self, row: int) -> IndexedDocument:
        return self._docs[bisect.bisect_right(self._starts, int(row)) - 1]

    def row_of(self, clause_id: str) -> int | None:
        if clause_id not in self._by_id:
            hit = self._scan(f"clause_id == {literal(clause_id)}", ["pk"])
            if not hit:
                return None
            self._by_id[clause_id] = int(hit[0]["row"])
        return self._by_id[clause_id]

    def rows_of_document(self, doc_id: str) -> np.ndarray:
        # rows are assigned in document order at build, so a document's rows are one range
        j = next((i for i, d in enumerate(self._docs) if d.doc_id == doc_id), None)
        return np.zeros(0, np.int64) if j is None else np.arange(self._starts[j], self._starts[j + 1], dtype=np.int64)

    def vectors(self, rows) -> np.ndarray:
        rows = [int(r) for r in np.asarray(rows, dtype=np.int64).reshape(-1)]
        got = self._fetch(rows, ["pk", "vector"])
        if not rows:
            return np.zeros((0, self.embedder_dim), np.float32)
        return np.asarray([got[r]["vector"] for r in rows], dtype=np.float32)

    def clause_keys(self) -> list[tuple[str, str]]:
        recs = sorted(self._scan("", ["clause_id", "key"]), key=lambda r: r["row"])
        return [(r["clause_id"], r["key"]) for r in recs]

    def vectors_for_keys(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        keys = list(dict.fromkeys(keys))
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), FETCH_BATCH):
            expr = in_list("key", keys[i:i + FETCH_BATCH])
            for r in self._scan(expr, ["key", "vector"]):
                out.setdefault(r["key"], np.asarray(r["vector"], dtype=np.float32))
        return out

    def bare_rows(self) -> frozenset[int]:
        return self._bare

    def load_documents(self) -> list[Document]:
        recs = sorted(self._scan("", CLAUSE_OUT), key=lambda r: r["row"])
        texts = self._doc_texts()
        out = []
        for j, d in enumerate(self._docs):
            clauses = tuple(record_clause(r) for r in recs[self._starts[j]:self._starts[j + 1]])
            out.append(Document(doc_id=d.doc_id, path=d.path, text=texts.get(d.doc_id, ""), meta=d.meta,
                                clauses=clauses, format=d.format, page_starts=d.page_starts, sha256=d.sha256,
                                warnings=d.warnings,
                                skipped=tuple(tuple(s) for s in self._doc_records[j].get("skipped") or ())))
        return out

    def is_stale(self) -> bool:
        return current_generation(self.index_dir) != self.folder

    # ---- queries: every filter is an expression evaluated by Milvus

    def _expr(self, filters: SearchFilters | None) -> str:
        return filter_expr(filters, self._known)

    def select(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        with self._lock:
            rows = self._rows.get(filters)
        if rows is None:
            rows = np.array(sorted(r["row"] for r in self._scan(self._expr(filters), ["pk"])), dtype=np.int64)
            with self._lock:
                self._rows[filters] = rows
                while len(self._rows) > 32:
                    self._rows.popitem(last=False)
        return rows

    def _search(self, data, field: str, k: int, expr: str, params: dict) -> Ranked:
        if k <= 0 or not self._n:
            return []
        with translated(self.uri, self.collection):
            hits = self.client.search(self.collection, data=[data], anns_field=field, limit=min(k, MAX_LIMIT),
                                      filter=and_(self._visible, expr), search_params=params,
                                      output_fields=CLAUSE_OUT)[0]
        rows = self._rows_of(hits).tolist()
        self._remember({row: {**h["entity"], "pk": _pk(h)} for row, h in zip(rows, hits, strict=True) if row >= 0})
        # BM25: Milvus 2.5 answers the score (larger is better), milvus-lite 3 its negation (a distance,
        # smaller is better); a BM25 score is never negative, so its magnitude is the score either way
        bm25 = params.get("metric_type") == "BM25"
        ranked = [(row, abs(float(h["distance"])) if bm25 else float(h["distance"]))
                  for row, h in zip(rows, hits, strict=True) if row >= 0]
        ranked.sort(key=lambda x: (-x[1], x[0]))
        return ranked

    def dense_topk(self, query: np.ndarray, k: int, filters: SearchFilters | None = None) -> Ranked:
        q = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        return self._search(q, "vector", k, self._expr(filters), self._search_params)

    def keyword_topk(self, tokens: Sequence[str], k: int, filters: SearchFilters | None = None,
                     weights: dict[str, float] | None = None, expr: str = "") -> Ranked:
        text, scale = query_terms(tokens, weights, "" if self.analyzer == "jieba" else " ", self._escaped)
        if not text:
            return []
        ranked = self._search(text, "sparse", k, and_(self._expr(filters), expr), {"metric_type": "BM25"})
        return [(r, s / (scale * BM25_SCALE)) for r, s in ranked if s > 0]

    def keyword_scores(self, tokens: Sequence[str], rows: Sequence[int]) -> np.ndarray:
        rows = [int(r) for r in rows]
        got: dict[int, float] = {}
        for i in range(0, len(rows), MAX_LIMIT):
            chunk = rows[i:i + MAX_LIMIT]
            got.update(self.keyword_topk(tokens, len(chunk), expr=pks_expr(self._pks[chunk].tolist())))
        return np.array([got.get(r, 0.0) for r in rows], dtype=np.float32)

    def document_frequency(self, tokens: Sequence[str]) -> dict[str, int]:
        # counted at build over the project's tokens (what the folder backend's BM25 vocabulary holds)
        if self._df is None:
            try:
                self._df = json.loads((self.folder / "df.json").read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise broken(self.folder, f"df.json: {exc}") from exc
        return {t: int(self._df.get(t, 0)) for t in dict.fromkeys(tokens)}

    def phrase(self, needle: str, filters: SearchFilters | None = None) -> dict[int, int]:
        needle = normalise(needle)
        if not needle or "\x00" in needle:
            return {}
        out: dict[int, int] = {}
        for r in self._scan(and_(like_contains("norm", needle), self._expr(filters)), ["norm"]):
            text, n, pos = r["norm"], 0, 0
            while (pos := text.find(needle, pos)) >= 0:  # overlapping occurrences, as the folder backend counts
                n, pos = n + 1, pos + 1
            if n:
                out[r["row"]] = n
        return out


def _pk(r) -> int:
    """An entity's pk: "pk" in query rows and pymilvus 3's hits, "id" in pymilvus 2.5's hits."""
    return int(r["pk"] if "pk" in r else r["id"])


def open_milvus(index_dir: Path) -> MilvusStore:
    index_dir = Path(index_dir)
    folder = current_generation(index_dir)
    if folder is None:
        raise IndexError_(MISSING)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        docs = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise broken(folder, f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("backend") != MilvusStore.backend or "milvus" not in manifest:
        raise IndexError_(f"该索引不是 Milvus 索引 / the index at {index_dir} was not built by the milvus backend "
                          f"({manifest.get('backend') if isinstance(manifest, dict) else '?'})")
    return MilvusStore(folder, manifest, docs, index_dir)


BACKEND = (open_milvus, MilvusWriter)
