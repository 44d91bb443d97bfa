"""A damaged corpus manifest entry is reported and skipped (the rest is indexed); nothing outside the folder is read."""
from __future__ import annotations

import json
import os

from indexer.embedders import FakeEmbedder
from indexer.ingest import corpus
from indexer.ingest.build import build_index
from tests.conftest import copy_corpus


def _manifest(folder, entries):
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    data["documents"] += entries
    (folder / "manifest.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_bad_entry_is_reported_and_the_rest_indexed(tmp_path):
    folder = copy_corpus(tmp_path / "corpus", ["dongguan-2021-strategic-clusters.txt"])
    (tmp_path / "secret.txt").write_text("一、机密\n不得收录的内容。\n", encoding="utf-8")
    _manifest(folder, [{"doc_id": "broken"}, {"file": "../secret.txt"}, {"file": "x.txt", "overrides": []}])
    errors: list = []
    docs = corpus.load_corpus(folder, errors=errors)
    assert [d.doc_id for d in docs] == ["dongguan-2021-strategic-clusters"]
    lines = [str(e) for e in errors]
    assert any("缺少 file" in x for x in lines) and any("指向文件夹之外" in x for x in lines)
    assert any("overrides" in x for x in lines) and not any("机密" in d.text for d in docs)
    report = build_index([folder], tmp_path / "index", FakeEmbedder())
    assert report.documents == 1 and len(report.errors) == 3


def test_an_unreadable_manifest_is_one_line_and_the_files_are_still_read(tmp_path):
    folder = copy_corpus(tmp_path / "corpus", ["dongguan-2021-strategic-clusters.txt"])
    (folder / "manifest.json").write_text("[]", encoding="utf-8")
    errors: list = []
    docs = corpus.load_corpus(folder, errors=errors)
    assert len(docs) == 1 and len(errors) == 1 and "清单无法读取" in str(errors[0])


def test_a_link_out_of_the_folder_is_not_indexed(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "own.txt").write_text("一、总则\n本文件自己的条款。\n", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("一、机密\n文件夹之外的内容。\n", encoding="utf-8")
    os.symlink(outside, folder / "link.txt")
    errors: list = []
    docs = corpus.load_corpus(folder, errors=errors)
    assert [d.doc_id for d in docs] == ["own"] and "链接指向文件夹之外" in str(errors[0])
