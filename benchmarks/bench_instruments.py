"""Agreement of the instrument tagger with the hand labels: per-tag precision / recall, macro-F1, per half.

    .venv/bin/python benchmarks/bench_instruments.py [--errors fit]

The patterns were tuned on the fit half only; the held-out half is the figure to quote.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.compare.instruments import agreement, default_codebook, macro_f1, tag_text  # noqa: E402

LABELS = Path(__file__).with_name("instrument_labels.json")


def fmt(x) -> str:
    return "  —  " if x is None else f"{x:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--errors", choices=["fit", "held_out"], help="print the disagreements of one half")
    args = ap.parse_args()
    clauses = json.loads(LABELS.read_text(encoding="utf-8"))["clauses"]
    cb = default_codebook()
    for split in ("fit", "held_out"):
        ex = [(c["text"], c["tags"]) for c in clauses if c["split"] == split]
        rows = agreement(ex, cb)
        print(f"\n== {split}: {len(ex)} clauses ==")
        print(f"{'tag':8} {'category':12} support pred   P      R      F1")
        for r in rows:
            print(f"{r.tag:8} {cb.category(r.tag):12} {r.support:5} {r.predicted:5} {fmt(r.precision)} "
                  f"{fmt(r.recall)} {fmt(r.f1)}")
        exact = sum(set(tag_text(t, cb)) == set(g) for t, g in ex) / len(ex)
        print(f"macro-F1 (tags with support) {macro_f1(rows):.3f}; exact tag-set match {exact:.3f}")
    if args.errors:
        for c in clauses:
            if c["split"] != args.errors:
                continue
            p, g = set(tag_text(c["text"], cb)), set(c["tags"])
            if p != g:
                print(f"\n{c['clause_id']}  +{sorted(p - g)} -{sorted(g - p)}\n  {' '.join(c['text'].split())[:300]}")


if __name__ == "__main__":
    main()
