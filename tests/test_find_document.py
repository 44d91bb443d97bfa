"""Naming a document at every door (CLI, API, app): by doc_id, path, file name, or a title only one document bears;
an unknown name gets the closest few ids, not the whole library (found in use: a 43 KB error line)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from indexer.errors import NotFoundError
from indexer.ingest.build import load_documents
from indexer.models import find_document

ZHEJIANG = Path(__file__).resolve().parents[2] / "shared" / "library" / "zhejiang"
pytestmark = pytest.mark.skipif(not ZHEJIANG.is_dir(), reason="../shared/library is not beside this checkout")


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zj")
    for f in sorted(ZHEJIANG.glob("*物业*.md")) + sorted(ZHEJIANG.glob("杭州市*.md"))[:40]:
        (folder / f.name).write_bytes(f.read_bytes())
    return load_documents([folder])[0]


def test_by_doc_id_file_name_and_title(docs):
    d = next(d for d in docs if d.meta.title == "杭州市物业管理条例")
    assert find_document(docs, d.doc_id) is d
    assert find_document(docs, Path(d.path).name) is d
    assert find_document(docs, "杭州市物业管理条例") is d  # the title, without the date
    assert find_document(docs, "杭州市 物业管理条例") is d


def test_a_title_two_documents_bear_asks_for_the_id(docs):
    d = next(d for d in docs if d.meta.title == "杭州市物业管理条例")
    twin = dataclasses.replace(d, doc_id=d.doc_id + "-old", path=d.path + ".old")
    with pytest.raises(NotFoundError, match="有 2 份文件题为") as err:
        find_document([*docs, twin], "杭州市物业管理条例")
    assert d.doc_id in str(err.value) and twin.doc_id in str(err.value)


def test_an_unknown_name_gets_the_closest_ids_not_the_library(docs):
    with pytest.raises(NotFoundError) as err:
        find_document(docs, "物业管理条例")
    msg = str(err.value)
    assert "最接近 / closest" in msg and "杭州市物业管理条例" in msg
    assert len(msg) < 600 and f"共 {len(docs)} 份文件" in msg
    with pytest.raises(NotFoundError, match="no document 'zzz-nothing'") as err:
        find_document(docs, "zzz-nothing")
    assert "closest" not in str(err.value)  # nothing alike: no made-up suggestions
    with pytest.raises(NotFoundError, match="文库为空"):
        find_document([], "x")
