"""Fines compared only for the same act, numbers only for the same measured thing: faults a reviewer met on 金华
水环境, 衢州 电动自行车 and 杭州 大气 (regulations outside benchmarks/review_dev), on the real articles of
../shared/library."""
from __future__ import annotations

from indexer.compare.review_acts import LocalArticles
from indexer.compare.review_diff import NUMBER_CHANGED, RANGE_EXCEEDS, number_differences
from tests.test_review_lexicon import LIBRARY, article, needs_library

JINHUA_WATER = "zhejiang/金华市水环境保护条例(2019-10-15).md"
WATER_LAW = "national/laws/水污染防治法(2017-06-27).md"
QUZHOU_EBIKE = "zhejiang/衢州市市区电动自行车管理规定(2016-12-12).md"
ZJ_EBIKE = "zhejiang/浙江省电动自行车管理条例(2020-05-15).md"
HANGZHOU_AIR = "zhejiang/杭州市大气污染防治规定(2016-08-04).md"
ZJ_AIR = "zhejiang/浙江省大气污染防治条例(2020-11-27).md"


def local_articles(path: str) -> LocalArticles:
    from indexer.compare.review_basis import article_units
    from indexer.ingest.corpus import load_document

    return LocalArticles({a.number: a.text for a in article_units(load_document(LIBRARY / path)) if a.number})


@needs_library
def test_a_fine_for_a_missing_sign_is_not_held_against_a_fine_for_setting_an_outlet():
    # 排污口未按规定设立标志牌的…处二千元以上一万元以下 against 在饮用水水源保护区内设置排污口的 / 违反…规定设置排污口的，
    # 处二万元以上十万元以下: two acts that share the word 排污口 only
    local, upper = article(JINHUA_WATER, "第四十三条"), article(WATER_LAW, "第八十四条")
    diffs = number_differences(local, upper, local_articles(JINHUA_WATER))
    assert not [d for d in diffs if d.type == RANGE_EXCEEDS]
    assert diffs and all("行为可能不同" in d.message and d.confidence <= 0.45 and d.priority == 2 for d in diffs)


@needs_library
def test_a_parking_fine_is_not_held_against_a_fine_for_riding_an_unregistered_bike():
    # 在建筑物疏散通道…停放电动自行车的，处五十元以上二百元以下 against 驾驶未备案的非标电动自行车上道路行驶的，处三百元以上
    local, upper = article(QUZHOU_EBIKE, "第三十二条"), article(ZJ_EBIKE, "第二十七条")
    diffs = number_differences(local, upper, local_articles(QUZHOU_EBIKE))
    assert not [d for d in diffs if d.type == RANGE_EXCEEDS]


@needs_library
def test_a_fine_for_the_same_act_beyond_the_upper_range_is_still_flagged():
    # 在禁止使用高排放非道路移动机械的区域使用…处一万元以上十万元以下 against the province's 在禁止区域内使用…处五千元以上
    # 五万元以下: the same act, a higher ceiling
    local, upper = article(HANGZHOU_AIR, "第三十二条"), article(ZJ_AIR, "第六十二条")
    diffs = number_differences(local, upper, local_articles(HANGZHOU_AIR))
    assert [d for d in diffs if d.type == RANGE_EXCEEDS and d.local_value == "10000–100000元"]


@needs_library
def test_a_riders_age_is_not_a_passengers_age():
    # 驾驶人应当年满十六周岁 against 电动自行车搭载六周岁以下未成年人的: one age each, of different persons
    local, upper = article(QUZHOU_EBIKE, "第二十一条"), article(ZJ_EBIKE, "第十七条")
    assert not number_differences(local, upper)


@needs_library
def test_time_limits_from_different_events_are_not_compared():
    # 自本规定施行之日起三个月内 (bikes bought before) is no counterpart of 自购车之日起十五日内; 自购买之日起十五个工作日内 is
    local, upper = article(QUZHOU_EBIKE, "第十一条"), article(ZJ_EBIKE, "第十一条")
    diffs = number_differences(local, upper)
    assert not [d for d in diffs if "三个月" in d.message]
    assert [d for d in diffs if d.type == NUMBER_CHANGED and "十五个工作日内" in d.message]
