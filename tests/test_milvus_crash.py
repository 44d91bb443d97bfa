"""A milvus build killed midway (SIGKILL while inserting) leaves the previous collection serving the whole
library; the next build removes the half-filled collection."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("pymilvus", reason="pymilvus not installed (requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed (requirements-scale.txt)")

from indexer.embedders import FakeEmbedder  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from indexer.search import Engine  # noqa: E402
from indexer.store import milvus_local, open_store  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.test_store_contract import random_corpus  # noqa: E402

BUILD = """
import os, signal, sys
from pathlib import Path
from indexer.ingest.build import build_index
from indexer.embedders import FakeEmbedder
from tests.test_store_contract import random_corpus
seed, kill = int(sys.argv[2]), sys.argv[3] == "kill"
if kill:
    import pymilvus
    import indexer.store.milvus_writer as backend
    backend.INSERT_BATCH = 7  # many small inserts, so the kill lands in the middle of the collection
    insert, calls = pymilvus.MilvusClient.insert, []
    def insert_then_die(self, *a, **kw):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return insert(self, *a, **kw)
    pymilvus.MilvusClient.insert = insert_then_die
build_index(index_dir=Path(sys.argv[1]), embedder=FakeEmbedder(32), documents=random_corpus(seed, n_docs=8),
            backend="milvus")
"""


def run_build(index_dir, seed: int, kill: bool, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BUILD, str(index_dir), str(seed), "kill" if kill else "ok"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)


@pytest.mark.parametrize("analyzer", ["tokens", "jieba"])
def test_a_killed_build_leaves_the_previous_collection_serving(tmp_path, monkeypatch, analyzer):
    """tokens: the killed build wrote into the live collection (rows of a build nobody published);
    jieba: another analyzer, so it was filling a new collection nobody names."""
    from indexer.store.milvus_schema import collection_prefix, connect

    env = {**os.environ, "POLICY_MILVUS_URI": str(tmp_path / "crash.db"), "POLICY_EMBEDDER": "fake"}
    monkeypatch.setenv("POLICY_MILVUS_URI", env["POLICY_MILVUS_URI"])
    index = tmp_path / "index"
    done = run_build(index, seed=1, kill=False, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    killed = run_build(index, seed=2, kill=True, env={**env, "POLICY_MILVUS_ANALYZER": analyzer})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    time.sleep(0.5)  # the Lite server dies with its parent; let it release the file
    store = open_store(index)
    expected = random_corpus(1, n_docs=8)
    assert [d.doc_id for d in store.documents()] == [d.doc_id for d in expected]
    assert len(store) == sum(len(d.clauses) for d in expected)  # the whole previous library, not half a new one
    hits = Engine(store, FakeEmbedder(32)).search("人才税收", k=5)
    assert hits and all(h.doc_id.startswith("doc-1-") for h in hits)
    prefix = collection_prefix(index)
    names = [c for c in connect(store.uri).list_collections() if c.startswith(prefix)]
    if analyzer == "jieba" or milvus_local.lite3():  # a new collection: milvus-lite 3 fills one every build
        assert len(names) == 2 and store.collection in names  # the live one and the killed build's orphan
    else:
        assert names == [store.collection] and entities(store) == len(store) + 14  # 2 batches of 7 unseen

    build_index(index_dir=index, embedder=FakeEmbedder(32), documents=random_corpus(3, n_docs=8), backend="milvus")
    fresh = open_store(index)
    names = [c for c in connect(store.uri).list_collections() if c.startswith(prefix)]
    assert sorted(names) == sorted({fresh.collection, store.collection})  # the orphan is gone
    assert fresh.documents()[0].doc_id == "doc-3-0" and entities(fresh) == len(fresh)


def entities(store) -> int:
    return store.client.query(store.collection, filter="", output_fields=["count(*)"])[0]["count(*)"]
