"""The best answer outside a search's filters, when it clearly outranks the best inside: a drafter who asks about 养犬
in 杭州 learns that 杭州 has no such rule in the library and that 丽水's is the closest, instead of reading 杭州's
residence-permit clauses as if they answered."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from indexer.filters import SearchFilters
from indexer.models import Hit

# The filtered best answer scores under this share of the unfiltered best (hybrid scores of one query are on one
# scale): 养狗要办证吗 in 杭州 scored 2.7 against 4.9 for 丽水's 养犬登记 (0.55); a region that holds the answer
# returns the unfiltered best itself.
ELSEWHERE_SHARE = 0.75


def better_elsewhere(search: Callable[..., Sequence[Hit]], query: str, hits: Sequence[Hit], mode: str,
                     filters: SearchFilters | None) -> Hit | None:
    """The unfiltered best hit when the search had filters and its own best (or nothing) falls clearly short of it;
    None otherwise. `search(query, k=, mode=)` is the library's unfiltered search."""
    if filters is None or filters.is_empty() or mode not in ("hybrid", "semantic"):
        return None
    top = search(query, k=1, mode=mode)
    if not top or top[0].low or top[0].score <= 0:
        return None
    best = top[0]
    if hits and (hits[0].clause_id == best.clause_id or hits[0].score >= ELSEWHERE_SHARE * best.score):
        return None
    return best
