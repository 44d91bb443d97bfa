"""Prohibitions compared by what they forbid: a 禁止 a 可以 allows someone to decide binds nobody, a prohibition is
added only when the upper article forbids nothing of its matter, dropped only when the local article leaves its matter
out; renamed departments are one subject; a fee the upper law allows made free. Texts are articles of ../shared/library (浙江省城市市容和环境卫生管理条例 第三十九条 against the 城市市容和环境卫生
管理条例 第二十二条; 丽水市烟花爆竹经营燃放管理规定 第三条 against the 烟花爆竹安全管理条例 第二十八条)."""
from __future__ import annotations

from indexer.compare.review_diff import (
    MUST_NOT,
    PROHIBITION_ADDED,
    PROHIBITION_DROPPED,
    SUBJECT_CHANGED,
    modality_differences,
    modals,
)

FIREWORKS_UPPER = ("第二十八条 燃放烟花爆竹，应当遵守有关法律、法规和规章的规定。县级以上地方人民政府可以根据本行政区域的实际"
                   "情况，确定限制或者禁止燃放烟花爆竹的时间、地点和种类。")
FIREWORKS_LOCAL = ("第三条 下列区域内禁止经营、燃放烟花爆竹：  （一）莲都区行政区域内；  （二）县（市）人民政府所在地城市建成区。"
                   "  县（市）人民政府可以根据本地实际情况，决定在本行政区域内禁止经营、燃放烟花爆竹，并予以公布。")


def test_a_prohibition_a_government_may_decide_binds_nobody():
    assert [m.word for m in modals(FIREWORKS_UPPER) if m.cls == MUST_NOT] == []
    assert [m.word for m in modals(FIREWORKS_LOCAL) if m.cls == MUST_NOT] == ["禁止"]
    # 可以…，但不得…: the 不得 still binds
    assert [m.cls for m in modals("业主可以装修房屋，但不得拆改承重结构。")] == ["may", MUST_NOT]


def test_a_prohibition_where_the_upper_law_only_allows_one_is_added():
    diffs = modality_differences(FIREWORKS_LOCAL, FIREWORKS_UPPER, close=True)
    assert PROHIBITION_ADDED in [d.type for d in diffs]


def test_prohibitions_of_the_same_matter_split_differently_add_nothing():
    local = ("第三十九条 任何单位和个人不得侵占、损坏、拆除、关闭环境卫生设施，不得擅自改变环境卫生设施的使用性质。确需关闭、"
             "闲置、拆除环境卫生设施的，应当事先提出相应方案，报经市容环境卫生主管部门核准。")
    upper = ("第二十二条 一切单位和个人都不得擅自拆除环境卫生设施；因建设需要必须拆除的，建设单位必须事先提出拆迁方案，"
             "报城市人民政府市容环境卫生行政主管部门批准。")
    assert [d.type for d in modality_differences(local, upper, close=True)] == []


def test_a_prohibition_restated_as_a_duty_is_not_dropped():
    upper = "新建、扩建、改建建设工程，不得影响燃气设施安全。建设单位在开工前，应当查明地下燃气管线的相关情况。"
    local = "建设单位在开工前应当查明地下燃气管线的相关情况，施工中保障燃气设施安全。"
    assert modality_differences(local, upper, close=True) == []
    gone = "建设单位在开工前应当查明地下燃气管线的相关情况。"
    assert [d.type for d in modality_differences(gone, upper, close=True)] == [PROHIBITION_DROPPED]


def test_departments_renamed_by_the_reform_are_the_same_subject():
    upper = "城乡规划主管部门应当在核发选址意见书时就燃气设施建设是否符合燃气发展规划征求燃气管理部门的意见。"
    local = "自然资源主管部门应当在核发选址意见书时就燃气设施建设是否符合燃气发展规划征求燃气主管部门的意见。"
    assert modality_differences(local, upper) == []
    other = "建设单位应当在核发选址意见书时就燃气设施建设是否符合燃气发展规划征求燃气主管部门的意见。"
    assert [d.type for d in modality_differences(other, upper)] == [SUBJECT_CHANGED]


def test_a_fee_the_upper_law_allows_made_free_is_a_charge_forbidden():
    # 浙江省城市市容和环境卫生管理条例 第四十一条 against the 城市市容和环境卫生管理条例 第二十条
    upper = ("城市人民政府市容环境卫生行政主管部门，应当配备专业人员或者委托有关单位和个人负责公共厕所的保洁和管理；"
             "有关单位和个人也可以承包公共厕所的保洁和管理。公共厕所的管理者可以适当收费，具体办法由省、自治区、直辖市人民政府制定。")
    local = ("第四十一条 公共厕所应当设置明显、规范、统一的标志，确定专人负责保洁，并保持整洁、完好，对公众免费开放。"
             "  提倡沿街机关、企事业单位免费对外开放其厕所。")
    (d,) = modality_differences(local, upper)
    assert d.type == PROHIBITION_ADDED and "可以适当收费" in d.message and "免费" in d.message
    assert modality_differences("提倡沿街机关、企事业单位免费对外开放其厕所。", upper) == []
