"""Differences a filing reviewer must see between a local article and the upper article it implements. Pure.

Each `Difference` is typed (numbers, modality; powers and duties in `review_powers`) and marks the differing spans
in both texts by character offsets into the article texts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.compare.amounts import DURATION, MONEY, MULTIPLE, WORKDAYS, Amount, find_amounts, outside
from indexer.compare.review_acts import same_act
from indexer.text import bigrams

NUMBERS, MODALITY, POWERS, DUTIES = "numbers", "modality", "powers", "duties"
KINDS = (NUMBERS, MODALITY, POWERS, DUTIES)
KIND_LABELS = {NUMBERS: "数额与期限", MODALITY: "义务性质", POWERS: "权力设定", DUTIES: "上位法职责"}
# types, in the order a reviewer reads them: what may exceed the upper law first
RANGE_EXCEEDS, SHOULD_TO_MAY, PROHIBITION_DROPPED, PENALTY_ADDED, LICENCE_ADDED, COMPULSION_ADDED, FEE_ADDED, \
    NUMBER_CHANGED, SUBJECT_CHANGED, PROHIBITION_ADDED, MAY_TO_SHOULD, DUTY_MISSING = (
        "range_exceeds", "should_to_may", "prohibition_dropped", "penalty_added", "licence_added",
        "compulsion_added", "fee_added", "number_changed", "subject_changed", "prohibition_added",
        "may_to_should", "duty_missing")
TYPE_ORDER = (RANGE_EXCEEDS, SHOULD_TO_MAY, PROHIBITION_DROPPED, PENALTY_ADDED, LICENCE_ADDED, COMPULSION_ADDED,
              FEE_ADDED, NUMBER_CHANGED, SUBJECT_CHANGED, PROHIBITION_ADDED, MAY_TO_SHOULD, DUTY_MISSING)
TYPE_KIND = {RANGE_EXCEEDS: NUMBERS, NUMBER_CHANGED: NUMBERS, SHOULD_TO_MAY: MODALITY, MAY_TO_SHOULD: MODALITY,
             PROHIBITION_DROPPED: MODALITY, PROHIBITION_ADDED: MODALITY, SUBJECT_CHANGED: MODALITY,
             PENALTY_ADDED: POWERS, LICENCE_ADDED: POWERS, COMPULSION_ADDED: POWERS, FEE_ADDED: POWERS,
             DUTY_MISSING: DUTIES}
TYPE_LABELS = {RANGE_EXCEEDS: "超出上位法幅度", NUMBER_CHANGED: "数额或期限不同", SHOULD_TO_MAY: "“应当”改为“可以”",
               MAY_TO_SHOULD: "“可以”改为“应当”", PROHIBITION_DROPPED: "删去禁止性规定",
               PROHIBITION_ADDED: "增设禁止性规定", SUBJECT_CHANGED: "义务主体改变", PENALTY_ADDED: "增设行政处罚",
               LICENCE_ADDED: "增设行政许可", COMPULSION_ADDED: "增设行政强制", FEE_ADDED: "增设收费",
               DUTY_MISSING: "未落实上位法规定的政府职责"}

Span = tuple[int, int]


@dataclass(frozen=True)
class Difference:
    """One typed difference between a local text and an upper text, with the spans that differ in each."""

    type: str
    message: str  # one line in Chinese, naming both sides
    local_spans: tuple[Span, ...]
    upper_spans: tuple[Span, ...]
    confidence: float
    local_value: str = ""  # e.g. 2000–100000元
    upper_value: str = ""
    priority: int = 1  # 0 before 1 within a type: a fine beyond the upper law's before a longer time limit

    @property
    def kind(self) -> str:
        return TYPE_KIND[self.type]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "type": self.type, "label": TYPE_LABELS[self.type], "message": self.message,
                "local_spans": [list(s) for s in self.local_spans], "upper_spans": [list(s) for s in self.upper_spans],
                "confidence": round(self.confidence, 3), "local_value": self.local_value,
                "upper_value": self.upper_value}


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


def _partner(local_text: str, a: Amount, upper_text: str, uppers: list[Amount]) -> tuple[Amount, float] | None:
    """The comparable upper amount, for the same party, whose surroundings read most like the local one's.

    When each side states one amount of the sort only (one age range, one time limit), they are taken to be
    about the same thing however differently the sentences around them read; not fines, which follow their act."""
    ctx = _context(local_text, a)
    who = party(local_text, a)
    best, best_sim = None, -1.0
    same_sort = [b for b in uppers if comparable(a, b)]
    for b in same_sort:
        if not _same_party(who, party(upper_text, b)) or same_act(local_text, a.start, upper_text, b.start) is False:
            continue  # a fine on individuals is not compared with one on companies, nor fines for different acts
        other = _context(upper_text, b)
        sim = len(ctx & other) / max(1, min(len(ctx), len(other)))
        if sim > best_sim:
            best, best_sim = b, sim
    if (best is not None and a.kind not in (MONEY, MULTIPLE) and len(same_sort) == 1
            and sum(comparable(a, x) for x in find_amounts(local_text)) == 1):
        best_sim = max(best_sim, MIN_CONTEXT)
    return (best, best_sim) if best is not None else None


def _beyond(a: Amount, b: Amount) -> str:
    """How the local amount `a` leaves the upper range `b`, in words."""
    if b.high is not None and a.high is None:
        return "未设上位法的上限"
    if b.high is not None and a.high > b.high:
        return "高于上位法上限"
    return "未设上位法的下限" if a.low is None else "低于上位法下限"


def _number_difference(a: Amount, b: Amount, sim: float, what: str) -> Difference:
    """One local amount against its upper partner: beyond the upper range, or only different."""
    conf = 0.45 + 0.45 * min(1.0, sim)
    spans = ((a.start, a.end),), ((b.start, b.end),)
    if outside(a, b) and a.kind in (MONEY, MULTIPLE, DURATION, WORKDAYS):
        side = _beyond(a, b)
        msg = f"本地规定{what}{a.label()}（{a.text}），{side}：上位法为{b.label()}（{b.text}）"
        return Difference(RANGE_EXCEEDS, msg, *spans, conf, a.label(), b.label(), 0 if a.kind in (MONEY, MULTIPLE) else 1)
    unit = "（计算单位不同）" if a.unit != b.unit else ""
    msg = f"本地规定{what}{a.label()}（{a.text}），上位法为{b.label()}（{b.text}）{unit}"
    return Difference(NUMBER_CHANGED, msg, *spans, conf * 0.9, a.label(), b.label())


def number_differences(local_text: str, upper_text: str) -> list[Difference]:
    """Amounts, ranges, time limits and percentages that differ; a local range beyond the upper one first.

    Only amounts of the same sort are compared (a fine with a fine, a time limit with a time limit), each with
    the upper amount whose surroundings match best; an amount with no counterpart is not a difference, nor one the
    upper text states anywhere for the same sort."""
    ups = find_amounts(upper_text)
    out = []
    for a in find_amounts(local_text):
        found = _partner(local_text, a, upper_text, ups)
        if found is None or found[1] < MIN_CONTEXT:
            continue
        b = found[0]
        if any((a.low, a.high, a.unit) == (x.low, x.high, x.unit) for x in ups if comparable(a, x)):
            continue
        what = "罚款" if "罚" in local_text[a.end:a.end + 6] + upper_text[b.end:b.end + 6] else ""
        out.append(_number_difference(a, b, found[1], what))
    return out


# ---------------------------------------------------------------- modality and subject

MUST, MAY, MUST_NOT = "must", "may", "must_not"
_MODAL = re.compile(r"不应当|应当|必须|可以|不得|禁止|严禁|不准")
_MODAL_CLASS = {"应当": MUST, "必须": MUST, "可以": MAY, "不得": MUST_NOT, "禁止": MUST_NOT, "严禁": MUST_NOT,
                "不准": MUST_NOT, "不应当": MUST_NOT}
_STOP = re.compile(r"[。；;：:\n]")
_MARK = re.compile(r"\s*(?:第[零〇一二两三四五六七八九十百千0-9]+条|[（(][一二三四五六七八九十0-9]+[）)])?\s*")
# a subject names who acts: a government, department, body, company or person
_ACTOR = re.compile(r"(?:政府|部门|机关|机构|委员会|办事处|单位|企业|组织|协会|公司|人|者|户|业主|会|组|站|所|中心|局|厅)$")
# how governments and departments are named at each level: 县级以上地方人民政府 and 市、县（市、区）人民政府 are the
# same subject for a reviewer; 建设单位 and 物业服务人 are not
_LEVEL_WORDS = re.compile(r"县级以上|地方各级|地方|各级|设区的市|省、自治区、直辖市|省|自治区|直辖市|市|县|区|乡镇|乡、镇|"
                          r"[（(][^）)]{0,6}[）)]|、|本级|所在地|行政|有关|其他")


@dataclass(frozen=True)
class _Modal:
    cls: str
    word: str
    start: int
    end: int
    subject: str
    subject_start: int
    predicate: set[str]
    after: str = ""  # the first words after the modal verb, for messages


def modals(text: str) -> list[_Modal]:
    """Every modal verb (应当, 可以, 不得 …) with who it binds (the words before it) and what (the words after)."""
    out = []
    for m in _MODAL.finditer(text):
        if _attributive(text, m.start(), m.end()):
            continue
        s = m.start()
        while s > 0 and not _STOP.match(text[s - 1]) and text[s - 1] not in "，," and m.start() - s < 30:
            s -= 1
        e = m.end()
        while e < len(text) and not _STOP.match(text[e]) and text[e] not in "，," and e - m.end() < 16:
            e += 1
        lead = _MARK.match(text, s)
        if lead:
            s = lead.end()
        out.append(_Modal(_MODAL_CLASS[m.group(0)], m.group(0), m.start(), m.end(), text[s:m.start()].strip(), s,
                          bigrams(re.sub(r"\s", "", text[m.end():e])), text[m.end():min(e, m.end() + 8)].strip()))
    return out


# 禁止 naming a kind of place, time or thing (在禁止燃放区域内, 禁止经营的烟花爆竹) binds nobody
_NOMINAL_BEFORE = re.compile(r"[在于的入为是收列]$")
_NOMINAL_AFTER = re.compile(r"^[\u4e00-\u9fff、]{1,8}的|^[\u4e00-\u9fff]{0,8}?(?:区域|区内|地区|地段|时段|名录|目录)")


def _attributive(text: str, start: int, end: int) -> bool:
    """Whether a 禁止 / 不得 is part of a noun phrase, not a modal verb."""
    if text[start:end] not in ("禁止", "严禁"):
        return False
    if text[end:end + 1] == "的":  # 人民政府禁止的时段和区域
        return True
    return bool(_NOMINAL_BEFORE.search(text[max(0, start - 1):start]) and _NOMINAL_AFTER.search(text[end:end + 24]))


def _predicate_sim(a: set[str], b: set[str]) -> float:
    """How alike two predicates read: shared bigrams over the shorter, discounted when fewer than three are shared
    (a short 可以成立 / 应当组织召开 shares one bigram by chance)."""
    shared = len(a & b)
    return shared / max(1, min(len(a), len(b))) * min(1.0, shared / 3)


def _same_subject(a: str, b: str) -> bool:
    if not (_ACTOR.search(a) and _ACTOR.search(b)):
        return True  # not both actors (a passive clause, a condition): nothing to compare
    na, nb = _LEVEL_WORDS.sub("", a), _LEVEL_WORDS.sub("", b)
    if not na or not nb:
        return True  # a clause with no subject of its own (the sentence's earlier subject holds)
    ba, bb = bigrams(na), bigrams(nb)
    return len(ba & bb) / max(1, min(len(ba), len(bb))) >= 0.5


MATCH = 0.5  # two modal clauses are about the same act from this predicate likeness on


def match_modals(lm: list[_Modal], um: list[_Modal]) -> list[tuple[int, int, float]]:
    """Local and upper modal clauses about the same act, one to one, the likest pairs first."""
    sims = sorted(((_predicate_sim(a.predicate, b.predicate), i, k) for i, a in enumerate(lm)
                   for k, b in enumerate(um)), reverse=True)
    used_l, used_u, out = set(), set(), []
    for sim, i, k in sims:
        if sim < MATCH:
            break
        if i not in used_l and k not in used_u:
            used_l.add(i)
            used_u.add(k)
            out.append((i, k, sim))
    return sorted(out)


def _said(m: _Modal) -> str:
    return f"“{m.subject[-10:]}{m.word}{m.after}…”"


def _pair_difference(a: _Modal, b: _Modal, sim: float) -> Difference | None:
    """The difference between a local modal clause `a` and the upper one `b` about the same act, if any."""
    pair = ((a.start, a.end),), ((b.start, b.end),)
    msg = f"上位法{_said(b)}，本地为{_said(a)}"
    if b.cls == MUST and a.cls == MAY:
        return Difference(SHOULD_TO_MAY, msg, *pair, 0.5 + 0.4 * sim)
    if b.cls == MAY and a.cls == MUST:
        return Difference(MAY_TO_SHOULD, msg, *pair, 0.4 + 0.4 * sim)
    if b.cls == MUST_NOT and a.cls != MUST_NOT:
        return Difference(PROHIBITION_DROPPED, msg, *pair, 0.5 + 0.4 * sim)
    if a.cls == MUST_NOT and b.cls != MUST_NOT:
        return Difference(PROHIBITION_ADDED, msg, *pair, 0.4 + 0.4 * sim)
    if a.cls == b.cls and not _same_subject(a.subject, b.subject):
        spans = ((a.subject_start, a.start),), ((b.subject_start, b.start),)
        return Difference(SUBJECT_CHANGED, f"义务主体由“{b.subject}”改为“{a.subject}”", *spans, 0.3 + 0.4 * sim)
    return None


def modality_differences(local_text: str, upper_text: str, close: bool = False) -> list[Difference]:
    """应当 ↔ 可以, 不得 / 禁止 added or dropped, and a changed subject, for modal clauses about the same act.

    A local and an upper modal clause are about the same act when what follows the modal verb reads alike
    (应当在十五日内作出决定 / 可以在十五日内作出决定), each clause matched once. A prohibition with no counterpart
    is reported only when the two articles are `close` (restate each other), where its absence means something,
    and only as many as one side has more than the other (a reworded prohibition is neither added nor dropped)."""
    lm, um = modals(local_text), modals(upper_text)
    pairs = match_modals(lm, um)
    out = [d for i, k, sim in pairs if (d := _pair_difference(lm[i], um[k], sim)) is not None]
    if not close:
        return out
    done_l, done_u = {i for i, _, _ in pairs}, {k for _, k, _ in pairs}
    excess = sum(a.cls == MUST_NOT for a in lm) - sum(b.cls == MUST_NOT for b in um)
    added = [a for i, a in enumerate(lm) if i not in done_l and a.cls == MUST_NOT][:max(0, excess)]
    dropped = [b for k, b in enumerate(um) if k not in done_u and b.cls == MUST_NOT][:max(0, -excess)]
    if added:
        words = "；".join(_said(a) for a in added[:3])
        out.append(Difference(PROHIBITION_ADDED, f"本地增设禁止性规定{words}，对应上位法条文无此禁止",
                              tuple((a.start, a.end) for a in added), (), 0.5))
    if dropped:
        words = "；".join(_said(b) for b in dropped[:3])
        out.append(Difference(PROHIBITION_DROPPED, f"上位法禁止性规定{words}在本地条文中没有对应", (),
                              tuple((b.start, b.end) for b in dropped), 0.4))
    return out


def pair_differences(local_text: str, upper_text: str, close: bool = False) -> list[Difference]:
    """Every number and modality difference of one aligned pair, most serious first, each said once."""
    diffs = number_differences(local_text, upper_text) + modality_differences(local_text, upper_text, close)
    seen, out = set(), []
    for d in sorted(diffs, key=lambda d: (TYPE_ORDER.index(d.type), -d.confidence)):
        key = (d.type, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
