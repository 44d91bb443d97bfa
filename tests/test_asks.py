"""What kind of answer a question asks for, and whether a clause gives it (a feature of the learned fusion)."""
import pytest

from indexer.search import asks


@pytest.mark.parametrize("query, kinds", [
    ("在景区乱刻乱画罚多少", {"penalty", "amount"}),
    ("电梯把人困住了维保多久要赶到", {"duration"}),
    ("写论文拿了省社科一等奖奖金有多少", {"amount"}),
    ("老板拖欠工资去哪里投诉", {"office"}),
    ("骑电动车要戴头盔吗", {"rule"}),
    ("公办学校操场周末对外开放吗", set()),  # a yes/no question without 能/要/可以: no kind
    ("能不能在小区里烧纸", {"rule"}),
    ("预付凭证使用期限届满后退还余额", {"duration"}),
    ("新能源汽车产业集群", set()),
    ("战略性新兴产业", set()),
])
def test_asked(query, kinds):
    assert asks.asked(query) == frozenset(kinds)


@pytest.mark.parametrize("text, kind, gives", [
    ("违反本条例规定的，由城市管理部门责令改正，处二百元以上一千元以下罚款。", "penalty", True),
    ("鼓励单位和个人参与文明行为促进工作。", "penalty", False),
    ("维护保养单位接到报警后，应当在三十分钟内到达现场。", "duration", True),
    ("自受理之日起15个工作日内作出决定", "duration", True),
    ("对获得一等奖的，给予5万元奖励。", "amount", True),
    ("贷款利率上浮不超过20%", "amount", True),
    ("支持企业开展技术创新。", "amount", False),
    ("劳动者可以向人力资源社会保障部门投诉", "office", True),
    ("由市场监督管理部门负责查处", "office", True),
    ("电动自行车驾驶人应当佩戴安全头盔", "rule", True),
    ("本条例自2020年1月1日起施行。", "rule", False),
])
def test_answers(text, kind, gives):
    assert asks.answers(text, frozenset({kind})) is gives


def test_no_kind_asked_answers_nothing():
    assert not asks.answers("处二百元以上一千元以下罚款", frozenset())


def test_the_reranker_feature_marks_the_clauses_that_give_what_was_asked(fake_engine):
    from indexer.search.rerank import FEATURES

    q = "机器人企业能拿多少钱奖励"
    rows, x = fake_engine.candidates(q)
    got = x[:, FEATURES.index("answers_kind")]
    expect = [float(asks.answers(fake_engine.store.text(r), asks.asked(q))) for r in rows]
    assert asks.asked(q) == {"amount"} and got.tolist() == expect and 0 < sum(expect) < len(expect)
    rows, x = fake_engine.candidates("工业机器人产业集群")  # asks for no kind: the feature says nothing
    assert not x[:, FEATURES.index("answers_kind")].any()


@pytest.mark.parametrize("text", ["本条例自2020年1月1日起施行。", "2019年12月27日浙江省第十三届人民代表大会常务委员会通过"])
def test_a_date_is_not_a_time_limit(text):
    assert not asks.answers(text, frozenset({"duration"}))
