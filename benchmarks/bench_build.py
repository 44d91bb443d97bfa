"""Build throughput: clauses embedded per second by a fresh build, beside the raw embedder on the same strings.

A fresh build of the same documents into new folders, with the embedding call size of today (EMBED_BATCH) and
of the previous code (8), alternating, median of the rounds; and the embedder alone on the build's passage texts
in calls of 256 (the best the build can reach). The documents: the shipped corpus plus N Zhejiang regulations
(fixed order), so the figures are on real clause lengths.

    .venv/bin/python benchmarks/bench_build.py [--docs 40] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.embedders import get_embedder  # noqa: E402
from indexer.ingest import build  # noqa: E402
from indexer.ingest.corpus import load_folders  # noqa: E402

ZHEJIANG = ROOT.parent / "shared" / "library" / "zhejiang"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    seeds = load_folders([ROOT / "corpus"], errors=[])
    zj = load_folders([ZHEJIANG], errors=[])[: args.docs]
    docs = seeds + zj
    emb = get_embedder()
    passages = [build.passage_text(c, d.meta.title) for d in docs for c in d.clauses]
    print(f"{len(docs)} documents, {len(passages)} clauses, embedder {emb.name}")
    sizes = {"previous (8)": 8, f"now ({build.EMBED_BATCH})": build.EMBED_BATCH}
    rates: dict[str, list[float]] = {k: [] for k in sizes}
    raw: list[float] = []
    for r in range(args.rounds):
        t0 = time.perf_counter()
        for i in range(0, len(passages), 256):
            emb.embed_passages(passages[i:i + 256])
        raw.append(len(passages) / (time.perf_counter() - t0))
        for name, size in (sizes.items() if r % 2 == 0 else reversed(sizes.items())):
            saved, build.EMBED_BATCH = build.EMBED_BATCH, size
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    report = build.build_index(index_dir=Path(tmp) / "i", embedder=emb, documents=docs)
            finally:
                build.EMBED_BATCH = saved
            rates[name].append(report.embedded / report.seconds)
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}/s" for k, v in rates.items()) + f", raw {raw[-1]:.1f}/s")
    best = statistics.median(raw)
    for name, v in rates.items():
        m = statistics.median(v)
        print(f"{name:14} build {m:6.1f} clauses/s  = {m / best:.2f} of the raw embedder ({best:.1f}/s in calls of 256)")
    old, new = (statistics.median(v) for v in rates.values())
    print(f"ratio now / previous: {new / old:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
