"""Concurrent use: searches keep answering, correctly, while builds run; one Engine shared by many threads."""
from __future__ import annotations

import threading
import time

from indexer.ingest.build import build_index
from indexer.search import Engine, SearchFilters
from tests.conftest import RecordingEmbedder, copy_corpus, seed_files

QUERIES = [("链长制 总链长", "hybrid"), ("战略性新兴产业集群", "semantic"), ("工业机器人", "keyword"),
           ("培育发展战略性支柱产业集群", "phrase"), ("产业集群发展", "hybrid")]


def _answers(engine: Engine, filters: SearchFilters | None = None) -> list:
    return [[(h.clause_id, round(h.score, 5)) for h in engine.search(q, k=5, mode=m, filters=filters)]
            for q, m in QUERIES]


def _semantic(engine: Engine, doc_ids: tuple[str, ...]) -> list:
    f = SearchFilters(doc_ids=doc_ids)
    return [[(h.clause_id, round(h.score, 5)) for h in engine.search(q, k=5, mode="semantic", filters=f)]
            for q, _ in QUERIES]


def test_searches_answer_correctly_while_an_incremental_build_runs(tmp_path):
    files = seed_files()
    corpus = copy_corpus(tmp_path / "c", files[:2])
    idx = tmp_path / "idx"
    build_index([corpus], idx, "fake")
    engine = Engine.open(idx)
    expected = _answers(engine)
    old_ids = tuple(d.doc_id for d in engine.store.documents())
    expected_semantic = _semantic(engine, old_ids)
    copy_corpus(tmp_path / "c", files)  # three more documents to embed

    done = threading.Event()
    stats = {"searches": 0, "reopened": 0, "saw_new": 0}
    errors: list = []
    lock = threading.Lock()

    def searcher(reopen: bool):
        while not done.is_set():
            try:
                if reopen:  # a new session opening the index mid-build: old or new, always whole
                    eng = Engine.open(idx)
                    n = len(eng.store.documents())
                    assert n in (2, 5), n
                    if n == 2:
                        assert _answers(eng) == expected
                    else:
                        assert _semantic(eng, old_ids) == expected_semantic
                    with lock:
                        stats["reopened"] += 1
                        stats["saw_new"] += n == 5
                else:
                    assert _answers(engine) == expected
                with lock:
                    stats["searches"] += len(QUERIES)
            except Exception as exc:  # noqa: BLE001 — collected and reported below
                errors.append(repr(exc))
                return

    threads = [threading.Thread(target=searcher, args=(i == 0,)) for i in range(4)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    report = build_index([corpus], idx, RecordingEmbedder(delay=0.005))
    build_seconds = time.perf_counter() - t0
    time.sleep(0.5)  # keep searching a moment against the new generation
    done.set()
    for t in threads:
        t.join(timeout=60)
    print(f"\n{stats['searches']} searches in {build_seconds:.1f} s of build, {stats['reopened']} reopenings")
    assert not errors, errors[:3]
    assert report.documents == 5 and report.embedded > 100
    assert stats["searches"] > 20 and stats["reopened"] >= 2 and stats["saw_new"] >= 1
    # the engine opened before the build still answers from its generation; a new one sees all five
    assert engine.is_stale() and _answers(engine) == expected
    assert _semantic(Engine.open(idx), old_ids) == expected_semantic


def test_one_engine_shared_by_many_threads_answers_as_it_does_alone(fake_engine):
    queries = [(q, m) for q, m in QUERIES] + [(f"{q} 保障措施", "hybrid") for q, _ in QUERIES]
    serial = {(q, m): [(h.clause_id, round(h.score, 5)) for h in fake_engine.search(q, k=8, mode=m)]
              for q, m in queries}
    errors: list = []

    def worker(offset: int):
        for i in range(40):
            q, m = queries[(i + offset) % len(queries)]
            got = [(h.clause_id, round(h.score, 5)) for h in fake_engine.search(q, k=8, mode=m)]
            if got != serial[(q, m)]:
                errors.append((q, m))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:5]


def test_an_open_engine_outlives_its_generation_being_deleted(tmp_path):
    corpus = copy_corpus(tmp_path / "c", seed_files()[:2])
    idx = tmp_path / "idx"
    build_index([corpus], idx, "fake")
    engine = Engine.open(idx)
    expected = _answers(engine)
    folder = engine.store.folder
    for _ in range(3):  # each publish keeps two generations: the engine's own is deleted
        build_index([corpus], idx, "fake")
    assert not folder.exists()
    assert _answers(engine) == expected
    assert engine.documents and engine.clause(expected[0][0][0]).text
