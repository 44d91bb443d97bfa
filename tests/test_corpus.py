"""Corpus loading: manifest ids and overrides, duplicates under another name, failures that lose nothing."""
from __future__ import annotations

import shutil

from indexer.ingest import corpus
from indexer.ingest.corpus import DEFAULT_CORPUS


def test_manifest_ids_and_overrides():
    docs = corpus.load_corpus(DEFAULT_CORPUS)
    ids = [d.doc_id for d in docs]
    assert ids[:2] == ["guangdong-2020-strategic-clusters", "dongguan-2021-strategic-clusters"]
    assert len(ids) == 5
    gd = corpus.find_document(docs, "guangdong-2020-strategic-clusters")
    assert gd.meta.doc_number == "粤府函〔2020〕82号"  # curated: the text itself lacks it


def test_duplicate_content_under_another_name_is_recognised(tmp_path):
    src = DEFAULT_CORPUS / "dongguan-2021-strategic-clusters.txt"
    shutil.copy(src, tmp_path / "a.txt")
    # the same text re-encoded as GBK with CRLF line ends is still the same document
    (tmp_path / "b.txt").write_bytes(src.read_text(encoding="utf-8").replace("\n", "\r\n").encode("gb18030"))
    errors = []
    docs = corpus.load_corpus(tmp_path, errors=errors)
    assert [d.doc_id for d in docs] == ["a"]
    assert len(errors) == 1 and "b.txt" in str(errors[0]) and "内容相同" in str(errors[0])


def test_a_failing_file_loses_nothing_else(tmp_path):
    shutil.copy(DEFAULT_CORPUS / "anhui-2024-county-industry-clusters.txt", tmp_path / "good.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    errors = []
    docs = corpus.load_corpus(tmp_path, errors=errors)
    assert [d.doc_id for d in docs] == ["good"]
    assert len(errors) == 1 and "empty.txt" in str(errors[0])


def test_same_file_name_in_two_folders_gets_distinct_ids(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "note.txt").write_text("一、总体要求\n第一份文件。\n", encoding="utf-8")
    (b / "note.txt").write_text("一、总体要求\n第二份文件，内容不同。\n", encoding="utf-8")
    monkeypatch.setattr(corpus.paths, "corpus_dirs", lambda: [a, b])
    docs = corpus.load_default_corpus(errors=[])
    assert [d.doc_id for d in docs] == ["note", "note-2"]
    assert docs[1].clauses[0].clause_id.startswith("note-2:")


def test_slug_keeps_chinese_and_ascii_words():
    assert corpus.slug("Guangzhou 2025 化妆品.PDF") == "guangzhou-2025-化妆品"
    assert corpus.slug("../../etc/passwd") == "passwd"


def test_a_file_of_only_numbers_is_refused_not_indexed_empty(tmp_path):
    """A file of page numbers, figures and dates has no clause to search: it is refused at load with one line,
    as unreadable files are, instead of being indexed silently with 0 clauses."""
    import pytest

    from indexer.errors import IngestError

    f = tmp_path / "numbers.txt"
    f.write_text("1\n2\n3\n12345\n- 4 -\n3.14 2.71\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        corpus.load_document(f)
    msg = str(info.value)
    assert "文件中没有可读的正文" in msg and "no readable text" in msg and "numbers.txt" in msg and "\n" not in msg
    errors = []
    (tmp_path / "ok.txt").write_text("一、总体要求\n加强组织领导。\n", encoding="utf-8")
    assert [d.doc_id for d in corpus.load_corpus(tmp_path, errors=errors)] == ["ok"]
    assert len(errors) == 1 and errors[0].kind == "error"
