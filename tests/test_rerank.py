"""Hybrid search's learned fusion: the features of each candidate, the shipped weights, the fit, and the engine
ordering its candidates by the fitted score."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.filters import SearchFilters
from indexer.search import rerank as rr
from indexer.search.fusion import fuse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

Q = "东莞 工业机器人 产业集群"


def col(x: np.ndarray, name: str) -> np.ndarray:
    return x[:, rr.FEATURES.index(name)]


def test_features_describe_each_candidate(fake_engine):
    rows, x = fake_engine.candidates(Q)
    assert len(rows) == len(set(rows)) == len(x) > 10 and x.shape[1] == len(rr.FEATURES)
    store = fake_engine.store
    # cosine relative to the best: 0 for the best candidate, never above
    assert col(x, "cosine_to_best").max() == pytest.approx(0, abs=1e-6) and (col(x, "cosine_to_best") <= 1e-6).all()
    vec = fake_engine.embed_query(Q)
    np.testing.assert_allclose(col(x, "cosine"), store.vectors(rows) @ vec, atol=1e-5)
    assert col(x, "bm25_to_best").max() == pytest.approx(1) and (col(x, "bm25_to_best") >= 0).all()
    words = [w for w in dict.fromkeys(fake_engine.tokenizer(Q)) if w.strip()]
    for i, row in enumerate(rows):
        text, meta = store.text(row), store.document_of(row).meta
        holds = [w in text for w in words]
        assert col(x, "word_share")[i] == pytest.approx(1.0) if all(holds) else col(x, "word_share")[i] < 1
        assert (col(x, "word_share")[i] == 0) == (not any(holds))
        assert col(x, "named_place")[i] == float(meta.region == "东莞市")  # the query names 东莞
        assert col(x, "title_share")[i] <= 1 and col(x, "char_share")[i] <= 1
        assert col(x, "log_length")[i] == pytest.approx(np.log1p(len(text)))
    sem = [r for r, _ in fake_engine._rankings(Q, "hybrid", 100, None, False, None)[2]["semantic"]]
    for i, row in enumerate(rows):  # reciprocal rank of the semantic list, 0 outside it
        expect = 1 / (rr.RRF_K + sem.index(row) + 1) if row in sem else 0.0
        assert col(x, "rrf_semantic")[i] == pytest.approx(expect)


def test_hybrid_orders_the_fused_candidates_by_the_learned_score(fake_engine):
    model = rr.load()
    rows, x = fake_engine.candidates(Q)
    expected = [r for r, _ in rr.rerank(rows, model.score(x))][:10]
    hits = fake_engine.search(Q, k=10, floor=False)
    assert [fake_engine.store.row_of(h.clause_id) for h in hits] == expected
    assert all(0 < h.score <= 1 for h in hits) and [h.score for h in hits] == sorted((h.score for h in hits),
                                                                                   reverse=True)


def test_a_given_fusion_or_no_weights_means_rank_fusion(fake_engine, monkeypatch):
    from indexer.search import Fusion

    _, _, rankings = fake_engine._rankings(Q, "hybrid", 100, None, False, None)
    plain = [r for r, _ in fuse(rankings)][:10]
    got = [fake_engine.store.row_of(h.clause_id) for h in fake_engine.search(Q, k=10, fusion=Fusion(), floor=False)]
    assert got == plain
    monkeypatch.setattr(rr, "load", lambda *a, **k: None)  # a build without the weights file
    monkeypatch.setattr(fake_engine, "adaptive", False)
    got = [fake_engine.store.row_of(h.clause_id) for h in fake_engine.search(Q, k=10, floor=False)]
    assert got == plain


def test_filtered_hybrid_reranks_only_what_the_filter_allows(fake_engine):
    f = SearchFilters(region="广东", region_scope="self")
    hits = fake_engine.search("产业集群 资金", k=20, filters=f, floor=False)
    assert hits and all(h.province == "广东省" and h.region in ("", "广东省") for h in hits)
    rows, x = fake_engine.candidates("产业集群 资金", f)
    assert [fake_engine.store.row_of(h.clause_id) for h in hits] == [r for r, _ in rr.rerank(rows, rr.load().score(x))][:20]


def test_hybrid_with_fuzzy_still_counts_the_fuzzy_signal(fake_engine):
    q = "加快推进煤电机组的节能降碳改造"
    hits = fake_engine.search(q, k=5, fuzzy=True, floor=False)
    assert any("fuzzy" in h.signals for h in hits)


def test_the_shipped_weights_fit_the_features():
    data = json.loads(rr.WEIGHTS_FILE.read_text(encoding="utf-8"))
    model = rr.load()
    assert set(model.features) <= set(rr.FEATURES) and len(model.features) == len(model.weights)
    assert len(model.means) == len(model.spreads) == len(model.features) and (model.spreads > 0).all()
    assert data["queries"] >= 60 and "tune" in data["data"]  # fitted on the tuning half only
    # the evidence the model stands on points the right way: more of the query's meaning and words is better
    w = dict(zip(model.features, model.weights, strict=True))
    assert w["cosine_to_best"] > 0 and w["word_share"] > 0 and w["title_share"] > 0


def test_a_missing_weights_file_means_no_reranker(tmp_path):
    assert rr.load(tmp_path / "none.json") is None


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=1, max_size=30))
def test_rerank_is_a_stable_sort_with_probabilities(scores):
    out = rr.rerank(list(range(len(scores))), np.array(scores))
    assert sorted(r for r, _ in out) == list(range(len(scores)))
    assert sum(p for _, p in out) == pytest.approx(1.0)
    keys = [(-scores[r], r) for r, _ in out]
    assert keys == sorted(keys)  # best first, ties in the fused order


def test_the_fit_learns_the_feature_that_decides_relevance():
    from fit_rerank import fit

    rng = np.random.default_rng(0)
    decisive = rr.FEATURES.index("word_share")

    def sample(n=40):
        x = rng.normal(size=(n, len(rr.FEATURES)))
        y = np.zeros(n, dtype=bool)
        y[int(np.argmax(x[:, decisive]))] = True
        return list(range(n)), x, y

    model = fit([sample() for _ in range(30)], l2=1.0)
    w = np.abs(model.weights)
    assert int(np.argmax(w)) == decisive
    rows, x, y = sample()
    assert rr.rerank(rows, model.score(x))[0][0] == int(np.flatnonzero(y)[0])
