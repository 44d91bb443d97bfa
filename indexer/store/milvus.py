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
import time
from collections import Counter, OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.errors import IndexError_
from indexer.filters import SearchFilters
from indexer.keywords import TokenizerConfig, get_tokenizer, normalise
from indexer.models import Document, IndexedDocument
from indexer.store.base import ClauseStore, Ranked, StoreWriter
from indexer.store.damage import broken, read_texts
from indexer.store.folder import MISSING, document_record, indexed_document, is_bare_heading
from indexer.store.generations import current_generation, fsync_tree, new_generation_dir, publish
from indexer.store.milvus_expr import and_, filter_expr, like_contains, rows_expr
from indexer.store.milvus_schema import (
    ANALYZER_ENV,
    ANALYZERS,
    CLAUSE_OUT,
    DEFAULT_ANALYZER,
    clause_row,
    collection_prefix,
    connect,
    create_collection,
    is_server,
    public_uri,
    query_terms,
    record_clause,
    resolve_uri,
)
from indexer.store.vectors import ANN_THRESHOLD

if importlib.util.find_spec("pymilvus") is None:  # say what to install when the backend is chosen
    raise ImportError("pymilvus is not installed", name="pymilvus")

FORMAT = 1
INSERT_BATCH = 1000  # entities per insert call: Milvus inserts are slow one by one, fast in batches
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
        self._search_params = {"metric_type": "IP", "params": dict(info.get("search_params") or {})}
        self._doc_records = doc_records
        self._docs = [indexed_document(d) for d in doc_records]
        self._starts = np.cumsum([0] + [d.n_clauses for d in self._docs]).tolist()
        self._n = int(self._starts[-1])
        self._lock = threading.Lock()
        self._records: OrderedDict[int, dict] = OrderedDict()
        self._by_id: dict[str, int] = {}
        self._rows: OrderedDict[SearchFilters, np.ndarray] = OrderedDict()
        self._texts: dict[str, str] | None = None
        self._df: dict[str, int] | None = None
        try:
            stored = self.client.query(self.collection, filter="", output_fields=["count(*)"])[0]["count(*)"]
            self._bare = frozenset(int(r["pk"]) for r in self._scan("bare == true", ["pk"]))
        except Exception as exc:  # noqa: BLE001 - the collection was dropped or the server is unreachable
            raise broken(folder, f"Milvus collection {self.collection}: {getattr(exc, 'message', exc)}") from exc
        if stored != self._n:
            raise broken(folder, f"Milvus collection {self.collection} holds {stored} clauses, expected {self._n}")
        self._doc_texts()  # read now: a later build may delete this sidecar generation

    # ---- Milvus calls

    def _scan(self, expr: str, fields: list[str]) -> list[dict]:
        """Every entity matching expr (iterated: a query alone returns at most 16384)."""
        it = self.client.query_iterator(self.collection, batch_size=4096, filter=expr, output_fields=fields)
        out: list[dict] = []
        try:
            while batch := it.next():
                out.extend(batch)
        finally:
            it.close()
        return out

    def _fetch(self, rows: Sequence[int], fields: list[str]) -> dict[int, dict]:
        out: dict[int, dict] = {}
        rows = list(dict.fromkeys(int(r) for r in rows))
        for i in range(0, len(rows), FETCH_BATCH):
            chunk = rows[i:i + FETCH_BATCH]
            for r in self.client.query(self.collection, filter=rows_expr(chunk), output_fields=fields):
                out[int(r["pk"])] = r
        return out

    def _remember(self, records: list[dict]) -> None:
        with self._lock:
            for r in records:
                self._records[int(r["pk"])] = r
                self._records.move_to_end(int(r["pk"]))
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
            self._remember([rec])
        return rec

    # ---- what is stored

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
            from indexer.store.milvus_expr import literal
            hit = self.client.query(self.collection, filter=f"clause_id == {literal(clause_id)}",
                                    output_fields=["pk"], limit=1)
            if not hit:
                return None
            self._by_id[clause_id] = int(hit[0]["pk"])
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
        recs = sorted(self._scan("", ["pk", "clause_id", "key"]), key=lambda r: int(r["pk"]))
        return [(r["clause_id"], r["key"]) for r in recs]

    def vectors_for_keys(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        from indexer.store.milvus_expr import in_list
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
        recs = sorted(self._scan("", CLAUSE_OUT), key=lambda r: int(r["pk"]))
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

    def select(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        with self._lock:
            rows = self._rows.get(filters)
        if rows is None:
            rows = np.array(sorted(int(r["pk"]) for r in self._scan(filter_expr(filters), ["pk"])), dtype=np.int64)
            with self._lock:
                self._rows[filters] = rows
                while len(self._rows) > 32:
                    self._rows.popitem(last=False)
        return rows

    def _search(self, data, field: str, k: int, expr: str, params: dict) -> Ranked:
        if k <= 0 or not self._n:
            return []
        hits = self.client.search(self.collection, data=[data], anns_field=field, limit=min(k, MAX_LIMIT),
                                  filter=expr, search_params=params, output_fields=CLAUSE_OUT)[0]
        self._remember([{**h["entity"], "pk": int(h["id"])} for h in hits])
        ranked = [(int(h["id"]), float(h["distance"])) for h in hits]
        ranked.sort(key=lambda x: (-x[1], x[0]))
        return ranked

    def dense_topk(self, query: np.ndarray, k: int, filters: SearchFilters | None = None) -> Ranked:
        q = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        return self._search(q, "vector", k, filter_expr(filters), self._search_params)

    def keyword_topk(self, tokens: Sequence[str], k: int, filters: SearchFilters | None = None,
                     weights: dict[str, float] | None = None, expr: str = "") -> Ranked:
        text, scale = query_terms(tokens, weights, "" if self.analyzer == "jieba" else " ")
        if not text:
            return []
        ranked = self._search(text, "sparse", k, and_(filter_expr(filters), expr), {"metric_type": "BM25"})
        return [(r, s / (scale * BM25_SCALE)) for r, s in ranked if s > 0]

    def keyword_scores(self, tokens: Sequence[str], rows: Sequence[int]) -> np.ndarray:
        rows = [int(r) for r in rows]
        got: dict[int, float] = {}
        for i in range(0, len(rows), MAX_LIMIT):
            chunk = rows[i:i + MAX_LIMIT]
            got.update(self.keyword_topk(tokens, len(chunk), expr=rows_expr(chunk)))
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
        for r in self._scan(and_(like_contains("norm", needle), filter_expr(filters)), ["pk", "norm"]):
            text, n, pos = r["norm"], 0, 0
            while (pos := text.find(needle, pos)) >= 0:  # overlapping occurrences, as the folder backend counts
                n, pos = n + 1, pos + 1
            if n:
                out[int(r["pk"])] = n
        return out


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


class MilvusWriter(StoreWriter):
    """Collects the library, writes it into a new collection, then publishes the sidecar that names it."""

    def __init__(self, index_dir: Path, approximate: bool | None = None, tokenizer: TokenizerConfig | None = None,
                 analyzer: str | None = None):
        import os
        self.index_dir = Path(index_dir)
        self.approximate = approximate
        self.tokenizer = tokenizer or TokenizerConfig()
        self.analyzer = analyzer or os.environ.get(ANALYZER_ENV) or DEFAULT_ANALYZER
        if self.analyzer not in ANALYZERS:
            raise IndexError_(f"未知的 Milvus 分词器 / unknown {ANALYZER_ENV} {self.analyzer!r}: "
                              f"one of {', '.join(ANALYZERS)}")
        self._docs: list[Document] = []
        self._clauses: list = []
        self._vectors: list[np.ndarray] = []
        self._info: dict = {}
        self.stats: dict = {}

    def add(self, documents, clauses, vectors) -> None:
        self._docs.extend(documents)
        self._clauses.extend(clauses)
        self._vectors.extend(np.asarray(vectors, dtype=np.float32))

    def remove(self, doc_ids) -> None:
        gone = set(doc_ids)
        keep = [i for i, (c, _) in enumerate(self._clauses) if c.doc_id not in gone]
        self._docs = [d for d in self._docs if d.doc_id not in gone]
        self._clauses = [self._clauses[i] for i in keep]
        self._vectors = [self._vectors[i] for i in keep]

    def vector_info(self, dim: int) -> dict:
        n = len(self._clauses)
        ann = self.approximate if self.approximate is not None else n > ANN_THRESHOLD
        if ann:
            nlist = int(min(65536, max(16, 4 * np.sqrt(n))))
            self._info = {"kind": "ivf", "engine": "milvus", "index_type": "IVF_FLAT", "metric": "IP",
                          "nlist": nlist, "nprobe": max(8, nlist // 16)}
        else:
            self._info = {"kind": "flat", "engine": "milvus", "index_type": "FLAT", "metric": "IP"}
        return dict(self._info)

    def publish(self, manifest: dict) -> str:
        dim = int(manifest["embedder"]["dim"])
        if not self._info:
            self.vector_info(dim)
        uri = resolve_uri(self.index_dir)
        client = connect(uri)
        prefix = collection_prefix(self.index_dir)
        name = f"{prefix}_g{time.time_ns()}"
        t0 = time.perf_counter()
        create_collection(client, name, dim, self.analyzer, self._info)
        df = self._insert(client, name, dim)
        client.flush(name)
        client.load_collection(name)
        seconds = time.perf_counter() - t0
        self.stats = {"rows": len(self._clauses), "seconds": round(seconds, 3),
                      "rows_per_second": round(len(self._clauses) / seconds, 1) if seconds else 0.0}
        previous = current_generation(self.index_dir)
        milvus = {"uri": public_uri(uri), "collection": name, "alias": prefix if is_server(uri) else "",
                  "analyzer": self.analyzer, "analyzer_params": ANALYZERS[self.analyzer],
                  "search_params": {"nprobe": self._info["nprobe"]} if "nprobe" in self._info else {},
                  "format": FORMAT, "write": self.stats}
        manifest = {**manifest, "backend": MilvusStore.backend, "vector_index": self._info,
                    "tokenizer": self.tokenizer.to_dict(), "milvus": milvus,
                    "bm25": {"k1": 1.5, "b": 0.75, "implementation": f"milvus ({self.analyzer} analyzer)"}}
        tmp = new_generation_dir(self.index_dir)
        tmp.mkdir(parents=True)
        with open(tmp / "texts.jsonl", "w", encoding="utf-8") as f:
            for d in self._docs:
                f.write(json.dumps({"doc_id": d.doc_id, "text": d.text}, ensure_ascii=False) + "\n")
        (tmp / "documents.json").write_text(json.dumps([document_record(d) for d in self._docs],
                                                       ensure_ascii=False, indent=1), encoding="utf-8")
        (tmp / "df.json").write_text(json.dumps(df, ensure_ascii=False), encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        fsync_tree(tmp)
        final = publish(self.index_dir, tmp)  # the switch: readers opening now get the new collection
        if is_server(uri):
            _switch_alias(client, prefix, name)
        _drop_unnamed(client, prefix, {name, _collection_of(previous)})
        return final.name

    def _insert(self, client, name: str, dim: int) -> dict[str, int]:
        """Insert every clause in batches; returns the document frequency of each token."""
        tokenize = get_tokenizer(self.tokenizer)
        doc_of = {d.doc_id: d for d in self._docs}
        parents = {c.parent_id for c, _ in self._clauses if c.parent_id}
        df: Counter[str] = Counter()
        batch: list[dict] = []
        order = {d.doc_id: j for j, d in enumerate(self._docs)}
        rows = sorted(range(len(self._clauses)), key=lambda i: order[self._clauses[i][0].doc_id])
        for row, i in enumerate(rows):  # rows in document order, whatever order add() was called in
            c, key = self._clauses[i]
            tokens = [t for t in ("".join(t.split()) for t in tokenize(c.text)) if t]
            df.update(set(tokens))
            bare = c.clause_id in parents and is_bare_heading({"kind": c.kind, "text": c.text, "marker": c.marker,
                                                                "heading": c.heading})
            batch.append(clause_row(row, c, key, doc_of[c.doc_id], tokens, bare, self._vectors[i].tolist()))
            if len(batch) >= INSERT_BATCH:
                client.insert(name, batch)
                batch = []
        if batch:
            client.insert(name, batch)
        return dict(df)

    def info(self) -> dict:
        return dict(self._info)


def _collection_of(folder: Path | None) -> str:
    if folder is None:
        return ""
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("milvus", {}).get("collection", "")
    except (OSError, ValueError, AttributeError):
        return ""


def _switch_alias(client, alias: str, name: str) -> None:
    try:
        client.alter_alias(name, alias)
    except Exception:  # noqa: BLE001 - no such alias yet
        client.create_alias(name, alias)


def _drop_unnamed(client, prefix: str, keep: set[str]) -> None:
    """Collections of this index no live or previous generation names (older builds, killed builds)."""
    for name in client.list_collections():
        if name.startswith(prefix + "_g") and name not in keep:
            client.drop_collection(name)


BACKEND = (open_milvus, MilvusWriter)
