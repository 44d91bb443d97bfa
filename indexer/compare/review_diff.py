"""Differences a filing reviewer must see between a local article and the upper article it implements. Pure.

Each `Difference` (`review_types`) is typed (numbers here, modality in `review_modality`, powers and duties in
`review_powers`) and marks the differing spans in both texts by character offsets into the article texts.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from indexer.compare.amounts import DURATION, MONEY, MULTIPLE, WORKDAYS, Amount, find_amounts, outside
from indexer.compare.review_acts import (
    ACT_DIFFER,
    LocalArticles,
    different_measure,
    offence_likeness,
    same_act,
)
from indexer.compare.review_modality import (  # noqa: F401  (re-exported: the review's one door to its differences)
    MATCH,
    MAY,
    MUST,
    MUST_NOT,
    match_modals,
    modality_differences,
    modals,
)
from indexer.compare.review_types import (  # noqa: F401
    COMPULSION_ADDED,
    DUTIES,
    DUTY_MISSING,
    FEE_ADDED,
    KIND_LABELS,
    KINDS,
    LICENCE_ADDED,
    MAY_TO_SHOULD,
    MODALITY,
    NUMBER_CHANGED,
    NUMBERS,
    PENALTY_ADDED,
    POWERS,
    PROHIBITION_ADDED,
    PROHIBITION_DROPPED,
    RANGE_EXCEEDS,
    SHOULD_TO_MAY,
    SUBJECT_CHANGED,
    TYPE_KIND,
    TYPE_LABELS,
    TYPE_ORDER,
    Difference,
    Span,
)
from indexer.text import bigrams

# the upper document's articles by number (what its 违反本条例第X条 penalties punish), None when not known
UpperArticles = Callable[[int], str | None] | None

# ---------------------------------------------------------------- numbers

_CONTEXT = 8  # characters each side of an amount that say what it measures (罚款, 作出决定 …)
# two amounts are compared only when this share of their surroundings' bigrams is shared (罚款 with 罚款)
MIN_CONTEXT = 0.3


def _context(text: str, a: Amount) -> set[str]:
    """What an amount is about: its clause back to the last full stop or semicolon (the act and who is fined),
    and the few characters after it (罚款, 内作出决定)."""
    start = max(text.rfind(p, 0, a.start) for p in "。；;\n") + 1
    before = text[max(start, a.start - 60):a.start]
    return bigrams(re.sub(r"[\s，。；、：（）()]", "", before + text[a.end:a.end + _CONTEXT]))


# who a fine or limit applies to, when the clause says (对单位处…，对个人处…)
_PARTY = re.compile(r"对([\u4e00-\u9fff]{0,12}?(?:单位|个人|企业|经营者|个体工商户|公民|法人|组织|者|人))(?:处|并处|可以处|给予|予以)?$")


def party(text: str, a: Amount) -> str:
    """Who the amount applies to when the text names it just before (对个人处 → 个人), else ''."""
    start = max(text.rfind(p, 0, a.start) for p in "。；;，,\n") + 1
    m = _PARTY.search(text[max(start, a.start - 20):a.start].rstrip("处以罚款并可"))
    return m.group(1) if m else ""


def _same_party(a: str, b: str) -> bool:
    """Both unnamed, one unnamed, or the same head (设置或者管理单位 and 单位; not 个人 and 单位)."""
    if not a or not b:
        return True
    ba, bb = bigrams(a), bigrams(b)
    return len(ba & bb) / min(len(ba), len(bb)) >= 0.5


_TIME = (DURATION, WORKDAYS)


def comparable(a: Amount, b: Amount) -> bool:
    """Amounts that measure the same sort of thing: same kind and unit, or two time limits (日 and 工作日)."""
    return (a.kind, a.unit) == (b.kind, b.unit) or (a.kind in _TIME and b.kind in _TIME)


# a later fine of the same sentence for the same act, escalated: 责令改正，处X；拒不改正的，处Y / 情节严重的，处Y
_ESCALATION = re.compile(r"拒不|逾期(?:不|未|仍)|仍(?:不|未)|情节(?:特别)?(?:严重|较重)|造成严重后果|再次|多次")


def fine_stages(text: str, amounts: list[Amount]) -> dict[int, tuple[int, int]]:
    """amount start → (the start of its act's first fine, its stage: 0 the first fine, 1 the one for refusing to correct
    …) for the fines of a text; a fine opens a new act unless an escalation stands between it and the fine before
    it in the same sentence."""
    out: dict[int, tuple[int, int]] = {}
    prev: Amount | None = None
    for a in (x for x in amounts if x.kind in (MONEY, MULTIPLE)):
        start = max(text.rfind("。", 0, a.start), text.rfind("\n", 0, a.start)) + 1
        if prev is not None and prev.end > start and _ESCALATION.search(text, prev.end, a.start):
            first, stage = out[prev.start]
            out[a.start] = (first, stage + 1)
        else:
            out[a.start] = (a.start, 0)
        prev = a
    return out


@dataclass(frozen=True)
class _Partner:
    amount: Amount
    similarity: float  # of the words around the two amounts
    act: float | None  # how alike the offences the two fines punish read; None: a text does not tell, or no fine


def _partner(local_text: str, a: Amount, locals_: list[Amount], upper_text: str, uppers: list[Amount],
             articles: LocalArticles | None = None, upper_articles: UpperArticles = None) -> _Partner | None:
    """The comparable upper amount, for the same party and the same measured thing, whose surroundings (and, for a
    fine, whose offence) read most like the local one's (`locals_`: all the local text's amounts, `a` among them).

    When each side states one amount of the sort only (one age range, one time limit), they are taken to be
    about the same thing however differently the sentences around them read, unless what they measure differs
    (a rider's age and a passenger's); not fines, which follow their act."""
    ctx = _context(local_text, a)
    who = party(local_text, a)
    best, best_key = None, (False, -1.0)
    same_sort = [b for b in uppers if comparable(a, b) and not different_measure(local_text, a, upper_text, b)]
    for b in same_sort:
        if not _same_party(who, party(upper_text, b)) or same_act(local_text, a.start, upper_text, b.start) is False:
            continue  # a fine on individuals is not compared with one on companies, nor fines for different acts
        act = (offence_likeness(local_text, a.start, upper_text, b.start, articles, upper_articles)
               if a.kind in (MONEY, MULTIPLE) else None)
        if act == 0.0:
            continue  # the two offences share no wording at all
        other = _context(upper_text, b)
        sim = len(ctx & other) / max(1, min(len(ctx), len(other)))
        key = (sim >= MIN_CONTEXT, sim + (act or 0.0))  # among amounts read alike enough, the likelier act first
        if key > best_key:
            best, best_key = _Partner(b, sim, act), key
    if best is not None and a.kind in (MONEY, MULTIPLE):  # the upper fine of the local fine's stage for that act
        best = _same_stage(local_text, a, locals_, upper_text, uppers, best, articles, upper_articles)
    if (best is not None and a.kind not in (MONEY, MULTIPLE) and len(same_sort) == 1
            and sum(comparable(a, x) for x in locals_) == 1):
        best = _Partner(best.amount, max(best.similarity, MIN_CONTEXT), best.act)
    return best


def _same_stage(local_text: str, a: Amount, locals_: list[Amount], upper_text: str, uppers: list[Amount],
                best: _Partner, articles: LocalArticles | None, upper_articles: UpperArticles = None) -> _Partner:
    """Of the upper fines for the act of `best` (a first fine and the fines for refusing to correct …), the one at the
    local fine's stage: a first fine is compared with the upper first fine, not with the escalated one."""
    mine = fine_stages(local_text, locals_).get(a.start, (a.start, 0))[1]
    stages = fine_stages(upper_text, uppers)
    group = stages.get(best.amount.start, (best.amount.start, 0))[0]
    same = [b for b in uppers if stages.get(b.start, (None, 0))[0] == group and comparable(a, b)]
    if len(same) < 2:
        return best
    b = same[min(mine, len(same) - 1)]
    if b is best.amount:
        return best
    return _Partner(b, best.similarity,
                    offence_likeness(local_text, a.start, upper_text, b.start, articles, upper_articles))


def _beyond(a: Amount, b: Amount) -> str:
    """How the local amount `a` leaves the upper range `b`, in words."""
    if b.high is not None and a.high is None:
        return "未设上位法的上限"
    if b.high is not None and a.high > b.high:
        return "高于上位法上限"
    return "未设上位法的下限" if a.low is None else "低于上位法下限"


def _number_difference(a: Amount, b: Amount, sim: float, what: str, act: float | None = None) -> Difference:
    """One local amount against its upper partner: beyond the upper range, or only different; for fines whose
    offences read unlike (`act` below ACT_DIFFER), only different, at low confidence, saying the acts may differ."""
    conf = 0.45 + 0.45 * min(1.0, sim)
    spans = ((a.start, a.end),), ((b.start, b.end),)
    if act is not None and act < ACT_DIFFER:
        msg = (f"本地规定{what}{a.label()}（{a.text}），上位法为{b.label()}（{b.text}）；但两处所罚的行为可能不同，"
               "不宜据此认定超出上位法幅度，请核对是否为同一违法行为")
        return Difference(NUMBER_CHANGED, msg, *spans, conf * 0.5, a.label(), b.label(), 2)
    if outside(a, b) and a.kind in (MONEY, MULTIPLE, DURATION, WORKDAYS):
        side = _beyond(a, b)
        msg = f"本地规定{what}{a.label()}（{a.text}），{side}：上位法为{b.label()}（{b.text}）"
        return Difference(RANGE_EXCEEDS, msg, *spans, conf, a.label(), b.label(), 0 if a.kind in (MONEY, MULTIPLE) else 1)
    unit = "（计算单位不同）" if a.unit != b.unit else ""
    msg = f"本地规定{what}{a.label()}（{a.text}），上位法为{b.label()}（{b.text}）{unit}"
    return Difference(NUMBER_CHANGED, msg, *spans, conf * 0.9, a.label(), b.label())


def number_differences(local_text: str, upper_text: str, articles: LocalArticles | None = None,
                       upper_articles: UpperArticles = None) -> list[Difference]:
    """Amounts, ranges, time limits and percentages that differ; a local range beyond the upper one first.

    Only amounts of the same sort are compared (a fine with a fine, a time limit with a time limit), each with
    the upper amount whose surroundings match best; an amount with no counterpart is not a difference, nor one the
    upper text states anywhere for the same sort. A fine is compared with the upper fine for the same act
    (`review_acts.offences`; `articles`: the local document's, for what a 违反本条例第X条 names)."""
    ups, mine = find_amounts(upper_text), find_amounts(local_text)
    out = []
    for a in mine:
        found = _partner(local_text, a, mine, upper_text, ups, articles, upper_articles)
        if found is None or found.similarity < MIN_CONTEXT:
            continue
        b = found.amount
        if any((a.low, a.high, a.unit) == (x.low, x.high, x.unit) for x in ups if comparable(a, x)):
            continue
        what = "罚款" if "罚" in local_text[a.end:a.end + 6] + upper_text[b.end:b.end + 6] else ""
        out.append(_number_difference(a, b, found.similarity, what, found.act))
    return out


def pair_differences(local_text: str, upper_text: str, close: bool = False,
                     articles: LocalArticles | None = None, upper_articles: UpperArticles = None) -> list[Difference]:
    """Every number and modality difference of one aligned pair, most serious first, each said once
    (`upper_articles`: the upper document's articles by number, for what its penalties punish)."""
    diffs = (number_differences(local_text, upper_text, articles, upper_articles)
             + modality_differences(local_text, upper_text, close))
    seen, out = set(), []
    for d in sorted(diffs, key=lambda d: (TYPE_ORDER.index(d.type), d.priority, -d.confidence)):
        key = (d.type, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
