"""The relevance floor measured: nonsense flagged against relevant first hits wrongly flagged, before and after.

Two indexes: the shipped corpus (5 documents, built here from the vector cache into a temporary folder) and the
full library (423 documents, 45,749 clauses; benchmarks/eval_library.py builds it). Three query sets:

- dev: ../shared/eval/dev_queries.json + benchmarks/extra_queries.json (30, written for the shipped corpus);
- library: benchmarks/library_queries.json (98, split tune / heldout);
- nonsense: benchmarks/nonsense_queries.json (40 off-topic queries: keyboard mash, chit-chat, recipes, sport,
  crypto, celebrity, weather, games, travel, health; none is a probe of floor.py), half `calibrate`, half
  `heldout`, written before anything was measured.

A relevant query whose hybrid first hit is relevant must not be flagged (that hides a right answer under
相关度较低 and cuts the list to 3); a nonsense query should be. "before" is the floor this issue replaced (20
probes, weak when the best cosine is under the nearest probe's by 0.045); "after" is indexer/search/floor.py.
`--sweep` prints the choice of NEAREST and MARGIN on the calibration half (nonsense `calibrate`, dev, library
`tune`, both indexes); held-out figures are only reported.

Every passage vector comes from the cache (nothing is written to it); queries are embedded on the fly.

    .venv/bin/python benchmarks/bench_floor.py [--library artifacts/library/index-lib-all] [--sweep]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from vector_cache import CachedEmbedder  # noqa: E402

from indexer import paths  # noqa: E402
from indexer.evaluate import first_relevant_rank, load_queries  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from indexer.search import Engine  # noqa: E402
from indexer.search.floor import MARGIN, MIN_SUPPORT, Floor, keyword_support  # noqa: E402

LIBRARY = ROOT / "artifacts" / "library"
DEV = (ROOT.parent / "shared" / "eval" / "dev_queries.json", ROOT / "benchmarks" / "extra_queries.json")
LIBRARY_QUERIES = ROOT / "benchmarks" / "library_queries.json"
NONSENSE = ROOT / "benchmarks" / "nonsense_queries.json"
OLD_PROBES = (
    "asdfghjkl", "qwertyuiop zxcvbnm", "lorem ipsum dolor sit amet", "jjjjjjjj kkkkkk", "xyzzy plugh",
    "今天晚饭吃什么好呢", "红烧肉的家常做法", "周末去哪里看电影", "猫咪为什么喜欢钻纸箱", "我的手机屏幕碎了怎么办",
    "如何在家做酸奶", "昨天的足球比赛谁赢了", "哈哈哈哈哈哈", "明天会下雨吗",
    "how to bake sourdough bread", "football world cup final score", "my cat keeps sneezing",
    "best pizza toppings ever", "what time is sunset today", "funny dog videos",
)
OLD_MARGIN = 0.045
MARGINS = (0.0, 0.01, 0.02, 0.025, 0.03)  # what --sweep tries


class ReadOnlyCache(CachedEmbedder):
    """The vector cache without writes: new query vectors stay in memory."""

    def flush(self) -> None:
        return None


@dataclass(frozen=True)
class OldFloor:
    """The floor before: weak when the best cosine is OLD_MARGIN under the nearest probe's similarity."""

    probes: np.ndarray

    def weak(self, query_vec: np.ndarray, top: float | None, support: float) -> bool:
        sims = np.sort(self.probes @ query_vec)[::-1]
        nearest = sims[1] if sims[0] > 0.999 else sims[0]
        return support < MIN_SUPPORT and (top is None or top - nearest < -OLD_MARGIN)


@dataclass(frozen=True)
class Case:
    q: str
    group: str  # dev | library | nonsense
    split: str  # calibrate | heldout
    needles: tuple[str, ...] = ()


def cases() -> list[Case]:
    out = [Case(q.q, "dev", "calibrate", q.needles) for f in DEV if f.exists() for q in load_queries(f)]
    split = {d["q"]: d["split"] for d in json.loads(LIBRARY_QUERIES.read_text(encoding="utf-8"))}
    out += [Case(q.q, "library", "calibrate" if split[q.q] == "tune" else "heldout", q.needles)
            for q in load_queries(LIBRARY_QUERIES)]
    nonsense = json.loads(NONSENSE.read_text(encoding="utf-8"))
    return out + [Case(q, "nonsense", half) for half in ("calibrate", "heldout") for q in nonsense[half]]


@dataclass(frozen=True)
class Row:
    case: Case
    rank: int | None  # first relevant rank of hybrid search without the floor (None: not in the top 10)
    before: bool  # flagged weak by the old floor
    after: bool  # flagged weak by floor.py
    hidden: bool  # after: a relevant hit of the top 10 is cut off by the floor
    margin: float
    support: float
    vec: np.ndarray


def measure(engine: Engine, all_cases: list[Case]) -> list[Row]:
    new = engine.relevance_floor()
    old = OldFloor(np.stack([engine.embed_query(p) for p in OLD_PROBES]))
    rows = []
    for c in all_cases:
        plain = engine.search(c.q, k=10, floor=False)
        rank = first_relevant_rank(plain, c.needles) if c.needles else None
        engine._floor = old  # the engine's own search path, with the floor before this issue
        before = any(h.low for h in engine.search(c.q, k=10))
        engine._floor = new
        hits = engine.search(c.q, k=10)
        after = any(h.low for h in hits)
        hidden = rank is not None and first_relevant_rank(hits, c.needles) != rank
        vec = engine.embed_query(c.q)
        tokens = engine.tokenizer(c.q)
        support = keyword_support(tokens, engine.store.document_frequency(tokens), len(engine.store))
        rows.append(Row(c, rank, before, after, hidden, new.margin(vec, engine.relevance.best_score(vec)), support, vec))
    return rows


def share(flags: list[bool]) -> str:
    return f"{sum(flags)}/{len(flags)} ({100 * sum(flags) / len(flags):.0f}%)" if flags else "-"


def report(name: str, rows: list[Row]) -> None:
    print(f"\n== {name}")
    print(f"{'set':<40}{'before':>14}{'after':>14}")
    for group, splits in (("dev", (None,)), ("library", ("calibrate", "heldout", None))):
        for split in splits:
            sel = [r for r in rows if r.case.group == group and r.rank == 1 and split in (None, r.case.split)]
            if sel:
                label = f"{group} {split or 'all'}: relevant first hit flagged"
                print(f"{label:<40}{share([r.before for r in sel]):>14}{share([r.after for r in sel]):>14}")
        sel = [r for r in rows if r.case.group == group and r.rank is not None]
        print(f"{group + ': relevant top-10 hit cut off':<40}{'':>14}{share([r.hidden for r in sel]):>14}")
    for split in ("calibrate", "heldout"):
        sel = [r for r in rows if r.case.group == "nonsense" and r.case.split == split]
        label = f"nonsense {split}: flagged"
        print(f"{label:<40}{share([r.before for r in sel]):>14}{share([r.after for r in sel]):>14}")
    missed = [r.case.q for r in rows if r.case.group == "nonsense" and r.case.split == "heldout" and not r.after]
    print("held-out nonsense not flagged:", ", ".join(missed) or "none")
    wrong = [r.case.q for r in rows if r.rank == 1 and r.after]
    print("relevant first hits flagged:", ", ".join(wrong) or "none")


def sweep(measured: dict[str, tuple[Engine, list[Row]]]) -> None:
    """Calibration half only: for each NEAREST, the lift of the closest relevant query and nonsense flagged."""
    print("\n== calibration (nonsense `calibrate`, dev, library `tune`; keyword support < MIN_SUPPORT only)")
    print("nearest  lowest relevant lift  nonsense flagged at MARGIN " + " ".join(
        f"{m:>5.3f}" for m in MARGINS))
    for k in (1, 3, 5, 8):
        real, noise = [], []
        for engine, rows in measured.values():
            fl = engine.relevance_floor()
            floor = Floor(fl.probes, fl.reach, nearest=k)
            for r in rows:
                if r.case.split != "calibrate" or r.support >= MIN_SUPPORT:
                    continue
                lift = r.margin - floor.expected(r.vec)
                if r.case.group == "nonsense":
                    noise.append(lift)
                elif r.rank == 1:
                    real.append(lift)
        low = min(real) if real else float("nan")
        cells = " ".join(f"{sum(x < m for x in noise):>5}" for m in MARGINS)
        print(f"{k:>7}  {low:>20.3f}  {'':>26} {cells}   of {len(noise)} with weak words")


def shipped_index(embedder: CachedEmbedder, folder: Path) -> Path:
    build_index([paths.CORPUS_DIR], folder, embedder, wait=True)
    return folder


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", type=Path, default=LIBRARY / "index-lib-all")
    ap.add_argument("--vectors", type=Path, default=LIBRARY / "vectors")
    ap.add_argument("--sweep", action="store_true", help="print the calibration of NEAREST and MARGIN")
    args = ap.parse_args(argv)
    embedder = ReadOnlyCache(args.vectors)
    all_cases = cases()
    measured = {}
    with tempfile.TemporaryDirectory() as tmp:
        indexes = {"shipped corpus": shipped_index(embedder, Path(tmp) / "index")}
        if args.library.exists():
            indexes["library"] = args.library
        else:
            print(f"library index not found at {args.library}: shipped corpus only")
        for name, folder in indexes.items():
            engine = Engine.open(folder, embedder=embedder)
            measured[name] = (engine, measure(engine, all_cases))
            print(f"{name}: {len(engine.store)} clauses, MARGIN {MARGIN}, probes reach "
                  f"{np.median(engine.relevance_floor().reach):+.3f} (median)")
        for name, (_, rows) in measured.items():
            report(name, rows)
        if args.sweep:
            sweep(measured)


if __name__ == "__main__":
    main()
