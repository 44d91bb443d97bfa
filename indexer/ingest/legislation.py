"""The legislative history under a regulation's title (…会议通过 / 批准 / 修正 / 修订 / 公布 / 施行) as events. Pure.

Local regulations open with lines such as
    2019年5月28日 丽水市第四届人民代表大会常务委员会第十六次会议通过
    2019年8月1日 浙江省第十三届人民代表大会常务委员会第十三次会议批准
or, in one parenthesised line, （2021年9月29日浙江省第十三届人民代表大会常务委员会第三十二次会议通过 根据…修正）.
Each date opens one event; what it does is the last verb outside the 《》 of the decision it cites.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.ingest.dates import iso_date

HEAD_LINES = 40  # the history sits between the title and the first chapter or article
FIRST_LINES = 6  # … and starts within the first non-blank lines (title, subtitle, perhaps a 文号)

_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_NUM = "一二三四五六七八九十〇零"
# The organ: a place (possibly only 省 / 市 / 县), an optional term (第十三届 / 十二届), then the body.
_TERM = rf"(?:第?[{_NUM}\d]+届)?"
_ORGAN = re.compile(rf"{_TERM}(?P<place>[\u4e00-\u9fff]*?){_TERM}"
                    r"(?P<body>人民代表大会常务委员会|人民代表大会常委会|人大常委会|人民代表大会|人大|人民政府|政府|国务院)"
                    rf"(?=第|[{_NUM}\d]|公告|关于|会议|令|、|发布|公布|批准|$)")
_BODY = {"人民代表大会常务委员会": "人民代表大会常务委员会", "人民代表大会常委会": "人民代表大会常务委员会",
         "人大常委会": "人民代表大会常务委员会", "人民代表大会": "人民代表大会", "人大": "人民代表大会",
         "人民政府": "人民政府", "政府": "人民政府",
         "国务院": "国务院"}  # an administrative regulation: 国务院令第216号发布, 国务院第164次常务会议通过
# Verbs in the order they are searched for from the end of the event: the last one outside 《》 wins.
_ACTION = re.compile(r"(审议通过|通过|批准|修正|修改|修订|公布|发布|施行|废止)")
ACTIONS = {"审议通过": "passed", "通过": "passed", "批准": "approved", "修正": "amended", "修改": "amended",
           "修订": "revised", "公布": "published", "发布": "published", "施行": "effective", "废止": "repealed"}
_LEAD = re.compile(r"^[\s（(，,；;、]*(?:经|由)?")
_TRAIL = re.compile(r"[\s（(）)，,；;。、]*(?:根据|并|自)?[\s（(，,；;、]*$")
_STOP = re.compile(rf"(第[{_NUM}\d]{{1,4}}[篇章节条])|目\s*录")
# a history line whose date the source lost: an organ, its meeting and what it did
_UNDATED = re.compile(r"(?:经)?[\u4e00-\u9fff]{1,12}(?:人民代表大会|人大|人民政府).{0,200}(?:通过|批准|修正|修订|公布)")
# an amendment whose organ is named only in the decision it cites: 《国务院关于修改部分行政法规的决定》第三次修订
_DECIDER = re.compile(r"^《(?P<place>全国|[\u4e00-\u9fff]{2,8}?(?:省|市|自治区|县))?"
                      r"(?P<body>国务院|人民代表大会常务委员会|人大常委会)关于")
_BRACKETS = re.compile(r"《[^《》]*》|〈[^〈〉]*〉|＜[^＜＞]*＞|<[^<>]*>")


@dataclass(frozen=True)
class Event:
    date: str  # YYYY-MM-DD
    action: str  # passed | approved | amended | revised | published | effective | repealed
    place: str  # as written: 浙江省, 丽水市, 景宁畲族自治县, or a bare 省 / 市 / 县; "" for 施行
    body: str  # 人民代表大会常务委员会 | 人民代表大会 | 人民政府 | 国务院; "" for 施行
    text: str  # the event as written, without its date

    @property
    def organ(self) -> str:
        return self.place + self.body if self.body else ""


def _outside_titles(s: str) -> str:
    """The text with cited titles (《…》, 〈…〉, nested) removed."""
    prev = None
    while prev != s:
        prev, s = s, _BRACKETS.sub("", s)
    return s


def _unbalanced(s: str) -> bool:
    return s.count("《") > s.count("》") or s.count("〈") > s.count("〉")


def is_history_line(text: str) -> bool:
    """A line of a regulation's legislative history (2006年5月24日 浙江省第十届人民代表大会常务委员会…通过): a date
    opening it and an act of passing, approving or amending."""
    s = text.strip().lstrip("（(")
    return bool(_DATE.match(s)) and bool(_ACTION.search(s))


def history_lines(lines: list[str]) -> list[str]:
    """The lines of the history at the top of a document: each opens with a date (or "（date"), a long cited
    title may wrap onto the next lines. Reading stops at the first chapter, article or table of contents."""
    out: list[str] = []
    for k, s in enumerate(s for s in (ln.strip() for ln in lines[:HEAD_LINES]) if s):
        if _STOP.match(s):
            break
        if out and _unbalanced(out[-1]):
            out[-1] += s
        elif _DATE.match(s.lstrip("（(")) and (out or k < FIRST_LINES) or out and _UNDATED.fullmatch(s):
            out.append(s)
        elif out or k >= FIRST_LINES:
            break  # the history is one run of lines near the top
    return out


def parse_event(date: str, text: str) -> Event | None:
    """One event from the text after its date; None when it names neither an organ nor 施行."""
    core = _TRAIL.sub("", _LEAD.sub("", text))
    bare = _outside_titles(core)
    verbs = _ACTION.findall(bare)
    if not verbs:
        return None
    action = ACTIONS[verbs[-1]]
    m = _ORGAN.search(bare)
    if not m and action in ("amended", "revised"):
        m = _DECIDER.match(core)
    if not m:
        if action in ("effective", "published"):
            return Event(date, action, "", "", core)
        return None
    place = m.group("place") or ""
    if not re.fullmatch(r"[\u4e00-\u9fff]*(?:省|市|县|区|自治州|自治区|州|旗|盟)|全国|中华人民共和国|", place):
        return None  # "…的意见通过" and the like: an organ must follow a place name, or stand alone
    return Event(date, action, place, _BODY[m.group("body")], core)


def parse(lines: list[str]) -> tuple[Event, ...]:
    """The legislative history of a document (its first lines), in the order written. Events of a line
    without a date (some sources lost them) have date ""."""
    events: list[Event] = []
    for line in history_lines(lines):
        dates = [d for d in _DATE.finditer(line) if not _unbalanced(line[:d.start()])]  # not in a cited title
        ends = [d.start() for d in dates[1:]] + [len(line)]
        pieces = [("", line[:dates[0].start()] if dates else line)]
        pieces += [(iso_date(*d.groups()), line[d.end():end]) for d, end in zip(dates, ends, strict=False)]
        for iso, text in pieces:
            ev = parse_event(iso, text) if text.strip(" （(") else None
            if ev:
                events.append(ev)
    # a date and 施行 alone ("2023年5月1日起施行") is no history: some organ must have acted
    return tuple(events) if any(e.body for e in events) else ()
