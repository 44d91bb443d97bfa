"""The relevance floor (a nonsense query gets its best few under 相关度较低, not "找到 10 条结果") and marks on
the words that carry a match (not on 企业 / 支持 everywhere)."""
from __future__ import annotations

import numpy as np
import pytest

from indexer.evaluate import first_relevant_rank
from indexer.search.floor import MIN_SUPPORT, Floor, keyword_support


def test_keyword_support_weighs_rare_words_and_unknown_ones_most():
    df = {"企业": 50, "芯片": 2}
    assert keyword_support(["企业", "芯片"], df, 100) == 1.0
    assert keyword_support(["asdfghjkl"], {}, 100) == 0.0
    half = keyword_support(["企业", "量子纠缠"], df, 100)
    assert 0 < half < MIN_SUPPORT  # the unknown word outweighs the common known one


def test_floor_margin_excludes_the_probe_itself():
    probes = np.eye(3, dtype=np.float32)
    floor = Floor(probes)
    assert floor.margin(probes[0], 0.5) == pytest.approx(0.5)  # identical probe skipped, next is orthogonal
    assert floor.weak(probes[0] * 0 + np.array([0.6, 0.8, 0], np.float32), 0.5, support=0.0)
    assert not floor.weak(np.array([0.6, 0.8, 0], np.float32), 0.5, support=0.9)  # words vouch


def test_common_words_are_not_marked(fake_engine):
    hit = fake_engine.search("支持企业发展新能源汽车", k=1, mode="keyword")[0]
    marked = {hit.text[s:e] for s, e in hit.highlights}
    assert marked and not marked & {"支持", "企业"}
    assert fake_engine.query.marked_terms(["企业"]) == ["企业"]  # only common words: the rarest still marks


@pytest.mark.slow
@pytest.mark.parametrize("query", ["zxcvbnm qwerty", "蛋炒饭怎么做好吃", "hello world", "猫"])
def test_nonsense_gets_a_few_hits_marked_low(nano_engine, query):
    hits = nano_engine.search(query, k=10)
    assert 0 < len(hits) <= 3 and all(h.low for h in hits)
    assert hits[0].to_dict()["low_relevance"] is True


@pytest.mark.slow
def test_no_relevant_first_hit_of_the_dev_set_is_hidden(nano_engine, dev_queries):
    for q in dev_queries:
        hits = nano_engine.search(q.q, k=10)
        if first_relevant_rank(hits[:1], q.needles) == 1:
            assert not hits[0].low, q.q
        assert first_relevant_rank(hits, q.needles) == first_relevant_rank(
            nano_engine.search(q.q, k=10, floor=False), q.needles)


@pytest.mark.slow
def test_the_near_verbatim_provincial_source_is_the_first_similar_clause(nano_engine):
    """Chaozhou 5.2 rewrites Guangdong 5.3 (its wording ratio is twice any other's); it ranked 4th on meaning."""
    hits = nano_engine.similar("chaozhou-strategic-clusters-draft:5.2", k=5)
    assert hits[0].clause_id == "guangdong-2020-strategic-clusters:5.3"
    assert hits[0].signals["surface"]["rank"] == 1 and hits[0].signals["semantic"]["rank"] > 1
