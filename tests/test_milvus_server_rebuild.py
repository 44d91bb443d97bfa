"""Rebuild while serving, on a real Milvus server: a build process fills a new collection while the HTTP API
(`python -m indexer serve`) and a loop of `python -m indexer search` processes keep answering; every answer
comes whole from the old or the new build, none fails; the alias is the switch; the old collection goes only
after it; a build SIGKILLed halfway leaves the alias where it was and the next build removes its orphan."""
from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.milvus_server import free_port, server_kind

pytestmark = [pytest.mark.milvus_server,
              pytest.mark.skipif(server_kind() != "3", reason="milvus-lite 3 (milvus-lite server) not installed")]

from tests.conftest import ROOT  # noqa: E402
from tests.test_store_contract import random_corpus  # noqa: E402

WAIT = 300.0  # a guard against a hung process, never a timing assumption: every wait below is for a condition
QUERY = "人才税收"

BUILD = """
import os, signal, sys, time
from pathlib import Path
import pymilvus
import indexer.store.milvus_writer as w
from indexer.embedders import FakeEmbedder
from indexer.ingest.build import build_index
from tests.test_store_contract import random_corpus
index, seed, mode, flag = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
if mode == "pause":  # the new collection is filled, nothing is switched yet: wait for the test's go
    sidecar = w.MilvusWriter._sidecar
    def paused(self, *a, **kw):
        flag.with_suffix(".paused").touch()
        while not flag.exists():
            time.sleep(0.05)
        return sidecar(self, *a, **kw)
    w.MilvusWriter._sidecar = paused
if mode == "kill":  # SIGKILL in the middle of the inserts
    w.INSERT_BATCH = 7
    insert, calls = pymilvus.MilvusClient.insert, []
    def insert_then_die(self, *a, **kw):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return insert(self, *a, **kw)
    pymilvus.MilvusClient.insert = insert_then_die
build_index(index_dir=index, embedder=FakeEmbedder(32), documents=random_corpus(seed, n_docs=8), backend="milvus")
"""

CLI_LOOP = """
import json, subprocess, sys
from pathlib import Path
index, out, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
while not stop.exists():
    p = subprocess.run([sys.executable, "-m", "indexer", "search", "QUERY", "--k", "5", "--json", "--index-dir", index],
                       capture_output=True, text=True)
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps({"rc": p.returncode, "out": p.stdout, "err": p.stderr[-500:]}, ensure_ascii=False) + "\\n")
""".replace("QUERY", QUERY)


@functools.cache
def clause_texts(seed: int) -> dict[str, str]:
    return {c.clause_id: c.text for d in random_corpus(seed, n_docs=8) for c in d.clauses}


def generation_of(hits: list[dict], gens: dict[int, dict[str, str]]) -> int:
    """The build every hit comes from (its clause id and text), or -1 for an empty or mixed answer."""
    for seed, texts in gens.items():
        if hits and all(texts.get(h["clause_id"]) == h["text"] for h in hits):
            return seed
    return -1


def wait_for(cond, what: str) -> None:
    end = time.monotonic() + WAIT
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.1)


class ApiReader(threading.Thread):
    """Asks the API over and over; keeps (status, generation) of every answer."""

    def __init__(self, base: str, gens):
        super().__init__(daemon=True)
        self.base, self.gens, self.answers, self.stop = base, gens, [], threading.Event()

    def run(self):
        import httpx
        with httpx.Client(base_url=self.base, timeout=120) as http:
            while not self.stop.is_set():
                r = http.get("/v1/search", params={"q": QUERY, "k": 5})
                self.answers.append((r.status_code, generation_of(r.json(), self.gens) if r.status_code == 200
                                     else r.text))


def collections(uri: str, prefix: str) -> tuple[str, list[str]]:
    from pymilvus import MilvusClient
    c = MilvusClient(uri=uri)
    try:
        target = c.describe_alias(prefix)["collection_name"]
    except Exception:  # noqa: BLE001
        target = ""
    return target, sorted(n for n in c.list_collections() if n.startswith(prefix + "_g"))


def build(index: Path, seed: int, mode: str, flag: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", BUILD, str(index), str(seed), mode, str(flag)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_rebuild_while_serving_switches_by_alias(milvus_server, tmp_path):
    from indexer.store.milvus_schema import collection_prefix

    env = {**os.environ, "POLICY_MILVUS_URI": milvus_server.uri}
    env.pop("POLICY_EMBEDDER", None)  # readers use the index's own embedder (fake:32)
    index, flag = tmp_path / "index", tmp_path / "go"
    prefix = collection_prefix(index)
    gens = {1: clause_texts(1), 2: clause_texts(2)}
    first = build(index, 1, "plain", flag, env)
    assert first.wait(WAIT) == 0, first.stderr.read()[-2000:]
    old_alias, old_names = collections(milvus_server.uri, prefix)
    assert old_names == [old_alias]

    port = free_port()
    api = subprocess.Popen([sys.executable, "-m", "indexer", "serve", "--index-dir", str(index), "--port", str(port)],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop, cli_out = tmp_path / "stop", tmp_path / "cli.jsonl"
    cli = subprocess.Popen([sys.executable, "-c", CLI_LOOP, str(index), str(cli_out), str(stop)], cwd=ROOT, env=env)
    reader = ApiReader(f"http://127.0.0.1:{port}", gens)
    try:
        wait_for(lambda: _up(port), "the API to answer")
        reader.start()
        builder = build(index, 2, "pause", flag, env)
        wait_for(lambda: flag.with_suffix(".paused").exists(), "the build to fill its collection")
        seen = len(reader.answers), len(_cli(cli_out))
        wait_for(lambda: len(reader.answers) >= seen[0] + 3 and len(_cli(cli_out)) >= seen[1] + 1,
                 "answers while the new collection is filled")
        alias, names = collections(milvus_server.uri, prefix)
        assert alias == old_alias and len(names) == 2  # filled, not switched
        flag.touch()
        assert builder.wait(WAIT) == 0, builder.stderr.read()[-2000:]
        wait_for(lambda: 2 in [g for _, g in reader.answers[-3:]] and 2 in [g for _, g in _cli(cli_out)],
                 "both readers to answer from the new build")
    finally:
        reader.stop.set()
        stop.touch()
        reader.join(WAIT)
        cli.wait(WAIT)
        api.send_signal(signal.SIGINT)
        api.wait(60)

    api_answers, cli_answers = reader.answers, _cli(cli_out)
    print(f"API: {len(api_answers)} answers ({sum(g == 1 for _, g in api_answers)} old, "
          f"{sum(g == 2 for _, g in api_answers)} new); CLI: {len(cli_answers)} searches "
          f"({sum(g == 1 for _, g in cli_answers)} old, {sum(g == 2 for _, g in cli_answers)} new)")
    assert [a for a in api_answers if a[0] != 200 or a[1] not in (1, 2)] == []  # 0 errors, 0 mixed answers
    assert [a for a in cli_answers if a[1] not in (1, 2)] == []
    assert {g for _, g in api_answers} == {1, 2} and {g for _, g in cli_answers} == {1, 2}
    first_new = next(i for i, (_, g) in enumerate(api_answers) if g == 2)
    assert all(g == 2 for _, g in api_answers[first_new:])  # once switched, never back
    new_alias, names = collections(milvus_server.uri, prefix)
    assert new_alias != old_alias and names == sorted([old_alias, new_alias])  # the old one goes after the switch
    killed_then_rebuilt(milvus_server.uri, index, flag, env, old_alias, new_alias)


def killed_then_rebuilt(uri: str, index: Path, flag: Path, env: dict, old_alias: str, new_alias: str) -> None:
    """A build SIGKILLed halfway leaves the alias; the next build removes its orphan and the oldest collection."""
    from indexer.store.milvus_schema import collection_prefix
    prefix = collection_prefix(index)
    killed = build(index, 3, "kill", flag, env)
    assert killed.wait(WAIT) == -signal.SIGKILL, killed.stderr.read()[-2000:]
    alias, names = collections(uri, prefix)
    assert alias == new_alias and len(names) == 3  # the alias stays; the killed build's orphan is left
    from indexer.store import open_store
    store = open_store(index)
    assert store.collection == new_alias and {d.doc_id[:6] for d in store.documents()} == {"doc-2-"}

    again = build(index, 3, "plain", flag, env)
    assert again.wait(WAIT) == 0, again.stderr.read()[-2000:]
    alias, names = collections(uri, prefix)
    assert names == sorted([new_alias, alias]) and alias not in (old_alias, new_alias)  # orphan and oldest gone


def _up(port: int) -> bool:
    import httpx
    try:
        return httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _cli(path: Path) -> list[tuple[int, int | str]]:
    """(rc, generation) of every CLI search so far (its stderr for a failure)."""
    if not path.exists():
        return []
    gens = {1: clause_texts(1), 2: clause_texts(2)}
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        out.append((r["rc"], generation_of(json.loads(r["out"]), gens) if r["rc"] == 0 else r["err"]))
    return out
