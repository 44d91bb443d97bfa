"""Cold start of the doors without a browser: the HTTP API and the CLI from launch to the first search answer, and
the Library in one process split into import, opening the index and the first search.

Each figure is the median of --repeat fresh processes. With --before DIR (a checkout of other code, e.g. a
worktree of main) both are measured in the same run, alternating, on the same index and model cache, so the
ratio holds on a loaded machine where the seconds do not.

    .venv/bin/python benchmarks/bench_cold_start.py --before ../main-before --repeat 5
    (the app in a real browser: benchmarks/bench_app.py)
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERY = "工业机器人集成应用"
COVERAGE = ["--reference", "guangdong-2020-strategic-clusters", "--target", "dongguan-2021-strategic-clusters"]
MEMO = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-cold-start-memo"  # the disk memo a first process fills

IN_PROCESS = """
import json, sys, time
t0 = time.perf_counter()
from indexer.library import Library
t1 = time.perf_counter()
lib = Library(sys.argv[1])
lib.engine()
t2 = time.perf_counter()
hits = lib.search(sys.argv[2], k=10)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "open": t2 - t1, "first_search": t3 - t2, "total": t3 - t0, "hits": len(hits)}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(code: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("POLICY_EMBEDDER", None)
    return env


def api_first_answer(code: Path, index: str) -> float:
    """Seconds from launching `python -m indexer serve` to the first /v1/search answer with hits."""
    port = _free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "indexer", "serve", "--port", str(port), "--index-dir", index,
                             "--log-level", "warning"], cwd=code, env=_env(code), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1/search?q={urllib.parse.quote(QUERY)}&k=10"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=120) as r:
                    if r.status == 200 and json.loads(r.read()):
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(30)


def cli_answer(code: Path, index: str) -> float:
    """Seconds of `python -m indexer search QUERY --json`, start to exit."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "indexer", "search", QUERY, "--json", "--index-dir", index], cwd=code,
                   env=_env(code), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def cli_coverage(code: Path, index: str) -> float:
    """Seconds of `python -m indexer coverage` of the shipped province and city lists, start to exit (its list
    items and the industry vocabulary come from the disk memo an earlier process filled, where the code has one)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "indexer", "coverage", *COVERAGE], cwd=code,
                   env={**_env(code), "POLICY_EMBED_MEMO": str(MEMO), "POLICY_INDEX": index}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def library_parts(code: Path, index: str) -> dict:
    out = subprocess.run([sys.executable, "-c", IN_PROCESS, index, QUERY], cwd=code, env=_env(code), check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(codes: dict[str, Path], indexes: dict[str, str], repeat: int) -> dict:
    runs: dict[str, dict[str, list[float]]] = {name: {} for name in codes}
    for name, code in codes.items():  # a process before the measured ones: fills the memo of code that has one
        cli_coverage(code, indexes[name])
    for _ in range(repeat):
        for name, code in codes.items():  # alternating: a burst of load hits both sides alike
            r, index = runs[name], indexes[name]
            r.setdefault("api_first_answer", []).append(api_first_answer(code, index))
            r.setdefault("cli_search", []).append(cli_answer(code, index))
            r.setdefault("cli_coverage", []).append(cli_coverage(code, index))
            for k, v in library_parts(code, index).items():
                if k != "hits":
                    r.setdefault(f"library_{k}", []).append(v)
    return {name: {k: round(statistics.median(v), 3) for k, v in r.items()} for name, r in runs.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", default=os.environ.get("POLICY_INDEX") or str(ROOT / "embeddings"))
    ap.add_argument("--before", type=Path, help="a checkout of the code to compare with (same run)")
    ap.add_argument("--before-index", help="the index that code reads (default --index-dir; an index of another "
                                           "layout needs its own, built by that code from the same corpus)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    codes = {"after": ROOT}
    if args.before:
        codes = {"before": args.before.resolve(), **codes}
    res = {"index": args.index_dir, "repeat": args.repeat, "cpus": os.cpu_count(),
           "median_s": measure(codes, {"before": args.before_index or args.index_dir, "after": args.index_dir},
                               args.repeat)}
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
        return 0
    print(f"冷启动 cold start, median of {args.repeat} fresh processes each ({os.cpu_count()} CPUs), index "
          f"{args.index_dir}")
    rows = res["median_s"]
    keys = list(next(iter(rows.values())))
    print(f"{'':24}" + "".join(f"{n:>10}" for n in rows) + ("   after/before" if "before" in rows else ""))
    for k in keys:
        ratio = f"   {rows['after'][k] / rows['before'][k]:.2f}" if "before" in rows and rows["before"][k] else ""
        print(f"{k:24}" + "".join(f"{rows[n][k]:>10.3f}" for n in rows) + ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
