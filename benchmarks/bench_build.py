"""Build cost: a fresh build's clauses per second beside the raw embedder, and the cost of adding one file to the
library, for this checkout and for a previous one (a worktree of main) in the same run.

1. Fresh build: the shipped corpus plus --docs Zhejiang regulations (fixed order), embedded by the default model;
   the raw embedder on the build's passage texts in calls of 256 (the best a build can reach) in the same child
   process. Before and now alternate, --rounds times; medians are printed. Then the same passages embedded in
   calls of EMBED_BATCH in document order and shortest first (what the build now does), alternating.
2. Adding one file: the 410 Zhejiang regulations (--library-docs fewer) are indexed once per checkout with hashed
   stand-in vectors under the real model's name (embedding 42,819 clauses would take half an hour here and is not
   what is measured); then one national law of ~44 articles is copied into the uploads folder and the library
   rebuilt, its own clauses embedded by the real model. Each round adds a different law. Printed: the whole
   rebuild, its embedding, and the rest (reading, parsing, tokenising, BM25, writing), in wall-clock seconds and
   in CPU seconds of the build's process (less sensitive to other work on a shared machine).

Every checkout runs in its own child process, so each imports its own `indexer`.

    .venv/bin/python benchmarks/bench_build.py --before ../wt-base [--docs 10] [--rounds 2] [--library-docs 410]
        [--skip fresh|order|add]
    .venv/bin/python benchmarks/bench_build.py --series 20     # 20 additions in a row, segment merges shown
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ZHEJIANG = SHARED / "library" / "zhejiang"
LAWS = SHARED / "library" / "national" / "laws"
NEW_FILES = ("乡镇企业法(1996-10-29).md", "国家赔偿法(2012-10-26).md", "国防教育法(2024-09-13).md",
             "反间谍法(2014-11-01).md", "中国人民解放军选举全国人民代表大会和县级以上地方各级人民代表大会代表的办法(2021-04-29).md")

CHILD = r'''
import hashlib, json, shutil, sys, tempfile, time
from pathlib import Path
root, mode, args = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, str(root))
import numpy as np
from indexer.embedders import Embedder, get_embedder
from indexer.ingest import build
from indexer.ingest.corpus import load_folders

class LibraryVectors(Embedder):
    """The real model's name and space; while `stand_in` is set, hashed unit vectors instead of the model."""
    def __init__(self, inner):
        self.inner, self.name, self.dim, self.stand_in = inner, inner.name, inner.dim, True
        self.cpu = 0.0  # CPU seconds of this process spent in the model
    def info(self):
        return self.inner.info()
    def embed_passages(self, texts):
        if not self.stand_in:
            t = time.process_time()
            try:
                return self.inner.embed_passages(texts)
            finally:
                self.cpu += time.process_time() - t
        seeds = [int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little") for t in texts]
        v = np.stack([np.random.default_rng(s).standard_normal(self.dim) for s in seeds]).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)
    def embed_query(self, text):
        return self.inner.embed_query(text)

emb = get_embedder()
if mode == "order":  # the same passages in calls of EMBED_BATCH, in document order and shortest first
    docs = load_folders([Path(args["corpus"])], errors=[]) + load_folders([Path(args["zhejiang"])], errors=[])
    ps = list(dict.fromkeys(build.passage_text(c, d.meta.title) for d in docs[: 5 + args["docs"]] for c in d.clauses))
    rates = {"document order": [], "shortest first": []}
    for r in range(args["rounds"]):
        for name in (list(rates) if r % 2 == 0 else list(reversed(rates))):
            order = ps if name == "document order" else sorted(ps, key=len)
            t = time.perf_counter()
            for i in range(0, len(order), build.EMBED_BATCH):
                emb.embed_passages(order[i:i + build.EMBED_BATCH])
            rates[name].append(len(ps) / (time.perf_counter() - t))
    print(json.dumps({"passages": len(ps), "batch": build.EMBED_BATCH, "rates": rates}))
elif mode == "fresh":
    docs = load_folders([Path(args["corpus"])], errors=[]) + load_folders([Path(args["zhejiang"])], errors=[])
    docs = docs[: 5 + args["docs"]]
    passages = [build.passage_text(c, d.meta.title) for d in docs for c in d.clauses]
    t = time.perf_counter()
    for i in range(0, len(passages), 256):
        emb.embed_passages(passages[i:i + 256])
    raw = len(passages) / (time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as tmp:
        r = build.build_index(index_dir=Path(tmp) / "i", embedder=emb, documents=docs)
    print(json.dumps({"documents": len(docs), "clauses": len(passages), "embedded": r.embedded,
                      "build": r.embedded / r.seconds, "raw": raw}))
else:
    work = Path(args["work"])
    corpus, uploads, idx = work / "corpus", work / "uploads", work / "idx"
    wrapped = LibraryVectors(emb)
    t = time.perf_counter()
    r = build.build_index([corpus, uploads], idx, wrapped)
    base = {"documents": r.documents, "clauses": r.clauses, "seconds": time.perf_counter() - t}
    wrapped.stand_in = False
    out = []
    for name in args["files"]:
        shutil.copy(Path(args["laws"]) / name, uploads / name)
        wrapped.cpu, cpu = 0.0, time.process_time()
        r = build.build_index([corpus, uploads], idx, wrapped)
        gen = idx / (idx / "CURRENT").read_text().strip()
        segs = (json.loads((gen / "manifest.json").read_text()).get("keywords") or {}).get("segments", [])
        out.append({"file": name, "documents": r.documents, "embedded": r.embedded, "seconds": r.seconds,
                    "embed": r.embed_seconds, "cpu": time.process_time() - cpu, "embed_cpu": wrapped.cpu,
                    "segments": [s["rows"] for s in segs]})
    print(json.dumps({"base": base, "adds": out}))
'''


def child(checkout: Path, mode: str, **args) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, str(checkout), mode, json.dumps(args, ensure_ascii=False)],
                         capture_output=True, text=True, cwd=checkout,
                         env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                              "POLICY_UPLOADS": "/nonexistent"})
    if res.returncode:
        raise SystemExit(f"{checkout} {mode} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def fresh_builds(checkouts: dict[str, Path], docs: int, rounds: int) -> None:
    rates: dict[str, list[float]] = {k: [] for k in checkouts}
    raws: list[float] = []
    info = {}
    for r in range(rounds):
        for name, path in (checkouts.items() if r % 2 == 0 else reversed(checkouts.items())):
            info = child(path, "fresh", corpus=str(ROOT / "corpus"), zhejiang=str(ZHEJIANG), docs=docs)
            rates[name].append(info["build"])
            raws.append(info["raw"])
        print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}/s" for k, v in rates.items())
              + f", raw {raws[-1]:.1f}/s", flush=True)
    raw = statistics.median(raws)
    print(f"fresh build of {info['documents']} documents, {info['clauses']} clauses ({info['embedded']} distinct "
          f"passages), raw embedder {raw:.1f} clauses/s in calls of 256 (median of {len(raws)}):")
    for name, v in rates.items():
        m = statistics.median(v)
        print(f"  {name:7} build {m:6.1f} clauses/s = {m / raw:.2f} of the raw embedder")


def call_order(checkout: Path, docs: int, rounds: int) -> None:
    res = child(checkout, "order", corpus=str(ROOT / "corpus"), zhejiang=str(ZHEJIANG), docs=docs, rounds=rounds)
    med = {k: statistics.median(v) for k, v in res["rates"].items()}
    print(f"embedding the same {res['passages']} passages in calls of {res['batch']} (median of {rounds}): "
          + ", ".join(f"{k} {v:.1f}/s" for k, v in med.items())
          + f" = {med['shortest first'] / med['document order']:.2f}×")


def add_one_file(checkouts: dict[str, Path], work: Path, library_docs: int, rounds: int) -> None:
    import shutil
    files = list(NEW_FILES[:rounds])
    results = {}
    for name, path in checkouts.items():
        folder = work / name
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "corpus").mkdir(parents=True)
        (folder / "uploads").mkdir()
        for p in sorted(ZHEJIANG.iterdir())[:library_docs]:
            shutil.copy(p, folder / "corpus" / p.name)
        results[name] = child(path, "add", work=str(folder), laws=str(LAWS), files=files)
        shutil.rmtree(folder, ignore_errors=True)
    base = next(iter(results.values()))["base"]
    print(f"adding one file to a library of {base['documents']} documents, {base['clauses']} clauses "
          f"(rounds: {len(files)} different laws):")
    for name, res in results.items():
        adds = res["adds"]
        for a in adds:
            print(f"  {name:7} {a['file'][:12]:12} +{a['embedded']:3} clauses embedded: total {a['seconds']:5.2f} s ="
                  f" embedding {a['embed']:5.2f} s + the rest {a['seconds'] - a['embed']:5.2f} s"
                  f" (CPU: embedding {a['embed_cpu']:5.2f} s, the rest {a['cpu'] - a['embed_cpu']:5.2f} s)")
        rest = statistics.median(a["seconds"] - a["embed"] for a in adds)
        rest_cpu = statistics.median(a["cpu"] - a["embed_cpu"] for a in adds)
        emb = statistics.median(a["embed"] for a in adds)
        print(f"  {name:7} median: embedding {emb:.2f} s, the rest {rest:.2f} s (CPU {rest_cpu:.2f} s) "
              f"(first full build of the library {res['base']['seconds']:.1f} s)")


def series(work: Path, library_docs: int, n: int) -> None:
    """n laws added one after another (this checkout): each rebuild's cost besides embedding, and the keyword
    segments after it, so the merges (MAX_SEGMENTS) show where they happen and what they cost."""
    import shutil
    small = sorted((p for p in LAWS.iterdir() if 6_000 < p.stat().st_size < 20_000 and p.name not in NEW_FILES),
                   key=lambda p: p.name)[:n]
    folder = work / "series"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "corpus").mkdir(parents=True)
    (folder / "uploads").mkdir()
    for p in sorted(ZHEJIANG.iterdir())[:library_docs]:
        shutil.copy(p, folder / "corpus" / p.name)
    res = child(ROOT, "add", work=str(folder), laws=str(LAWS), files=[p.name for p in small])
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(small)} laws added one after another to {res['base']['documents']} documents "
          f"({res['base']['clauses']} clauses): the rest of each rebuild (all but embedding) and the segments after it")
    rests = []
    for i, a in enumerate(res["adds"], 1):
        rests.append(a["seconds"] - a["embed"])
        segs = a["segments"]
        print(f"  {i:2} +{a['embedded']:3} clauses: the rest {rests[-1]:5.2f} s (CPU {a['cpu'] - a['embed_cpu']:5.2f} s);"
              f" {len(segs)} segments, rows {segs}")
    print(f"  median {statistics.median(rests):.2f} s, max {max(rests):.2f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, help="a checkout of the previous code (a worktree of main)")
    ap.add_argument("--docs", type=int, default=10, help="Zhejiang regulations in the fresh build")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--library-docs", type=int, default=410)
    ap.add_argument("--skip", choices=("fresh", "order", "add"), action="append", default=[],
                    help="leave a part out (repeatable)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_build"))
    ap.add_argument("--series", type=int, default=0, metavar="N",
                    help="only: N laws added one after another (merges of keyword segments included)")
    args = ap.parse_args()
    if args.series:
        series(args.work, args.library_docs, args.series)
        return 0
    checkouts = ({"before": args.before.resolve()} if args.before else {}) | {"now": ROOT}
    if "fresh" not in args.skip:
        fresh_builds(checkouts, args.docs, args.rounds)
    if "order" not in args.skip:
        call_order(ROOT, args.docs, args.rounds)
    if "add" not in args.skip:
        add_one_file(checkouts, args.work, args.library_docs, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
