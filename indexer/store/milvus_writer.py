"""Writing a milvus index: every clause into a new collection, then the sidecar generation that names it."""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

from indexer.errors import IndexError_
from indexer.keywords import TokenizerConfig, get_tokenizer
from indexer.models import Document
from indexer.store.base import StoreWriter
from indexer.store.folder import document_record, is_bare_heading
from indexer.store.generations import current_generation, fsync_tree, new_generation_dir, publish
from indexer.store.milvus_schema import (
    ANALYZER_ENV,
    ANALYZERS,
    DEFAULT_ANALYZER,
    clause_row,
    collection_prefix,
    connect,
    create_collection,
    is_server,
    public_uri,
    resolve_uri,
)
from indexer.store.vectors import ANN_THRESHOLD

BACKEND_NAME = "milvus"
FORMAT = 1
INSERT_BATCH = 1000  # entities per insert call: Milvus inserts are slow one by one, fast in batches


class MilvusWriter(StoreWriter):
    """Collects the library, writes it into a new collection, then publishes the sidecar that names it."""

    def __init__(self, index_dir: Path, approximate: bool | None = None, tokenizer: TokenizerConfig | None = None,
                 analyzer: str | None = None):
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
        manifest = {**manifest, "backend": BACKEND_NAME, "vector_index": self._info,
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


