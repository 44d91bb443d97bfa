"""More faults met using the review outside benchmarks/review_dev, each on the real articles of ../shared/library:
a basin regulation offered for a city outside the basin, a fine paired with the upper article's escalated fine,
an offence item that only cites another article's item."""
from __future__ import annotations

from indexer.compare.answering import same_subject
from tests.test_review_lexicon import article, needs_library
from tests.test_review_use import JINHUA_WATER, load

CAOE_RIVER = "zhejiang/浙江省曹娥江流域水环境保护条例(2020-11-27).md"
ZJ_WATER = "zhejiang/浙江省水污染防治条例(2020-11-27).md"
SHAOXING_WATER = "zhejiang/绍兴市水资源保护条例(2021-12-08).md"


# ---------------------------------------------------------------- upper documents about one place

@needs_library
def test_a_basin_regulation_is_no_subject_upper_law_for_a_city_outside_the_basin():
    from indexer.compare.review_basis import SUBJECT, candidates, upper_layer

    # the 曹娥江 regulation names 绍兴市, 嵊州市, 新昌县, 上虞区 … and never 金华
    local, basin, province = load(JINHUA_WATER), load(CAOE_RIVER), load(ZJ_WATER)
    assert same_subject(basin, local)  # what made it a candidate before
    cands, _ = candidates(upper_layer([local, basin, province]), local)
    reasons = {c.doc.meta.title: c.reasons for c in cands}
    assert SUBJECT not in reasons.get("浙江省曹娥江流域水环境保护条例", ())


@needs_library
def test_a_basin_regulation_still_reaches_the_cities_it_names():
    from indexer.compare.review_reach import named_place, outside_place

    basin = load(CAOE_RIVER)
    assert named_place(basin) == "曹娥江"
    assert outside_place(basin, load(JINHUA_WATER)) == "曹娥江"
    assert outside_place(basin, load(SHAOXING_WATER)) == ""
    # a law about a subject names no place, whatever water it is about
    assert named_place(load(ZJ_WATER)) == ""
    assert named_place(load("zhejiang/浙江省河道管理条例(2020-11-27).md")) == ""
    assert named_place(load("national/administrative-regulations/内河交通安全管理条例(2019-03-02).md")) == ""


@needs_library
def test_a_basin_regulation_offered_by_wording_gets_a_note():
    from indexer.compare.review import review_document

    local = load(JINHUA_WATER)
    rv = review_document([local, load(CAOE_RIVER)], local)
    assert any(c.doc.meta.title == "浙江省曹娥江流域水环境保护条例" for c in rv.candidates)
    assert any("曹娥江" in n and "可能不适用" in n for n in rv.notes)


# ---------------------------------------------------------------- a fine and the upper fine of its stage

HANGZHOU_NOISE = "zhejiang/杭州市环境噪声管理条例(2010-01-13).md"
NOISE_LAW_2021 = "national/laws/噪声污染防治法(2021-12-24).md"


@needs_library
def test_a_first_fine_is_compared_with_the_upper_first_fine_not_the_one_for_refusing_to_correct():
    from indexer.compare.review_diff import number_differences

    # 第八十一条: 责令改正，处五千元以上五万元以下的罚款；拒不改正的，处五万元以上二十万元以下的罚款
    local = article(HANGZHOU_NOISE, "第四十一条")
    upper = article(NOISE_LAW_2021, "第八十一条")
    diffs = [d for d in number_differences(local, upper) if d.local_value == "200–500元"]
    assert diffs
    assert {d.upper_value for d in diffs} == {"5000–50000元"}


@needs_library
def test_an_escalated_fine_is_its_acts_second_stage():
    from indexer.compare.amounts import find_amounts
    from indexer.compare.review_diff import fine_stages

    upper = article(NOISE_LAW_2021, "第八十一条")
    fines = find_amounts(upper)
    stages = fine_stages(upper, fines)
    assert [stages[f.start][1] for f in fines if f.start in stages] == [0, 1]
    # 对单位处…，对个人处…: two first fines, no escalation between them
    local = article(HANGZHOU_NOISE, "第四十一条")
    assert {s for _, s in fine_stages(local, find_amounts(local)).values()} == {0}


# ---------------------------------------------------------------- an item that only cites another article's items

QUZHOU_EBIKE = "zhejiang/衢州市市区电动自行车管理规定(2016-12-12).md"


@needs_library
def test_an_item_citing_another_articles_items_is_read_as_those_items():
    from indexer.compare.review_acts import LocalArticles, cited_items, offences
    from indexer.compare.review_basis import article_units

    arts = LocalArticles({a.number: a.text for a in article_units(load(QUZHOU_EBIKE)) if a.number})
    # 第三十条（二）违反本规定第二十二条第六项、第七项、第八项、第九项规定驾驶电动自行车的
    penalty = article(QUZHOU_EBIKE, "第三十条")
    item = penalty.split("\n")[4]
    cited = cited_items(item, arts.get)
    assert len(cited) == 4
    assert cited[0] == "（六）在制动器失效时下车推行；"
    assert cited[2] == "（八）限载一名十二周岁以下未成年人；"
    acts = offences(penalty, penalty.index("二十元"), arts.get)
    assert "在制动器失效时下车推行" in acts
    assert any(a.startswith("限载一名十二周岁以下未成年人") for a in acts)
