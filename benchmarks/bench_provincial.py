"""The provincial views on real data with the real model: matrix, diffusion, spread of local additions.

    .venv/bin/python benchmarks/bench_provincial.py seeds            # matrix vs today's coverage, news reprint
    .venv/bin/python benchmarks/bench_provincial.py zhejiang [--index DIR] [--spot 20]

`seeds` checks, on the shipped corpus, that the matrix of the provincial 20 against Dongguan and Chaozhou is
today's two coverage results cell for cell, and prints the diffusion of every item (the news reprint's date,
lag and wording). `zhejiang` builds (once) an index of the provincial regulations below and the city
regulations that answer them, prints each matrix and the timeline of its first article, and `--spot N` prints N
random cells with both texts, for a person to judge.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import library  # noqa: E402
from indexer.compare.diffusion import WORDING_LABELS, spread_additions, timeline_of  # noqa: E402
from indexer.compare.matrix import implementation_matrix  # noqa: E402

PROVINCE, DONGGUAN, CHAOZHOU = ("guangdong-2020-strategic-clusters", "dongguan-2021-strategic-clusters",
                                "chaozhou-strategic-clusters-draft")
NEWS = "guangdong-2021-chain-leader-news"
ZHEJIANG = ROOT.parent / "shared" / "library" / "zhejiang"
# Provincial regulations that cities followed, with the city regulations the finder misses (other wording of
# the subject: 科技创新促进 for 科学技术进步).
REFERENCES = {"浙江省物业管理条例-2009-11-27": (),
              "浙江省城市市容和环境卫生管理条例-2021-09-30": (),
              "浙江省科学技术进步条例-2011-05-25": ("宁波市科技创新促进条例-2011-04-11", "舟山市科技创新促进条例-2019-12-13")}


def seeds(embedder_name: str) -> int:
    from indexer.compare.coverage import embedding_memo
    from indexer.embedders import get_embedder
    from indexer.ingest.corpus import load_default_corpus

    docs = load_default_corpus()
    memo = embedding_memo(get_embedder(embedder_name))
    t0 = time.perf_counter()
    m = implementation_matrix(docs, PROVINCE, [DONGGUAN, CHAOZHOU], embedder=memo)
    print(f"matrix {len(m.rows)}×{len(m.items)} in {time.perf_counter() - t0:.1f} s")
    bad = 0
    for row in m.rows:
        cov = library.coverage_between(docs, PROVINCE, row.doc_id, embedder=memo).result
        for cell, r in zip(row.cells, cov.reference_items, strict=True):
            same = (cell.status == r.status and cell.matches == tuple(x.name for x in r.matches)
                    and cell.named_gap == r.named_gap)
            bad += not same
        adds = tuple(a.name for a in row.additions)
        want = tuple(t.name for t in cov.target_items if t.best is None)
        bad += adds != want
        print(f"  {row.doc_id}: covered {row.covered}/20, named gaps "
              f"{[m.items[j].name for j, c in enumerate(row.cells) if c.named_gap]}, additions {list(adds)}")
    print(f"cells differing from today's coverage: {bad} (of {20 * len(m.rows)} cells + additions)")
    full = implementation_matrix(docs, PROVINCE, embedder=memo)
    print(f"found automatically: {[(r.doc_id, r.reasons) for r in full.rows]}")
    news_ok = 0
    for j, it in enumerate(full.items):
        t = timeline_of(full, j, docs)
        news = next((c for c in t.carriers if c.doc_id == NEWS), None)
        news_ok += news is not None and news.wording == "verbatim"
        line = "  ".join(f"{c.doc_id.split('-')[0]} {c.date or '—'} {'' if c.lag_days is None else c.lag_days}d "
                         f"{WORDING_LABELS[c.wording]}" for c in t.carriers)
        print(f"  {it.name:10} {line}")
    print(f"news reprint verbatim in {news_ok}/20 timelines")
    print(f"local additions shared by several documents: {[s.to_dict() for s in spread_additions(full)]}")
    return 0 if bad == 0 and news_ok == 20 else 1


def zhejiang(index: Path, spot: int, embedder_name: str, seed: int = 7) -> int:
    from indexer.compare.matrix import answering_documents
    from indexer.ingest.build import build_index
    from indexer.ingest.corpus import load_folders

    if not index.exists():
        all_docs = load_folders([ZHEJIANG])
        want = set(REFERENCES) | {x for extra in REFERENCES.values() for x in extra}
        for ref in REFERENCES:
            want |= {d.doc_id for d, _ in answering_documents(all_docs, library.find(all_docs, ref))}
        t0 = time.perf_counter()
        build_index(index_dir=index, embedder=embedder_name, documents=[d for d in all_docs if d.doc_id in want])
        print(f"indexed {len(want)} regulations in {time.perf_counter() - t0:.0f} s")
    docs = library.documents(index)  # through the store, as the app and the CLI read them
    vectors, embedder = library.index_vectors(index), library.index_embedder(index)
    rng = random.Random(seed)
    cells = []
    for ref, extra in REFERENCES.items():
        t0 = time.perf_counter()
        m = implementation_matrix(docs, ref, add=extra, vectors=vectors, embedder=embedder)
        print(f"\n== {m.title} ({m.date}): {len(m.items)} articles × {len(m.rows)} regulations "
              f"in {time.perf_counter() - t0:.1f} s")
        for r in m.rows:
            print(f"  {r.doc_id:34} {r.date:10} covers {r.covered:3}/{len(m.items)}  additions {len(r.additions):3}  "
                  f"{'、'.join(r.reasons)}")
        share = sorted(((m.taken_up(j), it.name) for j, it in enumerate(m.items)), reverse=True)
        print(f"  most taken up: {share[:5]}; taken up by none: {m.untouched()[:12]}")
        t = max((timeline_of(m, j, docs) for j in range(1, len(m.items))),
                key=lambda t: sum(c.reuse_share for c in t.carriers))  # the most copied article
        print(f"  timeline of {t.item.name}: " + "; ".join(
            f"{c.doc_id.split('-')[0]} {c.date} {c.lag_days:+d}d {WORDING_LABELS[c.wording]} {c.reuse_share:.0%}"
            for c in t.carriers if c.lag_days is not None))
        spread = spread_additions(m)
        print(f"  local additions in ≥ 3 regulations: {sum(len(s.documents) >= 3 for s in spread)}"
              + (f", e.g. {spread[0].documents[0][0]} {spread[0].name}" if spread else ""))
        cells += [(m, r, j) for r in m.rows for j in range(len(m.items))]
    if spot:
        by = {d.doc_id: d for d in docs}
        for m, r, j in rng.sample(cells, spot):
            it, cell = m.items[j], r.cells[j]
            got = " | ".join(by[r.doc_id].clause(c).text[:120] for c in cell.clause_ids[:2]) or "—"
            print(f"\n[{cell.status} {cell.confidence:.2f}] {m.reference.split('-')[0]} {it.name} ↔ {r.doc_id}"
                  f" {'、'.join(cell.matches)}\n  REF: {' '.join(it.text.split())[:160]}\n  GOT: {got}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("what", choices=["seeds", "zhejiang"])
    ap.add_argument("--index", type=Path, default=ROOT / "artifacts" / "zhejiang-index")
    ap.add_argument("--spot", type=int, default=0)
    ap.add_argument("--seed", type=int, default=7, help="which random cells --spot prints (7: the first check)")
    ap.add_argument("--embedder", default="e5-onnx")
    args = ap.parse_args()
    return seeds(args.embedder) if args.what == "seeds" else zhejiang(args.index, args.spot, args.embedder, args.seed)


if __name__ == "__main__":
    sys.exit(main())
