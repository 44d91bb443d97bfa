"""A short load run through real HTTP (uvicorn on loopback, the real model): 20 clients while an upload is indexed.

The 60-second version with its figures is benchmarks/load_api.py; this one asserts only what must hold: no
error, every answer the Python API's, and searches answered before, during and after the build.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_twenty_http_clients_while_a_build_adds_a_file(nano_index):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from load_api import ADD_FILE, run

    from tests.conftest import SEED_CORPUS

    if not ADD_FILE.exists():
        pytest.skip(f"{ADD_FILE} not found")
    res = run(SEED_CORPUS, duration=5, clients=20, index_dir=nano_index, add_after=1.0)
    assert res["errors"] == 0, res["first_errors"]
    assert res["build"]["state"] == "done" and res["build"]["status"] == 201
    assert res["clauses_after"] > res["clauses_before"]
    assert len(res["answers_per_generation"]) == 2  # answers from the old index and from the new one
    assert res["during_build"]["requests"] > 0  # the build blocked no search
    assert res["checked_distinct"] > 0 and res["requests"] >= res["checked_distinct"]
