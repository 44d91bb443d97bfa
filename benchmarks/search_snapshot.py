"""Every search answer on the library's query sets, saved for comparing two versions of the code rank by rank.

One index serves every set: the seed corpus plus the library documents that hold a needle of any set (then others
in eval_library's fixed order up to --docs). Each query is asked in every mode; the top 10 clause ids with their
scores, the low-relevance mark and the first relevant rank are saved, with the time each search took. An index
already in --index-dir is searched as it is, so two versions of the code can be compared on the same clauses.

    .venv/bin/python benchmarks/search_snapshot.py --out before.json [--docs 30] [--index-dir DIR]
    .venv/bin/python benchmarks/search_snapshot.py --compare before.json after.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_library import WORK, choose_documents, load_library_queries, read_library  # noqa: E402
from vector_cache import CachedEmbedder  # noqa: E402

from indexer.evaluate import first_relevant_rank, metrics  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from indexer.search import Engine  # noqa: E402

SETS = {"dev": "library_queries.json", "fresh": "library_queries_fresh.json", "tune3": "library_queries_tune3.json"}
MODES = ("hybrid", "semantic", "keyword", "hybrid+fuzzy", "phrase", "fuzzy", "hybrid-rrf")


def ask(engine: Engine, query: str, mode: str) -> tuple[list, float]:
    """The hits of one query in one mode ("hybrid-rrf": hybrid with the learned fusion off) and the seconds taken."""
    base, _, extra = mode.partition("+")
    engine.use_reranker = base != "hybrid-rrf"
    t = time.perf_counter()
    hits = engine.search(query, k=10, mode=base.replace("-rrf", ""), fuzzy=extra == "fuzzy")
    return hits, time.perf_counter() - t


def snapshot(docs: int, index_dir: Path, sets: list[str]) -> dict:
    queries = {s: load_library_queries(ROOT / "benchmarks" / SETS[s]) for s in sets}
    embedder = CachedEmbedder(WORK / "vectors")
    if not (index_dir / "CURRENT").exists():  # an index already there is searched as it is (same clauses)
        seed, library, _ = read_library()
        chosen = choose_documents(library, [q for qs in queries.values() for q in qs], docs)
        report = build_index(None, index_dir, embedder, documents=list(seed) + chosen, wait=True)
        embedder.flush()
        print(f"index: {report.documents} documents, {report.clauses} clauses ({report.embedded} embedded now)",
              flush=True)
    engine = Engine.open(index_dir, embedder=embedder)
    for qs in queries.values():  # embed every query once, so timings measure search, not a cold query cache
        for q in qs:
            engine.embed_query(q.q)
    out: dict = {"documents": len(engine.store.documents()), "clauses": len(engine.store), "sets": {}}
    for name, qs in queries.items():
        out["sets"][name] = per_mode = {}
        for mode in MODES:
            rows = []
            for q in qs:
                hits, secs = ask(engine, q.q, mode)
                rows.append({"q": q.q, "split": q.split, "style": q.style, "first": first_relevant_rank(hits, q.needles),
                             "low": any(h.low for h in hits), "ms": round(secs * 1000, 2),
                             "hits": [[h.clause_id, round(h.score, 6)] for h in hits]})
            per_mode[mode] = rows
            print(f"  {name} {mode}: {summary(rows)}", flush=True)
    return out


def summary(rows: list[dict]) -> str:
    m = metrics([r["first"] for r in rows])
    ms = sorted(r["ms"] for r in rows)
    return (f"R@1 {m['R@1']:.3f} R@5 {m['R@5']:.3f} MRR {m['MRR@10']:.3f} (n={len(rows)}, "
            f"median {ms[len(ms) // 2]:.1f} ms)")


def compare(a: dict, b: dict) -> None:
    """Per set and mode: how many queries got the same clauses in the same order, and both versions' metrics."""
    for name, modes in a["sets"].items():
        for mode, rows in modes.items():
            other = b["sets"].get(name, {}).get(mode)
            if other is None:
                continue
            same = sum(1 for x, y in zip(rows, other, strict=True) if [h[0] for h in x["hits"]] == [h[0] for h in y["hits"]])
            print(f"{name:6} {mode:13} identical {same}/{len(rows)}   before {summary(rows)}   after {summary(other)}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=30)
    ap.add_argument("--index-dir", type=Path, default=None)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path)
    args = ap.parse_args(argv)
    if args.compare:
        a, b = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        compare(a, b)
        return
    result = snapshot(args.docs, args.index_dir or WORK / f"index-snapshot-{args.docs}", args.sets.split(","))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
