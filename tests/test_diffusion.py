"""Diffusion timeline: carriers of a provision by date, lag, copied or rewritten; local additions that spread."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.compare.coverage import embedding_memo
from indexer.compare.diffusion import (
    PARTLY,
    REWRITTEN,
    VERBATIM,
    diffusion,
    lag_days,
    locate,
    spread_additions,
    timeline_of,
    wording,
)
from indexer.compare.matrix import Addition, Cell, Matrix, RefItem, Row, implementation_matrix
from indexer.embedders import FakeEmbedder
from indexer.errors import NotFoundError

PROVINCE, DONGGUAN, CHAOZHOU = ("guangdong-2020-strategic-clusters", "dongguan-2021-strategic-clusters",
                                "chaozhou-strategic-clusters-draft")
NEWS = "guangdong-2021-chain-leader-news"
DATA = Path(__file__).parent / "data" / "provincial"


@pytest.fixture(scope="module")
def memo():
    return embedding_memo(FakeEmbedder())


@pytest.fixture(scope="module")
def seed_matrix(seed_docs, memo):
    return implementation_matrix(seed_docs, PROVINCE, embedder=memo)


def test_news_reprint_is_verbatim_in_every_item(seed_docs, seed_matrix):
    """The news page reprints the 20 items: in each item's timeline it is a verbatim carrier, dated, with its lag."""
    for j, it in enumerate(seed_matrix.items):
        t = timeline_of(seed_matrix, j, seed_docs)
        news = next(c for c in t.carriers if c.doc_id == NEWS)
        assert news.wording == VERBATIM and news.reuse_share >= 0.95, it.name
        assert news.date == "2021-04-14" and news.lag_days == 301  # 2020-06-17 → 2021-04-14
        assert news.spans and all(s.similarity >= 0.8 for s in news.spans)


def test_undated_documents_come_last(seed_docs, memo):
    t = diffusion(seed_docs, item="新能源", embedder=memo)
    dates = [c.date for c in t.carriers]
    assert "" in dates and dates.index("") == len(dates) - dates.count("")
    assert dates[: dates.index("")] == sorted(dates[: dates.index("")])
    undated = [c for c in t.carriers if c.undated]
    assert all(c.lag_days is None for c in undated) and CHAOZHOU in {c.doc_id for c in undated}


def test_located_by_clause_id_or_by_name(seed_docs):
    doc, unit, j, section = locate(seed_docs, clause_id="guangdong-2020-strategic-clusters:4.2.3")
    assert (doc.doc_id, unit, section) == (PROVINCE, "list", "四、发展重点") and j == 12  # 智能机器人
    assert locate(seed_docs, item="智能机器人产业集群")[2] == locate(seed_docs, item="智能机器人")[2] == 12
    with pytest.raises(NotFoundError):
        locate(seed_docs, item="火星开发")


def test_regulation_article_copied_then_lag_from_first_adoption(memo):
    from indexer.ingest.corpus import load_document

    docs = [load_document(DATA / "zhejiang-parking-province.md"), load_document(DATA / "hangzhou-parking-city.md")]
    t = diffusion(docs, item="第四条", reference="zhejiang-parking-province", embedder=memo)
    (city,) = t.carriers
    assert city.wording == VERBATIM and city.matches == ("第三条",)
    assert city.date == "2018-07-27" and city.lag_days == lag_days("2015-03-01", "2018-07-27")
    assert city.first_date == "2018-06-01"  # the city's own adoption, before the province's approval
    # the purpose clause with 本市 for 本省 and 法规 for 行政法规 is still a copy: near-verbatim spans count
    first = diffusion(docs, item="第一条", reference="zhejiang-parking-province", embedder=memo).carriers[0]
    assert first.wording == VERBATIM and all(0.8 <= s.similarity < 1.0 for s in first.spans)


@pytest.mark.parametrize("ref, date, days", [("2020-06-17", "2021-01-18", 215), ("2020-06-17", "2021-04-14", 301),
                                             ("2021-09-29", "2016-07-29", -1888), ("2020-06-17", "", None),
                                             ("", "2021-01-18", None), ("2020-06", "2021-01-18", None)])
def test_lag_days(ref, date, days):
    assert lag_days(ref, date) == days


@given(st.floats(min_value=0.0, max_value=1.0))
def test_wording_follows_the_reused_share(share):
    w = wording(share)
    assert w == (VERBATIM if share >= 0.8 else PARTLY if share >= 0.2 else REWRITTEN)


def _row(doc_id: str, date: str, adds: list[str]) -> Row:
    return Row(doc_id, doc_id, "", "city", date, (), "", (Cell("missing", 0.0, (), ()),),
               tuple(Addition(a, None, "") for a in adds))


def test_local_additions_that_spread_from_city_to_city():
    m = Matrix("p", "p", "2020-01-01", "list", "", (RefItem("新能源", None, "", ""),),
               (_row("a", "2021-05-01", ["现代物流", "智能卫浴"]), _row("b", "2021-02-01", ["现代物流产业集群"]),
                _row("c", "", ["现代物流业", "文旅"]), _row("d", "2022-01-01", ["文化旅游", "智能卫浴产业"])))
    spread = {s.name: s for s in spread_additions(m)}
    assert set(spread) == {"现代物流产业集群", "智能卫浴"}  # named as the earliest document words it
    assert [d for d, _, _ in spread["现代物流产业集群"].documents] == ["b", "a", "c"]  # by date, undated last
    assert [d for d, _, _ in spread["智能卫浴"].documents] == ["a", "d"]


def test_cli_diffusion_json(capsys, monkeypatch, tmp_path):
    from indexer import paths
    from indexer.cli import main

    monkeypatch.setattr(paths, "INDEX_DIR", tmp_path / "no-index")
    assert main(["diffusion", "--item", "数字创意", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["item"]["name"] == "数字创意" and got["date"] == "2020-06-17"
    news = next(c for c in got["carriers"] if c["doc_id"] == NEWS)
    assert news["wording"] == "verbatim" and news["lag_days"] == 301
    assert main(["diffusion", "guangdong-2020-strategic-clusters:4.2.8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["item"]["name"] == "数字创意"
    assert main(["diffusion"]) == 2


def test_timeline_xlsx_holds_dates_lags_and_wording(tmp_path, seed_docs, seed_matrix):
    import openpyxl

    from indexer.export.matrix import export_matrix

    t = timeline_of(seed_matrix, 15, seed_docs)  # 新能源
    wb = openpyxl.load_workbook(export_matrix(t, tmp_path / "t.xlsx", seed_docs))
    rows = list(wb["扩散时间线"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows] == [(c.date or "日期未注明", "—" if c.lag_days is None else c.lag_days,
                                                  c.doc_id) for c in t.carriers]
    news = next(r for r in rows if r[3] == NEWS)
    assert news[1] == 301 and news[6] == "照搬原文" and news[7] == 1.0


ZHEJIANG = Path(__file__).resolve().parents[2] / "shared" / "library" / "zhejiang"


@pytest.mark.skipif(not ZHEJIANG.is_dir(), reason="../shared/library is not beside this checkout")
def test_an_item_name_two_provincial_documents_share_asks_for_the_reference(tmp_path):
    """Found in use: `diffusion --item 第二十七条` without --reference took the first provincial regulation it met (the
    free-trade-zone one); every regulation has a 第二十七条."""
    from indexer.errors import PolicyError
    from indexer.ingest.build import load_documents

    for f in sorted(ZHEJIANG.glob("浙江省*物业*.md"))[:1] + sorted(ZHEJIANG.glob("浙江省*生活垃圾*.md"))[:1]:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    docs = load_documents([tmp_path])[0]
    assert len(docs) == 2 and all(d.meta.level == "province" for d in docs)
    with pytest.raises(PolicyError, match="--reference"):
        diffusion(docs, item="第二十七条", embedder=FakeEmbedder())
    t = diffusion(docs, item="第二十七条", reference=docs[0].doc_id, embedder=FakeEmbedder())
    assert t.reference == docs[0].doc_id


def test_articles_that_spread_are_named_by_their_words_not_their_number():
    """Found in use: two different groups were both shown as 第五十七条; the commencement articles every city has
    were one of them."""
    def row(doc_id, date, adds):
        return Row(doc_id, doc_id, "", "city", date, (), "", (Cell("missing", 0.0, (), ()),),
                   tuple(Addition(n, None, t) for n, t in adds))

    fee = "物业服务收费应当遵循合理、公开以及费用与服务水平相适应的原则，实行市场调节价。"
    m = Matrix("p", "p", "2020-01-01", "article", "", (RefItem("第一条", None, "", ""),),
               (row("a", "2021-05-01", [("第五十七条", "本条例自2021年5月1日起施行。"), ("第三十四条", fee)]),
                row("b", "2021-02-01", [("第六十条", "本条例自2021年3月1日起施行。"), ("第三十条", fee)])))
    spread = spread_additions(m)
    assert [s.name for s in spread] == ["第三十条「物业服务收费应当遵循合理、公开以…」"]
