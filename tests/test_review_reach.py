"""More faults met using the review outside benchmarks/review_dev, each on the real articles of ../shared/library:
a basin regulation offered for a city outside the basin, a fine paired with the upper article's escalated fine,
an offence item that only cites another article's item."""
from __future__ import annotations

from indexer.compare.answering import same_subject
from tests.test_review_lexicon import needs_library
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
    from indexer.compare.review_basis import named_place, outside_place

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
