"""build --ray ADDRESS against a real local Ray cluster: a head started by `ray start --head` (no CPUs of its own)
and a worker node from a second `ray start --address`, both processes of this test; one embedding worker is
SIGKILLed mid-build, its batches are retried, and the vectors equal a single-process build's."""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray", reason="ray not installed (requirements-scale.txt)")

from indexer.embedders import FakeEmbedder  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from indexer.store import open_store  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.milvus_server import free_port  # noqa: E402
from tests.test_store_contract import random_corpus  # noqa: E402

pytestmark = pytest.mark.slow  # two Ray nodes on a 2-core machine: ~1 minute
RAY = str(Path(sys.executable).with_name("ray"))
WAIT = 300.0  # a guard against a hung cluster; every wait is for a condition


def children(pid: int) -> set[int]:
    """Every live descendant of pid (from /proc)."""
    parent: dict[int, int] = {}
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open(f"/proc/{e}/stat", "rb") as f:
                    parent[int(e)] = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out.update(kids)
        todo.extend(kids)
    return out


def embed_workers(node_pid: int) -> list[int]:
    """The EmbedWorker actor processes the worker node runs (only this test's node, never another's)."""
    out = []
    for pid in children(node_pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().startswith(b"ray::EmbedWorker"):
                    out.append(pid)
        except OSError:
            continue
    return sorted(out)


BUILD = """
import json, os, signal, sys, time
from pathlib import Path
from indexer import ray_embed
from indexer.embedders import FakeEmbedder
from indexer.ingest.build import build_index
from tests.test_ray_cluster import embed_workers, library
address, node_pid, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
end = time.monotonic() + 300
while True:  # until the worker node has joined the head
    try:
        if ray_embed.connect(address).cluster_resources().get("CPU", 0) >= 2:
            break
    except Exception:
        if time.monotonic() > end:
            raise
    time.sleep(0.5)
killed = []
def kill_one_worker(stage, done, total):
    if stage == "embed" and done and not killed and done < total:  # a batch back, others still queued
        workers = embed_workers(node_pid)
        os.kill(workers[0], signal.SIGKILL)
        killed.append(workers[0])
report = build_index(index_dir=out, embedder=FakeEmbedder(64), documents=library(), ray=address, ray_workers=2,
                     progress=kill_one_worker)
out.with_suffix(".json").write_text(json.dumps({"killed": killed, "embedded": report.embedded}))
"""


def library():
    return [d for seed in range(30) for d in random_corpus(seed)]


@pytest.fixture(scope="module")
def cluster():
    """(address, worker node pid, env): `ray start --head --block` and `ray start --address --block`, stopped by
    pid; Ray 2.60's clusters ask for a token: the test's own, given to both nodes and the driver."""
    tmp = tempfile.mkdtemp(prefix="r", dir="/tmp")  # Ray's socket paths must stay short
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = {**os.environ, "RAY_DISABLE_USAGE_STATS": "1", "RAY_raylet_start_wait_time_s": "120",
           "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    head = subprocess.Popen([RAY, "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1",
                             "--num-cpus=0", "--include-dashboard=false", f"--temp-dir={tmp}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    node = subprocess.Popen([RAY, "start", "--block", f"--address={address}", "--node-ip-address=127.0.0.1",
                             "--num-cpus=2"], env={**env, "POLICY_FAKE_DELAY": "0.002"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield address, node.pid, env
    finally:
        for p in (node, head):
            stop(p)


def stop(p: subprocess.Popen) -> None:
    """SIGTERM (--block stops what the node started), then SIGKILL for it and every process it started."""
    kids = children(p.pid)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(30)
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def test_a_build_on_a_ray_cluster_survives_a_killed_worker(tmp_path, cluster):
    address, node_pid, env = cluster
    done = subprocess.run([sys.executable, "-c", BUILD, address, str(node_pid), str(tmp_path / "ray")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=WAIT * 2)
    assert done.returncode == 0, done.stderr[-3000:]
    remote = json.loads((tmp_path / "ray.json").read_text())
    assert remote["killed"] and remote["embedded"] > 1000  # a worker died mid-build; its batches were retried
    local = build_index(index_dir=tmp_path / "local", embedder=FakeEmbedder(64), documents=library())
    a, b = open_store(tmp_path / "local"), open_store(tmp_path / "ray")
    assert remote["embedded"] == local.embedded and a.clause_keys() == b.clause_keys()
    np.testing.assert_allclose(a.vectors(range(len(a))), b.vectors(range(len(b))), atol=1e-6)
