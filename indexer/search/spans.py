"""Where in a clause the match lies: the spans a result card marks."""
from __future__ import annotations

from indexer.keywords import fold_width


def fuzzy_span(query: str, text: str) -> tuple[int, int] | None:
    """Where in `text` the near-verbatim wording of `query` lies (character offsets into `text`).

    rapidfuzz's best window can be off by a character when the query has a typo (超高清视屏 against
    …的超高清视频…: 的超高清视 and 超高清视频 score alike); among windows shifted or widened by up to two
    characters, the one closest by edit distance (a typo is one substitution) that starts and ends like the
    query and is as long as it wins.
    """
    from rapidfuzz import fuzz
    from rapidfuzz.distance import Levenshtein

    q, t = fold_width(query.strip(), lower=True), fold_width(text, lower=True)
    if not q or not t:
        return None
    al = fuzz.partial_ratio_alignment(q, t)
    if not al or al.dest_end <= al.dest_start:
        return None
    best, best_key = (al.dest_start, al.dest_end), None
    for ds in range(-2, 3):
        for de in range(-2, 3):
            s, e = max(0, al.dest_start + ds), min(len(t), al.dest_end + de)
            if e - s < 1:
                continue
            key = (Levenshtein.normalized_similarity(q, t[s:e]), (t[s] == q[0]) + (t[e - 1] == q[-1]),
                   -abs(e - s - len(q)), -abs(ds) - abs(de))
            if best_key is None or key > best_key:
                best, best_key = (s, e), key
    return best
