"""A Milvus Lite file and its processes: one process per file (a second is refused in one line and the first keeps
serving), URIs that are not file paths, paths that are simply wrong, and servers left behind by a killed parent."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.errors import IndexError_
from indexer.store.milvus_uri import resolve_uri

pytest.importorskip("pymilvus", reason="pymilvus not installed (requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed (requirements-scale.txt)")

from indexer.embedders import FakeEmbedder  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from indexer.store import milvus_local  # noqa: E402
from indexer.store.milvus_schema import connect  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.test_store_contract import random_corpus  # noqa: E402

BUILD = """
import sys
from pathlib import Path
from indexer.embedders import FakeEmbedder
from indexer.ingest.build import build_index
from tests.test_store_contract import random_corpus
build_index(index_dir=Path(sys.argv[1]), embedder=FakeEmbedder(32), documents=random_corpus(1, n_docs=6),
            backend="milvus")
"""

# what `serve` does: open the store, answer searches as long as it runs
SERVE = """
import sys
from pathlib import Path
from indexer.embedders import FakeEmbedder
from indexer.search import Engine
from indexer.store import open_store
engine = Engine(open_store(Path(sys.argv[1])), FakeEmbedder(32))
print("ready", len(engine.search("人才税收", k=5)), flush=True)
for line in sys.stdin:
    print("hits", len(Engine(open_store(Path(sys.argv[1])), FakeEmbedder(32)).search("人才税收", k=5)), flush=True)
"""


class CountingEmbedder(FakeEmbedder):
    calls = 0

    def embed_passages(self, texts):
        CountingEmbedder.calls += 1
        return super().embed_passages(texts)


@pytest.fixture
def served(tmp_path, monkeypatch):
    """An index on a Lite file, built in one process and held open by another (a running `serve`)."""
    env = {**os.environ, "POLICY_MILVUS_URI": str(tmp_path / "shared.db"), "POLICY_EMBEDDER": "fake"}
    monkeypatch.setenv("POLICY_MILVUS_URI", env["POLICY_MILVUS_URI"])
    index = tmp_path / "index"
    done = subprocess.run([sys.executable, "-c", BUILD, str(index)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(index)], cwd=ROOT, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        first = server.stdout.readline().split()
        assert first[:1] == ["ready"] and int(first[1]) > 0, first
        yield index, env, server
    finally:
        server.kill()
        server.wait(timeout=30)


def test_a_build_into_a_file_another_process_serves_is_refused_and_the_server_keeps_answering(served):
    index, env, server = served
    CountingEmbedder.calls = 0
    with pytest.raises(IndexError_) as refused:  # in this process: refused before any passage is embedded
        build_index(index_dir=index, embedder=CountingEmbedder(32), documents=random_corpus(2, n_docs=6),
                    backend="milvus")
    message = str(refused.value)
    assert "open in another process" in message and "\n" not in message and CountingEmbedder.calls == 0
    assert f"process {server.pid}" in message  # names who holds it
    cli = subprocess.run([sys.executable, "-m", "indexer", "build", "--corpus", str(ROOT / "corpus"),
                          "--index-dir", str(index), "--store", "milvus"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=240)
    lines = cli.stderr.strip().splitlines()
    assert cli.returncode != 0 and len(lines) == 1 and "open in another process" in lines[0], cli.stderr[-2000:]
    assert "Traceback" not in cli.stderr and "已建索引" not in cli.stdout
    assert milvus_local.lock_path(Path(env["POLICY_MILVUS_URI"])).exists()  # the owner's lock was left alone
    server.stdin.write("search\n")
    server.stdin.flush()
    answer = server.stdout.readline().split()
    assert answer[:1] == ["hits"] and int(answer[1]) > 0, answer  # the serving process still answers


@pytest.mark.skipif(milvus_local.lite3(), reason="milvus-lite 3 serves a Lite folder from the opening process")
def test_a_server_left_running_on_the_file_is_stopped_before_it_is_opened_again(tmp_path):
    """A Lite server whose parent was killed while another process held a (replaced) lock file keeps running on
    the data: the next open stops it instead of starting a second server on the same file."""
    import fcntl

    from milvus_lite.server import BIN_PATH

    path = (tmp_path / "left.db").resolve()
    lock = open(tmp_path / "elsewhere.lock", "a")
    fcntl.lockf(lock, fcntl.LOCK_EX)  # what keeps a leftover server alive: a lock someone still holds
    env = {**os.environ, "LD_LIBRARY_PATH": BIN_PATH}
    left = subprocess.Popen([os.path.join(BIN_PATH, "milvus"), str(path), f"unix:{tmp_path}/left.sock", "ERROR",
                             lock.name], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if milvus_local._servers(path):
                break
            time.sleep(0.05)
        assert milvus_local._servers(path) == [left.pid]
        client = connect(str(path))
        running = milvus_local._servers(path)
        assert left.pid not in running and len(running) == 1 and client.list_collections() == []
    finally:
        left.kill()
        left.wait(timeout=30)
        lock.close()


# ---------------------------------------------------------------- URIs and paths

def test_a_milvus_scheme_uri_is_the_server_not_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLICY_MILVUS_URI", "milvus://milvus.example:19530")
    assert resolve_uri(tmp_path / "index") == "http://milvus.example:19530"
    monkeypatch.setenv("POLICY_MILVUS_URI", "ftp://milvus.example:19530")
    with pytest.raises(IndexError_, match="unsupported Milvus URI scheme ftp://"):
        resolve_uri(tmp_path / "index")
    assert list(tmp_path.iterdir()) == []  # no folder named "milvus:" or "ftp:"


@pytest.mark.parametrize("where, says", [
    ("missing/parent/x.db", "no such folder"),
    ("folder.db", "is a folder, not a Milvus Lite file"),  # milvus-lite 2.5 keeps a file
    ("file.db", "was written by Milvus Lite 2.5"),  # milvus-lite 3 keeps a folder
    ("x.sqlite", "must end in .db"),
])
def test_a_wrong_lite_path_says_what_is_wrong(tmp_path, where, says):
    if where in ("folder.db", "file.db") and (where == "file.db") != milvus_local.lite3():
        pytest.skip("the other milvus-lite's layout")
    (tmp_path / "folder.db").mkdir()
    (tmp_path / "file.db").write_bytes(b"SQLite format 3\0")
    with pytest.raises(IndexError_) as wrong:
        connect(str(tmp_path / where))
    assert says in str(wrong.value) and "one process" not in str(wrong.value)
    assert not (tmp_path / "missing").exists()
