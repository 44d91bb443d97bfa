"""Numbers and units in Chinese legal text: amounts, ranges, time limits, percentages, multiples. Pure.

`find_amounts("处二千元以上一万元以下罚款")` → one `Amount(kind="money", low=2000, high=10000, …)` with its offsets.
Values are kept in a base unit per kind (元, 日, 工作日, %, 倍, or the measure's own unit), so 三个月 and 九十日
compare, and 5万元 equals 五万元.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.text import CN_DIGITS as _DIGITS  # noqa: F401
from indexer.text import CN_NUMERAL_CHARS as _CN_CHARS  # noqa: F401
from indexer.text import chinese_int as cn_int  # noqa: F401 — part of this module's API

MONEY, DURATION, WORKDAYS, PERCENT, MULTIPLE, MEASURE = "money", "duration", "workdays", "percent", "multiple", "measure"
KIND_LABELS = {MONEY: "金额", DURATION: "期限", WORKDAYS: "工作日期限", PERCENT: "比例", MULTIPLE: "倍数",
               MEASURE: "数量"}

# unit as written → (kind, factor to the kind's base unit, base unit shown)
_UNITS = {
    "元": (MONEY, 1, "元"), "工作日": (WORKDAYS, 1, "工作日"), "日": (DURATION, 1, "日"), "天": (DURATION, 1, "日"),
    "月": (DURATION, 30, "日"), "年": (DURATION, 365, "日"), "小时": (DURATION, 1 / 24, "日"), "周": (DURATION, 7, "日"),
    "倍": (MULTIPLE, 1, "倍"), "%": (PERCENT, 1, "%"), "％": (PERCENT, 1, "%"),
}
_MEASURES = ("毫升", "平方米", "立方米", "平方公里", "公里", "千米", "米", "公顷", "亩", "吨", "千克", "公斤", "分贝", "周岁", "岁",
             "人", "辆", "层", "户", "次", "项", "座", "株", "只", "头")
_NUM = (r"(?:[0-9０-９]+(?:[,，][0-9]{3})*(?:[.．][0-9０-９]+)?[万亿]?"
        r"|[零〇○一二两三四五六七八九十百千万亿]+(?:点[零〇○一二三四五六七八九]+[万亿]?)?)")
_UNIT_RE = "|".join(sorted([re.escape(u) for u in _UNITS if u not in ("月",)] + ["个月"] +
                           [re.escape(m) for m in _MEASURES], key=len, reverse=True))
_FRACTION = re.compile(r"(?P<den>[一二三四五六七八九十]+)分之(?P<nom>[一二三四五六七八九十]+)|(?P<n>[0-9]+)/(?P<d>[0-9]+)")
_QTY = re.compile(rf"(?P<pct>百分之|千分之)?(?P<num>{_NUM})(?:个(?=工作日|小时))?(?P<unit>{_UNIT_RE})?")
_BEFORE = re.compile(r"(?:不得超过|不超过|不高于|不多于|最高不超过|最多|最高|不少于|不低于|不得少于|不得低于|至少|最低|"
                     r"超过|高于|多于|不足|少于|低于|未满|满)$")
_AFTER = re.compile(r"^(?:以上|以下|以内|之内|内|以外|为限|未满|不满)")
_JOIN = re.compile(r"^(?:至|到|—|－|-|~|～|、|，)$")
_UPPER_WORDS = ("不得超过", "不超过", "不高于", "不多于", "最高不超过", "最多", "最高")
_LOWER_WORDS = ("不少于", "不低于", "不得少于", "不得低于", "至少", "最低", "满")
_OPEN_LOWER_WORDS = ("超过", "高于", "多于")
_OPEN_UPPER_WORDS = ("不足", "少于", "低于", "未满")


@dataclass(frozen=True)
class Amount:
    """A quantity or range as the text states it, in the kind's base unit (None = open side)."""

    kind: str  # money | duration | workdays | percent | multiple | measure
    unit: str  # base unit: 元, 日, 工作日, %, 倍, or the measure's unit (米, 人 …)
    low: float | None
    high: float | None
    start: int
    end: int
    text: str

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    def label(self) -> str:
        """The range in words, e.g. 2000–10000元, ≤15日."""
        def f(x: float) -> str:
            return f"{x:g}"
        if self.low is not None and self.high is not None:
            return f"{f(self.low)}{self.unit}" if self.low == self.high else f"{f(self.low)}–{f(self.high)}{self.unit}"
        if self.high is not None:
            return f"≤{f(self.high)}{self.unit}"
        return f"≥{f(self.low)}{self.unit}" if self.low is not None else self.text

    def to_dict(self) -> dict:
        return {"kind": self.kind, "unit": self.unit, "low": self.low, "high": self.high, "start": self.start,
                "end": self.end, "text": self.text, "label": self.label()}


# ---------------------------------------------------------------- numerals

def to_chinese(n: int) -> str:
    """The usual written form of a non-negative integer: 15 → 十五, 100010 → 十万零一十."""
    if n < 0:
        raise ValueError("negative")
    if n == 0:
        return "零"
    return _cn(n, leading=True)


def _cn(n: int, leading: bool) -> str:
    for size, word in ((100_000_000, "亿"), (10_000, "万")):
        if n >= size:
            head, rest = divmod(n, size)
            tail = ""
            if rest:
                tail = ("零" if rest < size // 10 else "") + _cn(rest, leading=False)
            return _cn(head, leading) + word + tail
    digits = "零一二三四五六七八九"
    out, zero = [], False
    for value, word in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero and out:
                out.append("零")
            zero = False
            out.append(("" if (leading and not out and value == 10 and d == 1 and n < 20) else digits[d]) + word)
        elif out:
            zero = True
    return "".join(out)


def parse_number(s: str) -> float:
    """Arabic or Chinese numeral, with 万/亿 and decimals: 1.5万 → 15000, 零点五 → 0.5, 10,000 → 10000."""
    s = s.translate(str.maketrans("０１２３４５６７８９．，", "0123456789.,")).replace(",", "")
    mult = 1
    if s and s[-1] in "万亿" and (s[0].isdigit() or "点" in s):
        mult, s = (10_000 if s[-1] == "万" else 100_000_000), s[:-1]
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", s):
        return float(s) * mult
    if "点" in s:
        whole, frac = s.split("点", 1)
        value = (cn_int(whole) if whole else 0) + float("0." + "".join(str(_DIGITS[c]) for c in frac))
        return value * mult
    return float(cn_int(s)) * mult


# ---------------------------------------------------------------- quantities in text

@dataclass(frozen=True)
class _Qty:
    value: float
    kind: str | None  # None: a bare number, its unit to come from its range partner
    unit: str
    start: int
    end: int


def _fractions(text: str) -> list[_Qty]:
    """三分之二 and 2/3, as percentages (百分之 and 千分之 are read with the other quantities)."""
    out = []
    for m in _FRACTION.finditer(text):
        if m.group("den"):
            if text[m.start() - 1:m.start()] in ("百", "千") or m.group("den") in ("百", "千"):
                continue
            den, nom = cn_int(m.group("den")), cn_int(m.group("nom"))
        else:
            den, nom = int(m.group("d")), int(m.group("n"))
        if den:
            out.append(_Qty(round(100 * nom / den, 2), PERCENT, "%", m.start(), m.end()))
    return out


def _quantities(text: str) -> list[_Qty]:
    fractions = _fractions(text)
    taken = [(q.start, q.end) for q in fractions]
    out = list(fractions)
    for m in _QTY.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        num, unit, pct = m.group("num"), m.group("unit"), m.group("pct")
        if num in ("万", "亿", "千", "百") or (not unit and not pct and len(num) == 1 and not num.isdigit()):
            continue  # 一 / 十 alone is a word (一律, 十分), not a quantity
        try:
            value = parse_number(num)
        except (ValueError, KeyError):
            continue
        before = text[max(0, m.start() - 1):m.start()]
        if before == "第" or (unit in ("日", "天") and before == "月") or (unit == "年" and value >= 1000):
            continue  # an ordinal (第十五日) or a date (2021年6月29日)
        if unit == "年" and text[m.end():m.end() + 1] in "月度底初":
            continue
        if pct:
            kind, factor, base = PERCENT, (1 if pct == "百分之" else 0.1), "%"
        elif unit:
            key = "月" if unit == "个月" else unit
            kind, factor, base = _UNITS.get(key, (MEASURE, 1, unit))
        else:
            kind, factor, base = None, 1, ""
        out.append(_Qty(value * factor, kind, base, m.start(), m.end()))
    return sorted(out, key=lambda q: q.start)


def find_amounts(text: str) -> list[Amount]:
    """Every amount, range and bound in `text`, in order of appearance.

    `X以上Y以下` and `X至Y` are one range (a bare X takes Y's unit: 一万至五万元); 不超过X / X以下 / X日内 bound it
    above, 不少于X / X以上 below; 超过 / 不足 give open bounds (kept as the bound itself).
    """
    qs = _quantities(text)
    out: list[Amount] = []
    k = 0
    while k < len(qs):
        q = qs[k]
        nxt = qs[k + 1] if k + 1 < len(qs) else None
        after = text[q.end:q.end + 2]
        if nxt is not None and _pairs(text, q, nxt):
            kind, unit = (nxt.kind, nxt.unit) if q.kind is None else (q.kind, q.unit)
            if kind is not None and (nxt.kind in (None, kind)):
                end = nxt.end + _bound_len(text[nxt.end:nxt.end + 2])
                lo, hi = sorted((q.value, nxt.value))
                out.append(Amount(kind, unit, lo, hi, q.start, end, text[q.start:end]))
                k += 2
                continue
        if q.kind is None:
            k += 1
            continue
        out.append(_bounded(text, q, after))
        k += 1
    return out


def _bound_len(after: str) -> int:
    m = _AFTER.match(after)
    return len(m.group(0)) if m else 0


def _pairs(text: str, a: _Qty, b: _Qty) -> bool:
    """Whether two quantities form one range: X以上Y以下, X至Y, X、Y … (same kind or a bare X)."""
    between = text[a.end:b.start]
    if b.kind is None:
        return False
    if a.kind not in (None, b.kind):
        return False
    if _JOIN.match(between):
        return a.kind is not None or between in ("至", "到", "—", "－", "-", "~", "～")
    return between in ("以上", "以上、", "以上，", "以上不满", "以上不足", "以上未满")


def _bounded(text: str, q: _Qty, after: str) -> Amount:
    """One quantity with the bound words around it."""
    head = text[max(0, q.start - 6):q.start]
    m = _BEFORE.search(head)
    low: float | None = q.value
    high: float | None = q.value
    start, end = q.start, q.end
    if m:
        word = m.group(0)
        start -= len(word)
        if word in _UPPER_WORDS or word in _OPEN_UPPER_WORDS:
            low = None
        else:
            high = None
    a = _AFTER.match(after)
    if a:
        word = a.group(0)
        end += len(word)
        if word == "以上":
            high = None
        elif word in ("以下", "以内", "之内", "内", "为限", "未满", "不满"):
            low = None
    return Amount(q.kind or MEASURE, q.unit, low, high, start, end, text[start:end])


def shape(a: Amount) -> str:
    """exact | range | ceiling (≤ X) | floor (≥ X)."""
    if a.low is not None and a.high is not None:
        return "exact" if a.low == a.high else "range"
    return "ceiling" if a.high is not None else "floor"


def outside(local: Amount, upper: Amount) -> bool:
    """Whether the local amount reaches beyond an upper range or bound: a higher ceiling or a lower floor, or no
    ceiling (no floor) where the upper one has one (处五万元以下罚款 against 二万元以上二十万元以下 allows less).

    An exact upper value (处二百元罚款) has no room to exceed: a different local value is a change, not this; nor
    are a ceiling and a floor compared (不得少于七日 against 三十日内 speak of different things)."""
    if local.kind != upper.kind or local.unit != upper.unit:
        return False
    up, lo = shape(upper), shape(local)
    if up == "exact" or {up, lo} == {"ceiling", "floor"}:
        return False
    above = upper.high is not None and (local.high is None or local.high > upper.high)
    below = upper.low is not None and (local.low is None or local.low < upper.low)
    return above or below
