"""Table rows in hybrid results: a project table's rows answer questions about their project, and stay behind the
prose for general questions (issue 28: a plan's flattened project rows outranked its policy text)."""
from __future__ import annotations

import pytest

from indexer.ingest.build import build_index
from indexer.search import Engine

PLAN = """某省工业发展规划

一、发展光伏产业
支持在工业厂房和公共建筑屋顶建设分布式光伏发电设施，鼓励居民在自有住宅屋顶安装太阳能光伏板，按规定给予补贴。

二、加强招商引资
积极吸引省外企业将生产基地转移到本省工业园区，对新落户的制造业企业给予用地和税收支持。

附件 重点项目表
序号\t项目名称\t建设规模及内容\t总投资\t建设地点
1\t晶体硅棒、块太阳能电池及太阳能组件板生产线项目\t项目用地1000亩，建设晶体硅棒、块太阳能电池及太阳能组件板生产线\t110000\t甲工业园区
2\t太阳能热水器生产项目\t年产家用太阳能热水器20万台，招商引资建设太阳能生产基地\t35000\t乙工业园区
3\t太阳能路灯生产项目\t年产太阳能路灯5万套，太阳能板组装\t20000\t丙工业园区
4\t太阳能光伏玻璃项目\t年产太阳能光伏玻璃300万平方米，招商引资项目\t60000\t丁工业园区
5\t太阳能储能电池项目\t年产太阳能储能电池10万组，招商引资企业落户\t45000\t戊工业园区
"""


@pytest.fixture(scope="module")
def plan_engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    (root / "corpus").mkdir()
    (root / "corpus" / "plan.txt").write_text(PLAN, encoding="utf-8")
    build_index([root / "corpus"], root / "index", "fake")
    engine = Engine.open(root / "index")
    assert sum(engine.store.clause(r).kind == "table" for r in range(len(engine.store))) >= 3
    return engine


def kinds(engine, hits) -> list[str]:
    return [engine.store.clause(engine.store.row_of(h.clause_id)).kind for h in hits]


@pytest.mark.parametrize("query", ["在楼顶装太阳能板", "吸引外地公司把工厂搬过来", "太阳能板补贴"])
def test_prose_comes_before_the_rows_of_a_project_table_for_a_general_question(plan_engine, query):
    hits = plan_engine.search(query, k=10, floor=False)
    k = kinds(plan_engine, hits)
    assert "table" in k and k[0] != "table"
    first_row = k.index("table")
    assert all(kind == "table" for kind in k[first_row + 1:]) or k[first_row + 1:].count("table") <= 1


def test_a_question_naming_a_row_still_finds_it_first(plan_engine):
    hits = plan_engine.search("晶体硅棒太阳能电池生产线项目用地多少", k=5, floor=False)
    assert "晶体硅棒" in hits[0].text


def test_single_signal_modes_keep_their_own_order(plan_engine):
    """Keyword mode ranks words as they are: a row holding them is not moved."""
    plain = plan_engine.search("太阳能 招商引资", k=10, mode="keyword")
    assert "table" in kinds(plan_engine, plain[:1])
