"""Load test through real HTTP: N concurrent clients search the API (uvicorn on loopback) while an upload is indexed.

Starts `python -m indexer serve` on a free port over a fresh index of a corpus folder (built here first, or a
copy of --index-dir), then runs mixed searches (hybrid, semantic, keyword, phrase; with and without filters) from
the dev and extra query sets in many wordings, so the query cache does not hide the embedding cost. A few
seconds in, one client uploads a file (POST /v1/documents), which starts a build job; searches go on meanwhile,
for --duration seconds and at least until the build has finished.

Every answer is checked against the Python API (Engine.search on the generation that answered, named by the
response's X-Index-Generation header): clause ids and scores must be equal. Reports throughput, latency
p50/p95/p99 (and p95 while the build ran), errors (HTTP failures and wrong answers; must be zero), the build's
time and the server's memory.

    .venv/bin/python benchmarks/load_api.py                     # 20 clients, 60 s, the real model
    .venv/bin/python benchmarks/load_api.py --duration 5 --json
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from load_test import queries  # noqa: E402

from indexer import paths  # noqa: E402

ADD_FILE = ROOT.parent / "shared" / "external" / "guangzhou-huadu_2024_sme-loan-guarantee-measures.txt"
MODES = ("hybrid", "hybrid", "semantic", "keyword", "phrase")  # hybrid is what people use most
FILTERS = ({}, {}, {"region": "广东"}, {"level": "city"}, {"from": "2020-01-01"})
MAX_SECONDS = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def start_server(index_dir: Path, uploads: Path, corpus: Path, port: int, embedder: str | None, log: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICY_CORPUS": str(corpus)}
    env.pop("POLICY_API_TOKEN", None)
    if embedder:
        env["POLICY_EMBEDDER"] = embedder
    return subprocess.Popen([sys.executable, "-m", "indexer", "serve", "--port", str(port), "--index-dir",
                             str(index_dir), "--uploads", str(uploads), "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_healthy(client, proc, timeout: float = 180.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if client.get("/v1/health").json().get("index"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not answer in time")


def _key(hits: list[dict]) -> list[tuple[str, float]]:
    return [(h["clause_id"], round(h["score"], 4)) for h in hits]


def run(corpus: Path, duration: float = 60.0, clients: int = 20, index_dir: Path | None = None,
        embedder: str | None = None, add_file: Path = ADD_FILE, add_after: float = 3.0,
        n_queries: int = 1000) -> dict:
    """One load run; returns the figures (see the module docstring)."""
    import httpx

    from indexer.ingest.build import build_index
    from indexer.search import Engine, SearchFilters

    tmp = Path(tempfile.mkdtemp(prefix="load-api-"))
    index, uploads = tmp / "index", tmp / "uploads"
    proc = None
    try:
        t0 = time.perf_counter()
        if index_dir is not None:
            shutil.copytree(index_dir, index, ignore=shutil.ignore_patterns("*.lock", "cache"))
        else:
            build_index([corpus], index, embedder)
        index_seconds = time.perf_counter() - t0
        before = Engine.open(index)  # kept open: it answers for the first generation after the build replaces it
        first = before.store.generation
        engines = {first: before}
        qs = queries(n_queries)

        port = free_port()
        proc = start_server(index, uploads, corpus, port, embedder, tmp / "server.log")
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=120) as c:
            t1 = time.perf_counter()
            wait_healthy(c, proc)
            for mode in ("hybrid", "semantic", "keyword", "phrase"):  # load the model, jieba, the floor
                c.get("/v1/search", params={"q": "产业集群", "mode": mode}).raise_for_status()
            start_seconds = time.perf_counter() - t1

        stop = threading.Event()
        lock = threading.Lock()
        records: list[tuple[float, float, str, tuple, list]] = []  # (t, latency, generation, params, answer)
        failures: list[str] = []
        build: dict = {}

        def searcher(i: int) -> None:
            rng = np.random.default_rng(i)
            with httpx.Client(base_url=base, timeout=120) as client:
                while not stop.is_set():
                    q = qs[int(rng.integers(len(qs)))]
                    mode = MODES[int(rng.integers(len(MODES)))]
                    filt = FILTERS[int(rng.integers(len(FILTERS)))]
                    params = {"q": q, "mode": mode, "k": 10, **filt}
                    t = time.perf_counter()
                    try:
                        r = client.get("/v1/search", params=params)
                        lat = time.perf_counter() - t
                        if r.status_code != 200:
                            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
                        answer = _key(r.json())
                    except Exception as exc:  # noqa: BLE001 — every failure is counted and shown
                        with lock:
                            failures.append(f"{type(exc).__name__}: {exc}")
                        continue
                    with lock:
                        records.append((t, lat, r.headers.get("X-Index-Generation", ""),
                                        tuple(sorted(params.items())), answer))

        def uploader() -> None:
            time.sleep(add_after)
            with httpx.Client(base_url=base, timeout=120) as client:
                t = time.perf_counter()
                r = client.post("/v1/documents", files=[("files", (add_file.name, add_file.read_bytes(),
                                                                   "text/plain"))])
                job = r.json().get("job") or {}
                build.update(status=r.status_code, files=r.json().get("files"), started=t)
                while job and job.get("state") in ("queued", "running"):
                    time.sleep(0.2)
                    job = client.get(f"/v1/jobs/{job['job_id']}").json()
                build.update(finished=time.perf_counter(), state=job.get("state"), error=job.get("error"),
                             report={k: (job.get("report") or {}).get(k) for k in ("documents", "clauses",
                                                                                    "embedded", "seconds")})

        def switched() -> bool:
            with lock:
                return any(gen and gen != first for _, _, gen, _, _ in records)

        threads = [threading.Thread(target=searcher, args=(i,), daemon=True) for i in range(clients)]
        up = threading.Thread(target=uploader, daemon=True)
        start = time.perf_counter()
        for t in threads:
            t.start()
        up.start()
        time.sleep(min(duration, MAX_SECONDS))
        # searches go on until the build is done and its generation has answered (a search that started before
        # the switch still answers from the old one), however slow the machine: never a fixed window
        while (up.is_alive() or (build.get("state") == "done" and not switched())) \
                and time.perf_counter() - start < MAX_SECONDS:
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        up.join(timeout=120)
        elapsed = time.perf_counter() - start
        server_peak = peak_rss_mib(proc.pid)

        after = Engine.open(index)
        engines.setdefault(after.store.generation, after)
        wrong, unknown_gen, expected = 0, 0, {}
        for _, _, gen, params, answer in records:  # the Python API's answer on the generation that answered
            eng = engines.get(gen)
            if eng is None:
                unknown_gen += 1
                continue
            if (gen, params) not in expected:
                p = dict(params)
                f = SearchFilters(region=p.get("region", ""), level=p.get("level", ""), date_from=p.get("from", ""))
                expected[gen, params] = _key([h.to_dict() for h in eng.search(p["q"], k=10, mode=p["mode"],
                                                                                filters=f)])
            wrong += expected[gen, params] != answer

        lat = np.array([r[1] for r in records]) * 1000
        during = np.array([r[1] for r in records if build.get("started", 1e18) <= r[0] <= build.get("finished", 0)])
        per_gen = {g: sum(1 for r in records if r[2] == g) for g in {r[2] for r in records}}

        def pct(a, p):
            return round(float(np.percentile(a, p)), 1) if len(a) else None

        return {
            "clients": clients, "seconds": round(elapsed, 1), "requests": len(records),
            "throughput_qps": round(len(records) / elapsed, 1) if elapsed else 0.0,
            "latency_ms": {"p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99),
                           "max": round(float(lat.max()), 1) if len(lat) else None},
            "during_build": {"requests": len(during), "p50_ms": pct(during * 1000, 50),
                             "p95_ms": pct(during * 1000, 95)},
            "errors": len(failures) + wrong + unknown_gen, "http_failures": len(failures), "wrong_answers": wrong,
            "unknown_generation": unknown_gen, "first_errors": failures[:5], "checked_distinct": len(expected),
            "answers_per_generation": per_gen, "embedder": before.store.embedder_name,
            "clauses_before": len(before.store), "clauses_after": len(after.store),
            "build": {**{k: v for k, v in build.items() if k not in ("started", "finished")},
                      "seconds": round(build["finished"] - build["started"], 1) if "finished" in build else None},
            "index_build_seconds": round(index_seconds, 1), "server_start_seconds": round(start_seconds, 1),
            "server_peak_rss_mib": round(server_peak),
        }
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=str(paths.CORPUS_DIR), help="folder indexed (and re-read by the build)")
    p.add_argument("--index-dir", default=None, help="a built index of --corpus to copy instead of building one")
    p.add_argument("--embedder", default=None, help="default: the default model (POLICY_EMBEDDER)")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--duration", type=float, default=60.0, help=f"seconds (at most {MAX_SECONDS})")
    p.add_argument("--add", default=str(ADD_FILE), help="file uploaded during the run")
    p.add_argument("--add-after", type=float, default=3.0, help="seconds before the upload")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    res = run(Path(args.corpus), args.duration, args.clients, Path(args.index_dir) if args.index_dir else None,
              args.embedder, Path(args.add), args.add_after)
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
    else:
        lat, b = res["latency_ms"], res["build"]
        print(f"{res['clients']} HTTP clients × {res['seconds']} s, {res['clauses_before']} → {res['clauses_after']} "
              f"clauses ({res['embedder']})")
        print(f"throughput {res['throughput_qps']} q/s, {res['requests']} requests")
        print(f"latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
        print(f"during the build: {res['during_build']}")
        print(f"errors {res['errors']} (HTTP {res['http_failures']}, wrong answers {res['wrong_answers']}, "
              f"unknown generation {res['unknown_generation']}) {res['first_errors'] or ''}; "
              f"{res['checked_distinct']} distinct answers checked against the Python API")
        print(f"answers per generation: {res['answers_per_generation']}")
        print(f"upload + build: {b.get('state')} in {b.get('seconds')} s, {b.get('report')}")
        print(f"server peak RSS {res['server_peak_rss_mib']} MiB, start {res['server_start_seconds']} s")
    ok = not res["errors"] and res["build"].get("state") == "done"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
