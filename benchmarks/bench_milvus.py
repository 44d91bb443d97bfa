"""Milvus (Lite) next to the folder backend in one run: write rows/s and hybrid search p50/p95 at 10k and 100k
clauses, and a Ray build (local 2-worker cluster) next to a local build with the real embedder.

    .venv/bin/python benchmarks/bench_milvus.py [--sizes 10000,100000] [--ray-passages 1024] [--no-ray]

Clauses are the Zhejiang library's (../shared/library/zhejiang, 42,819 clauses), copied under new document
ids to reach 100k; vectors are random unit vectors (search cost does not depend on what they mean, and
embedding 100k clauses here would take hours); queries are the dev and extra query sets, embedded by the fake
embedder. Search figures go through the Engine (dense + BM25 + fusion + 文号 + relevance floor).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.embedders import FakeEmbedder, get_embedder  # noqa: E402
from indexer.filters import SearchFilters  # noqa: E402
from indexer.ingest import corpus  # noqa: E402
from indexer.search import Engine  # noqa: E402
from indexer.store import open_store, store_writer  # noqa: E402

LIBRARY = ROOT.parent / "shared" / "library" / "zhejiang"
QUERIES = [ROOT.parent / "shared" / "eval" / "dev_queries.json", ROOT / "benchmarks" / "extra_queries.json"]
DIM = 384
REGIONS = [("杭州市", "浙江省", "city"), ("宁波市", "浙江省", "city"), ("浙江省", "浙江省", "province"),
           ("东莞市", "广东省", "city"), ("", "", "national")]


def library(n: int):
    """Documents holding about n clauses: the library, then copies of it under new ids and other regions."""
    base = corpus.load_corpus(LIBRARY, errors=[])
    out, total, copy = [], 0, 0
    while total < n:
        for d in base:
            if total >= n:
                break
            region, province, level = REGIONS[(len(out) + copy) % len(REGIONS)]
            doc_id = d.doc_id if copy == 0 else f"{d.doc_id}~{copy}"
            clauses = tuple(replace(c, clause_id=_renamed(c.clause_id, d.doc_id, doc_id), doc_id=doc_id,
                                    parent_id=_renamed(c.parent_id, d.doc_id, doc_id)) for c in d.clauses)
            out.append(replace(d, doc_id=doc_id, clauses=clauses,
                               meta=replace(d.meta, region=region, province=province, level=level)))
            total += len(clauses)
        copy += 1
    return out


def _renamed(clause_id: str | None, old: str, new: str) -> str | None:
    return clause_id and new + clause_id[len(old):]


def write(backend: str, index_dir: Path, docs, vectors: np.ndarray) -> float:
    """Seconds to write and publish the whole library through the backend's writer (no embedding)."""
    pairs = [(c, f"bench-{c.clause_id}") for d in docs for c in d.clauses]  # a key follows its clause
    manifest = {"embedder": {"name": "bench", "dim": DIM}, "passage_context": "section", "counts": {},
                "versions": {}}
    t = time.perf_counter()
    writer = store_writer(index_dir, backend)
    writer.add(docs, pairs, vectors)
    if hasattr(writer, "vector_info"):
        manifest["vector_index"] = writer.vector_info(DIM)
    writer.publish(manifest)
    return time.perf_counter() - t


def queries() -> list[str]:
    out = []
    for f in QUERIES:
        out += [q["q"] for q in json.loads(f.read_text(encoding="utf-8"))]
    return out


def latencies(engine: Engine, qs: list[str], filters: SearchFilters | None, rounds: int = 3) -> list[float]:
    for q in qs[:3]:
        engine.search(q, k=10, filters=filters)  # warm: tokenizer, floor, caches
    out = []
    for _ in range(rounds):
        for q in qs:
            t = time.perf_counter()
            engine.search(q, k=10, filters=filters)
            out.append((time.perf_counter() - t) * 1000)
    return out


def bench_stores(sizes: list[int], work: Path) -> None:
    os.environ["POLICY_MILVUS_URI"] = str(work / "bench.db")
    qs = queries()
    print(f"{'clauses':>8} {'backend':>7} {'write s':>8} {'rows/s':>8} {'1% new s':>8} {'hybrid p50':>10} {'p95 ms':>7}"
          f" {'filtered p50':>12} {'p95 ms':>7} {'top-10 same':>11}")
    for n in sizes:
        docs = library(n)
        n_rows = sum(len(d.clauses) for d in docs)
        rng = np.random.default_rng(0)
        vecs = rng.standard_normal((n_rows, DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        tops = {}
        for backend in ("folder", "milvus"):
            d = work / f"{backend}-{n}"
            secs = write(backend, d, docs, vecs)
            # the next build: the first 1% of documents removed, as many new ones added at the end
            k = max(1, len(docs) // 100)
            n_old = sum(len(x.clauses) for x in docs[:k])
            renamed = [replace(x, doc_id=x.doc_id + "~new", clauses=tuple(
                replace(c, clause_id=_renamed(c.clause_id, x.doc_id, x.doc_id + "~new"), doc_id=x.doc_id + "~new",
                        parent_id=_renamed(c.parent_id, x.doc_id, x.doc_id + "~new")) for c in x.clauses))
                       for x in docs[:k]]
            again = write(backend, d, docs[k:] + renamed, np.concatenate([vecs[n_old:], vecs[:n_old]]))
            write(backend, d, docs, vecs)  # back to the library measured below
            eng = Engine(open_store(d), FakeEmbedder(DIM))
            plain = latencies(eng, qs, None)
            filt = latencies(eng, qs, SearchFilters(region="杭州,宁波", level="city"))
            tops[backend] = [[h.clause_id for h in eng.search(q, k=10)] for q in qs]
            same = ""
            if backend == "milvus":
                same = f"{np.mean([len(set(a) & set(b)) / max(1, len(a)) for a, b in zip(tops['folder'], tops['milvus'], strict=True)]):.3f}"
            print(f"{n_rows:>8} {backend:>7} {secs:>8.1f} {n_rows / secs:>8.0f} {again:>8.1f} {np.percentile(plain, 50):>10.1f}"
                  f" {np.percentile(plain, 95):>7.1f} {np.percentile(filt, 50):>12.1f} {np.percentile(filt, 95):>7.1f}"
                  f" {same:>11}", flush=True)
            del eng


def bench_ray(n: int, work: Path) -> None:
    """The same passages embedded by a local build and by build --ray auto (2 workers), in one run."""
    from indexer.ingest.build import build_index
    from indexer.ray_embed import connect, shutdown

    docs, total = [], 0
    for d in corpus.load_corpus(LIBRARY, errors=[]):
        if total >= n:
            break
        docs.append(d)
        total += len(d.clauses)
    emb = get_embedder(os.environ.get("POLICY_EMBEDDER") or None)
    local = build_index(index_dir=work / "ray-local", embedder=emb, documents=docs)
    t = time.perf_counter()
    connect("auto", 2)  # the cluster's start, timed apart from the embedding
    start = time.perf_counter() - t
    remote = build_index(index_dir=work / "ray-ray", embedder=emb, documents=docs, ray="auto", ray_workers=2)
    shutdown()
    a, b = open_store(work / "ray-local"), open_store(work / "ray-ray")
    same_ids = a.clause_keys() == b.clause_keys()
    diff = float(np.abs(a.vectors(range(len(a))) - b.vectors(range(len(b)))).max()) if len(a) else 0.0
    print(f"\nembedder {emb.name}: {local.embedded} passages")
    print(f"  local build: {local.embedded / local.embed_seconds:6.1f} passages/s ({local.embed_seconds:.1f} s)")
    print(f"  ray, 2 workers: {remote.embedded / remote.embed_seconds:6.1f} passages/s ({remote.embed_seconds:.1f} s"
          f" with the actors loading the model; + {start:.1f} s to start the local cluster)"
          f" → ×{local.embed_seconds / remote.embed_seconds:.2f}")
    print(f"  same clause ids and keys: {same_ids}; max |Δ vector| = {diff:.2e}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--ray-passages", type=int, default=1024)
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    try:
        bench_stores([int(s) for s in args.sizes.split(",") if s], work)
        if not args.no_ray:
            bench_ray(args.ray_passages, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
