"""Evaluation: metric definitions on hand-made rankings, relevance by needles, the table and the CLI."""
from __future__ import annotations

import json

import pytest

from indexer.cli import main
from indexer.errors import PolicyError
from indexer.evaluate import compare_fusions, evaluate, format_table, is_relevant, load_queries, metrics
from tests.conftest import DEV_QUERIES


def test_metrics_by_hand():
    m = metrics([1, 2, None, 7])
    assert m["R@1"] == pytest.approx(1 / 4)
    assert m["R@5"] == pytest.approx(2 / 4)
    assert m["MRR@10"] == pytest.approx((1 + 1 / 2 + 0 + 1 / 7) / 4)
    assert metrics([11])["MRR@10"] == 0 and metrics([]) == {"R@1": 0, "R@5": 0, "MRR@10": 0}


def test_relevance_is_needle_containment_across_punctuation_width():
    assert is_relevant("加快推进EDA软件国产化，布局建设", ["加快推进EDA软件国产化"])
    assert is_relevant("拓宽产业融资渠道,支持集群", ["拓宽产业融资渠道，支持集群"])
    assert not is_relevant("推进EDA国产化", ["加快推进EDA软件国产化"])


def test_dev_set_format(dev_queries):
    assert len(dev_queries) >= 10 and all(q.q and q.needles for q in dev_queries)


def test_bad_query_file_is_one_line(tmp_path):
    p = tmp_path / "q.json"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyError, match="cannot read query set"):
        load_queries(p)


def test_every_dev_needle_exists_in_the_seed_corpus(dev_queries, seed_docs):
    texts = [c.text for d in seed_docs for c in d.clauses]
    for q in dev_queries:
        assert any(is_relevant(t, q.needles) for t in texts), q.q


def test_evaluate_on_the_fake_index(fake_engine, dev_queries):
    results = evaluate(fake_engine, dev_queries, ("hybrid", "semantic", "keyword", "hybrid+fuzzy"))
    assert [r["mode"] for r in results] == ["hybrid", "semantic", "keyword", "hybrid+fuzzy"]
    for r in results:
        assert 0 <= r["R@1"] <= r["R@5"] <= 1 and 0 <= r["MRR@10"] <= 1 and len(r["ranks"]) == len(dev_queries)
    # keyword search matches the literal Chinese queries even with the meaningless fake vectors
    assert results[2]["R@5"] >= 0.8
    table = format_table(results, dev_queries)
    assert "hybrid+fuzzy" in table and "MRR@10" in table and dev_queries[0].q[:8] in table
    assert {r["mode"] for r in compare_fusions(fake_engine, dev_queries[:3])} >= {"rrf k=60", "minmax"}


def test_cli_evaluate_json(fake_index, capsys):
    assert main(["evaluate", "--index-dir", str(fake_index), "--queries", str(DEV_QUERIES),
                 "--modes", "hybrid,keyword", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["mode"] for r in out] == ["hybrid", "keyword"]
