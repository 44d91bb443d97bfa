"""What a penalty or an amount in an article is about: the paragraph (款) of its own article it names. Pure.

`违反本条第一款规定的，…处二十元罚款` punishes what the first paragraph says; two such clauses, one local and one upper,
are about the same act when those paragraphs read alike.
"""
from __future__ import annotations

import re

from indexer.text import bigrams
from indexer.text import chinese_int as cn_int

ACT_SAME = 0.3  # a local and an upper clause are about the same act from this share of shared bigrams on

# 违反本条第一款规定的 / 违反前款规定的: which paragraph of its own article a penalty clause punishes
_REF = re.compile(r"本条第([一二三四五六七八九十]+)款|(前)([两二三四]?)款")
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


def act(text: str, pos: int) -> str | None:
    """The paragraph a power at `pos` punishes, when its sentence names one of its own article (违反本条第一款 …,
    the last named before the power counts), else None."""
    start = text.rfind("。", 0, pos) + 1
    refs = list(_REF.finditer(text, start, pos))
    if not refs:
        return None
    paras = paragraphs(text)
    here = next((k for k, (a, b) in enumerate(paras) if a <= pos <= b), len(paras) - 1)
    m = refs[-1]
    if m.group(1):
        k = cn_int(m.group(1)) - 1
    else:
        k = here - (cn_int(m.group(3)) if m.group(3) else 1)
    if not 0 <= k < len(paras) or k == here:
        return None
    a, b = paras[k]
    return text[a:b]



def same_act(local_text: str, local_pos: int, upper_text: str, upper_pos: int) -> bool | None:
    """Whether what stands at `local_pos` and at `upper_pos` is about the same act; None when either names no
    paragraph of its article (nothing to tell)."""
    mine = act(local_text, local_pos)
    theirs = act(upper_text, upper_pos) if mine is not None else None
    if mine is None or theirs is None:
        return None
    a, b = bigrams(re.sub(r"\s", "", mine)), bigrams(re.sub(r"\s", "", theirs))
    return len(a & b) / max(1, min(len(a), len(b))) >= ACT_SAME
