"""Off-topic everyday questions against real policy questions: how often the relevance note (相关度较低) is right.

benchmarks/offtopic_queries.json holds 45 policy questions in users' voice (answered by the library's local
regulations and plans) and 45 fluent everyday questions nothing in a policy library answers; every third of each
is held out (fixed before anything was measured). A fresh held-out group of 30 everyday questions (split "fresh")
was written before WORDLESS_MARGIN was tuned. For each the product's note (the first hit's `low`) is read, beside
the rule before WORDLESS_MARGIN and naive rules fitted on the tuning split: a fixed best-cosine threshold, a
keyword-support threshold, and the floor alone (its lift over the probes, no word evidence). Also counted:
relevant first hits of the library query sets (dev, fresh, tune3) that got the note (they must not).

    .venv/bin/python benchmarks/eval_offtopic.py --index-dir DIR  (e.g. search_snapshot.py's index)
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_library import WORK, load_library_queries  # noqa: E402
from vector_cache import CachedEmbedder  # noqa: E402

from indexer.evaluate import first_relevant_rank  # noqa: E402
from indexer.search import Engine, bilingual  # noqa: E402
from indexer.search.floor import FLUENT_MARGIN, MARGIN, MIN_COVERAGE, MIN_SUPPORT, keyword_support  # noqa: E402

QUERIES = ROOT / "benchmarks" / "offtopic_queries.json"
LIBRARY_SETS = ("library_queries.json", "library_queries_fresh.json", "library_queries_tune3.json")


def evidence(engine: Engine, query: str) -> dict:
    """What the naive rules read: best cosine, keyword support, the floor's lift; and the product's note."""
    hits = engine.search(query, k=10)
    semantic = engine.store.dense_topk(engine.embed_query(query), 16)
    top = next((s for r, s in semantic if r not in engine._bare), None)
    tokens = engine.tokenizer(query)
    return {"low": bool(hits and hits[0].low), "top": top, "english": bilingual.is_english(query),
            "support": keyword_support(tokens, engine.store.document_frequency(tokens), len(engine.store)),
            "coverage": engine.relevance.coverage(tokens),
            "lift": engine.relevance_floor().lift(engine.embed_query(query), top)}


def old_rule(r: dict) -> bool:
    """The note before WORDLESS_MARGIN: nonsense, or a Chinese question short of FLUENT_MARGIN and coverage."""
    if r["lift"] < MARGIN and r["support"] < MIN_SUPPORT:
        return True
    return not r["english"] and r["lift"] < FLUENT_MARGIN and r["coverage"] < MIN_COVERAGE


def fit_threshold(rows: list[dict], key: str) -> float:
    """The threshold t (flag when row[key] < t) that flags most tuning off-topic questions with no on-topic one."""
    on = [r[key] for r in rows if r["topic"] == "on"]
    return min(on) if on else 0.0


def rates(rows: list[dict], flag: Callable[[dict], bool], split: str) -> str:
    on = [r for r in rows if r["topic"] == "on" and r["split"] == split]
    off = [r for r in rows if r["topic"] == "off" and r["split"] == split]
    caught = f"caught {sum(map(flag, off))}/{len(off)} ({sum(map(flag, off)) / max(1, len(off)):.0%})"
    return f"false notes {sum(map(flag, on))}/{len(on)}, {caught}" if on else caught


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, required=True)
    args = ap.parse_args(argv)
    engine = Engine.open(args.index_dir, embedder=CachedEmbedder(WORK / "vectors"))
    rows = [{**q, **evidence(engine, q["q"])} for q in json.loads(QUERIES.read_text(encoding="utf-8"))]
    tune = [r for r in rows if r["split"] == "tune"]
    cos, sup, lift = (fit_threshold(tune, k) for k in ("top", "support", "lift"))
    rules = {"product": lambda r: r["low"], "rule before WORDLESS_MARGIN": old_rule,
             f"best cosine < {cos:.3f}": lambda r: r["top"] < cos,
             f"keyword support < {sup:.2f}": lambda r: r["support"] < sup,
             f"floor lift < {lift:.3f}": lambda r: r["lift"] < lift}
    library = relevant_first_hits(engine)
    for name, flag in rules.items():
        print(f"{name:28} tune: {rates(rows, flag, 'tune')}   held out: {rates(rows, flag, 'heldout')}   "
              f"fresh: {rates(rows, flag, 'fresh')}   "
              f"library sets: {sum(map(flag, library))} of {len(library)} relevant first hits noted")
    for r in rows:
        if r["low"] != (r["topic"] == "off"):
            print(f"  wrong: {r['topic']}-topic {r['split']} lift {r['lift']:+.3f}: {r['q']}")


def relevant_first_hits(engine: Engine) -> list[dict]:
    """The evidence of every library query (dev, fresh, tune3) whose first hit is relevant."""
    out = []
    for name in LIBRARY_SETS:
        for q in load_library_queries(ROOT / "benchmarks" / name):
            if first_relevant_rank(engine.search(q.q, k=1, floor=False), q.needles) == 1:
                out.append(evidence(engine, q.q))
    return out


if __name__ == "__main__":
    main()
