"""Crash safety: a build killed (SIGKILL) at each step of its work, and two builds at once.

Each kill point is hit deterministically: the build runs in a child process whose own code is wrapped so that
it kills itself at that step. Afterwards the previous index must load and answer exactly as before (or, once
CURRENT has been switched, the new index must be complete), and a rerun must finish and leave no debris.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from indexer.errors import IndexError_
from indexer.ingest.build import build_index
from indexer.search import Engine
from indexer.store import CURRENT, LOCK, current_generation
from tests.conftest import ROOT, RecordingEmbedder, copy_corpus, seed_files

QUERIES = [("链长制 总链长", "hybrid"), ("战略性新兴产业集群", "semantic"), ("工业机器人", "keyword")]

# Runs one build in a child process and SIGKILLs it at the named step.
CHILD = r'''
import os, signal, sys
point, corpus, idx = sys.argv[1:4]
from indexer import store
from indexer.ingest.build import build_index
from indexer.embedders import FakeEmbedder

def die():
    os.kill(os.getpid(), signal.SIGKILL)

real_replace, real_rename = os.replace, os.rename
calls = {"embed": 0}

class Dying(FakeEmbedder):
    def embed_passages(self, texts):
        calls["embed"] += 1
        if point == "embed" and calls["embed"] == 2:  # after the first call's vectors were saved as a cache chunk
            die()
        return super().embed_passages(texts)

def replace(src, dst, *a, **k):
    dst_s = str(dst)
    if point == "pointer" and dst_s.endswith(store.CURRENT):
        die()  # the new generation is in place, CURRENT still names the old one
    if point == "parse-cache" and "/parsed/" in dst_s:
        die()  # a parsed document in its temporary file, not renamed yet; nothing published
    real_replace(src, dst, *a, **k)
    if point == "cache-chunk" and dst_s.endswith(".npy"):
        die()  # vectors saved, their keys file not yet: the chunk is incomplete
    if point == "published" and dst_s.endswith(store.CURRENT):
        die()  # CURRENT switched; old generation and vector cache not cleaned yet

def rename(src, dst, *a, **k):
    real_rename(src, dst, *a, **k)
    if point == "rename":
        die()  # the temp folder became gen-…, CURRENT not yet switched

def save(self, folder):
    if point == "write":
        (folder / "vectors.npy").write_bytes(b"\x93NUMPY half")
        die()  # clauses.jsonl, texts.jsonl, documents.json written; vectors half-written
    real_save(self, folder)

def segment_save(self, folder):
    if point == "keyword-segment":
        folder.mkdir(parents=True)
        (folder / "terms.json").write_text('["half', encoding="utf-8")
        die()  # the new keyword segment half-written in the temporary generation
    real_segment_save(self, folder)

real_save = store.FaissStore.save
store.FaissStore.save = save
from indexer.store import keyword_segments
real_segment_save = keyword_segments.Segment.save
keyword_segments.Segment.save = segment_save
os.replace, os.rename = replace, rename
build_index([corpus], idx, Dying())
sys.exit(3)  # the kill point was never reached
'''


def _answers(engine: Engine) -> list:
    return [[(h.clause_id, round(h.score, 5)) for h in engine.search(q, k=5, mode=m)] for q, m in QUERIES]


def _env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "POLICY_UPLOADS": "/nonexistent", **extra}


@pytest.fixture
def two_docs(tmp_path):
    """An index of two seed documents, with the corpus folder then grown to all five (real work to do)."""
    files = seed_files()
    corpus = copy_corpus(tmp_path / "c", files[:2])
    idx = tmp_path / "idx"
    build_index([corpus], idx, "fake")
    before = (idx / CURRENT).read_text(), _answers(Engine.open(idx))
    copy_corpus(tmp_path / "c", files)
    return corpus, idx, before


@pytest.mark.parametrize("point", ["embed", "cache-chunk", "parse-cache", "keyword-segment", "write", "rename",
                                   "pointer", "published"])
def test_build_killed_at_each_step(tmp_path, two_docs, point):
    corpus, idx, (pointer, answers) = two_docs
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    res = subprocess.run([sys.executable, str(script), point, str(corpus), str(idx)], cwd=ROOT, env=_env(),
                         capture_output=True, timeout=300)
    assert res.returncode == -9, (res.returncode, res.stderr.decode()[-2000:])

    engine = Engine.open(idx)
    if point == "published":  # the new generation went live whole
        assert (idx / CURRENT).read_text() != pointer and len(engine.documents) == 5
    else:
        assert (idx / CURRENT).read_text() == pointer
        assert _answers(engine) == answers and len(engine.documents) == 2

    emb = RecordingEmbedder()
    report = build_index([corpus], idx, emb)
    assert report.documents == 5 and not report.errors
    if point == "embed":
        assert report.embedded < report.clauses - 100 + 32  # the saved chunk was reused, not embedded again
    assert not list(idx.glob(".tmp-*")) and not list((idx / "cache").glob("*"))
    assert not list((idx / "parsed").glob(".*")) and len(list((idx / "parsed").glob("*.json"))) == 5
    fresh = Engine.open(idx)
    assert len(fresh.documents) == 5 and current_generation(idx) == fresh.store.folder
    assert len(fresh.search("县域特色产业集群", k=3)) == 3
    # the three original answers still come from the two original documents' clauses
    for q, m in QUERIES:
        assert fresh.search(q, k=1, mode=m)
    full = tmp_path / "full"  # and the index the rerun left answers as one built from scratch
    build_index([corpus], full, "fake")
    assert _answers(fresh) == _answers(Engine.open(full))


def _locked(idx: Path) -> bool:
    """Whether some process holds the build lock (probe without keeping it)."""
    lock = idx / LOCK
    if not lock.exists():
        return False
    with open(lock, "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
        return False


def _slow_build(corpus: Path, idx: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "indexer", "build", "--quiet", "--corpus", str(corpus),
                             "--index-dir", str(idx), "--embedder", "fake"], cwd=ROOT,
                            env=_env(POLICY_FAKE_DELAY="0.05"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not _locked(idx):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.time() < deadline, "the build never took the lock"
        time.sleep(0.05)
    return proc


def test_second_build_is_refused_while_one_runs(two_docs):
    corpus, idx, (pointer, answers) = two_docs
    proc = _slow_build(corpus, idx)
    try:
        with pytest.raises(IndexError_, match="另一个构建正在进行 / another build is running on this index"):
            build_index([corpus], idx, "fake")
        cli = subprocess.run([sys.executable, "-m", "indexer", "build", "--corpus", str(corpus), "--index-dir",
                              str(idx), "--embedder", "fake"], cwd=ROOT, env=_env(), capture_output=True,
                             timeout=120)
        err = cli.stderr.decode().strip()
        assert cli.returncode == 2 and err.count("\n") == 0 and "another build is running" in err, err
        assert (idx / CURRENT).read_text() == pointer  # the refused builds touched nothing
        assert _answers(Engine.open(idx)) == answers
    finally:
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()[-2000:]
        proc.stderr.close()
    assert len(Engine.open(idx).documents) == 5


def test_second_build_waits_when_asked_and_then_completes(two_docs):
    corpus, idx, _ = two_docs
    proc = _slow_build(corpus, idx)
    result: dict = {}

    def second():
        try:
            result["report"] = build_index([corpus], idx, RecordingEmbedder(), wait=True)
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            result["error"] = exc

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.5)
    assert t.is_alive(), "the second build did not wait for the first"
    assert proc.wait(timeout=300) == 0
    proc.stderr.close()
    t.join(timeout=300)
    assert "error" not in result, result
    report = result["report"]
    assert report.documents == 5 and report.embedded == 0  # everything came from the first build
    assert len(Engine.open(idx).documents) == 5 and not list(idx.glob(".tmp-*"))


def test_killing_the_lock_holder_lets_a_waiting_build_through(two_docs):
    corpus, idx, (pointer, answers) = two_docs
    proc = _slow_build(corpus, idx)
    done: dict = {}
    t = threading.Thread(target=lambda: done.setdefault("r", build_index([corpus], idx, "fake", wait=True)))
    t.start()
    time.sleep(0.3)
    proc.kill()
    proc.wait(timeout=30)
    proc.stderr.close()
    t.join(timeout=300)
    assert done["r"].documents == 5
    engine = Engine.open(idx)
    assert len(engine.documents) == 5 and (idx / CURRENT).read_text() != pointer


def test_rerun_after_a_crash_keeps_the_previously_live_generation(tmp_path, two_docs):
    corpus, idx, (pointer, _) = two_docs
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    res = subprocess.run([sys.executable, str(script), "rename", str(corpus), str(idx)], cwd=ROOT, env=_env(),
                         capture_output=True, timeout=300)
    assert res.returncode == -9
    build_index([corpus], idx, "fake")
    live = (idx / CURRENT).read_text().strip()
    # readers that were opening the old generation must still find it; the orphan was never live
    assert sorted(p.name for p in idx.glob("gen-*")) == sorted([pointer.strip(), live])
