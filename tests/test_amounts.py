"""The Chinese amounts parser: numerals, ranges, bounds and units, with Hypothesis properties."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.compare.amounts import (
    DURATION,
    MONEY,
    MULTIPLE,
    PERCENT,
    WORKDAYS,
    cn_int,
    find_amounts,
    outside,
    parse_number,
    to_chinese,
)


@pytest.mark.parametrize("text,value", [("十五", 15), ("二十", 20), ("一百零五", 105), ("二千", 2000), ("一万", 10000),
                                        ("十万", 100000), ("一亿五千万", 150000000), ("二〇二一", 2021), ("两千", 2000)])
def test_chinese_integers(text, value):
    assert cn_int(text) == value


@pytest.mark.parametrize("text,value", [("5万", 50000), ("1.5万", 15000), ("10,000", 10000), ("零点五", 0.5),
                                        ("３０", 30)])
def test_mixed_numbers(text, value):
    assert parse_number(text) == value


@given(st.integers(min_value=0, max_value=10**12))
def test_round_trip_of_generated_numerals(n):
    assert cn_int(to_chinese(n)) == n


def _written(n: int, arabic: bool) -> str:
    if arabic:
        return f"{n // 10000}万" if n >= 10000 and n % 10000 == 0 else str(n)
    return to_chinese(n)


@given(st.integers(1, 10**7), st.integers(1, 10**7), st.booleans(), st.booleans())
def test_generated_fine_ranges(x, y, arabic_x, arabic_y):
    lo, hi = sorted((x, y))
    text = f"处{_written(lo, arabic_x)}元以上{_written(hi, arabic_y)}元以下罚款"
    found = find_amounts(text)
    assert len(found) == 1
    a = found[0]
    assert (a.kind, a.low, a.high) == (MONEY, lo, hi)
    assert text[a.start:a.end] == a.text


@given(st.text(alphabet="处罚款元日以上下不超过内个月工作百分之一二三五十千万0123456789，。", max_size=60))
def test_never_fails_and_spans_point_into_the_text(text):
    for a in find_amounts(text):
        assert text[a.start:a.end] == a.text
        assert a.low is None or a.high is None or a.low <= a.high


@pytest.mark.parametrize("text,kind,low,high", [
    ("二千元以上一万元以下", MONEY, 2000, 10000),
    ("一万至五万元", MONEY, 10000, 50000),
    ("五万元以上五十万元以下", MONEY, 50000, 500000),
    ("十五日内", DURATION, None, 15),
    ("三个月", DURATION, 90, 90),
    ("不超过二十个工作日", WORKDAYS, None, 20),
    ("百分之五", PERCENT, 5, 5),
    ("三分之二以上", PERCENT, 66.67, None),
    ("一倍以上五倍以下", MULTIPLE, 1, 5),
    ("不少于50%", PERCENT, 50, None),
    ("超过三十日", DURATION, 30, None),
])
def test_units_and_bounds(text, kind, low, high):
    (a,) = find_amounts(text)
    assert (a.kind, a.low, a.high) == (kind, low, high)


def test_dates_and_ordinals_are_not_amounts():
    assert find_amounts("2021年6月29日通过，第十五条") == []


def test_outside_compares_like_with_like():
    (fine_upper,) = find_amounts("处100元以上500元以下的罚款")
    (fine_local,) = find_amounts("处一千元以上五千元以下的罚款")
    (inside,) = find_amounts("处二百元以上三百元以下的罚款")
    (days,) = find_amounts("十五日内")
    assert outside(fine_local, fine_upper)
    assert not outside(inside, fine_upper)
    assert not outside(days, fine_upper)
