"""Writing a milvus index: every clause into a new collection, then the sidecar generation that names it."""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.errors import IndexError_
from indexer.keywords import BM25_B, BM25_K1, TokenizerConfig, get_tokenizer
from indexer.store import milvus_local
from indexer.store.base import CollectingWriter
from indexer.store.generations import current_generation, fsync_tree, new_generation_dir, publish
from indexer.store.milvus_alias import has_aliases, switch_alias
from indexer.store.milvus_errors import translated
from indexer.store.milvus_schema import (
    ANALYZER_ENV,
    ANALYZERS,
    DEFAULT_ANALYZER,
    clause_row,
    collection_prefix,
    connect,
    create_collection,
    escapes,
    is_server,
    public_uri,
    resolve_uri,
    row_digest,
    tokens_field,
    unescape_token,
)
from indexer.store.records import document_record, is_bare_heading
from indexer.store.vectors import ANN_THRESHOLD

BACKEND_NAME = "milvus"
FORMAT = 2  # 2: stable pks, born, the sidecar's pks.npy
INSERT_BATCH = 1000  # entities per insert call: Milvus inserts are slow one by one, fast in batches


class MilvusWriter(CollectingWriter):
    """Collects the library; writes the entities that changed, then publishes the sidecar that names them.

    A first build (or one with another embedder, analyzer or index type) fills a new collection. Later builds
    write into the live one: an entity whose every field is unchanged (digest) keeps its pk; new or changed
    ones are inserted with born = the new build's number, invisible to readers of the live build (they
    filter born <= theirs); entities of removed or changed clauses are deleted once the new sidecar is live.
    A build killed before its switch leaves only invisible rows, deleted by the next build.
    """

    def __init__(self, index_dir: Path, approximate: bool | None = None, tokenizer: TokenizerConfig | None = None,
                 analyzer: str | None = None):
        self.index_dir = Path(index_dir)
        self.approximate = approximate
        self.tokenizer = tokenizer or TokenizerConfig()
        self.analyzer = analyzer or os.environ.get(ANALYZER_ENV) or DEFAULT_ANALYZER
        if self.analyzer not in ANALYZERS:
            raise IndexError_(f"未知的 Milvus 分词器 / unknown {ANALYZER_ENV} {self.analyzer!r}: "
                              f"one of {', '.join(ANALYZERS)}")
        super().__init__()
        self._info: dict = {}
        self.stats: dict = {}

    def prepare(self) -> None:
        connect(resolve_uri(self.index_dir))  # a Lite file open in another process is refused here, in one line

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
        t0 = time.perf_counter()
        entities = self._entities()
        previous = current_generation(self.index_dir)
        with translated(uri):
            target = self._target(client, uri, previous, manifest, dim)
            row_pks, fresh = _assign(entities, target)
            if target.old:  # the tokens of what goes leave the document counts (read back: only those rows)
                for r in _fetch_tokens(client, target.name, sorted(target.old.values())):
                    target.df.subtract(set(map(unescape_token, r.split()) if target.escaped else r.split()))
            self._insert(client, target, fresh)
            client.flush(target.name)
            client.load_collection(target.name)
        seconds = time.perf_counter() - t0
        self.stats = {"rows": len(entities), "inserted": len(fresh), "deleted": len(target.old),
                      "seconds": round(seconds, 3),
                      "rows_per_second": round(len(fresh) / seconds, 1) if seconds else 0.0}
        tmp = self._sidecar(self._manifest(manifest, uri, target), target, row_pks, entities)
        final = publish(self.index_dir, tmp)  # the switch for this index's readers: they open build `generation`
        with translated(uri):
            self._retire(client, target, previous)
        return final.name

    def _target(self, client, uri: str, previous: Path | None, manifest: dict, dim: int) -> _Target:
        """Where this build writes: a new collection (first build, another embedder / analyzer / index type;
        any build on a server, where the alias switch is the go-live; any build on a milvus-lite 3 file, whose
        BM25 statistics keep counting deleted rows), else the live Lite collection, incrementally."""
        prefix = collection_prefix(self.index_dir)
        server = is_server(uri)
        alias = prefix if server and has_aliases(client, prefix, uri) else ""
        fresh = server or milvus_local.lite3()
        prev = None if fresh else _reusable(client, previous, manifest, self.analyzer, self._info)
        if prev is None:
            name = f"{prefix}_g{time.time_ns()}"
            params = create_collection(client, name, dim, self.analyzer, self._info)
            return _Target(name, prefix, alias, server, 1, 0, {}, Counter(), params)
        name, generation = prev["collection"], int(prev["generation"]) + 1
        client.delete(name, filter=f"born >= {generation}")  # rows of builds killed before their switch
        pks, digests = _rows_of(previous)
        df = Counter(json.loads((previous / "df.json").read_text(encoding="utf-8")))
        return _Target(name, prefix, alias, server, generation, int(prev["next_pk"]),
                       dict(zip(digests.tolist(), pks.tolist(), strict=True)), df,
                       prev.get("analyzer_params") or ANALYZERS[self.analyzer])

    def _manifest(self, manifest: dict, uri: str, target: _Target) -> dict:
        milvus = {"uri": public_uri(uri), "collection": target.name, "alias": target.alias,
                  "switch": "alias" if target.alias else ("record" if target.server else "sidecar"),
                  "generation": target.generation, "next_pk": target.next_pk, "analyzer": self.analyzer,
                  "analyzer_params": target.params,
                  "search_params": {"nprobe": self._info["nprobe"]} if "nprobe" in self._info else {},
                  "format": FORMAT, "write": self.stats}
        return {**manifest, "backend": BACKEND_NAME, "vector_index": self._info,
                "tokenizer": self.tokenizer.to_dict(), "milvus": milvus,
                "bm25": {"k1": BM25_K1, "b": BM25_B, "implementation": f"milvus ({self.analyzer} analyzer)"}}

    def _sidecar(self, manifest: dict, target: _Target, row_pks: list[int], entities) -> Path:
        """The new sidecar generation, written in full to a temporary folder (published by the caller)."""
        tmp = new_generation_dir(self.index_dir)
        tmp.mkdir(parents=True)
        with open(tmp / "texts.jsonl", "w", encoding="utf-8") as f:
            for d in self._docs:
                f.write(json.dumps({"doc_id": d.doc_id, "text": d.text}, ensure_ascii=False) + "\n")
        (tmp / "documents.json").write_text(json.dumps([document_record(d) for d in self._docs],
                                                       ensure_ascii=False, indent=1), encoding="utf-8")
        df = {t: n for t, n in target.df.items() if n > 0}
        (tmp / "df.json").write_text(json.dumps(df, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / "pks.npy", np.asarray(row_pks, dtype=np.int64), allow_pickle=False)
        np.save(tmp / "digests.npy", np.asarray([d for _, d in entities], dtype=np.int64), allow_pickle=False)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        fsync_tree(tmp)
        return tmp

    def _retire(self, client, target: _Target, previous: Path | None) -> None:
        """After the switch: the alias follows, then what no reader needs goes (the previous build's collection
        stays until the next build, so readers that opened it finish their answers)."""
        if target.old:  # clauses the new build no longer holds (readers of the previous build are stale now)
            gone = sorted(target.old.values())
            for i in range(0, len(gone), INSERT_BATCH):
                client.delete(target.name, filter=f"pk in {gone[i:i + INSERT_BATCH]}")
        if target.alias:
            switch_alias(client, target.alias, target.name)
        _drop_unnamed(client, target.prefix, {target.name, _collection_of(previous)})

    def _entities(self) -> list[tuple[dict, int]]:
        """(entity without pk/born/tokens/vector, its digest) per row in document order."""
        settings = json.dumps(self.tokenizer.to_dict(), sort_keys=True)
        doc_of = {d.doc_id: d for d in self._docs}
        parents = {c.parent_id for c, _ in self._clauses if c.parent_id}
        order = {d.doc_id: j for j, d in enumerate(self._docs)}
        self._order = sorted(range(len(self._clauses)), key=lambda i: order[self._clauses[i][0].doc_id])
        out = []
        for i in self._order:  # rows in document order, whatever order add() was called in
            c, key = self._clauses[i]
            bare = c.clause_id in parents and is_bare_heading({"kind": c.kind, "text": c.text, "marker": c.marker,
                                                                "heading": c.heading})
            rec = clause_row(c, key, doc_of[c.doc_id], bare)
            out.append((rec, row_digest(rec, settings)))
        return out

    def _insert(self, client, target: _Target, fresh: list[tuple[int, int, dict]]) -> None:
        """Tokenise and insert the new entities in batches (Milvus inserts are slow one by one, fast in
        batches); their tokens join the document counts."""
        tokenize = get_tokenizer(self.tokenizer)
        for start in range(0, len(fresh), INSERT_BATCH):
            batch = []
            for pk, row, rec in fresh[start:start + INSERT_BATCH]:
                tokens = [t for t in ("".join(t.split()) for t in tokenize(rec["text"])) if t]
                target.df.update(set(tokens))
                batch.append({**rec, "pk": pk, "born": target.generation,
                              "tokens": tokens_field(tokens, rec["clause_id"], target.escaped),
                              "vector": self._vectors[self._order[row]].tolist()})
            client.insert(target.name, batch)

    def info(self) -> dict:
        return dict(self._info)


@dataclass
class _Target:
    """The collection a build writes, and what it carries over from the live build."""

    name: str
    prefix: str
    alias: str  # switched to `name` after the sidecar: "" without one (Lite, a server that lacks aliases)
    server: bool
    generation: int
    next_pk: int
    old: dict[int, int]  # digest → pk of the live build's entities not yet claimed by this build
    df: Counter[str]
    params: dict  # the BM25 field's analyzer parameters

    @property
    def escaped(self) -> bool:
        return escapes(self.params)


def _assign(entities: list[tuple[dict, int]], target: _Target) -> tuple[list[int], list[tuple[int, int, dict]]]:
    """Each row's pk: an unchanged entity keeps its own (popped from target.old), a new one gets the next."""
    row_pks, fresh = [], []
    for i, (rec, digest) in enumerate(entities):
        pk = target.old.pop(digest, None)
        if pk is None:
            pk, target.next_pk = target.next_pk, target.next_pk + 1
            fresh.append((pk, i, rec))
        row_pks.append(pk)
    return row_pks, fresh


def _reusable(client, previous: Path | None, manifest: dict, analyzer: str, vector_index: dict) -> dict | None:
    """The live build's milvus section when this build can write into its collection, else None."""
    if previous is None:
        return None
    try:
        live = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
        info = live["milvus"]
        same = (live.get("backend") == BACKEND_NAME and info.get("format") == FORMAT
                and live["embedder"]["name"] == manifest["embedder"]["name"]
                and int(live["embedder"]["dim"]) == int(manifest["embedder"]["dim"])
                and info.get("analyzer") == analyzer
                and live.get("vector_index", {}).get("index_type") == vector_index["index_type"]
                and (previous / "pks.npy").exists() and client.has_collection(info["collection"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if same else None


def _fetch_tokens(client, name: str, pks: list[int]) -> list[str]:
    out = []
    for i in range(0, len(pks), INSERT_BATCH):
        out += [r["tokens"] for r in client.query(name, filter=f"pk in {pks[i:i + INSERT_BATCH]}",
                                                  output_fields=["tokens"])]
    return out


def _rows_of(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    return (np.load(folder / "pks.npy", allow_pickle=False), np.load(folder / "digests.npy", allow_pickle=False))


def _collection_of(folder: Path | None) -> str:
    if folder is None:
        return ""
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("milvus", {}).get("collection", "")
    except (OSError, ValueError, AttributeError):
        return ""




def _drop_unnamed(client, prefix: str, keep: set[str]) -> None:
    """Collections of this index no live or previous generation names (older builds, killed builds)."""
    for name in client.list_collections():
        if name.startswith(prefix + "_g") and name not in keep:
            client.drop_collection(name)


