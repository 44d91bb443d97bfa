"""Query-side work done once, measured in one process: clause texts folded once per engine (features.FoldedTexts)
against folding every candidate on every query (what the rerank features did), and thesaurus rules compiled once
against re-folding every rule per query. Queries alternate between the two ways, so both see the same load.

    .venv/bin/python benchmarks/bench_query_side.py --index-dir DIR [--rounds 3]   (e.g. search_snapshot.py's index)
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_library import WORK, load_library_queries  # noqa: E402
from search_snapshot import SETS  # noqa: E402
from vector_cache import CachedEmbedder  # noqa: E402

from indexer import thesaurus  # noqa: E402
from indexer.keywords import fold_width  # noqa: E402
from indexer.search import Engine  # noqa: E402


def expand_per_query(rules, query: str) -> list[str]:
    """The thesaurus as it was: every term folded (and a Latin one's pattern built) on every query."""
    q = fold_width(query, lower=True)
    out: dict[str, None] = {}
    for rule in rules:
        if any(_holds(q, fold_width(t, lower=True)) for t in rule.when):
            out.update({t: None for t in rule.add if fold_width(t, lower=True) not in q})
    return list(out)


def _holds(query: str, term: str) -> bool:
    if term.isascii():
        return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", query) is not None
    return term in query


def ms(xs: list[float]) -> str:
    a = np.array(xs) * 1000
    return f"p50 {np.percentile(a, 50):6.2f} ms  p95 {np.percentile(a, 95):6.2f} ms  mean {a.mean():6.2f} ms"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    queries = [q.q for name in SETS.values() for q in load_library_queries(ROOT / "benchmarks" / name)]
    engine = Engine.open(args.index_dir, embedder=CachedEmbedder(WORK / "vectors"))
    for q in queries:
        engine.search(q, k=10)  # query vectors, floor, dictionary, jieba: warm for both ways
    kept, per_query = engine.folded, None  # None: candidate_features folds for this query only (as before)
    times: dict[str, dict[str, list[float]]] = {w: {"search": [], "features": []} for w in ("once", "per query")}
    same = 0
    for _ in range(args.rounds):
        for q in queries:
            answers = []
            for way, folded in (("per query", per_query), ("once", kept)):
                engine.folded = folded
                t = time.perf_counter()
                hits = engine.search(q, k=10)
                times[way]["search"].append(time.perf_counter() - t)
                t = time.perf_counter()
                engine.candidates(q)
                times[way]["features"].append(time.perf_counter() - t)
                answers.append([(h.clause_id, h.score) for h in hits])
            same += answers[0] == answers[1]
    engine.folded = kept
    print(f"{len(queries)} queries x {args.rounds} rounds on {len(engine.store)} clauses; identical answers "
          f"{same}/{len(queries) * args.rounds}")
    for part in ("search", "features"):
        for way in ("per query", "once"):
            label = "hybrid search" if part == "search" else "candidates + rerank features"
            print(f"  {label:29} texts folded {way:9}: {ms(times[way][part])}")
        ratio = np.median(times["once"][part]) / np.median(times["per query"][part])
        print(f"  {'':29} median ratio once / per query: {ratio:.3f}")
    rules = thesaurus.load()
    t_once, t_each, agree = [], [], 0
    for q in queries * args.rounds:
        t = time.perf_counter()
        b = expand_per_query(rules.rules, q)
        t_each.append(time.perf_counter() - t)
        t = time.perf_counter()
        a = rules.expand(q)
        t_once.append(time.perf_counter() - t)
        agree += a == b
    print(f"  thesaurus ({len(rules.rules)} rules) folded per query: {ms(t_each)}")
    print(f"  thesaurus compiled once:{'':14}{ms(t_once)}   same terms {agree}/{len(t_once)}")


if __name__ == "__main__":
    main()
