"""The review's general rules, each on its own: who a fine applies to, time limits in 日 and 工作日, a fine with no
floor, 禁止 inside a noun phrase, modal clauses matched one to one, duties taken up sentence by sentence, the
upper layer's disk cache."""
from __future__ import annotations

import pytest

from indexer.compare.amounts import find_amounts
from indexer.compare.review_diff import (
    NUMBER_CHANGED,
    PROHIBITION_ADDED,
    RANGE_EXCEEDS,
    SHOULD_TO_MAY,
    modality_differences,
    modals,
    number_differences,
    party,
)

# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize(("text", "parties"), [
    ("对个人处二百元以上二千元以下罚款，对单位处五万元以上五十万元以下罚款", ["个人", "单位"]),
    ("对设置或者管理单位处五百元以上三千元以下罚款", ["设置或者管理单位"]),
    ("处一万元以上十万元以下罚款", [""]),
])
def test_party_of_a_fine(text, parties):
    assert [party(text, a) for a in find_amounts(text)] == parties


def test_fines_for_different_parties_are_not_compared():
    local = "情节严重的，对个人处二百元以上二千元以下罚款，对单位处五万元以上五十万元以下罚款。"
    upper = "情节严重的，对单位处五万元以上五十万元以下的罚款，对个人依法处以罚款。"
    assert number_differences(local, upper) == []


def test_a_lower_fine_for_the_same_party_is_outside_the_range():
    local = "拒不改正的，对个人处二百元以下罚款，对单位处五百元以上五千元以下罚款。"
    upper = "情节严重的，对个人处二百元以上二千元以下罚款，对单位处五万元以上五十万元以下罚款。"
    found = {d.local_value: (d.type, d.upper_value) for d in number_differences(local, upper)}
    assert found["500–5000元"] == (RANGE_EXCEEDS, "50000–500000元")
    assert found["≤200元"] == (RANGE_EXCEEDS, "200–2000元")


def test_working_days_against_days_is_a_change():
    (d,) = number_differences("受理申请的部门应当自受理申请之日起十个工作日内作出决定。",
                              "受理申请的部门应当自受理申请之日起20日内作出决定。")
    assert d.type == NUMBER_CHANGED and "计算单位不同" in d.message


def test_fine_with_no_floor_against_an_upper_range_is_flagged():
    (d,) = number_differences("违反本条规定的，处五万元以下罚款。", "违反本条规定的，处二万元以上二十万元以下罚款。")
    assert d.type == RANGE_EXCEEDS and "下限" in d.message


def test_the_one_age_range_on_each_side_is_compared():
    (d,) = number_differences("献血者的年龄为十八周岁至六十周岁。", "国家提倡十八周岁至五十五周岁的健康公民自愿献血。")
    assert (d.local_value, d.upper_value) == ("18–60周岁", "18–55周岁")


@pytest.mark.parametrize(("local", "upper", "want"), [
    ("应当于会议召开七日前通知全体业主。", "应当于会议召开15日前通知全体业主。", ("7日", "15日")),
    ("在任期届满前三个月组织换届选举。", "在任期届满前二个月组织换届选举。", ("90日", "60日")),
    ("经百分之十以上业主提议的，应当召开临时会议。", "经20%以上业主提议的，应当召开临时会议。", ("≥10%", "≥20%")),
])
def test_time_limits_and_thresholds(local, upper, want):
    (d,) = number_differences(local, upper)
    assert (d.local_value, d.upper_value) == want


# ---------------------------------------------------------------- modality

@pytest.mark.parametrize("text", ["确需在禁止燃放烟花爆竹区域内举办焰火晚会", "经营本市公布的禁止经营的烟花爆竹的，由公安机关没收"])
def test_prohibition_inside_a_noun_phrase_is_no_modal(text):
    assert [m.word for m in modals(text)] == []


def test_prohibition_as_a_verb_is_modal():
    assert [m.word for m in modals("城市建成区内禁止饲养家禽、家畜。任何单位不得在禁止燃放的区域燃放。")] == ["禁止", "不得"]


def test_reworded_prohibition_is_neither_added_nor_dropped():
    local = "城市建成区内禁止饲养家禽、家畜、食用鸽。居民饲养宠物应当遵守有关规定，不得影响环境卫生。"
    upper = "城市建成区内禁止饲养鸡、鸭、鹅等家畜家禽和食用鸽。饲养宠物和信鸽不得污染环境。"
    assert modality_differences(local, upper, close=True) == []


def test_an_extra_prohibition_in_a_restating_article_is_added():
    local = "建设单位应当按照规定配置物业服务用房。物业服务用房不得擅自改变用途。"
    upper = "建设单位应当按照规定配置物业管理用房。"
    (d,) = modality_differences(local, upper, close=True)
    assert d.type == PROHIBITION_ADDED and "不得擅自改变用途" in d.message


def test_modal_clauses_are_matched_one_to_one():
    local = ("全体业主可以成立一个业主大会。业主大会定期会议应当按照议事规则的约定召开。"
             "业主委员会应当及时组织召开业主大会临时会议。")
    upper = "业主大会定期会议应当按照议事规则规定召开。业主委员会应当组织召开业主大会临时会议。"
    assert modality_differences(local, upper) == []


def test_should_to_may_quotes_both_clauses():
    (d,) = modality_differences("经营者可以在十五日内作出答复。", "经营者应当在十五日内作出答复。")
    assert d.type == SHOULD_TO_MAY and "应当在十五日内" in d.message and "可以在十五日内" in d.message


# ---------------------------------------------------------------- duties and the upper layer's cache

@pytest.fixture
def fixture_library(tmp_path, monkeypatch):
    from indexer.compare import review_basis
    from tests.review_fixtures import load_library

    monkeypatch.setenv("POLICY_REVIEW_CACHE", str(tmp_path / "cache"))
    review_basis._LAYERS.clear()
    yield load_library(tmp_path / "lib")
    review_basis._LAYERS.clear()


def test_a_duty_taken_up_in_one_sentence_is_not_reported(fixture_library):
    from indexer.compare.review import draft_document, review_document

    draft = ("第一条 为了加强烟花示例管理，制定本规定。\n\n第二条 燃放烟花示例，应当按照燃放说明燃放。"
             "市、县（市、区）人民政府应当建立烟花示例安全监督管理协调机制，所需经费纳入本级财政预算。")
    rv = review_document(fixture_library, draft_document(draft, "某市烟花示例管理规定（草案）"), level="city")
    assert not [f for f in rv.findings if f.type == "duty_missing"]


def test_the_upper_layer_is_read_back_from_disk(fixture_library, tmp_path):
    import numpy as np

    from indexer.compare import review_basis, review_cache

    first = review_basis.upper_layer(fixture_library)
    (folder,) = [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    assert {p.name for p in folder.iterdir()} == {"articles.npz", "vocabulary.json", "idf.npy"}
    review_basis._LAYERS.clear()
    fitted = []
    real = review_cache.vectorizer
    review_cache.vectorizer = lambda vocabulary=None: fitted.append(vocabulary is None) or real(vocabulary)
    try:
        second = review_basis.upper_layer(fixture_library)
    finally:
        review_cache.vectorizer = real
    assert fitted == [False]  # made from the kept vocabulary, not fitted again
    q = ["县级以上地方人民政府应当建立协调机制", "处100元以上500元以下的罚款"]
    assert np.allclose(first.vectors(q).toarray(), second.vectors(q).toarray())
    assert np.allclose(first.article_vectors.toarray(), second.article_vectors.toarray())


def test_a_damaged_cache_is_refitted(fixture_library, tmp_path):
    from indexer.compare import review_basis

    review_basis.upper_layer(fixture_library)
    (folder,) = [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    (folder / "articles.npz").write_bytes(b"not a matrix")
    review_basis._LAYERS.clear()
    layer = review_basis.upper_layer(fixture_library)
    assert layer.article_vectors.shape[0] == len(layer.articles)


def test_cache_off_writes_nothing(fixture_library, tmp_path, monkeypatch):
    from indexer.compare import review_basis

    monkeypatch.setenv("POLICY_REVIEW_CACHE", "off")
    review_basis.upper_layer(fixture_library)
    assert not (tmp_path / "cache").exists()


# ---------------------------------------------------------------- what a penalty punishes

LOCAL_HANG = ("第二十六条 禁止在道路两侧的树木、护栏上晾晒物品。\n\n任何单位和个人不得擅自在公共场地堆放物品。\n\n"
              "违反本条第一款规定的，责令改正；拒不改正的，对单位处二十元以上二百元以下罚款。")
UPPER_STATUE = ("第十四条 城市雕塑应当保持整洁、完好；出现污损的，管理单位应当及时整修。\n\n"
                "任何单位和个人不得在道路两侧的护栏、树木上晾晒、吊挂衣物。\n\n"
                "违反本条第一款或者第二款规定的，责令改正；其中，对违反本条第一款规定，拒不改正的，对管理单位处五百元以上三千元以下罚款。")


def test_paragraphs_keep_items_with_their_paragraph():
    from indexer.compare.review_acts import paragraphs

    text = "第五条 施工单位应当遵守下列规定：\n\n（一）设置围挡；\n\n（二）洒水降尘。\n\n违反前款规定的，处一万元罚款。"
    assert [text[a:b][:4] for a, b in paragraphs(text)] == ["第五条 ", "违反前款"]


def test_the_act_a_penalty_punishes_is_the_paragraph_it_names():
    from indexer.compare.review_acts import act

    assert act(LOCAL_HANG, LOCAL_HANG.index("罚款")) == "第二十六条 禁止在道路两侧的树木、护栏上晾晒物品。"
    # the last paragraph named before the fine counts: 对违反本条第一款规定 … 处五百元
    assert act(UPPER_STATUE, UPPER_STATUE.index("罚款")).startswith("第十四条 城市雕塑")
    assert act("违反本条规定的，处二百元罚款。", 10) is None


def test_a_fine_for_another_act_neither_covers_nor_compares():
    from indexer.compare.review_powers import power_differences

    (d,) = power_differences(LOCAL_HANG, [UPPER_STATUE])
    assert d.type == "penalty_added"
    assert number_differences(LOCAL_HANG, UPPER_STATUE) == []


def test_a_fine_for_the_same_act_covers_and_compares():
    from indexer.compare.review_powers import power_differences

    upper = UPPER_STATUE.replace("对违反本条第一款规定，拒不改正的，对管理单位处", "对违反本条第二款规定，拒不改正的，对单位处")
    assert power_differences(LOCAL_HANG, [upper]) == []
    (d,) = number_differences(LOCAL_HANG, upper)
    assert (d.type, d.local_value, d.upper_value) == (RANGE_EXCEEDS, "20–200元", "500–3000元")


@pytest.mark.parametrize(("text", "level", "duty"), [
    ("县级以上地方人民政府应当建立协调机制", "", True),
    ("各级人民政府及其农业行政等有关部门应当鼓励和支持秸秆综合利用", "", True),
    ("县级以上人民政府市场监督管理部门应当会同生态环境主管部门检查", "", False),
    ("省、自治区、直辖市人民政府应当实施更严格的排放标准", "city", False),
    ("省、自治区、直辖市人民政府应当实施更严格的排放标准", "province", True),
])
def test_government_duties(text, level, duty):
    from indexer.compare.review_powers import government_duties

    assert bool(government_duties(text, level)) is duty


@pytest.mark.parametrize(("text", "want"), [
    ("第一条 甲。\n\n乙应当丙。\n\n丁应当戊。\n\n违反本条第二款或者第三款规定的，处一万元罚款。", "乙应当丙。\n丁应当戊。"),
    ("第一条 甲。\n\n乙。\n\n违反前两款规定的，处罚款。", "第一条 甲。\n乙。"),
    ("第九条 甲。\n\n乙禁止。\n\n违反第二款规定的，处罚款。", "乙禁止。"),
    ("第一条 甲。\n\n违反本条例第十六条第一款规定的，处罚款。", None),
])
def test_paragraph_references(text, want):
    from indexer.compare.review_acts import act

    assert act(text, text.index("罚款")) == want


def test_prohibition_naming_a_time_and_place_is_no_modal():
    assert modals("在禁止燃放烟花爆竹的时间、地点燃放烟花爆竹的，由公安部门责令停止燃放") == []


def test_detention_set_by_a_local_article_is_beyond_its_power():
    """Found in use: a draft's 由公安机关处五日以下拘留 gave nothing (only the words 行政拘留 were read). Only a law may
    restrict personal freedom (行政处罚法 第十条、第十二条), whatever the aligned upper article says."""
    from indexer.compare.review_powers import power_differences

    local = "违反本条例第八条规定，携犬进入公共场所的，由公安机关处五日以下拘留，并处五百元以上一千元以下罚款。"
    found = power_differences(local, ["违反本法规定，携带犬只出户未束犬链的，处二百元以上五百元以下罚款。"])
    assert len(found) == 1 and "只能由法律设定" in found[0].message and found[0].confidence >= 0.9
    assert local[slice(*found[0].local_spans[0])] == "拘留"  # the fine is the upper law's sort: not reported
    assert not power_differences("被拘留的人员，由公安机关通知其家属。", [])  # a detention undergone sets none
    assert not power_differences("拘留所应当保障被拘留人的饮食。", [])  # a place, not a penalty


def test_the_official_responsible_is_no_government_duty():
    """Found in use: 直接负责的主管人员 after a government's name was read as a duty the government bears."""
    from indexer.compare.review_powers import government_duties

    assert government_duties("对县级以上人民政府直接负责的主管人员和其他直接责任人员依法给予处分。") == []
    assert government_duties("县级以上人民政府负责本行政区域内的养犬管理工作。") == [(0, 10)]


@pytest.mark.parametrize("text", [
    "收容场所应当对无主犬、弃养犬、没收犬只进行登记、检疫。",  # 温州市养犬管理条例 第二十六条: dogs already confiscated
    "执法人员可以依法采取抽样取证或者先行登记保存方法收集证据。",  # 杭州市旅游条例: 行政处罚法's evidence measure
    "申请道路旅游客运线路，应当依法经道路运输管理机构批准。",  # a licence the law already requires, restated
])
def test_no_power_is_set_by_these_articles(text):
    """Found in use: three 'new power' findings on articles that set none."""
    from indexer.compare.review_powers import powers

    assert powers(text) == {}


def test_the_powers_an_article_does_set_are_still_found():
    from indexer.compare.review_powers import COMPULSION, LICENCE, PENALTY, powers

    assert set(powers("违反本条例规定的，没收犬只，并处五百元以上一千元以下罚款。")) == {PENALTY}
    assert set(powers("经营旅游客运，应当经市交通运输主管部门批准。")) == {LICENCE}
    assert set(powers("对违法停放的车辆，可以拖移至指定地点。")) == {COMPULSION}


def test_confiscation_in_a_list_of_penalties_and_detention_restated_from_the_law():
    """Found in review of the two rules above: 没收 after 、 in a list of penalties is one of them, and a detention the
    article restates from 治安管理处罚法 is not said to be beyond a local regulation's power."""
    from indexer.compare.review_powers import PENALTY, power_differences, powers

    text = "违反本条例规定的，给予警告、没收违法所得、罚款。"
    assert [text[a:b] for a, b in powers(text)[PENALTY]] == ["给予警告", "没收违法所得", "罚款"]
    restated = "构成违反治安管理行为的，依照《中华人民共和国治安管理处罚法》的规定处五日以下拘留。"
    assert not any("只能由法律设定" in d.message for d in power_differences(restated, []))
