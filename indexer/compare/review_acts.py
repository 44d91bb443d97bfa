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
