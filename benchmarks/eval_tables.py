"""Table rows against prose: do a plan's flattened project tables stand in for policy text on general questions?

The index: the seed corpus, Guangxi's 2011 industry plan (../shared/external/; 1,494 of its 2,052 clauses are rows
of its project tables) and the library documents that answer the dev queries (their vectors are cached). Two
query sets: general questions (a table row is no answer to them: the share of table rows among the top 5 and 10
is counted) and questions that name one row (its project: that row must still come first or near it).

    .venv/bin/python benchmarks/eval_tables.py [--out FILE.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_library import QUERIES, WORK, choose_documents, load_library_queries, read_library  # noqa: E402
from vector_cache import CachedEmbedder  # noqa: E402

from indexer.ingest.build import build_index  # noqa: E402
from indexer.search import Engine  # noqa: E402

PLAN = "guangxi_2011_industry-it-12th-fyp"  # a plan of ../shared/external/
GENERAL = ("在楼顶装太阳能板", "吸引外地公司把工厂搬过来", "怎么支持企业搞技术改造", "电子信息产业怎么发展",
           "工业园区的土地怎么用", "节能减排有什么要求", "中小企业融资难怎么办", "新材料产业有哪些重点",
           "汽车产业怎么做大做强", "招商引资有什么优惠", "发展太阳能光伏产业", "钢铁企业怎么转型")
# questions about one row: (query, words of the row that answers it)
NAMED = (("梧州晶体硅棒太阳能电池生产线项目用地多少", "晶体硅棒"),)


def build(index_dir: Path, embedder: CachedEmbedder) -> None:
    seed, library, _ = read_library()
    chosen = choose_documents(library, load_library_queries(QUERIES), 0)
    docs = list(seed) + [d for d in library if d.doc_id == PLAN or d in chosen]
    report = build_index(None, index_dir, embedder, documents=docs, wait=True)
    embedder.flush()
    print(f"index: {report.documents} documents, {report.clauses} clauses ({report.embedded} embedded now)",
          flush=True)


def table_share(engine: Engine, query: str, k: int) -> float:
    hits = engine.search(query, k=k, floor=False)
    return sum(engine.store.clause(engine.store.row_of(h.clause_id)).kind == "table" for h in hits) / max(1, k)


def named_rank(engine: Engine, query: str, words: str) -> int | None:
    hits = engine.search(query, k=10, floor=False)
    return next((h.rank for h in hits if words in h.text), None)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, default=WORK / "index-tables")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    embedder = CachedEmbedder(WORK / "vectors")
    if not (args.index_dir / "CURRENT").exists():
        build(args.index_dir, embedder)
    engine = Engine.open(args.index_dir, embedder=embedder)
    result = {"general": {q: {"top5": table_share(engine, q, 5), "top10": table_share(engine, q, 10)}
                          for q in GENERAL},
              "named": {q: named_rank(engine, q, w) for q, w in NAMED}}
    for q, r in result["general"].items():
        print(f"  table rows in top 5 {r['top5']:.1f}, top 10 {r['top10']:.1f}: {q}")
    g = result["general"].values()
    print(f"general questions: table rows {sum(r['top5'] for r in g) / len(g):.3f} of the top 5, "
          f"{sum(r['top10'] for r in g) / len(g):.3f} of the top 10")
    for q, rank in result["named"].items():
        print(f"  the named row at rank {rank}: {q}")
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
