"""What a penalty or an amount in an article is about: the paragraph (款) of its own article it names. Pure.

`违反本条第一款规定的，…处二十元罚款` punishes what the first paragraph says; two such clauses, one local and one upper,
are about the same act when those paragraphs read alike.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from functools import cached_property

from indexer.text import bigrams
from indexer.text import chinese_int as cn_int

ACT_SAME = 0.3  # a local and an upper clause are about the same act from this share of shared bigrams on

# 违反本条第一款规定的 / 违反前款规定的: which paragraph of its own article a penalty clause punishes
_N = "[一二三四五六七八九十]+"
# 本条第二款或者第三款, 第一款至第三款 (not 第十六条第一款: another article's), 前款, 前两款
_REF = re.compile(rf"(?:本条|(?<!条))第({_N})款((?:(?:或者|、|和|及|至|或)第{_N}款)*)|前([两二三四]?)款")
_ITEM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十0-9]+[）)]|[一二三四五六七八九十]+、)")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The paragraphs (款) of an article: its lines, items （一）… kept with the paragraph above them."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        if out and _ITEM.match(line):
            out[-1] = (out[-1][0], start + len(line))
        else:
            out.append((start, start + len(line)))
    return out


def _named(m: re.Match, here: int) -> list[int]:
    """The paragraphs (0-based) a reference names; `here`: the paragraph it stands in."""
    if m.group(1) is None:  # 前款 / 前两款
        n = cn_int(m.group(3)) if m.group(3) else 1
        return list(range(here - n, here))
    nums = [cn_int(m.group(1))] + [cn_int(x) for x in re.findall(_N, m.group(2) or "")]
    if "至" in (m.group(2) or "") and len(nums) == 2:
        nums = list(range(nums[0], nums[1] + 1))
    return [n - 1 for n in nums]


def act(text: str, pos: int) -> str | None:
    """The paragraphs a power or amount at `pos` is about, when its sentence names paragraphs of its own article
    (违反本条第一款, 第二款或者第三款, 前款 …; the last reference before `pos` counts), else None."""
    start = text.rfind("。", 0, pos) + 1
    refs = list(_REF.finditer(text, start, pos))
    if not refs:
        return None
    paras = paragraphs(text)
    here = next((k for k, (a, b) in enumerate(paras) if a <= pos <= b), len(paras) - 1)
    named = [k for k in _named(refs[-1], here) if 0 <= k < len(paras) and k != here]
    return "\n".join(text[paras[k][0]:paras[k][1]] for k in named) or None


def same_act(local_text: str, local_pos: int, upper_text: str, upper_pos: int) -> bool | None:
    """Whether what stands at `local_pos` and at `upper_pos` is about the same act; None when either names no
    paragraph of its article (nothing to tell)."""
    mine = act(local_text, local_pos)
    theirs = act(upper_text, upper_pos) if mine is not None else None
    if mine is None or theirs is None:
        return None
    a, b = bigrams(re.sub(r"\s", "", mine)), bigrams(re.sub(r"\s", "", theirs))
    return len(a & b) / max(1, min(len(a), len(b))) >= ACT_SAME


# ---------------------------------------------------------------- the offence a fine punishes

ACT_DIFFER = 0.3  # two fines punish different acts below this likeness of their offences (bigram Dice)
_NUMERAL = "[零〇一二两三四五六七八九十百千0-9]+"
# 违反本条例第十三条第二款规定: an offence named by the article it breaks
_BREACH = re.compile(rf"违反本(?:条例|规定|办法|细则|法)第({_NUMERAL})条(?:第({_N})款)?")
# the words every penalty clause has, whatever it punishes (违反本条例规定…逾期不改正的): dropped before offences compare
_STOCK = re.compile(
    rf"违反本(?:条例|规定|办法|细则|法|决定)(?:第{_NUMERAL}[条款项](?:[（(]{_N}[）)]项)?|[、和或者及至]+)*的?规定"
    r"|违反[^，。；]{0,40}?的?规定|除前款规定外|本(?:条例|规定|办法|法)|有下列(?:行为|情形)之一|未(?:按|依)照?(?:规定|要求)"
    r"|拒不(?:改正|停止违法行为)?|逾期(?:不|未)(?:改正|拆除|停止)?|情节(?:特别)?(?:严重|较重|轻微)|造成严重后果"
    rf"|(?:按|依)照?规定|擅自|任何|单位(?:和|或者)个人|其他|第{_NUMERAL}[条款项]|[^\u4e00-\u9fff]|的")
_LIST = re.compile(r"有下列(?:行为|情形)之一")
# 违反本规定第二十二条第六项、第七项规定: an offence named by items (项) of another article
_BREACH_ITEMS = re.compile(rf"违反本(?:条例|规定|办法|细则|法)第({_NUMERAL})条(?:第({_N})款)?"
                           rf"((?:[、和或者及至]*第{_N}项)+)")
_ITEM_NO = re.compile(r"^\s*(?:[（(]([一二三四五六七八九十]+)[）)]|([一二三四五六七八九十]+)、)")


def cited_items(said: str, article_text: Callable[[int], str | None]) -> list[str]:
    """The items (项) of another article that an offence names only by number (违反本规定第二十二条第六项、第七项规定 →
    在制动器失效时下车推行, …), read from the document; [] when it names none or the document lacks them."""
    out = []
    for m in _BREACH_ITEMS.finditer(said):
        whole = article_text(cn_int(m.group(1))) or ""
        if m.group(2):
            paras = paragraphs(whole)
            k = cn_int(m.group(2)) - 1
            whole = whole[paras[k][0]:paras[k][1]] if 0 <= k < len(paras) else ""
        nums = [cn_int(x) for x in re.findall(_N, m.group(3))]
        if "至" in m.group(3) and len(nums) == 2:
            nums = list(range(nums[0], nums[1] + 1))
        for line in whole.split("\n"):
            no = _ITEM_NO.match(line)
            if no and cn_int(no.group(1) or no.group(2)) in nums:
                out.append(line.strip())
    return out


def _offence_head(text: str, pos: int) -> tuple[int, int] | None:
    """Where the offence of a penalty at `pos` is told: its sentence up to the first 的， (…设立标志牌的，由…处), or
    None when the amount stands inside that part (an amount that defines the act, not its penalty)."""
    start = max(text.rfind("。", 0, pos), text.rfind("\n", 0, pos)) + 1
    m = re.search(r"的[，,：:；]", text[start:pos])
    return (start, start + m.start()) if m else None


def offences(text: str, pos: int, article_text: Callable[[int], str | None] | None = None) -> list[str]:
    """What the penalty at `pos` punishes, as the text tells it: the offence before its 的，, each item of a
    有下列行为之一的 list, or (when the offence is only 违反本条例第X条规定) the article or paragraph it breaks, through
    `article_text` (number → the document's article). Stock words removed; [] when the text does not tell."""
    head = _offence_head(text, pos)
    if head is None:
        return []
    said = text[head[0]:head[1]]
    if _LIST.search(said):  # the acts are the items under the lead sentence
        para = next(((a, b) for a, b in paragraphs(text) if a <= pos <= b), None)
        if para is not None:
            items = []
            for line in text[para[0]:para[1]].split("\n")[1:]:
                items += [s for s in [_stripped(line)] if s]
                if article_text is not None:  # an item that only cites another article's items: those items' acts
                    items += [s for x in cited_items(line, article_text) if (s := _stripped(x))]
            if items:
                return list(dict.fromkeys(items))
    own = _stripped(said)
    cited = cited_items(said, article_text) if article_text is not None else []
    if len(own) >= 4 or cited:
        return _units(said) + [u for x in cited for u in _units(x)]
    named = act(text, pos)  # 违反本条第一款规定的: a paragraph of this article
    if named is None and article_text is not None and (m := _BREACH.search(said)):
        whole = article_text(cn_int(m.group(1)))
        if whole and m.group(2):
            paras = paragraphs(whole)
            k = cn_int(m.group(2)) - 1
            whole = whole[paras[k][0]:paras[k][1]] if 0 <= k < len(paras) else whole
        named = whole
    return _units(named or "")


def _units(s: str) -> list[str]:
    """An offence as told, and each of its sentences and alternatives (…的时间、地点燃放，或者以危害…的方式燃放)."""
    parts = [s] + [p for sent in re.split(r"[。；;\n]", s) for p in [sent, *re.split(r"，?或者", sent)]]
    out = [x for p in parts if len(x := _stripped(p)) >= 4]
    return list(dict.fromkeys(out))


def _stripped(s: str) -> str:
    s = re.sub(r"^\s*(?:[（(][一二三四五六七八九十0-9]+[）)]|[一二三四五六七八九十]+、)", "", s)
    s = re.sub(r"^第[零〇一二两三四五六七八九十百千0-9]+条", "", s.strip())
    return _STOCK.sub("", s)


class LocalArticles(dict):
    """The local document's articles by number (what 违反本条例第X条 names), and how common each bigram is in them: the
    words a whole regulation is about (排污口 in a water regulation) tell little about which act a fine punishes."""

    @cached_property
    def _df(self) -> Counter:
        return Counter(g for text in self.values() for g in bigrams(text))

    def weight(self, gram: str) -> float:
        return math.log((len(self) + 1) / (self._df[gram] + 1)) if self else 1.0


def offence_likeness(local_text: str, local_pos: int, upper_text: str, upper_pos: int,
                     articles: LocalArticles | None = None,
                     upper_articles: Callable[[int], str | None] | None = None) -> float | None:
    """How alike the offences two penalties punish read (0–1; the best pair of their units): bigram Dice, or the share
    of the local offence the upper one holds (燃放烟花爆竹 in 在禁止燃放烟花爆竹的时间、地点燃放烟花爆竹), whichever is
    higher, each bigram weighted by how rare it is in the local document; None when either text does not tell.
    `upper_articles`: the upper document's articles by number, for an upper penalty that only names what it punishes
    (违反本条例第十二条第二款规定的: found in use, two 特种设备 fines were paired on their boilerplate alone)."""
    mine = offences(local_text, local_pos, articles.get if articles else None)
    theirs = offences(upper_text, upper_pos, upper_articles) if mine else []
    if not mine or not theirs:
        return None
    weight = articles.weight if articles else (lambda g: 1.0)

    def mass(grams: set[str]) -> float:
        return sum(weight(g) for g in grams)

    best = 0.0
    for a in map(bigrams, mine):
        for b in map(bigrams, theirs):
            shared, ma, mb = mass(a & b), mass(a), mass(b)
            if ma and mb:
                best = max(best, 2 * shared / (ma + mb), shared / ma)
    return best


# ---------------------------------------------------------------- what an amount measures

# 自购买之日起十五日内: the event a time limit runs from
_ANCHOR = re.compile(r"(?:自|从)([^，。；;自从]{1,24}?)(?:之日|后|时)?起(?:[^，。；;]{0,6})$")
# …驾驶人应当年满十六周岁: the words between a subject and its number, dropped to leave the subject
_LEAD = re.compile(r"(?:应当|必须|须|不得|不应|应|已|均|为|年|在|其)+$")


def _anchor(text: str, start: int) -> str:
    m = _ANCHOR.search(text[max(0, start - 30):start])
    return m.group(1) if m else ""


def _role(text: str, start: int, end: int) -> str:
    """Whose age or head-count a measure is: the words of its clause just before it (驾驶人应当年满) and just after it
    (六周岁以下的未成年人), modal and bound words dropped."""
    before = _LEAD.sub("", re.split(r"[，。；、,;：:\n]", text[max(0, start - 20):start])[-1])[-8:]
    after = re.split(r"[，。；、,;：:\n]", text[end:end + 10])[0]
    return before + "|" + after


_PERSONAL = ("周岁", "岁", "人")  # measures of a person (an age, a head-count): whose is said beside them


def different_measure(local_text: str, a, upper_text: str, b) -> bool:
    """Whether two amounts of one unit plainly measure different things: time limits running from different events
    (自购买之日起 / 自本规定施行之日起), or ages and head-counts of different persons (驾驶人 / 未成年人).
    False when a text does not tell."""
    from indexer.compare.amounts import DURATION, MEASURE, WORKDAYS

    if a.kind in (DURATION, WORKDAYS) and b.kind in (DURATION, WORKDAYS):
        x, y = _anchor(local_text, a.start), _anchor(upper_text, b.start)
        return bool(x and y) and len(set(x) & set(y)) / min(len(set(x)), len(set(y))) < 0.5
    if a.kind == MEASURE and b.kind == MEASURE and a.unit == b.unit and a.unit in _PERSONAL:
        x, y = _role(local_text, a.start, a.end), _role(upper_text, b.start, b.end)
        gx, gy = ({g for p in r.split("|") if len(p) > 1 for g in bigrams(p)} for r in (x, y))
        return bool(gx and gy) and not gx & gy
    return False
