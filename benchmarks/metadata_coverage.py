"""Metadata coverage on a folder of regulations (default: the 410 Zhejiang local regulations in shared/library).

    .venv/bin/python benchmarks/metadata_coverage.py                 # shares of issuer, date, region, level …
    .venv/bin/python benchmarks/metadata_coverage.py --sample 30     # plus 30 documents to check by hand
    .venv/bin/python benchmarks/metadata_coverage.py FOLDER

The file names of the library carry the date of the version, `宁波市物业管理条例(2021-…).md`, which is the day it
was published: the script prints how often `date` (the day the text became law) falls on or shortly before it.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.ingest import legislation  # noqa: E402
from indexer.ingest.corpus import load_document  # noqa: E402

LIBRARY = ROOT.parent / "shared" / "library" / "zhejiang"
FIELDS = ("title", "issuer", "date", "region", "province", "level", "date_passed", "date_approved", "approver")


def name_date(path: Path) -> str:
    m = re.search(r"\((\d{4}-\d{2}-\d{2})\)", path.name)
    return m.group(1) if m else ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default=str(LIBRARY))
    ap.add_argument("--sample", type=int, default=0, help="print this many documents (seeded) to check by hand")
    args = ap.parse_args()
    files = sorted(Path(args.folder).glob("*.md")) + sorted(Path(args.folder).glob("*.txt"))
    t0 = time.perf_counter()
    docs = [load_document(f) for f in files]
    seconds = time.perf_counter() - t0
    n = len(docs)
    print(f"{n} documents read in {seconds:.1f} s")
    for k in FIELDS:
        found = sum(1 for d in docs if getattr(d.meta, k))
        print(f"  {k:<14} {found:>4}/{n}  {100 * found / max(n, 1):5.1f} %")
    levels = collections.Counter(d.meta.level or "(none)" for d in docs)
    print("  levels:", dict(levels.most_common()))
    # city and county regulations need the province's approval: how many name it
    local = [d for d in docs if d.meta.level in ("city", "county")]
    print(f"  city/county documents with an approver: {sum(1 for d in local if d.meta.approver)}/{len(local)}")
    # the published version's date is on or after the day it became law, usually within weeks
    pairs = [(d.meta.date, name_date(Path(d.path))) for d in docs if d.meta.date and name_date(Path(d.path))]
    gaps = [(dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days for a, b in pairs]
    if gaps:
        print(f"  date vs file-name date: {sum(g == 0 for g in gaps)} same day, "
              f"{sum(0 <= g <= 31 for g in gaps)} within 31 days before, {sum(g < 0 for g in gaps)} after it, "
              f"of {len(gaps)}")
    if args.sample:
        print()
        for d in random.Random(7).sample(docs, min(args.sample, n)):
            m = d.meta
            print(f"{Path(d.path).name}\n  {m.issuer or '—'} | approver {m.approver or '—'} | {m.region or '—'} "
                  f"{m.province or '—'} {m.level or '—'} | date {m.date or '—'} (passed {m.date_passed or '—'}, "
                  f"approved {m.date_approved or '—'}, amended {m.date_amended or '—'}, "
                  f"published {m.date_published or '—'})")
            for line in legislation.history_lines(d.text.split("\n")):
                print("    " + line[:110])


if __name__ == "__main__":
    main()
