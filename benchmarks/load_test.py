"""Load test: N concurrent searchers against one shared Engine (as the app's sessions share it) for a bounded time.

Each searcher issues queries from the dev and extra query sets, each in several wordings so the engine's query
cache does not hide the embedding cost, and checks every answer against the one computed alone beforehand.
Optionally an incremental build runs at the same time (on a copy of the index, in a child process).

Reports throughput, latency p50/p95/p99, errors (exceptions and wrong answers; must be zero) and memory growth
(RSS after warm-up → end, and peak). Nothing leaves the machine: the engine runs in this process.

    .venv/bin/python benchmarks/load_test.py                      # 20 threads, 60 s, the real index (embeddings/)
    .venv/bin/python benchmarks/load_test.py --build-during --json
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import paths  # noqa: E402
from indexer.evaluate import load_queries  # noqa: E402
from indexer.search import Engine  # noqa: E402

QUERY_SETS = [ROOT.parent / "shared" / "eval" / "dev_queries.json", ROOT / "benchmarks" / "extra_queries.json"]
# 24 wordings × ~30 queries ≈ 720 strings, far more than the engine's 256-query cache: most searches embed.
WORDINGS = ["", " 政策", " 措施", " 支持", " 有哪些", " 怎么做", " 相关条款", " 要求", " 规定", " 目标", " 任务",
            " 资金", " 保障", " 地方", " 省级", " 市级", " 如何落实", " 具体内容", " 原文", " 条款", " 办法", " 意见",
            " 实施方案", " 重点"]
MAX_SECONDS = 600
MAX_REQUESTS = 1_000_000


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def queries(limit: int) -> list[str]:
    base: list[str] = []
    for path in QUERY_SETS:
        if path.exists():
            base += [q.q for q in load_queries(path)]
    base = list(dict.fromkeys(base)) or ["产业集群", "链长制", "工业机器人"]
    return [q + w for w in WORDINGS for q in base][:limit]


def answer(engine: Engine, q: str, mode: str, k: int) -> list[tuple[str, float]]:
    return [(h.clause_id, round(h.score, 4)) for h in engine.search(q, k=k, mode=mode)]


def run(args) -> dict:
    index_dir = Path(args.index_dir)
    child = tmp = None
    if args.build_during:  # searchers and the build share a copy, so the real index is never touched
        tmp = Path(tempfile.mkdtemp(prefix="load-test-"))
        shutil.copytree(index_dir, tmp / "index", ignore=shutil.ignore_patterns("*.lock", "cache"))
        index_dir = tmp / "index"
    engine = Engine.open(index_dir, args.embedder)
    qs = queries(args.queries)
    t0 = time.perf_counter()
    expected = {q: answer(engine, q, args.mode, args.k) for q in qs}  # also warms caches, jieba, the model
    warm_s = time.perf_counter() - t0
    rss_start = rss_mib()

    if args.build_during:
        corpus = Path(args.build_corpus)
        child = subprocess.Popen([sys.executable, "-m", "indexer", "build", "--quiet", "--corpus", str(corpus),
                                  "--index-dir", str(index_dir), "--embedder", engine.store.embedder_name],
                                 cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    stop = threading.Event()
    lat: list[list[float]] = [[] for _ in range(args.threads)]
    errors: list[str] = []
    wrong = [0]
    peak = [rss_start]
    budget = [min(args.max_requests, MAX_REQUESTS)]
    lock = threading.Lock()

    def searcher(i: int) -> None:
        rng = np.random.default_rng(i)
        while not stop.is_set():
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            q = qs[int(rng.integers(len(qs)))]
            t = time.perf_counter()
            try:
                got = answer(engine, q, args.mode, args.k)
            except Exception as exc:  # noqa: BLE001 — every failure is counted and shown
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            lat[i].append(time.perf_counter() - t)
            if got != expected[q]:
                with lock:
                    wrong[0] += 1

    def monitor() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], rss_mib())

    threads = [threading.Thread(target=searcher, args=(i,), daemon=True) for i in range(args.threads)]
    mon = threading.Thread(target=monitor, daemon=True)
    start = time.perf_counter()
    mon.start()
    for t in threads:
        t.start()
    deadline = start + min(args.duration, MAX_SECONDS)
    while time.perf_counter() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    elapsed = time.perf_counter() - start
    rss_end = rss_mib()
    peak[0] = max(peak[0], rss_end)

    build = None
    if child is not None:
        try:
            rc = child.wait(timeout=max(1.0, MAX_SECONDS - elapsed))
        except subprocess.TimeoutExpired:
            child.kill()
            rc = child.wait()
        err = child.stderr.read().decode(errors="replace").strip()
        child.stderr.close()
        reopened = Engine.open(index_dir)
        build = {"returncode": rc, "stderr": err[-500:], "documents_after": len(reopened.store.documents()),
                 "old_engine_stale": engine.is_stale()}
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)

    all_lat = np.array([x for per in lat for x in per]) * 1000
    n = len(all_lat)
    return {
        "index": str(args.index_dir), "embedder": engine.store.embedder_name, "clauses": len(engine.store),
        "mode": args.mode, "k": args.k, "threads": args.threads, "distinct_queries": len(qs),
        "warm_up_seconds": round(warm_s, 1), "seconds": round(elapsed, 1), "requests": n,
        "throughput_qps": round(n / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {p: round(float(np.percentile(all_lat, int(p[1:]))), 1) if n else None
                       for p in ("p50", "p95", "p99")} | {"max": round(float(all_lat.max()), 1) if n else None},
        "errors": len(errors) + wrong[0], "exceptions": len(errors), "wrong_answers": wrong[0],
        "first_errors": errors[:5],
        "rss_mib": {"after_warm_up": round(rss_start), "end": round(rss_end), "peak": round(peak[0]),
                    "growth": round(rss_end - rss_start)},
        "build_during": build,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", default=str(paths.INDEX_DIR))
    p.add_argument("--embedder", default=None, help="default: the index's own embedder")
    p.add_argument("--threads", type=int, default=20)
    p.add_argument("--duration", type=float, default=60.0, help=f"seconds (at most {MAX_SECONDS})")
    p.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
    p.add_argument("--queries", type=int, default=1000, help="distinct query strings (several wordings each)")
    p.add_argument("--mode", default="hybrid")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--build-during", action="store_true", help="run an incremental build on a copy meanwhile")
    p.add_argument("--build-corpus", default=str(paths.CORPUS_DIR), help="folder the concurrent build indexes")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        lat = result["latency_ms"]
        mem = result["rss_mib"]
        print(f"{result['threads']} threads × {result['seconds']} s on {result['clauses']} clauses "
              f"({result['embedder']}, {result['mode']}, {result['distinct_queries']} distinct queries)")
        print(f"throughput {result['throughput_qps']} q/s, {result['requests']} requests")
        print(f"latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
        print(f"errors {result['errors']} (exceptions {result['exceptions']}, wrong answers "
              f"{result['wrong_answers']}) {result['first_errors'] or ''}")
        print(f"RSS {mem['after_warm_up']} → {mem['end']} MiB (growth {mem['growth']} MiB, peak {mem['peak']} MiB)")
        if result["build_during"]:
            print(f"concurrent build: {result['build_during']}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
