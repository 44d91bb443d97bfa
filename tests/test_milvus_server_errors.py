"""A Milvus server that fails the index: down, a wrong token, a wrong URI, the collection dropped behind the index's
back, a collection of another dimension. Each is one bilingual line naming the URI (never the token), the same
words from the CLI and the HTTP API (503), and the local index folder is left exactly as it was."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from tests.milvus_server import MilvusServer, free_port, server_kind

pytestmark = [pytest.mark.milvus_server,
              pytest.mark.skipif(server_kind() != "3", reason="milvus-lite 3 (milvus-lite server) not installed")]

from indexer.embedders import FakeEmbedder  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.test_store_contract import random_corpus  # noqa: E402

TOKEN = "root:Sesame-never-shown"


def snapshot(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "build.lock"}


def failures(index, env: dict) -> tuple[str, str]:
    """(the CLI's one stderr line, the API's 503 message) for a search."""
    cli = subprocess.run([sys.executable, "-m", "indexer", "search", "人才税收", "--index-dir", str(index), "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    lines = cli.stderr.strip().splitlines()
    assert cli.returncode != 0 and len(lines) == 1 and "Traceback" not in cli.stderr, cli.stderr[-3000:]
    from fastapi.testclient import TestClient

    from indexer.api.app import create_app
    from indexer.store import milvus_schema
    milvus_schema._CLIENTS.clear()  # as a fresh `serve` process would
    with pytest.MonkeyPatch.context() as mp:
        for k in ("POLICY_MILVUS_URI", "POLICY_MILVUS_TOKEN", "POLICY_MILVUS_TIMEOUT"):
            mp.setenv(k, env[k]) if k in env else mp.delenv(k, raising=False)
        with TestClient(create_app(index, index.parent / "uploads", token=""), raise_server_exceptions=False) as c:
            r = c.get("/v1/search", params={"q": "人才税收", "k": 5})
    assert r.status_code == 503 and r.json()["error"] == "index_unavailable", r.text
    return lines[0], r.json()["message"]


def check(line: str, message: str, uri: str, says: str) -> None:
    assert message in line  # the same words at both doors
    assert says in message and uri in message and "Sesame" not in line + message and "\n" not in message
    chinese, _, english = message.partition("/ ")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese) and says in english  # Chinese, then English


@pytest.fixture
def served(tmp_path):
    """An index built on its own server process that asks for a token."""
    server = MilvusServer(tmp_path / "data", token=TOKEN).start()
    env = {**os.environ, "POLICY_MILVUS_URI": server.uri, "POLICY_MILVUS_TOKEN": TOKEN, "POLICY_MILVUS_TIMEOUT": "3"}
    env.pop("POLICY_EMBEDDER", None)
    index = tmp_path / "index"
    with pytest.MonkeyPatch.context() as mp:
        for k in ("POLICY_MILVUS_URI", "POLICY_MILVUS_TOKEN"):
            mp.setenv(k, env[k])
        build_index(index_dir=index, embedder=FakeEmbedder(32), documents=random_corpus(1, n_docs=4), backend="milvus")
    before = snapshot(index)
    yield server, env, index
    assert snapshot(index) == before  # nothing lost or changed in the local index folder
    server.stop()


def test_a_server_that_is_down(served):
    server, env, index = served
    server.stop()
    check(*failures(index, env), server.uri, "cannot reach the Milvus server")


def test_a_wrong_uri(served):
    _, env, index = served
    wrong = f"http://127.0.0.1:{free_port()}"
    check(*failures(index, {**env, "POLICY_MILVUS_URI": wrong}), wrong, "cannot reach the Milvus server")


def test_a_wrong_token(served):
    server, env, index = served
    check(*failures(index, {**env, "POLICY_MILVUS_TOKEN": "root:Sesame-wrong"}), server.uri, "refused the token")


def test_the_collection_dropped_behind_the_index(served):
    server, env, index = served
    from pymilvus import MilvusClient

    from indexer.store import open_store
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLICY_MILVUS_URI", server.uri)
        mp.setenv("POLICY_MILVUS_TOKEN", TOKEN)
        name = open_store(index).collection
    client = MilvusClient(uri=server.uri, token=TOKEN)
    client.drop_collection(name)
    line, message = failures(index, env)
    check(line, message, server.uri, "is gone from the Milvus server")
    assert name in message


def test_a_collection_of_another_dimension(served):
    server, env, index = served
    from pymilvus import MilvusClient

    from indexer.store import open_store
    from indexer.store.milvus_schema import create_collection
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLICY_MILVUS_URI", server.uri)
        mp.setenv("POLICY_MILVUS_TOKEN", TOKEN)
        name = open_store(index).collection
    client = MilvusClient(uri=server.uri, token=TOKEN)
    client.drop_collection(name)  # someone rebuilt it by hand with another model
    create_collection(client, name, 64, "tokens", {"index_type": "FLAT"})
    line, message = failures(index, env)
    check(line, message, server.uri, "model dimension 32 is not the collection")
