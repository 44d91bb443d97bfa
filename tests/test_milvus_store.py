"""The milvus backend beyond the contract: filters evaluated by Milvus, incremental builds into a new collection,
its jieba analyzer against the project's tokens, and where the engine and its credentials come from."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.filters import SearchFilters
from indexer.store.milvus_expr import filter_expr, like_contains, literal
from indexer.store.milvus_schema import query_terms
from indexer.store.milvus_uri import public_uri, resolve_uri

pytest.importorskip("pymilvus", reason="pymilvus not installed (requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed (requirements-scale.txt)")

from indexer.embedders import FakeEmbedder  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from indexer.models import Document  # noqa: E402
from indexer.search import Engine  # noqa: E402
from indexer.store import current_generation, milvus_local, open_store  # noqa: E402
from tests.test_store_contract import random_corpus  # noqa: E402


@pytest.fixture(autouse=True)
def _lite_file(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("POLICY_MILVUS_URI", str(tmp_path_factory.getbasetemp() / "milvus-store.db"))


# ---------------------------------------------------------------- expressions (pure)

@pytest.mark.parametrize("value, expr", [
    ("东莞", '"东莞"'), ('say "hi"', '"say \\"hi\\""'), ("a\\b", '"a\\\\b"'),
])
def test_literals_escape_quotes_and_backslashes(value, expr):
    assert literal(value) == expr


@pytest.mark.parametrize("needle, expr", [
    ("保障措施", 'norm like "%保障措施%"'), ("50%", 'norm like "%50\\\\%%"'), ("a_b", 'norm like "%a\\\\_b%"'),
])
def test_like_escapes_wildcards(needle, expr):
    assert like_contains("norm", needle) == expr


@pytest.mark.parametrize("filters, expr", [
    (None, ""), (SearchFilters(), ""),
    (SearchFilters(level="city,county"), 'doc_level in ["city", "county"]'),
    (SearchFilters(status="current"), 'status in [""]'),
    (SearchFilters(region="广东", region_scope="self"), 'region like "%广东%"'),
    (SearchFilters(date_from="2021", include_undated=True), '(date == "" or (date != "" and date >= "2021"))'),
    (SearchFilters(date_to="2020-06"), '(date != "" and date <= "2020-06-31")'),
])
def test_filter_expressions(filters, expr):
    assert filter_expr(filters) == expr


def test_known_values_turn_substrings_into_exact_lists():
    known = {"region": {"东莞市", "广东省", "宁波市", ""}, "province": {"广东省", "浙江省", ""}}
    assert filter_expr(SearchFilters(region="广东", region_scope="self"), known) == 'region in ["广东省"]'
    assert filter_expr(SearchFilters(province="火星"), known) == "pk < 0"
    assert filter_expr(SearchFilters(region="东莞"), known) == '(region in ["东莞市"] or pk < 0)'


@pytest.mark.parametrize("tokens, weights, text, scale", [
    (["人才", "税收", "人才"], None, "人才 税收", 1),
    (["人才", "补贴"], {"补贴": 0.5}, "人才 人才 补贴", 2),
    (["人才", "补贴"], {"补贴": 0.25}, "人才 人才 人才 人才 补贴", 4),
    (["", " "], None, "", 1),
])
def test_query_weights_become_repetitions(tokens, weights, text, scale):
    assert query_terms(tokens, weights) == (text, scale)
    assert query_terms(tokens, weights, sep="") == (text.replace(" ", ""), scale)  # jieba: no space terms


def test_credentials_never_reach_the_manifest(monkeypatch, tmp_path):
    assert public_uri("http://root:secret@milvus.example:19530") == "http://milvus.example:19530"
    monkeypatch.delenv("POLICY_MILVUS_URI")
    assert resolve_uri(tmp_path) == str((tmp_path / "milvus.db").resolve())
    monkeypatch.setenv("POLICY_MILVUS_URI", "https://milvus.example:443")
    assert resolve_uri(tmp_path) == "https://milvus.example:443"


# ---------------------------------------------------------------- filters run in Milvus, equal the reference

ODD = [("东莞市", "广东省", "city"), ("50%_区", "测\"试\\省", "county"), ("", "", "national"), ("宁波市", "浙江省", "city")]


def odd_corpus() -> list[Document]:
    """Random documents whose regions hold LIKE wildcards, quotes and backslashes."""
    docs = random_corpus(11, n_docs=8)
    return [replace(d, meta=replace(d.meta, region=ODD[j % 4][0], province=ODD[j % 4][1], level=ODD[j % 4][2]))
            for j, d in enumerate(docs)]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    import os
    d = tmp_path_factory.mktemp("odd")
    os.environ["POLICY_MILVUS_URI"] = str(d / "odd.db")
    try:
        for b in ("milvus", "memory"):
            build_index(index_dir=d / b, embedder=FakeEmbedder(32), documents=odd_corpus(), backend=b)
        return open_store(d / "milvus"), open_store(d / "memory", "memory")
    finally:
        os.environ.pop("POLICY_MILVUS_URI", None)


values = st.sampled_from(["", "东莞", "广东", "50%", "_区", '"', "\\", "宁波,东莞", "火星", "浙江"])
filters = st.builds(SearchFilters, region=values, province=values,
                    level=st.sampled_from(["", "city", "county,national", "province"]),
                    status=st.sampled_from(["", "current", "draft", "current,draft"]),
                    date_from=st.sampled_from(["", "2019", "2020-03-01"]), date_to=st.sampled_from(["", "2021", "2022-06"]),
                    section=st.sampled_from(["", "保障措施", "主要任务", "二、", "%"]),
                    region_scope=st.sampled_from(["", "self"]), include_undated=st.booleans(),
                    doc_ids=st.sampled_from([(), ("doc-11-1",), ("doc-11-2", "doc-11-5")]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=filters)
def test_milvus_filters_admit_what_the_reference_admits(pair, f):
    milvus, ref = pair
    a, b = milvus.select(f), ref.select(f)
    assert (a is None and b is None) or a.tolist() == b.tolist()
    if b is not None:  # the same filter as LIKE scans (what an index without known values would send)
        assert sorted(int(r["pk"]) for r in milvus._scan(filter_expr(f), ["pk"])) == b.tolist()
    q = FakeEmbedder(32).embed_query("人才税收优惠")

    def ranked(store):  # clauses of the same text tie: their order within the tie is the engine's (float noise)
        return sorted(((round(s, 5), r) for r, s in store.dense_topk(q, 50, f)), key=lambda t: (-t[0], t[1]))

    assert ranked(milvus) == ranked(ref)


# ---------------------------------------------------------------- builds

def entities(store) -> int:
    """Every entity in the store's collection, visible to this build or not."""
    return store.client.query(store.collection, filter="", output_fields=["count(*)"])[0]["count(*)"]


def test_a_second_build_writes_only_what_changed(tmp_path):
    docs = random_corpus(5)
    first = build_index(index_dir=tmp_path, embedder=FakeEmbedder(32), documents=docs, backend="milvus")
    assert first.embedded > 0  # each distinct passage once (headings repeat across documents)
    old = open_store(tmp_path)
    extra = random_corpus(9, n_docs=1)
    library = docs[1:] + extra
    again = build_index(index_dir=tmp_path, embedder=FakeEmbedder(32), documents=library, backend="milvus")
    assert again.removed == len(docs[0].clauses)
    new = open_store(tmp_path)
    write = new.manifest["milvus"]["write"]
    if milvus_local.lite3():  # milvus-lite 3: every build fills a new collection (its BM25 counts deleted rows)
        assert write["inserted"] == len(new) and write["deleted"] == 0 and new.collection != old.collection
    else:
        assert write["inserted"] == len(extra[0].clauses) and write["deleted"] == len(docs[0].clauses)
        assert new.collection == old.collection and new.manifest["milvus"]["generation"] == 2
    assert old.is_stale() and not new.is_stale() and entities(new) == len(new)
    # the incrementally written index answers as a reference built from scratch
    build_index(index_dir=tmp_path / "ref", embedder=FakeEmbedder(32), documents=library, backend="memory")
    ref = open_store(tmp_path / "ref", "memory")
    assert new.documents() == ref.documents() and new.clause_keys() == ref.clause_keys()
    assert new.bare_rows() == ref.bare_rows()
    q = FakeEmbedder(32).embed_query("人才税收优惠")
    for f in (None, SearchFilters(level="city"), SearchFilters(doc_ids=(docs[0].doc_id,))):
        a, b = new.select(f), ref.select(f)
        assert (a is None and b is None) or a.tolist() == b.tolist()
        assert [r for r, _ in new.dense_topk(q, 10, f)] == [r for r, _ in ref.dense_topk(q, 10, f)]
        np.testing.assert_allclose([s for _, s in new.keyword_topk(["人才", "税收"], 10, f)],
                                   [s for _, s in ref.keyword_topk(["人才", "税收"], 10, f)], rtol=1e-4)
    assert new.phrase("产业", SearchFilters(doc_ids=(docs[0].doc_id,))) == {}
    words = ["产业", "集群", "人才", "税收", "芯片", "没有的词"]
    assert new.document_frequency(words) == ref.document_frequency(words)  # counts moved with the rows


def test_another_analyzer_builds_a_new_collection_and_drops_the_old(tmp_path, monkeypatch):
    from indexer.store.milvus_schema import collection_prefix, connect

    docs = random_corpus(4)
    build_index(index_dir=tmp_path, embedder=FakeEmbedder(32), documents=docs, backend="milvus")
    old = open_store(tmp_path)
    monkeypatch.setenv("POLICY_MILVUS_ANALYZER", "jieba")
    report = build_index(index_dir=tmp_path, embedder=FakeEmbedder(32), documents=docs, backend="milvus")
    new = open_store(tmp_path)
    assert report.embedded == 0 and new.collection != old.collection and new.manifest["milvus"]["generation"] == 1
    build_index(index_dir=tmp_path, embedder=FakeEmbedder(32), documents=docs[1:], backend="milvus")
    live = [c for c in connect(new.uri).list_collections() if c.startswith(collection_prefix(tmp_path))]
    if milvus_local.lite3():  # a new collection per build: the live one and the previous build's
        assert sorted(live) == sorted([open_store(tmp_path).collection, new.collection])
    else:
        assert live == [new.collection]  # incremental into the jieba one; the first is no generation's any more


def test_switching_from_folder_to_milvus_reuses_every_vector(tmp_path):
    docs = random_corpus(6)
    build_index(index_dir=tmp_path, embedder=FakeEmbedder(32), documents=docs, backend="folder")
    report = build_index(index_dir=tmp_path, embedder=FakeEmbedder(32), documents=docs, backend="milvus")
    assert report.embedded == 0 and open_store(tmp_path).backend == "milvus"
    manifest = json.loads((current_generation(tmp_path) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["milvus"]["analyzer"] == "tokens" and manifest["vector_index"]["index_type"] == "FLAT"


def test_the_jieba_analyzer_finds_mostly_the_same_clauses(tmp_path, monkeypatch):
    """Milvus's own jieba (no policy-term dictionary in 2.5) against the project's tokens: top-10 overlap."""
    docs = random_corpus(8, n_docs=10)
    monkeypatch.setenv("POLICY_MILVUS_ANALYZER", "jieba")
    build_index(index_dir=tmp_path / "jieba", embedder=FakeEmbedder(32), documents=docs, backend="milvus")
    build_index(index_dir=tmp_path / "ref", embedder=FakeEmbedder(32), documents=docs, backend="memory")
    jieba, ref = open_store(tmp_path / "jieba"), open_store(tmp_path / "ref", "memory")
    assert jieba.manifest["milvus"]["analyzer"] == "jieba"
    tok = Engine(ref, FakeEmbedder(32)).tokenizer
    overlaps = []
    for query in ("人才税收优惠", "新能源汽车补贴", "物业管理业主停车", "数字经济金融科技", "土地资金保障"):
        a = {r for r, _ in jieba.keyword_topk(tok(query), 10)}
        b = {r for r, _ in ref.keyword_topk(tok(query), 10)}
        overlaps.append(len(a & b) / max(1, len(b)))
    print(f"jieba analyzer top-10 overlap with the project tokens: {np.mean(overlaps):.2f}")
    assert np.mean(overlaps) >= 0.7, overlaps  # word salad of common words: the two segmenters mostly agree
