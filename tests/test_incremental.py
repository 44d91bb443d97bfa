"""Builds that cost what changed: parsed documents cached by file hash, keyword segments that add and drop rows.

The keyword index is checked against the slow, obviously right thing: bm25s built from all clauses at once.
"""
from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from indexer.ingest import corpus, parse_cache
from indexer.ingest.build import build_index, load_documents
from indexer.keywords import KeywordIndex, get_tokenizer
from indexer.search import Engine
from indexer.store import current_generation, open_store
from indexer.store import keyword_build as kb
from indexer.store.keyword_segments import KEYWORDS, SegmentedKeywords, save_generation
from tests.conftest import SEED_CORPUS, copy_corpus, seed_files

QUERIES = ["链长制 总链长", "战略性新兴产业集群", "工业机器人 产业", "数字经济 发展", "县域特色产业集群 培育"]


def _count_parses(monkeypatch) -> Counter:
    calls: Counter = Counter()
    real = corpus._parse

    def counting(path, *a, **k):
        calls[Path(path).name] += 1
        return real(path, *a, **k)
    monkeypatch.setattr(corpus, "_parse", counting)
    return calls


# ---------------------------------------------------------------- parsed documents

def test_unchanged_files_are_not_parsed_again(tmp_path, monkeypatch):
    files = seed_files()
    c = copy_corpus(tmp_path / "c", files)
    idx = tmp_path / "idx"
    calls = _count_parses(monkeypatch)
    build_index([c], idx, "fake")
    assert sum(calls.values()) == len(files)
    calls.clear()
    build_index([c], idx, "fake")
    assert not calls
    (c / files[1]).write_text((c / files[1]).read_text(encoding="utf-8") + "\n第九十九条 新增加的一条。\n",
                              encoding="utf-8")
    report = build_index([c], idx, "fake")
    assert dict(calls) == {files[1]: 1} and report.embedded >= 1
    assert any("新增加的一条" in d.text for d in open_store(idx).load_documents())


def test_a_cached_document_is_the_document_parsed_afresh(tmp_path):
    cache = parse_cache.ParseCache(tmp_path)
    fresh, _ = load_documents([SEED_CORPUS])
    load_documents([SEED_CORPUS], cache=cache)
    again, _ = load_documents([SEED_CORPUS], cache=parse_cache.ParseCache(tmp_path))
    assert cache.misses == len(fresh) and again == fresh


def test_a_new_parser_parses_every_file_again(tmp_path, monkeypatch):
    c = copy_corpus(tmp_path / "c", seed_files()[:2])
    idx = tmp_path / "idx"
    build_index([c], idx, "fake")
    calls = _count_parses(monkeypatch)
    monkeypatch.setattr(parse_cache, "parser_fingerprint", lambda: "a parser changed since")
    build_index([c], idx, "fake")
    assert sum(calls.values()) == 2
    assert len(list((idx / parse_cache.PARSED).glob("*.json"))) == 2  # the old entries are gone


def test_a_metadata_correction_applies_without_parsing_again(tmp_path, monkeypatch):
    files = seed_files()[:2]
    c = copy_corpus(tmp_path / "c", files)
    idx = tmp_path / "idx"
    build_index([c], idx, "fake")
    manifest = json.loads((c / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"][0].setdefault("overrides", {})["date"] = "2001-02-03"
    (c / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    calls = _count_parses(monkeypatch)
    build_index([c], idx, "fake")
    assert not calls
    doc_id = manifest["documents"][0].get("doc_id") or corpus.slug(files[0])
    assert {d.doc_id: d.meta.date for d in open_store(idx).documents()}[doc_id] == "2001-02-03"


def test_a_damaged_or_expiring_entry_is_parsed_again(tmp_path, monkeypatch):
    path = SEED_CORPUS / seed_files()[0]
    cache = parse_cache.ParseCache(tmp_path)
    key, _ = cache.key(path, "d", True)
    doc = corpus.load_document(path, doc_id="d", cache=cache)
    assert cache.get(key, path) == doc
    entry = tmp_path / parse_cache.PARSED / f"{key}.json"
    data = json.loads(entry.read_text(encoding="utf-8"))
    entry.write_text(json.dumps({**data, "recheck_after": "2000-01-01"}), encoding="utf-8")
    assert cache.get(key, path) is None  # its 失效日期 has passed: the status must be read again
    entry.write_text(entry.read_text(encoding="utf-8")[:100], encoding="utf-8")
    assert cache.get(key, path) is None
    assert corpus.load_document(path, doc_id="d", cache=cache) == doc


def test_the_next_expiry_is_one_still_to_come():
    text = "标题\n失效日期：2099年1月2日\n正文。失效日期: 2001-01-01"
    assert corpus._next_expiry(text, ()) == "2099-01-02"
    assert corpus._next_expiry("正文", (("失效 日期", "2098-03-04"),)) == "2098-03-04"
    assert corpus._next_expiry("正文", ()) == ""


# ---------------------------------------------------------------- keyword segments

def _scores(idx: Path) -> dict[str, list[float]]:
    st = open_store(idx)
    tok = get_tokenizer()
    return {q: st.keywords.scores(tok(q)).tolist() for q in QUERIES}


def _reference(idx: Path) -> dict[str, list[float]]:
    st = open_store(idx)
    tok = get_tokenizer()
    ref = KeywordIndex.build([tok(st.text(i)) for i in range(len(st))])
    return {q: ref.scores(tok(q)).tolist() for q in QUERIES}


def test_incremental_keyword_scores_equal_a_full_rebuild(tmp_path):
    files = seed_files()
    c = copy_corpus(tmp_path / "c", files[:3])
    idx = tmp_path / "idx"
    build_index([c], idx, "fake")
    steps = [files, files[1:], files[1:4], files]  # add two, drop one, drop one more, add back two
    for k, step in enumerate(steps):
        shutil.rmtree(c)
        copy_corpus(c, step)
        build_index([c], idx, "fake")
        full = tmp_path / f"full{k}"
        build_index([c], full, "fake")
        assert _scores(idx) == _scores(full) == _reference(idx)
        for q in QUERIES:
            assert (open_store(idx).document_frequency(get_tokenizer()(q))
                    == open_store(full).document_frequency(get_tokenizer()(q)))
    assert len(open_store(idx).keywords.segments) > 1


def test_many_or_sparse_segments_are_merged_exactly(tmp_path, monkeypatch):
    monkeypatch.setattr(kb, "MAX_SEGMENTS", 2)
    files = seed_files()
    c = copy_corpus(tmp_path / "c", files[:1])
    idx = tmp_path / "idx"
    build_index([c], idx, "fake")
    for n in range(2, len(files) + 1):
        copy_corpus(c, files[:n])
        build_index([c], idx, "fake")
        assert len(open_store(idx).keywords.segments) <= 2
        assert _scores(idx) == _reference(idx)
    shutil.rmtree(c)
    copy_corpus(c, files[-1:])  # most rows dead: the segments holding them are rewritten
    build_index([c], idx, "fake")
    st = open_store(idx)
    assert all(s.n_live() >= kb.MIN_LIVE * len(s) for s in st.keywords.segments)
    assert _scores(idx) == _reference(idx)


def _words(rng: random.Random) -> str:
    return " ".join(rng.choice("甲乙丙丁戊己庚辛壬癸") * rng.randint(1, 2) for _ in range(rng.randint(0, 9)))


@pytest.mark.parametrize("seed", range(6))
def test_random_adds_and_removes_keep_bm25_exact(tmp_path, seed, monkeypatch):
    """Generations of random texts (repeats, empty texts, removals): scores equal bm25s over the same rows."""
    monkeypatch.setattr(kb, "MAX_SEGMENTS", 3)
    rng = random.Random(seed)
    texts = [_words(rng) for _ in range(30)]
    previous = None
    for gen in range(6):
        texts = [t for t in texts if rng.random() > 0.3] + [_words(rng) for _ in range(rng.randint(0, 12))]
        texts += rng.sample(texts, min(3, len(texts)))  # the same text in several rows
        if seed % 2:  # odd seeds reorder the rows; even ones keep their order (live maps ascending, with gaps)
            rng.shuffle(texts)
        plan = kb.plan_keywords(texts, previous, {"t": 1}, str.split)
        folder = tmp_path / f"gen{gen}"
        info = plan.save(folder)
        (folder / "manifest.json").write_text(json.dumps({"keywords": info, "tokenizer": {"t": 1}}))
        index = SegmentedKeywords.load(folder / KEYWORDS, len(texts))
        ref = KeywordIndex.build([t.split() for t in texts])
        for q in (["甲"], ["乙乙", "丙"], ["丁", "甲", "癸癸", "无"]):
            assert np.array_equal(index.scores(q), ref.scores(q)), (gen, q)
            assert index.document_frequency(q) == ref.document_frequency(q)
            rows = [rng.randrange(len(texts)) for _ in range(rng.randint(0, 12))]  # any order, repeats
            assert np.array_equal(index.scores_at(q, rows), ref.scores(q)[rows]), (gen, q, rows)
        previous = folder


def test_a_new_tokenizer_tokenises_everything_again(tmp_path):
    texts = ["甲 乙", "丙 丁"]
    first = kb.plan_keywords(texts, None, {"t": 1}, str.split)
    folder = tmp_path / "g"
    (folder).mkdir()
    info = save_generation(folder / KEYWORDS, first.segments, first.fresh, None)
    (folder / "manifest.json").write_text(json.dumps({"keywords": info, "tokenizer": {"t": 1}}))
    assert kb.plan_keywords(texts, folder, {"t": 1}, str.split).counts["kept"] == 2
    assert kb.plan_keywords(texts, folder, {"t": 2}, str.split).counts["tokenised"] == 2


def test_an_index_written_before_segments_still_answers_and_migrates(tmp_path):
    c = copy_corpus(tmp_path / "c", seed_files()[:3])
    idx = tmp_path / "idx"
    build_index([c], idx, "fake")
    answers = [[h.clause_id for h in Engine.open(idx).search(q, k=5, mode="keyword")] for q in QUERIES]
    gen = current_generation(idx)  # rewrite it as the previous format had it: one bm25s index in bm25/
    st = open_store(idx)
    tok = get_tokenizer()
    KeywordIndex.build([tok(st.text(i)) for i in range(len(st))]).save(gen / "bm25")
    shutil.rmtree(gen / KEYWORDS)
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    del manifest["keywords"]
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    old = Engine.open(idx)
    assert isinstance(old.store.keywords, KeywordIndex)
    assert [[h.clause_id for h in old.search(q, k=5, mode="keyword")] for q in QUERIES] == answers
    report = build_index([c], idx, "fake")
    assert report.embedded == 0  # vectors carried over; only the keyword side is rebuilt
    assert isinstance(open_store(idx).keywords, SegmentedKeywords)
    assert [[h.clause_id for h in Engine.open(idx).search(q, k=5, mode="keyword")] for q in QUERIES] == answers


def test_the_live_keys_and_vectors_are_read_only_when_the_files_are_as_written(tmp_path):
    from indexer.store.known import known_vectors
    c = copy_corpus(tmp_path / "c", seed_files()[:2])
    idx = tmp_path / "idx"
    build_index([c], idx, "fake")
    st = open_store(idx)
    pairs, vectors = known_vectors(idx, "fake", 256)
    assert pairs == st.clause_keys() and np.array_equal(vectors, st.vectors(range(len(st))))
    assert known_vectors(idx, "fake:64", 64) is None  # another embedder
    docs = current_generation(idx) / "documents.json"
    docs.write_text(docs.read_text(encoding="utf-8").replace("[", "[ ", 1), encoding="utf-8")  # still valid JSON
    assert known_vectors(idx, "fake", 256) is None
    assert build_index([c], idx, "fake").embedded == 0  # the store opened whole: every vector still reused
