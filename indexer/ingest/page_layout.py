"""Page layout of PDF pages (text layer or OCR): running headers, footers and page numbers found and removed, and
the printed lines of a page joined back into paragraphs where a line wraps. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.ingest.markers import match_marker


@dataclass(frozen=True)
class Line:
    """One printed line of a page, with its box (PDF points or image pixels, y downwards)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float


_PAGE_NUMBER = re.compile(
    r"[—－\-–―一_~·•\s]*\d{1,4}[—－\-–―一_~·•\s]*"  # 3, — 3 —, - 3 -, OCR's "—2一"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|共\s*\d{1,4}\s*页\s*[,，]?\s*第\s*\d{1,4}\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}|[Pp]age\s*\d{1,4}(?:\s*of\s*\d{1,4})?")
FURNITURE_LINES = 2  # lines at the top and at the bottom of a page searched for headers, footers, numbers
SENTENCE_END = "。；;：:！!？?"
_CLOSERS = "”’」』）)】"


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.fullmatch(text.strip()))


def _furniture_keys(text: str, page: int) -> set[tuple]:
    """What makes a line the same line on another page: its text, or its text with one number that follows the
    page (公报 2024年第3期 12 on page 12, 13 on page 13, …) standing for that number's offset from the page."""
    s = re.sub(r"\s", "", text)
    keys: set[tuple] = {(s,)}
    for m in list(re.finditer(r"\d{1,6}", s))[:MAX_NUMBERS]:
        keys.add((s[:m.start()], int(m.group()) - page, s[m.end():]))
    return keys


MAX_NUMBERS = 6  # numbers per line tried as the page number


def strip_page_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """Drop page numbers and running headers/footers: a line at the top or bottom of many pages that repeats
    there, as is or with a number that follows the page. A line alone on its page is that page's text, never
    furniture, so a document of many short distinct pages keeps them all."""
    def edge(lines: list[Line]) -> list[int]:
        n = len(lines)
        return sorted(set(range(min(FURNITURE_LINES, n))) | set(range(max(n - FURNITURE_LINES, 0), n)))

    keys = [{i: _furniture_keys(lines[i].text, p) for i in edge(lines) if not is_page_number(lines[i].text)}
            for p, lines in enumerate(pages)]
    counts: dict[tuple, int] = {}
    for lines, page_keys in zip(pages, keys, strict=True):
        if sum(1 for ln in lines if not is_page_number(ln.text)) < 2:
            continue  # the page's only line is its body
        for k in set().union(*page_keys.values()) if page_keys else ():
            counts[k] = counts.get(k, 0) + 1
    # both pages of a two-page document, else at least 3 pages and 40 % of them
    threshold = 2 if len(pages) == 2 else max(3, (len(pages) * 2 + 4) // 5)
    running = {k for k, c in counts.items() if c >= threshold and k != ("",)}
    out = []
    for lines, page_keys in zip(pages, keys, strict=True):
        body = sum(1 for ln in lines if not is_page_number(ln.text)) >= 2
        bad = {i for i in edge(lines) if is_page_number(lines[i].text) or body and page_keys[i] & running}
        out.append([ln for i, ln in enumerate(lines) if i not in bad])
    return out


@dataclass(frozen=True)
class Margins:
    left: float
    right: float
    char_w: float


def margins(lines: list[Line], fallback: Margins | None = None) -> Margins | None:
    """Text block edges and character width, from the lines long enough to be body text."""
    body = [ln for ln in lines if len(ln.text) >= 8]
    if len(body) < 3:
        return fallback
    widths = sorted((ln.x1 - ln.x0) / len(ln.text) for ln in body)
    x0s = sorted(ln.x0 for ln in body)
    x1s = sorted(ln.x1 for ln in body)
    return Margins(left=x0s[len(x0s) // 5], right=x1s[(len(x1s) * 4) // 5], char_w=widths[len(widths) // 2])


def ends_sentence(text: str) -> bool:
    s = text.rstrip()
    s = s.rstrip(_CLOSERS) if len(s) > 1 and s[-2:-1] in SENTENCE_END else s
    return not s or s[-1] in SENTENCE_END


def continues(prev: Line, cur: Line, m: Margins | None) -> bool:
    """Whether `cur` is the wrapped continuation of `prev` (same paragraph), judged from the page layout.

    A heading never continues a line: a line that starts with an outline marker opens its own line, and a
    short line (a heading, a signature, a date) does not reach the right margin, so nothing joins it.
    """
    if m is None or ends_sentence(prev.text) or match_marker(cur.text.lstrip()) is not None:
        return False
    full = prev.x1 >= m.right - 1.5 * m.char_w and prev.x0 <= m.left + 2.5 * m.char_w
    flush_left = cur.x0 <= m.left + 0.8 * m.char_w
    return full and flush_left


def join_text(a: str, b: str) -> str:
    """Separator between two joined pieces: a space between Latin words, nothing in Chinese."""
    return " " if a[-1:].isascii() and a[-1:].isalnum() and b[:1].isascii() and b[:1].isalnum() else ""
