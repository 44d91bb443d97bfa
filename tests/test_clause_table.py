"""The clause table read on demand (store/clause_table.py): the same answers as parsing clauses.jsonl whole, older
generations without columns still open, and a file changed since it was written is refused at open."""
from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.embedders import get_embedder
from indexer.errors import IndexError_
from indexer.filters import SearchFilters
from indexer.keywords import normalise
from indexer.search import Engine
from indexer.store import current_generation, open_index
from indexer.store.clause_table import TABLE, RowFile

QUERIES = ("人工智能产业集群", "人才引进 税收", "第三条", "新能源汽车", "东莞市")


@pytest.fixture
def two_tables(fake_index, tmp_path):
    """The session's index, and a copy of it whose generation has no table/ (as written before the columns)."""
    old = tmp_path / "old"
    shutil.copytree(fake_index, old, ignore=shutil.ignore_patterns("*.lock"))
    shutil.rmtree(current_generation(old) / TABLE)
    return open_index(fake_index), open_index(old)


def test_rows_are_read_on_demand_and_an_older_generation_is_parsed_whole(two_tables):
    new, old = two_tables
    assert new.table.lazy and not old.table.lazy
    with open(current_generation(new.index_dir) / "clauses.jsonl", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    assert len(new) == len(old) == len(records)
    assert [new.clause(i) for i in range(len(new))] == [old.clause(i) for i in range(len(old))]
    assert list(new.table.records()) == records
    assert new.bare_rows() == old.bare_rows() and new.bare_rows()
    assert new.clause_keys() == old.clause_keys() == [(r["clause_id"], r["key"]) for r in records]
    for i in (0, len(records) // 2, len(records) - 1):
        assert new.row_of(records[i]["clause_id"]) == i and new.row_of_key(records[i]["key"]) == i
    assert new.row_of("no-such:1") is None and new.row_of_key("0" * 64) is None
    assert [new.document_of(i).doc_id for i in range(len(new))] == [r["doc_id"] for r in records]


def test_phrases_and_section_filters_match_a_scan_of_every_row(two_tables):
    new, old = two_tables
    records = list(new.table.records())
    for needle in ("产业", "人工智能", "第一条", "。", "新一代信息技术", "不存在的词语组合"):
        want: dict[int, int] = {}
        for i, r in enumerate(records):
            hay, n, pos = normalise(r["text"]), 0, -1
            while (pos := hay.find(normalise(needle), pos + 1)) >= 0:
                n += 1
            if n:
                want[i] = n
        assert new.phrase(needle) == old.phrase(needle) == want
    section = next(s for r in records for s in r["section"])
    f = SearchFilters(section=section)
    rows = new.select(f)
    assert rows.tolist() == old.select(f).tolist()
    assert rows.tolist() == [i for i, r in enumerate(records) if f.accepts_section(tuple(r["section"]))]
    assert len(rows)


def test_search_answers_are_the_same_from_both_tables(two_tables):
    new, old = two_tables
    emb = get_embedder("fake")
    a, b = Engine(new, emb), Engine(old, emb)
    for q in QUERIES:
        for mode in ("hybrid", "keyword", "phrase", "fuzzy"):
            ha, hb = a.search(q, k=10, mode=mode), b.search(q, k=10, mode=mode)
            assert [(h.clause_id, round(h.score, 6)) for h in ha] == [(h.clause_id, round(h.score, 6)) for h in hb]


def test_a_table_changed_since_it_was_written_is_refused_at_open(fake_index, tmp_path):
    idx = tmp_path / "idx"
    shutil.copytree(fake_index, idx, ignore=shutil.ignore_patterns("*.lock"))
    path = current_generation(idx) / "clauses.jsonl"
    data = bytearray(path.read_bytes())
    i = data.index("产业".encode())
    data[i:i + 6] = "行业".encode()  # same length: the columns still fit, the bytes differ
    path.write_bytes(bytes(data))
    with pytest.raises(IndexError_, match="索引损坏.*clauses.jsonl"):
        open_index(idx)


def test_columns_that_do_not_fit_the_file_are_recomputed(fake_index, tmp_path):
    idx = tmp_path / "idx"
    shutil.copytree(fake_index, idx, ignore=shutil.ignore_patterns("*.lock"))
    table = current_generation(idx) / TABLE
    (table / "offsets.npy").write_bytes(b"not an array")
    store = open_index(idx)
    assert not store.table.lazy
    assert [store.clause(i) for i in range(len(store))] == [open_index(fake_index).clause(i)
                                                            for i in range(len(store))]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="产业人才\x00ab", max_size=60), needle=st.text(alphabet="产业人才ab", min_size=1, max_size=4),
       chunk=st.integers(1, 9))
def test_a_file_searched_in_chunks_finds_what_one_search_finds(tmp_path_factory, text, needle, chunk):
    path = tmp_path_factory.mktemp("rows") / "phrases.txt"
    data, pat = text.encode("utf-8"), needle.encode("utf-8")
    path.write_bytes(data)
    f = RowFile(path)
    f.CHUNK = chunk
    want, pos = [], data.find(pat)
    while pos >= 0:
        want.append(pos)
        pos = data.find(pat, pos + 1)
    assert list(f.find_all(pat)) == want


def test_folded_texts_keep_a_bounded_number_of_rows(fake_index, monkeypatch):
    from indexer.search.features import FoldedTexts
    store = open_index(fake_index)
    monkeypatch.setattr(FoldedTexts, "KEPT", 10)
    folded = FoldedTexts(store)
    for row in range(len(store)):
        assert folded.text(row) == folded.text(row) and folded.chars(row)
    assert len(folded._texts) == len(folded._chars) == 10
    assert set(folded._texts) == set(range(len(store) - 10, len(store)))  # the newest are kept


def test_normalised_texts_are_read_from_the_phrase_file(two_tables):
    new, old = two_tables
    rows = [0, 5, len(new) - 1, 3, 5]
    want = [normalise(new.text(r)) for r in rows]
    assert new.normalised_texts(rows) == old.normalised_texts(rows) == want


def test_a_build_normalises_only_new_rows_and_the_phrase_file_stays_exact(tmp_path, monkeypatch):
    from indexer.ingest.build import build_index
    from indexer.store import clause_table
    from tests.conftest import copy_corpus, seed_files
    files = seed_files()
    c = copy_corpus(tmp_path / "c", files[:2])
    idx = tmp_path / "idx"
    build_index([c], idx, "fake")
    before = {open_index(idx).text(r) for r in range(len(open_index(idx)))}
    seen: list[str] = []
    real = clause_table.normalise
    monkeypatch.setattr(clause_table, "normalise", lambda t: seen.append(t) or real(t))
    copy_corpus(c, files[:3])
    build_index([c], idx, "fake")
    store = open_index(idx)
    rows = list(range(len(store)))
    new = {store.text(r) for r in rows} - before
    assert seen and set(seen) == new  # only the new document's texts were normalised
    assert store.normalised_texts(rows) == [real(store.text(r)) for r in rows]


def test_a_damaged_phrase_file_gives_wrong_characters_not_errors(fake_index, tmp_path):
    idx = tmp_path / "idx"
    shutil.copytree(fake_index, idx, ignore=shutil.ignore_patterns("*.lock"))
    path = current_generation(idx) / TABLE / "phrases.txt"
    data = bytearray(path.read_bytes())
    data[1:3] = b"\xff\xfe"  # not UTF-8, same size
    path.write_bytes(bytes(data))
    store = open_index(idx)
    assert "\ufffd" in store.normalised_texts([0])[0]
    hits = Engine(store, get_embedder("fake")).search("人工智能产业", k=5, mode="fuzzy")
    assert isinstance(hits, list)
