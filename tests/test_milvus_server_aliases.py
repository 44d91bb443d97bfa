"""A Milvus server without aliases (UNIMPLEMENTED, as milvus-lite 2.5's): the build says so in one line and the
index's recorded collection name, switched by an atomic rename, is the switch; a killed build leaves it on the
old collection and the next build removes the orphan. The server is the real `milvus-lite server` behind a grpc
interceptor that answers every alias call UNIMPLEMENTED with no details (tests/milvus_server.py)."""
from __future__ import annotations

import json
import os
import signal

import pytest

from tests.milvus_server import MilvusServer, server_kind

pytestmark = [pytest.mark.milvus_server,
              pytest.mark.skipif(server_kind() != "3", reason="milvus-lite 3 (milvus-lite server) not installed")]

from indexer.embedders import FakeEmbedder  # noqa: E402
from indexer.search import Engine  # noqa: E402
from indexer.store import open_store  # noqa: E402
from indexer.store.milvus_errors import lacks_aliases  # noqa: E402
from indexer.store.milvus_schema import collection_prefix  # noqa: E402
from tests.test_milvus_server_rebuild import WAIT, build, collections  # noqa: E402


def test_a_server_without_aliases_switches_the_recorded_name(tmp_path):
    with MilvusServer(tmp_path / "data", aliases=False) as server:
        env = {**os.environ, "POLICY_MILVUS_URI": server.uri}
        env.pop("POLICY_EMBEDDER", None)
        index, flag = tmp_path / "index", tmp_path / "go"
        prefix = collection_prefix(index)

        def built(seed: int, mode: str = "plain"):
            p = build(index, seed, mode, flag, env)
            p.wait(WAIT)
            return p.returncode, p.stderr.read()

        rc, err = built(1)
        assert rc == 0, err[-2000:]
        said = [line for line in err.splitlines() if "no aliases" in line]
        assert len(said) == 1 and server.uri in said[0] and "不支持别名" in said[0]  # one line, bilingual
        first = open_store(index)
        info = first.manifest["milvus"]
        assert info["alias"] == "" and info["switch"] == "record"
        assert collections(server.uri, prefix) == ("", [first.collection])  # no alias was made

        rc, err = built(2)
        assert rc == 0, err[-2000:]
        second = open_store(index)
        assert first.is_stale() and second.collection != first.collection
        hits = Engine(second, FakeEmbedder(32)).search("人才税收", k=5)
        assert hits and all(h.doc_id.startswith("doc-2-") for h in hits)
        assert collections(server.uri, prefix)[1] == sorted([first.collection, second.collection])

        rc, _ = built(3, "kill")
        assert rc == -signal.SIGKILL
        after = open_store(index)
        assert after.collection == second.collection  # the record still names the old collection
        assert len(collections(server.uri, prefix)[1]) == 3  # its orphan is left until the next build
        rc, err = built(3)
        assert rc == 0, err[-2000:]
        third = open_store(index)
        assert collections(server.uri, prefix)[1] == sorted([second.collection, third.collection])
        recorded = json.loads((third.folder / "manifest.json").read_text(encoding="utf-8"))["milvus"]
        assert recorded["collection"] == third.collection and recorded["switch"] == "record"


def test_unimplemented_is_read_as_no_aliases():
    import grpc

    class Unimplemented(grpc.RpcError):
        def code(self):
            return grpc.StatusCode.UNIMPLEMENTED

    assert lacks_aliases(Unimplemented())  # what milvus-lite 2.5's server raises (no details)
    assert not lacks_aliases(RuntimeError("alias 'policy_x' does not exist"))
