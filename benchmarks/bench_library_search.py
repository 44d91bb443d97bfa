"""Hybrid search latency on the real library index, query embedding included, learned fusion on and off.

Uses the index benchmarks/eval_library.py builds (artifacts/library/index-lib-all) and the 98 library dev
queries; every query is embedded afresh (the engine's query cache is cleared), as a new user's query would be.

    .venv/bin/python benchmarks/bench_library_search.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_library import WORK, load_library_queries  # noqa: E402

from indexer.search import Engine, Fusion  # noqa: E402


def timed(engine: Engine, queries: list[str], repeats: int, **kw) -> list[float]:
    out = []
    for _ in range(repeats):
        for q in queries:
            engine._qcache.clear()
            t = time.perf_counter()
            engine.search(q, k=10, **kw)
            out.append((time.perf_counter() - t) * 1000)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--index", type=Path, default=WORK / "index-lib-all")
    args = ap.parse_args(argv)
    engine = Engine.open(args.index)
    queries = [q.q for q in load_library_queries()]
    english = [q.q for q in load_library_queries() if q.lang == "en"]
    engine.search(queries[0])  # model, floor and reranker loaded before timing
    t = time.perf_counter()
    engine.search(english[0])
    print(f"first English query (dictionary read): {(time.perf_counter() - t) * 1000:.0f} ms")
    print(f"{len(engine.store)} clauses, {len(queries)} queries × {args.repeats}, embedder {engine.embedder.name}")
    for name, kw in (("hybrid (learned fusion)", {}), ("hybrid (rank fusion)", {"fusion": Fusion()}),
                     ("semantic", {"mode": "semantic"})):
        ms = np.array(timed(engine, queries, args.repeats, **kw))
        print(f"  {name:<24} p50 {np.percentile(ms, 50):6.1f} ms  p95 {np.percentile(ms, 95):6.1f} ms")
    for name, on in (("English, with Chinese words", True), ("English, as typed", False)):
        engine.use_translation = on
        ms = np.array(timed(engine, english, args.repeats * 3))
        print(f"  {name:<28} p50 {np.percentile(ms, 50):6.1f} ms  p95 {np.percentile(ms, 95):6.1f} ms"
              f"  ({len(english)} queries)")
    engine.use_translation = True


if __name__ == "__main__":
    main()
