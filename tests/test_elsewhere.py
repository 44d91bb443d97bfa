"""The best answer outside a search's filters (indexer/search/elsewhere.py): said when it clearly outranks the best
inside, never when the filtered search already holds it. Measured on the library query sets (195 queries whose answer
is in one region, index of 424 documents): filtered to the answer's own region 2 are noted; to another city, 174."""
from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.filters import SearchFilters
from indexer.models import Hit
from indexer.search.elsewhere import ELSEWHERE_SHARE, better_elsewhere

BASE = Hit(rank=1, score=4.9, doc_id="lishui-dogs", title="丽水市城市养犬管理规定", region="丽水市", province="浙江省",
           level="city", date="2020-08-14", status="", clause_id="lishui-dogs:a17", section="第十七条",
           section_path=("第十七条",), text="综合行政执法部门在收到养犬登记申办材料后进行审核。", start=0, end=10,
           page=None)


def unfiltered(*hits: Hit):
    def search(query: str, k: int, mode: str):
        return list(hits[:k])
    return search


HANGZHOU = SearchFilters(region="杭州")


def test_a_place_without_the_answer_is_told_where_it_is():
    inside = [replace(BASE, doc_id="hz-permit", clause_id="hz-permit:a19", score=2.7, region="杭州市")]
    assert better_elsewhere(unfiltered(BASE), "养狗要办证吗", inside, "hybrid", HANGZHOU) == BASE
    assert better_elsewhere(unfiltered(BASE), "养狗要办证吗", [], "hybrid", HANGZHOU) == BASE  # nothing inside


@pytest.mark.parametrize("inside_score", [4.9, ELSEWHERE_SHARE * 4.9 + 0.01])
def test_nothing_is_said_when_the_filtered_best_is_close(inside_score):
    inside = [replace(BASE, doc_id="hz-dogs", clause_id="hz-dogs:a5", score=inside_score, region="杭州市")]
    assert better_elsewhere(unfiltered(BASE), "养犬登记", inside, "hybrid", HANGZHOU) is None


def test_nothing_is_said_without_filters_or_for_word_modes_or_weak_answers():
    inside = [replace(BASE, score=1.0, clause_id="x:a1")]
    assert better_elsewhere(unfiltered(BASE), "q", inside, "hybrid", None) is None
    assert better_elsewhere(unfiltered(BASE), "q", inside, "hybrid", SearchFilters()) is None
    assert better_elsewhere(unfiltered(BASE), "q", inside, "keyword", HANGZHOU) is None
    assert better_elsewhere(unfiltered(replace(BASE, low=True)), "q", inside, "hybrid", HANGZHOU) is None
    assert better_elsewhere(unfiltered(BASE), "q", [BASE], "hybrid", HANGZHOU) is None  # it is the filtered best


def test_the_cli_says_why_a_filtered_search_is_empty_and_where_the_answer_is(fake_index, capsys, monkeypatch):
    """Found in use: 已失效 (a status no document carries) answered 0 hits without a word."""
    from indexer.cli import main

    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    assert main(["search", "链长制", "--index-dir", str(fake_index), "--status", "已失效"]) == 0
    out = capsys.readouterr().out
    assert "0 条结果" in out and "筛选条件下没有结果" in out and "状态：已失效" in out
    assert "不限筛选时最相关的是" in out


def test_the_api_answers_the_same_as_the_app_and_the_cli(fake_index, tmp_path, monkeypatch):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from indexer.api.app import create_app

    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    with TestClient(create_app(fake_index, tmp_path / "uploads", token="")) as c:
        told = c.get("/v1/search/elsewhere", params={"q": "链长制 总链长", "region": "潮州市"})
        assert told.status_code == 200 and "链长" in told.json()["text"]
        assert c.get("/v1/search/elsewhere", params={"q": "智能卫浴产业", "region": "潮州市"}).json() is None
        assert c.get("/v1/search/elsewhere", params={"q": "链长制"}).json() is None  # no filters
        assert c.get("/v1/search/elsewhere", params={"q": " ", "region": "潮州市"}).status_code == 422
