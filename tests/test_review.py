"""Upper-law review: the basis of each article, typed differences with spans, duties not taken up."""
from __future__ import annotations

import pytest

from indexer.compare.review import draft_document, review, review_document
from indexer.compare.review_diff import (
    MUST_NOT,
    NUMBER_CHANGED,
    PENALTY_ADDED,
    RANGE_EXCEEDS,
    SHOULD_TO_MAY,
    modality_differences,
    modals,
    number_differences,
)
from indexer.compare.review_powers import power_differences
from indexer.errors import PolicyError
from tests.review_fixtures import CITY, load_library

CITY_ID = "丽水市烟花示例管理规定-2021-01-11"
UPPER_ID = "烟花示例安全管理条例-2016-02-06"


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:  # the upper layer's disk cache goes to a temporary folder
        mp.setenv("POLICY_REVIEW_CACHE", str(tmp_path_factory.mktemp("review-cache")))
        yield load_library(tmp_path_factory.mktemp("review-library"))


@pytest.fixture(scope="module")
def result(library):
    return review(library, CITY_ID)


def test_planted_fine_conflict_is_the_first_finding(result):
    first = result.findings[0]
    assert first.type == RANGE_EXCEEDS
    assert (first.local.marker, first.upper.marker) == ("第四条", "第六条")
    assert (first.local_value, first.upper_value) == ("1000–5000元", "100–500元")
    assert "1000–5000元" in first.message and "100–500元" in first.message
    (a, b), = first.local_spans
    assert first.local.text[a:b] == "一千元以上五千元以下"
    (a, b), = first.upper_spans
    assert first.upper.text[a:b] == "100元以上500元以下"


def test_upper_document_is_the_cited_one_not_the_distractor(result):
    assert result.candidates[0].doc.doc_id == UPPER_ID
    assert "document_basis" in result.candidates[0].reasons


def test_each_article_finds_its_basis(result):
    best = {ar.article.marker: ar.basis[0].article.marker for ar in result.articles if ar.basis}
    assert best["第二条"] == "第三条"
    assert best["第三条"] == "第四条"
    assert best["第四条"] == "第六条"


def test_should_to_may_and_time_limit_are_marked(result):
    weak = next(f for f in result.findings if f.type == SHOULD_TO_MAY)
    (a, b), = weak.local_spans
    assert weak.local.text[a:b] == "可以"
    (a, b), = weak.upper_spans
    assert weak.upper.text[a:b] == "应当"
    days = next(f for f in result.findings if f.local.marker == "第三条" and f.kind == "numbers")
    assert (days.local_value, days.upper_value) == ("≤30日", "≤20日")


def test_duty_not_taken_up(result):
    duty = [f for f in result.findings if f.type == "duty_missing"]
    assert [f.upper.marker for f in duty] == ["第二条"]
    assert duty[0].local is None and duty[0].caveat


def test_identical_article_has_no_finding(result):
    assert not [f for f in result.findings if f.local and f.local.marker == "第二条"]


def test_every_finding_says_what_it_cannot_know(result):
    assert all(f.caveat and 0 < f.confidence <= 1 for f in result.findings)


def test_json_round_trip_shape(result):
    d = result.to_dict()
    assert d["findings"][0]["type"] == RANGE_EXCEEDS
    assert set(d["counts"]) == {"numbers", "modality", "powers", "duties"}
    assert d["upper_documents"][0]["doc_id"] == UPPER_ID


def test_pasted_draft_is_reviewed_like_a_library_document(library):
    body = CITY.split("<!-- INFO END -->", 1)[1]
    rv = review_document(library, draft_document(body, "某市烟花示例管理规定（草案）"), level="city")
    assert rv.findings[0].type == RANGE_EXCEEDS
    assert rv.title == "某市烟花示例管理规定（草案）"


def test_empty_draft_and_national_law_are_refused(library):
    with pytest.raises(PolicyError):
        draft_document("  ")
    with pytest.raises(PolicyError, match="上位法"):
        review(library, UPPER_ID)


def test_reviewer_may_name_the_upper_documents(library):
    rv = review(library, CITY_ID, upper=["道路示例法-2021-04-29"])
    assert [c.doc.doc_id for c in rv.candidates] == ["道路示例法-2021-04-29"]
    assert rv.findings == () or all(f.type != RANGE_EXCEEDS or f.upper.doc_id != UPPER_ID for f in rv.findings)


# ---------------------------------------------------------------- the differences on their own

def test_number_inside_the_upper_range_is_a_change_not_an_excess():
    (d,) = number_differences("处二百元以上三百元以下的罚款", "处100元以上500元以下的罚款")
    assert d.type == NUMBER_CHANGED


def test_amounts_about_different_things_are_not_compared():
    assert number_differences("应当在十五日内作出决定", "处100元以上500元以下的罚款") == []


def test_modal_subject_and_predicate():
    (m,) = modals("第十条 任何单位和个人不得损坏设施。")
    assert (m.cls, m.subject) == (MUST_NOT, "任何单位和个人")


def test_prohibition_dropped_in_a_restating_article():
    diffs = modality_differences("经营者应当建立档案。", "经营者应当建立档案，不得伪造记录。", close=True)
    assert [d.type for d in diffs] == ["prohibition_dropped"]


def test_penalty_set_without_upper_article():
    (d,) = power_differences("违反本条规定的，处二百元罚款。", ["任何单位不得损坏标志。"])
    assert d.type == PENALTY_ADDED
    assert "罚款" in d.message
    assert power_differences("违反本条规定的，处二百元罚款。", ["违反规定的，依法予以处罚。"]) == []
