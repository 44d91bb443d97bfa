"""The command line on the milvus backend: `build --store milvus` then `search`/`evaluate` in other processes
(a Milvus Lite file is opened by one process at a time: each command opens and leaves it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("pymilvus", reason="pymilvus not installed (requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed (requirements-scale.txt)")

from tests.conftest import DEV_QUERIES, ROOT, SEED_CORPUS  # noqa: E402


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indexer", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_build_search_and_evaluate_on_milvus(tmp_path):
    env = {**os.environ, "POLICY_EMBEDDER": "fake", "POLICY_MILVUS_URI": str(tmp_path / "cli.db"),
           "POLICY_MILVUS_TOKEN": "root:not-written-anywhere"}  # a Lite file ignores it; a server would use it
    index = str(tmp_path / "index")
    built = cli("build", "--corpus", str(SEED_CORPUS), "--index-dir", index, "--store", "milvus", "--json", env=env)
    assert built.returncode == 0, built.stderr[-2000:]
    report = json.loads(built.stdout)
    assert report["clauses"] > 100 and report["vector_index"]["engine"] == "milvus"
    found = cli("search", "工业机器人", "--index-dir", index, "--region", "东莞", "--json", env=env)
    assert found.returncode == 0, found.stderr[-2000:]
    hits = json.loads(found.stdout)
    assert hits and all("东莞" in h["region"] for h in hits) and "工业机器人" in hits[0]["text"]
    again = cli("build", "--corpus", str(SEED_CORPUS), "--index-dir", index, "--json", env=env)  # keeps milvus
    assert json.loads(again.stdout)["embedded"] == 0 and json.loads(again.stdout)["vector_index"]["engine"] == "milvus"
    scores = cli("evaluate", "--index-dir", index, "--queries", str(DEV_QUERIES), "--modes", "hybrid", "--json",
                 env=env)
    assert scores.returncode == 0, scores.stderr[-2000:]
    assert "milvus" in cli("evaluate", "--index-dir", index, "--queries", str(DEV_QUERIES), "--modes", "keyword",
                           env=env).stdout
    secrets = [p for p in (tmp_path / "index").rglob("*") if p.is_file() and b"not-written-anywhere" in p.read_bytes()]
    assert secrets == []
