"""The app's four pages on the milvus backend: the AppTest tests of tests/test_app.py, run against a Milvus Lite
index of the shipped corpus (the fixtures below replace test_app's, so the same assertions hold on Milvus)."""
from __future__ import annotations

import pytest

pytest.importorskip("pymilvus", reason="pymilvus not installed (requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed (requirements-scale.txt)")

from indexer import paths  # noqa: E402
from indexer.embedders import FakeEmbedder  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from indexer.store import open_store  # noqa: E402
from tests.conftest import SEED_CORPUS  # noqa: E402
from tests.test_app import (  # noqa: E402, F401 - collected here, with this module's fixtures
    test_compare_filter_by_relation,
    test_compare_province_and_city,
    test_coverage_dongguan_against_province,
    test_coverage_of_a_pasted_list,
    test_every_page_starts_without_error,
    test_library_lists_documents_with_metadata,
    test_library_opens_a_clause_in_context,
    test_region_scope_this_level_only,
    test_remove_an_uploaded_document,
    test_search_filters_and_similar,
    test_search_modes,
    test_search_shows_highlighted_clause_cards,
    test_search_without_results_says_so,
)


@pytest.fixture(scope="module")
def milvus_index(tmp_path_factory):
    """The seed corpus in Milvus Lite with the fake embedder (built once for this module)."""
    import os
    d = tmp_path_factory.mktemp("milvus-app")
    os.environ["POLICY_MILVUS_URI"] = str(d / "app.db")
    build_index([SEED_CORPUS], d / "index", FakeEmbedder(), backend="milvus")
    assert open_store(d / "index").backend == "milvus"
    yield d / "index"
    os.environ.pop("POLICY_MILVUS_URI", None)


@pytest.fixture
def app_env(monkeypatch, tmp_path, milvus_index):
    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    monkeypatch.setattr(paths, "INDEX_DIR", milvus_index)
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "uploads")
    return tmp_path


@pytest.fixture
def private_env(monkeypatch, tmp_path, milvus_index):
    """An own Milvus index (own collection in the same Lite file) for tests that add or remove documents."""
    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    index = tmp_path / "index"
    build_index([SEED_CORPUS], index, FakeEmbedder(), backend="milvus")
    monkeypatch.setattr(paths, "INDEX_DIR", index)
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "uploads")
    return tmp_path


def test_the_app_really_searched_milvus(app_env):
    """The pages above ran on the milvus backend (not a folder index left behind)."""
    from indexer.search import Engine
    store = Engine.open(paths.INDEX_DIR).store  # how app_pages/backend.py opens it
    assert store.backend == "milvus" and len(store) > 100
    assert store.keyword_topk(["机器人"], 3)
