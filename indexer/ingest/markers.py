"""The markers of the Chinese outline (篇/章/节/条, 一、, （一）, 1., 1.1, （1）, ①) and whether a line opens a
clause: numbers in Chinese, marker patterns, headings split from their text. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.ingest.junk import NUMBERS
from indexer.text import chinese_int

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "零〇一二两三四五六七八九十百千"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# Conventional rank of each marker kind, outermost first. Used only when a structural kind
# (篇/章/节/条) first appears below other levels; enumerations nest in order of appearance.
RANK = {"part": 0, "chapter": 1, "section": 2, "article": 3, "cn": 4, "cn_paren": 5, "num": 6, "dec": 6,
        "num_rparen": 7, "num_paren": 8, "circled": 9}
STRUCTURAL = {"part", "chapter", "section", "article"}
ID_PREFIX = {"part": "p", "chapter": "ch", "section": "s", "article": "a"}

_WS = " \t\u3000\xa0"
MARKERS = [
    ("part", re.compile(rf"第([{CN_NUM}\d]{{1,4}})篇")),
    ("chapter", re.compile(rf"第([{CN_NUM}\d]{{1,4}})章")),
    ("section", re.compile(rf"第([{CN_NUM}\d]{{1,4}})节")),
    ("article", re.compile(rf"第([{CN_NUM}\d]{{1,8}})条")),  # 民法典 parts: 第一千一百一十九条 (7 numerals)
    ("cn", re.compile(r"([一二三四五六七八九十]{1,3})[、．.](?![\d.．])")),
    ("cn_paren", re.compile(r"[（(]([一二三四五六七八九十]{1,3})[）)]")),
    ("num_paren", re.compile(r"[（(](\d{1,3})[）)]")),
    ("num_rparen", re.compile(r"(\d{1,3})[）)](?!\d)")),
    # decimal outline of catalogues and technical plans (1.1耕地机械, 1.1.2旋耕机); not amounts (1.5亿元)
    ("dec", re.compile(r"(\d{1,3}(?:[.．]\d{1,3}){1,4})(?!\d)(?![.．]\d)[.．、]?[ \t\u3000]*+"
                       r"(?![亿万千百%％倍个年月日元吨亩米度时分秒kKmMgG])")),
    ("num", re.compile(r"(\d{1,3})(?:[、]|[.．](?![\d.．]))")),
    ("circled", re.compile(rf"([{CIRCLED}])")),
]
HEADING_END = "。：:；;！？"
# A table-of-contents entry ("第一章  发展基础 …… 2"): a heading followed by a page number. Not a clause heading,
# or the real headings further down would be rejected as out of sequence.
TOC_LINE = re.compile(r"(\t|\s{2,}|…{2,}|\.{4,}|·{4,})\s*[（(]?\d{1,4}[）)]?$")
MAX_HEADING = 40
# Unnumbered lines that open a part of their own. A closing part (a news article's 总结, a plan's 附件 with its
# project table) closes every open section, and what follows nests under it, numbering included. An opening
# part (前言, 编者按), or any of them before the document's numbering has begun (an attachment file starting
# with 附件1), holds only unnumbered paragraphs: the first numbered heading returns to the top level.
PLAIN_CLOSING = re.compile(r"(总结|结语|小结|名词解释|政策解读|附件\s*[0-9一二三四五六七八九十]{0,3}|"
                           r"附录\s*[0-9一二三四五六七八九十]{0,3})\s*[：:]?")
NOTE_LIST = re.compile(r"(?:抄送|抄报|主送|分送)[：:]")  # a note whose list of bodies may wrap onto the next lines
PLAIN_OPENING = re.compile(r"(前言|引言|序言|背景|编者按)\s*[：:]?")


# 篇/章/节 whose numbering skips ahead stay headings when they stand alone as one: a regulation amended by
# deleting whole chapters keeps the numbers of the rest (第一章, 第四章 …). Articles and enumerations do not.
SKIPPABLE = {"part", "chapter", "section"}
MAX_SKIP = 5  # numbers left out between two such headings; further ahead, the line is read as text
_CONTINUATION = re.compile(r"[的之所中和或及至以与规第]")  # "第四章规定的…": a reference running on


def cn_to_int(s: str) -> int | None:
    """Chinese or Arabic numeral → int ("二十七" → 27, "一百零五" → 105, "12" → 12)."""
    if not s:
        return None
    if s in CIRCLED:
        return CIRCLED.index(s) + 1
    if s.isdigit():
        return int(s)
    if any(ch not in CN_NUM for ch in s):
        return None
    try:
        return chinese_int(s)
    except ValueError:
        return None


@dataclass(frozen=True)
class Marker:
    kind: str
    number: int
    marker: str  # as written
    rest: str  # line text after the marker
    path: str = ""  # decimal numbering as dotted digits (1.1.2), "" for other kinds


def match_marker(line: str) -> Marker | None:
    """The outline marker a (left-stripped) line starts with, if any."""
    for kind, rx in MARKERS:
        m = rx.match(line)
        if not m:
            continue
        path = ""
        if kind == "dec":
            path = m.group(1).replace("．", ".")
            n = int(path.rsplit(".", 1)[1])
        else:
            n = cn_to_int(m.group(1))
        if n is None or n == 0:
            return None
        rest = line[m.end():]
        if kind in STRUCTURAL:
            rest = rest.lstrip(_WS + "　")
            # "第十条规定的……" mid-sentence wrap: a structural marker is followed by space, a title or
            # the article body; a verb-like continuation is not ours to judge, the sequence check is.
        if not rest.strip() and kind not in STRUCTURAL:
            return None  # a bare "1." line is not a heading
        return Marker(kind, n, m.group(0), rest, path)
    return None


def stands_alone(mk: Marker) -> bool:
    """Whether a structural marker's line is a heading by its look alone: the marker, then nothing or a short
    title without punctuation (第四章　监督管理), not a sentence that cites it (第四章规定的情形，…)."""
    rest = mk.rest.strip(_WS)
    return not rest or (len(rest) <= MAX_HEADING and not re.search(r"[。：:；;！？!?，,、]", rest)
                        and not _CONTINUATION.match(rest))


def split_heading(kind: str, rest: str) -> str:
    """The short title after a marker: "新一代电子信息产业集群。重点发展……" → "新一代电子信息产业集群"."""
    s = rest.strip(_WS)
    if not s:
        return ""
    if kind == "article":  # 条 carry a title only when bracketed: 第一条【用地保障】… or 第一条（目的）…
        m = re.match(r"[【\[（(]([^】\]）)]{2,30})[】\]）)]", s)
        return m.group(1) if m else ""
    for i, ch in enumerate(s[: MAX_HEADING + 1]):
        if ch in HEADING_END:
            head = s[:i].strip(_WS)
            return head if len(head) <= MAX_HEADING else ""
    if len(s) <= MAX_HEADING and not any(c in s for c in "，,"):
        return s.rstrip(_WS)
    if len(s) <= 24:  # short line with a comma: "市场主导，政府引导" style titles
        return s
    return ""


LABEL_CHARS = 16  # an untitled numbered clause is named in section paths by its marker and this much text


def _untitled_label(mk: Marker) -> str:
    """How an untitled clause appears in section paths: 第十条 as is (statutes cite articles by number alone),
    others with the start of their text, 1、当今世界正处于“百年未有之… rather than a bare 1、."""
    rest = mk.rest.strip(_WS)
    if mk.kind in STRUCTURAL or not rest:
        return mk.marker.strip()
    return mk.marker.strip() + (rest[:LABEL_CHARS] + "…" if len(rest) > LABEL_CHARS else rest)


def is_heading_line(line: str) -> bool:
    """Whether a stripped line could open a clause (a numbered heading or an unnumbered 总结 / 前言).

    A line of nothing but figures ("3.14 2.71", "1、2、3") is never one, whatever it starts with."""
    if NUMBERS.fullmatch(line):
        return False
    return match_marker(line) is not None or bool(PLAIN_CLOSING.fullmatch(line) or PLAIN_OPENING.fullmatch(line))
