"""Tables of contents: runs of titles with page numbers that the body repeats as headings. Pure."""
from __future__ import annotations

import re

TOC_TITLE = re.compile(r"目[\s\u3000]*[录次]|目[\s\u3000]*录[\s\u3000]*[（(]?[\u4e00-\u9fff]{0,6}[）)]?|contents",
                       re.IGNORECASE)
# "第一章  发展基础\t2", "1.食品工业…………（116）", "前 言 1": a title, then leaders or a gap, then the page
SAME_LINE = re.compile(r"(?P<title>.{1,80}?)[\s\u3000]*(?:\t+|[\s\u3000]{2,}|[.·…．—\-_]{2,}|[\s\u3000])[\s\u3000]*"
                       r"[（(]?(?P<page>\d{1,4})[）)]?")
# A page number on a line of its own, as Word and PDF exports write a contents list: the title on one line,
# "2" (or "……2", "(12)") on the next.
PAGE_ONLY = re.compile(r"[.·…．—\-_\s\u3000]*[（(]?(?P<page>\d{1,4})[）)]?")
MAX_TITLE = 60
MIN_ENTRIES = 3
# Without a 目录 line a run of title/number pairs must be shown to be a contents list: most of its titles come back
# later as lines of their own (the headings), and its page numbers never go down.
REPEATED_SHARE = 0.6


def _key(s: str) -> str:
    return re.sub(r"[\s\u3000.·…．—\-_]+", "", s)


def _title_ok(title: str) -> bool:
    t = title.strip(" \u3000\t.·…．—-_")
    return (0 < len(t) <= MAX_TITLE and not t[-1].isdigit() and not any(c in t for c in "。；;！？")
            and sum(c.isdigit() for c in t) <= 6)


def _entries(lines: list[str], i: int) -> list[tuple[int, int, str, int]]:
    """Contents entries from line i on: (first line, last line, title, page), stopping at the first non-entry."""
    out: list[tuple[int, int, str, int]] = []
    j = len(lines)
    while i < j:
        m = SAME_LINE.fullmatch(lines[i])
        if m and _title_ok(m.group("title")):
            out.append((i, i, m.group("title").strip(), int(m.group("page"))))
            i += 1
            continue
        nxt = PAGE_ONLY.fullmatch(lines[i + 1]) if i + 1 < j else None
        if nxt and _title_ok(lines[i]) and not PAGE_ONLY.fullmatch(lines[i]):
            out.append((i, i + 1, lines[i].strip(), int(nxt.group("page"))))
            i += 2
            continue
        break
    return out


def toc_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line indexes, inclusive, of each table of contents among these stripped non-blank lines."""
    blocks: list[tuple[int, int]] = []
    later: dict[str, int] | None = None
    i = 0
    while i < len(lines):
        titled = bool(TOC_TITLE.fullmatch(lines[i]))
        entries = _entries(lines, i + 1 if titled else i)
        if len(entries) < MIN_ENTRIES:
            i += 1
            continue
        end = entries[-1][1]
        pages = [p for *_, p in entries]
        if not titled:
            if later is None:
                later = {}
                for k, s in enumerate(lines):
                    later[_key(s)] = k  # last line holding each text
            repeated = sum(1 for _, _, t, _ in entries if later.get(_key(t), -1) > end)
            rising = all(a <= b for a, b in zip(pages, pages[1:], strict=False))
            if not rising or repeated < REPEATED_SHARE * len(entries):
                i += 1
                continue
        blocks.append((i, end))
        i = end + 1
    return blocks
