"""Search quality with distractors: the dev queries against the shipped corpus plus ../shared/external/.

The shipped corpus has 235 clauses, few enough that semantic search alone answers every dev query at rank 1.
This adds the ten external documents (a 12th five-year industry and IT plan of 528 KB, a science plan, farm
machinery catalogues, the 2026 No. 1 document …: about 3,500 clauses in all, many on the same industries) so
that the modes can be told apart. The index is kept under artifacts/ so a rerun embeds nothing.

    .venv/bin/python benchmarks/eval_distractors.py [--per-query]
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer import paths  # noqa: E402
from indexer.evaluate import compare_fusions, evaluate, format_table, load_queries  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from indexer.search import Engine  # noqa: E402

SHARED = ROOT.parent / "shared"
WORK = ROOT / "artifacts" / "distractors"
QUERY_SETS = (SHARED / "eval" / "dev_queries.json", ROOT / "benchmarks" / "extra_queries.json")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-query", action="store_true")
    args = ap.parse_args(argv)
    external = WORK / "external"
    external.mkdir(parents=True, exist_ok=True)
    for f in sorted((SHARED / "external").iterdir()):
        if f.is_file() and f.name != "README.md":  # the folder's own description is not a policy document
            shutil.copy(f, external / f.name)
    report = build_index([paths.CORPUS_DIR, external], WORK / "index", ocr=False, wait=True)
    print(f"index: {report.documents} documents, {report.clauses} clauses ({report.embedded} embedded now)")
    engine = Engine.open(WORK / "index")
    for qs in QUERY_SETS:
        queries = load_queries(qs)
        print(f"\n{qs.name}: {len(queries)} queries")
        print(format_table(evaluate(engine, queries) + compare_fusions(engine, queries),
                           queries if args.per_query else None))


if __name__ == "__main__":
    main()
