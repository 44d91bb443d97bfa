"""Milvus as offices run it, next to the folder backend in one run: the installed pymilvus / milvus-lite pair's
install size, build seconds, hybrid query p50/p95 and top-5 overlap with the folder backend, on a Lite file and
on a server process; and BM25 over the project's tokens vs Milvus's own jieba analyzer (R@5, MRR@10).

    .venv/bin/python benchmarks/bench_milvus_server.py [--pools corpus,library] [--rounds 3]
    PYTHONPATH=DIR .venv/bin/python benchmarks/bench_milvus_server.py   # another pair, installed with pip --target DIR

Pools: "corpus" is corpus/ with the dev queries (../shared/eval/dev_queries.json); "library" is the documents of
the eval_library index artifacts/library/index-lib-56 (the seed corpus + 56 Zhejiang documents, 6,782 clauses:
run `benchmarks/eval_library.py --docs 56` first) with benchmarks/library_queries.json. Vectors come from the
eval's cache (artifacts/library/vectors), so no passage is embedded here. The server is `milvus-lite server`
(3.x) or milvus-lite 2.5's own binary serving TCP; both on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from vector_cache import CachedEmbedder  # noqa: E402

from indexer.evaluate import first_relevant_rank, load_queries, metrics  # noqa: E402
from indexer.ingest.build import build_index, load_documents  # noqa: E402
from indexer.search import Engine  # noqa: E402
from indexer.store import open_store  # noqa: E402
from tests.milvus_server import MilvusServer, free_port, server_kind  # noqa: E402

WORK = ROOT / "artifacts" / "library"
POOLS = {"corpus": (ROOT / "corpus", ROOT.parent / "shared" / "eval" / "dev_queries.json"),
         "library": (WORK / "index-lib-56", ROOT / "benchmarks" / "library_queries.json")}
OWN_DEPS = ("milvus-lite", "pymilvus", "orjson", "cachetools", "ujson")  # what the pair adds to the base install


def install() -> dict:
    """Versions, and MB on disk of the pair and the small packages only it pulls in."""
    out, total = {}, 0
    wanted = {"milvus-lite", "pymilvus"}
    for name in ("milvus-lite", "pymilvus"):  # the small packages only the pair requires
        try:
            wanted |= {r.split(";")[0].split(">")[0].split("<")[0].split("=")[0].split("!")[0].strip().lower()
                       for r in distribution(name).requires or [] if "extra ==" not in r}
        except PackageNotFoundError:
            pass
    for name in OWN_DEPS:
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        if name not in wanted:
            continue
        size = sum((Path(dist.locate_file(f)).stat().st_size for f in dist.files or []
                    if Path(dist.locate_file(f)).is_file()), 0)
        out[name] = dist.version
        total += size
    out["install_MB"] = round(total / 2**20, 1)
    return out


class Lite25Server:
    """milvus-lite 2.5's binary serving a file over TCP (it answers alias calls UNIMPLEMENTED)."""

    def __init__(self, folder: Path):
        import milvus_lite
        lib = Path(milvus_lite.__file__).parent / "lib"
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([str(lib / "milvus"), str(folder / "server.db"), f"127.0.0.1:{self.port}", "ERROR"],
                                     env={**os.environ, "LD_LIBRARY_PATH": str(lib)}, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        from pymilvus import MilvusClient
        for _ in range(600):
            try:
                MilvusClient(uri=self.uri, timeout=2).list_collections()
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.2)
        raise RuntimeError("milvus-lite 2.5 server did not start")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def documents(pool: str):
    source, _ = POOLS[pool]
    if pool == "corpus":
        docs, _errors = load_documents([source], ocr=False)
        return docs
    return open_store(source).load_documents()


def build(docs, index_dir: Path, embedder, backend: str, uri: str = "", analyzer: str = "tokens") -> float:
    os.environ["POLICY_MILVUS_URI"] = uri
    os.environ["POLICY_MILVUS_ANALYZER"] = analyzer
    t = time.perf_counter()
    build_index(None, index_dir, embedder, documents=docs, backend=backend, wait=True)
    return time.perf_counter() - t


def measure(index_dir: Path, embedder, queries, rounds: int) -> dict:
    """Hybrid latency (ms, after one warm-up pass), each query's top 5 clause ids, R@5 / MRR of hybrid and keyword."""
    engine = Engine.open(index_dir, embedder=embedder)
    tops, times = [], []
    for q in queries:
        tops.append([h.clause_id for h in engine.search(q.q, k=10)])
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            engine.search(q.q, k=10)
            times.append(1000 * (time.perf_counter() - t))
    keyword = [first_relevant_rank(engine.search(q.q, k=10, mode="keyword"), q.needles) for q in queries]
    hybrid = [first_relevant_rank(engine.search(q.q, k=10), q.needles) for q in queries]
    return {"p50_ms": round(float(np.percentile(times, 50)), 1), "p95_ms": round(float(np.percentile(times, 95)), 1),
            "top5": [t[:5] for t in tops], "hybrid": _short(metrics(hybrid)), "keyword": _short(metrics(keyword))}


def _short(m: dict) -> dict:
    return {"R@5": round(m["R@5"], 3), "MRR": round(m["MRR@10"], 3)}


def overlap(a: list[list[str]], b: list[list[str]]) -> float:
    return round(float(np.mean([len(set(x) & set(y)) / max(1, len(y)) for x, y in zip(a, b, strict=True)])), 3)


def bench_pool(pool: str, work: Path, embedder, server_uri: str, rounds: int) -> list[dict]:
    docs = documents(pool)
    queries = load_queries(POOLS[pool][1])
    rows = []
    runs = [("folder", "folder", "", "tokens"), ("milvus lite file", "milvus", str(work / f"{pool}.db"), "tokens"),
            ("milvus server", "milvus", server_uri, "tokens"), ("milvus server, jieba", "milvus", server_uri, "jieba")]
    for label, backend, uri, analyzer in runs:
        index_dir = work / f"{pool}-{label.replace(' ', '_').replace(',', '')}"
        seconds = build(docs, index_dir, embedder, backend, uri, analyzer)
        m = measure(index_dir, embedder, queries, rounds)
        rows.append({"pool": pool, "store": label, "clauses": sum(len(d.clauses) for d in docs),
                     "queries": len(queries), "build_s": round(seconds, 2), **m})
    for r in rows:
        r["top5_overlap_vs_folder"] = overlap(r["top5"], rows[0]["top5"])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pools", default="corpus,library")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    pair = install()
    print(json.dumps(pair))
    embedder = CachedEmbedder(WORK / "vectors")
    work = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    server = MilvusServer(work / "server-data").start() if server_kind() == "3" else Lite25Server(work)
    rows = []
    try:
        for pool in args.pools.split(","):
            rows += bench_pool(pool, work, embedder, server.uri, args.rounds)
    finally:
        server.stop()
        embedder.flush()
    print(f"\n{'pool':8} {'store':22} {'clauses':>7} {'build s':>8} {'p50 ms':>7} {'p95 ms':>7} {'top5∩folder':>11} "
          f"{'hybrid R@5/MRR':>15} {'keyword R@5/MRR':>16}")
    for r in rows:
        print(f"{r['pool']:8} {r['store']:22} {r['clauses']:>7} {r['build_s']:>8} {r['p50_ms']:>7} {r['p95_ms']:>7} "
              f"{r['top5_overlap_vs_folder']:>11} {r['hybrid']['R@5']:>7}/{r['hybrid']['MRR']:<7} "
              f"{r['keyword']['R@5']:>7}/{r['keyword']['MRR']:<7}")
    out = ROOT / "artifacts" / f"bench_milvus_server-{pair.get('milvus-lite', 'none')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"install": pair, "rows": [{k: v for k, v in r.items() if k != "top5"} for r in rows]},
                              ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
