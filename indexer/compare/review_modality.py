"""Modal verbs of a local and an upper article (应当 ↔ 可以, 不得 / 禁止 added or dropped, the subject who must act),
paired by what their clauses are about. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from indexer.compare.review_types import (
    MAY_TO_SHOULD,
    PROHIBITION_ADDED,
    PROHIBITION_DROPPED,
    SHOULD_TO_MAY,
    SUBJECT_CHANGED,
    Difference,
)
from indexer.text import bigrams

MUST, MAY, MUST_NOT = "must", "may", "must_not"
# 须 alone binds as 必须 does when an act follows it (须经…批准, 须报…备案); 无须 / 毋须 release, 须知 is a noun
_MODAL = re.compile(r"不应当|应当|必须|可以|不得|禁止|严禁|不准|(?<![必无毋])须(?=经|报|按|向|在|由|取得|办理|提交|持|遵守|将|事先)")
_MODAL_CLASS = {"应当": MUST, "必须": MUST, "可以": MAY, "不得": MUST_NOT, "禁止": MUST_NOT, "严禁": MUST_NOT,
                "不准": MUST_NOT, "不应当": MUST_NOT, "须": MUST}
# who anybody is (任何单位和个人, 一切单位和个人都) says nothing about what a clause is about
_ANYBODY = re.compile(r"(?:任何|一切|所有)(?:单位|组织)?(?:和|或者|、)?(?:个人)?都?")
_STOP = re.compile(r"[。；;：:\n]")
_MARK = re.compile(r"\s*(?:第[零〇一二两三四五六七八九十百千0-9]+条|[（(][一二三四五六七八九十0-9]+[）)])?\s*")
# the tail of an article's marker where the 30 characters before a modal verb begin inside it (…六条 文化娱乐场所的经营者应当)
_CUT_MARK = re.compile(r"[零〇一二两三四五六七八九十百千0-9]*条\s+")
# a subject names who acts: a government, department, body, company or person
_ACTOR = re.compile(r"(?:政府|部门|机关|机构|委员会|办事处|单位|企业|组织|协会|公司|人|者|户|业主|会|组|站|所|中心|局|厅)$")
# how governments and departments are named at each level: 县级以上地方人民政府 and 市、县（市、区）人民政府 are the
# same subject for a reviewer; 建设单位 and 物业服务人 are not
_LEVEL_WORDS = re.compile(r"县级以上|地方各级|地方|各级|设区的市|省、自治区、直辖市|省|自治区|直辖市|市|县|区|乡镇|乡、镇|"
                          r"[（(][^）)]{0,6}[）)]|、|本级|所在地|行政|有关|其他")

# departments renamed by the 2018 reform of the State Council and the provinces, old name → new: an upper law older
# than the reform names the department that a local regulation calls by its new name (城乡规划主管部门 → 自然资源主管部门)
_DEPT = r"(?=(?:行政)?(?:主管|管理)?(?:部门|机关|机构))"
_RENAMED = tuple((re.compile(old + _DEPT), new) for old, new in (
    (r"城乡规划和自然资源|规划和自然资源|自然资源和规划|城乡规划|城市规划|国土资源|土地管理|规划", "自然资源"),
    (r"环境保护", "生态环境"),
    (r"安全生产监督管理", "应急管理"),
    (r"工商行政管理|质量技术监督|质量监督|食品药品监督管理|工商", "市场监督管理"),
    (r"卫生和计划生育|卫生计生|卫生(?!健康)", "卫生健康"),
    (r"城市管理综合行政执法|城市管理行政执法|城市管理|综合行政执法", "综合执法"),
    (r"(?:城市|住房和城乡|城乡)?建设", "住房和城乡建设"),
))
# 燃气管理部门 and 燃气主管部门, 城市供水行政主管部门 and 城市供水部门 are one department
_DEPT_WORD = re.compile(r"(?:行政)?(?:主管|管理)(?=部门|机关)")


def department(name: str) -> str:
    """A subject's name with renamed departments under their present name and 主管 / 管理 dropped."""
    for old, new in _RENAMED:
        name = old.sub(new, name)
    return _DEPT_WORD.sub("", name.replace("公安机关消防机构", "消防救援机构"))


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
    about: frozenset[str] = frozenset()  # its sentence's words but who and the modal verb: what the clause is about
    alone: bool = True  # the only modal verb of its sentence, so that its sentence's words are its own


def modals(text: str) -> list[_Modal]:
    """Every modal verb (应当, 可以, 不得 …) with who it binds (the words before it) and what (the words after)."""
    out = []
    for m in _MODAL.finditer(text):
        if _attributive(text, m.start(), m.end()) or _what_may_be_done(text, m.start(), m.end()):
            continue
        s = m.start()
        while s > 0 and not _STOP.match(text[s - 1]) and text[s - 1] not in "，," and m.start() - s < 30:
            s -= 1
        e = m.end()
        while e < len(text) and not _STOP.match(text[e]) and text[e] not in "，," and e - m.end() < 16:
            e += 1
        lead = _MARK.match(text, s)
        if lead.end() == s:
            lead = _CUT_MARK.match(text, s) or lead
        s = lead.end()
        out.append(_Modal(_MODAL_CLASS[m.group(0)], m.group(0), m.start(), m.end(), text[s:m.start()].strip(), s,
                          bigrams(re.sub(r"\s", "", text[m.end():e])), text[m.end():min(e, m.end() + 8)].strip(),
                          _about(text, s, m.start(), m.end())))
    heads = [max(text.rfind(c, 0, x.start) for c in "。；;\n") for x in out]
    return [replace(x, alone=heads.count(h) == 1) for x, h in zip(out, heads, strict=True)]


def _about(text: str, subject_start: int, start: int, end: int) -> frozenset[str]:
    """The words of the sentence a modal verb stands in, less its subject and the verb: 工程竣工后，建设单位可以将资料
    报送备案 and 建设单位应当在工程竣工后，将资料报送备案 are about the same act though their clauses split it
    differently."""
    head = max(text.rfind(c, 0, subject_start) for c in "。；;\n") + 1
    tail = min((i for i in (text.find(c, end) for c in "。；;\n") if i >= 0), default=len(text))
    who = text[subject_start:start]
    if not _ACTOR.search(who.strip()):  # 饲养宠物和信鸽不得…: not who acts but what the clause is about
        subject_start = start
    words = _MARK.sub("", text[head:subject_start], count=1) + "|" + text[end:tail]
    return frozenset(b for b in bigrams(re.sub(r"[\s，,、：:（）()]", "", _ANYBODY.sub("|", _MODAL.sub("|", words))))
                     if "|" not in b)


# 禁止 naming a kind of place, time or thing (在禁止燃放区域内, 禁止经营的烟花爆竹) binds nobody
_NOMINAL_BEFORE = re.compile(r"[在于的入为是收列]$")
_NOMINAL_AFTER = re.compile(r"^[\u4e00-\u9fff、]{1,8}的|^[\u4e00-\u9fff]{0,8}?(?:区域|区内|地区|地段|时段|名录|目录)")


def _attributive(text: str, start: int, end: int) -> bool:
    """Whether a 禁止 / 不得 is part of a noun phrase, not a modal verb."""
    if text[start:end] not in ("禁止", "严禁"):
        return False
    if text[end:end + 1] == "的":  # 人民政府禁止的时段和区域
        return True
    verb = text[max(0, start - 2):start]  # 夜间进行禁止进行的作业, 销售禁止销售的产品: the verb said twice
    if len(verb) == 2 and text[end:end + 3] == verb + "的":
        return True
    return bool(_NOMINAL_BEFORE.search(text[max(0, start - 1):start]) and _NOMINAL_AFTER.search(text[end:end + 24]))


def _what_may_be_done(text: str, start: int, end: int) -> bool:
    """Whether a 禁止 is what a 可以 of its sentence allows someone to decide (可以…，确定限制或者禁止燃放的时间;
    可以…决定在本行政区域内禁止经营): a power to prohibit, which binds nobody until it is used."""
    if text[start:end] != "禁止":
        return False
    head = max(text.rfind(c, 0, start) for c in "。；;\n")
    before = text[head + 1:start]
    return "可以" in before and "但" not in before[before.rindex("可以"):]


def _predicate_sim(a: set[str], b: set[str]) -> float:
    """How alike two predicates read: shared bigrams over the shorter, discounted when fewer than three are shared
    (a short 可以成立 / 应当组织召开 shares one bigram by chance)."""
    shared = len(a & b)
    return shared / max(1, min(len(a), len(b))) * min(1.0, shared / 3)


def _same_subject(a: str, b: str) -> bool:
    if not (_ACTOR.search(a) and _ACTOR.search(b)):
        return True  # not both actors (a passive clause, a condition): nothing to compare
    na, nb = _LEVEL_WORDS.sub("", department(a)), _LEVEL_WORDS.sub("", department(b))
    if not na or not nb:
        return True  # a clause with no subject of its own (the sentence's earlier subject holds)
    ba, bb = bigrams(na), bigrams(nb)
    return len(ba & bb) / max(1, min(len(ba), len(bb))) >= 0.5


MATCH = 0.5  # two modal clauses are about the same act from this predicate likeness on
# or, each the one modal verb of its sentence, from this likeness of their sentences' other words (set on tune)
ABOUT_MATCH = 0.6


def _about_sim(a: _Modal, b: _Modal, least: int) -> float:
    """How alike what two modal clauses are about, discounted below `least` shared bigrams."""
    shared = len(a.about & b.about)
    return shared / max(1, min(len(a.about), len(b.about))) * min(1.0, shared / least)


def _sim(a: _Modal, b: _Modal) -> float:
    """Predicate likeness, or, for the one modal verb of each sentence, the likeness of the rest of the sentence
    (who acts left out, so that two duties of one department are not paired by its name)."""
    sim = _predicate_sim(a.predicate, b.predicate)
    if a.alone and b.alone:
        about = _about_sim(a, b, 6)
        if about >= ABOUT_MATCH:
            sim = max(sim, MATCH + (about - ABOUT_MATCH) / 2)
    return sim


def match_modals(lm: list[_Modal], um: list[_Modal]) -> list[tuple[int, int, float]]:
    """Local and upper modal clauses about the same act, one to one, the likest pairs first."""
    sims = sorted(((_sim(a, b), i, k) for i, a in enumerate(lm) for k, b in enumerate(um)), reverse=True)
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


# words that say nothing about what a prohibition forbids (下列行为, 有关规定)
_GENERIC = re.compile(r"下列|以下|行为|活动|有关|规定|其他|[（(][一二三四五六七八九十0-9]+[）)]|[\s，,、：:；;（）()]")
COVERED = 0.5  # a prohibition's matter is in the other article from this share of its words on (set on tune)


def matter(text: str, m: _Modal) -> set[str]:
    """What a prohibition forbids: the words after 不得 / 禁止 to the end of its clause, or, for 禁止下列行为：,
    of the list that follows, less the words every prohibition uses."""
    stops = ("。", "\n\n") if "下列" in text[m.end:m.end + 12] else ("。", "；", ";", "，", ",", "\n")
    end = min((i for i in (text.find(c, m.end) for c in stops) if i >= 0), default=len(text))
    words = _GENERIC.sub("|", _ANYBODY.sub("|", text[m.end:end]))
    return {b for b in bigrams(words) if "|" not in b}


def covered(words: set[str], other: str) -> bool:
    """Whether `other` speaks of the same matter (most of its words)."""
    return not words or len(words & bigrams(re.sub(r"\s", "", other))) / len(words) >= COVERED


_FEE = re.compile(r"收费|收取[^，。；]{0,8}费")
_URGED = re.compile(r"鼓励|提倡|支持|引导")  # 提倡…免费开放: a wish, not a rule
FREE_SHARED = 3  # bigrams a 免费 clause shares with the upper 可以收费 clause before they are about the same thing


def _made_free(local_text: str, upper_text: str, um: list[_Modal]) -> list[Difference]:
    """An upper 可以…收费 (the manager may charge) that the local article makes 免费: a charge forbidden."""
    out = []
    for b in um:
        tail = min((i for i in (upper_text.find(c, b.end) for c in "，,。；;\n") if i >= 0), default=len(upper_text))
        if b.cls != MAY or not _FEE.search(upper_text[b.end:tail]):
            continue
        words = bigrams(re.sub(r"\s", "", upper_text[b.subject_start:b.start] + "|" + upper_text[b.end:tail]))
        for f in re.finditer("免费", local_text):
            head = max(local_text.rfind(c, 0, f.start()) for c in "。；;\n") + 1
            sentence = local_text[head:f.start()]
            if not _URGED.search(sentence) and len(words & bigrams(sentence)) >= FREE_SHARED:
                msg = f"上位法{_said(b)}，本地规定免费"
                out.append(Difference(PROHIBITION_ADDED, msg, ((f.start(), f.end()),), ((b.start, tail),), 0.5))
                break
    return out


def modality_differences(local_text: str, upper_text: str, close: bool = False) -> list[Difference]:
    """应当 ↔ 可以, 不得 / 禁止 added or dropped, and a changed subject, for modal clauses about the same act.

    A local and an upper modal clause are about the same act when what follows the modal verb reads alike
    (应当在十五日内作出决定 / 可以在十五日内作出决定), or, each alone in its sentence, the rest of their sentences
    does; each clause is matched once. A prohibition with no counterpart is added (or dropped) only when what it
    forbids is missing from the other article altogether: a prohibition reworded, or kept as an 应当 or a list item,
    is neither."""
    lm, um = modals(local_text), modals(upper_text)
    pairs = match_modals(lm, um)
    out = [d for i, k, sim in pairs if (d := _pair_difference(lm[i], um[k], sim)) is not None]
    out += _made_free(local_text, upper_text, um)
    if not close:
        return out
    done_l, done_u = {i for i, _, _ in pairs}, {k for _, k, _ in pairs}
    # no more than one side has more than the other (a reworded prohibition is neither), and only those whose matter
    # the other article does not forbid (added) or does not speak of at all (dropped)
    excess = sum(a.cls == MUST_NOT for a in lm) - sum(b.cls == MUST_NOT for b in um)
    forbidden = "|".join(upper_text[b.end:b.end + 40] for b in um if b.cls == MUST_NOT)
    added = [a for i, a in enumerate(lm) if i not in done_l and a.cls == MUST_NOT
             and not covered(matter(local_text, a), forbidden)][:max(0, excess)]
    dropped = [b for k, b in enumerate(um) if k not in done_u and b.cls == MUST_NOT
               and not covered(matter(upper_text, b), local_text)][:max(0, -excess)]
    if added:
        words = "；".join(_said(a) for a in added[:3])
        out.append(Difference(PROHIBITION_ADDED, f"本地增设禁止性规定{words}，对应上位法条文无此禁止",
                              tuple((a.start, a.end) for a in added), (), 0.5))
    if dropped:
        words = "；".join(_said(b) for b in dropped[:3])
        out.append(Difference(PROHIBITION_DROPPED, f"上位法禁止性规定{words}在本地条文中没有对应", (),
                              tuple((b.start, b.end) for b in dropped), 0.4))
    return out
