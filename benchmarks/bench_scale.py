"""Benchmark (not a test): a folder index at 100k and 1M synthetic clauses, this code beside another checkout's.

For each size, one synthetic library is made once (`bench_search.Synth`: real seed clauses re-worded, real vectors
with noise) and kept under --work. Then, for each side (this checkout, and --before-root if given), in separate
processes so each figure is that side's own:
- write: the side's code builds the vector index and keyword segments and writes a generation (seconds, peak RSS);
- query: a fresh process opens the index (RSS after opening), runs the dev and extra queries in every mode (p50 /
  p95, query embedding included) and a naive fusion (the store's BM25 top 100 and FAISS top 100 joined by
  reciprocal rank, no reranking) beside them, and reports its RSS after the queries and its peak;
- recall: the dense top 10 of each side against exact float32 search over the same vectors.

The recall 8-bit codes alone cost (every vector scanned as codes, the best 40 re-scored) is printed per size.

Usage:
    python benchmarks/bench_scale.py --sizes 100000,1000000 --before-root /work/wt-base [--work /tmp/bench-scale]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODES = ("hybrid", "semantic", "keyword", "phrase", "fuzzy")


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def queries() -> list[str]:
    from indexer.evaluate import load_queries
    shared = ROOT.parent / "shared" / "eval" / "dev_queries.json"
    qs = [q.q for q in load_queries(shared)] if shared.exists() else []
    return qs + [q.q for q in load_queries(ROOT / "benchmarks" / "extra_queries.json")]


# ---------------------------------------------------------------- the synthetic library, made once

def prepare(work: Path, n: int) -> Path:
    """Records, tokens, vectors and documents of n synthetic clauses under work/synth-n (kept between runs)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_search import Synth

    from indexer.embedders import get_embedder
    from indexer.ingest import corpus
    from indexer.ingest.build import build_index
    from indexer.store import open_folder
    out = work / f"synth-{n}"
    if (out / "done").exists():
        return out
    seed = work / "seed-index"
    if not (seed / "CURRENT").exists():
        build_index(index_dir=seed, embedder=get_embedder(),
                    documents=corpus.load_corpus(ROOT / "corpus", errors=[]))
    records, tokens, vecs, documents, _ = Synth(open_folder(seed)).make(n)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", vecs)
    with open(out / "records.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    with open(out / "tokens.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(t, ensure_ascii=False) + "\n" for t in tokens)
    (out / "documents.json").write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(
        {"embedder": get_embedder().info(), "seed": str(seed)}, ensure_ascii=False), encoding="utf-8")
    (out / "done").write_text("")
    return out


# ---------------------------------------------------------------- one side: write, then query (own processes)

def write_side(synth: Path, index_dir: Path) -> dict:
    """Build this checkout's vector index and keyword segments for the synthetic rows and publish a generation."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_search import write_synthetic
    t0 = time.perf_counter()
    with open(synth / "records.jsonl", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    with open(synth / "tokens.jsonl", encoding="utf-8") as f:
        tokens = [json.loads(line) for line in f]
    documents = json.loads((synth / "documents.json").read_text(encoding="utf-8"))
    vecs = np.load(synth / "vectors.npy")
    embedder = json.loads((synth / "manifest.json").read_text(encoding="utf-8"))["embedder"]
    out = {"read_s": round(time.perf_counter() - t0, 1)}
    out.update(write_synthetic(index_dir, records, tokens, vecs, documents, embedder))
    import indexer
    return {**out, "peak_rss_mb": round(rss_mb()[1]), "code": str(Path(indexer.__file__).parent.parent)}


def _timed(fn, qs: list[str], repeats: int) -> dict:
    fn(qs[0])  # warm-up: lazy structures
    times = []
    for _ in range(repeats):
        for q in qs:
            t = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 1), "p95_ms": round(float(np.percentile(times, 95)), 1),
            "n": len(times)}


def query_side(index_dir: Path, repeats: int) -> dict:
    """Open the index in this (fresh) process and time every mode and the naive fusion."""
    from indexer.embedders import get_embedder
    from indexer.keywords import get_tokenizer
    from indexer.search import Engine
    from indexer.store import open_folder
    qs = queries()
    emb = get_embedder()
    emb.embed_queries(["预热"])
    get_tokenizer()("预热")
    before = rss_mb()[0]
    t = time.perf_counter()
    store = open_folder(index_dir)
    engine = Engine(store, emb)
    out = {"open_s": round(time.perf_counter() - t, 2), "rss_open_mb": round(rss_mb()[0] - before)}
    tok = get_tokenizer()

    def naive(q: str) -> list[int]:
        vec = emb.embed_queries([q])[0]
        fused: dict[int, float] = {}
        for ranking in (store.keyword_topk(tok(q), 100), store.dense_topk(vec, 100)):
            for rank, (row, _) in enumerate(ranking):
                fused[row] = fused.get(row, 0.0) + 1 / (60 + rank)
        return sorted(fused, key=fused.get, reverse=True)[:10]

    def run(mode):
        def one(q):
            engine._qcache.clear()  # embed the query every time
            engine.search(q, k=10, mode=mode)
        return one

    out["latency"] = {m: _timed(run(m), qs, repeats) for m in MODES}
    out["latency"]["naive BM25+FAISS fusion"] = _timed(naive, qs, repeats)
    qv = emb.embed_queries(qs)
    out["dense_top10"] = [[r for r, _ in store.dense_topk(v, 10)] for v in qv]
    out["rss_after_queries_mb"] = round(rss_mb()[0] - before)
    out["peak_rss_mb"] = round(rss_mb()[1])
    return out


def recall(synth: Path, tops: list[list[int]]) -> float:
    """Recall@10 of a side's dense top 10 against exact float32 inner product over the synthetic vectors."""
    import faiss

    from indexer.embedders import get_embedder
    vecs = np.load(synth / "vectors.npy", mmap_mode="r")
    exact = faiss.IndexFlatIP(vecs.shape[1])
    for i in range(0, len(vecs), 100_000):
        exact.add(np.ascontiguousarray(vecs[i:i + 100_000], dtype=np.float32))
    _, truth = exact.search(get_embedder().embed_queries(queries()), 10)
    return round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(tops, truth.tolist(), strict=True)])), 4)


def quantisation_recall(synth: Path) -> dict:
    """What 8-bit codes alone cost: every vector scanned as 8-bit codes, the best REFINE re-scored in float32 (what
    the IVF lists do within the lists they probe), recall@10 against exact float32 search on the real queries."""
    import faiss

    from indexer.embedders import get_embedder
    from indexer.store.vectors import REFINE, exact_topk
    vecs = np.load(synth / "vectors.npy", mmap_mode="r")
    qv = get_embedder().embed_queries(queries())
    index = faiss.IndexScalarQuantizer(vecs.shape[1], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    index.train(np.ascontiguousarray(vecs[:50_000], dtype=np.float32))
    for i in range(0, len(vecs), 100_000):
        index.add(np.ascontiguousarray(vecs[i:i + 100_000], dtype=np.float32))
    _, cand = index.search(qv, REFINE)
    got = []
    for c, q in zip(cand, qv, strict=True):
        c = np.sort(c[c >= 0])
        got.append(c[np.argsort(-(np.asarray(vecs[c]) @ q), kind="stable")[:10]])
    truth = exact_topk(vecs, qv, 10)
    return {"sq8_refined_recall_at_10": round(float(np.mean([len(set(a) & set(b)) / 10
                                                              for a, b in zip(got, truth, strict=True)])), 4)}


# ---------------------------------------------------------------- the driver

def child(root: Path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--root", str(root), *args]
    res = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=False)
    if res.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def query_rounds(work: Path, sides: list, sizes: list[int], rounds: int, repeats: int) -> int:
    """The query step alone, before and after alternating (before first in odd rounds), on kept indexes."""
    import statistics
    for n in sizes:
        runs: dict[str, list[dict]] = {name: [] for name, _ in sides}
        for r in range(rounds):
            for name, root in (sides if r % 2 else sides[::-1]):
                q = child(root, "--step", "query", "--index", str(work / f"index-{n}-{name}"), "--repeats", str(repeats))
                runs[name].append(q["latency"])
        for name, lat in runs.items():
            med = {m: (statistics.median(x[m]["p50_ms"] for x in lat), statistics.median(x[m]["p95_ms"] for x in lat))
                   for m in lat[0]}
            print(f"{n} {name:6} " + ", ".join(f"{m} {a:.1f}/{b:.1f}" for m, (a, b) in med.items()), flush=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--before-root", default=None, help="another checkout (e.g. a worktree of main) to run beside")
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "bench-scale"))
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--prepare-only", action="store_true", help="only make (and keep) the synthetic libraries")
    ap.add_argument("--quantisation-only", action="store_true", help="only the recall 8-bit codes alone cost")
    ap.add_argument("--query-only", type=int, default=0, metavar="ROUNDS",
                    help="only the query step, on the indexes a previous run left under --work, sides alternating "
                         "for ROUNDS rounds (medians printed): latency compared on one quiet stretch")
    ap.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    ap.add_argument("--step", choices=("write", "query"), default=None, help=argparse.SUPPRESS)
    ap.add_argument("--synth", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--index", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step == "write":
        print(json.dumps(write_side(Path(args.synth), Path(args.index))))
        return 0
    if args.step == "query":
        print(json.dumps(query_side(Path(args.index), args.repeats)))
        return 0
    work = Path(args.work)
    sides = [("after", ROOT)] + ([("before", Path(args.before_root))] if args.before_root else [])
    if args.query_only:
        return query_rounds(work, sides, [int(s) for s in args.sizes.split(",") if s], args.query_only, args.repeats)
    out: dict = {"cpus": os.cpu_count(), "load_avg": os.getloadavg(), "sizes": []}
    for n in (int(s) for s in args.sizes.split(",") if s):
        t = time.perf_counter()
        synth = prepare(work, n)
        row: dict = {"clauses": n, "prepare_s": round(time.perf_counter() - t, 1)}
        if args.prepare_only:
            continue
        row.update(quantisation_recall(synth))
        if args.quantisation_only:
            print(json.dumps(row), flush=True)
            continue
        for name, root in sides:
            index = work / f"index-{n}-{name}"
            subprocess.run(["rm", "-rf", str(index)], check=True)
            row[name] = {"write": child(root, "--step", "write", "--synth", str(synth), "--index", str(index))}
            q = child(root, "--step", "query", "--index", str(index), "--repeats", str(args.repeats))
            q["dense_recall_at_10"] = recall(synth, q.pop("dense_top10"))
            row[name]["query"] = q
            print(json.dumps({"clauses": n, "side": name, **row[name]}, ensure_ascii=False), flush=True)
        out["sizes"].append(row)
    text = json.dumps(out, ensure_ascii=False, indent=1)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
