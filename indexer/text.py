"""Small text measures shared by the stages: character bigrams, Chinese numerals."""
from __future__ import annotations


def bigrams(s: str) -> set[str]:
    """The character bigrams of `s`; a one-character string is its own bigram, an empty one has none."""
    return {s[k:k + 2] for k in range(len(s) - 1)} or ({s} if s else set())


CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "零〇○一二两三四五六七八九十百千万亿"


def chinese_int(s: str) -> int:
    """A Chinese integer numeral: 十五 → 15, 二千 → 2000, 一亿零五万 → 100050000, 二〇二一 → 2021."""
    if not s or any(ch not in CN_NUMERAL_CHARS for ch in s):
        raise ValueError(f"not a Chinese numeral: {s!r}")
    if all(ch in CN_DIGITS for ch in s):  # digit by digit: 二〇二一
        return int("".join(str(CN_DIGITS[ch]) for ch in s))
    result = section = number = 0
    for ch in s:
        if ch in CN_DIGITS:
            number = CN_DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (number or 1) * _SMALL_UNITS[ch]
            number = 0
        elif ch == "万":
            result += (section + number) * 10_000
            section = number = 0
        else:  # 亿
            result = (result + section + number) * 100_000_000
            section = number = 0
    return result + section + number


def later_date(a: str, b: str) -> bool:
    """ISO date `a` is after `b`, both known, compared to the precision of the less precise (2021-06 is not after
    2021-06-15, nor before it: a date known to the month or year is compared by the month or year)."""
    n = min(len(a), len(b))
    return bool(a and b) and a[:n] > b[:n]
