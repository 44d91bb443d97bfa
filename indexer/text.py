"""Small text measures shared by the comparison modules."""
from __future__ import annotations


def bigrams(s: str) -> set[str]:
    """The character bigrams of `s`; a one-character string is its own bigram, an empty one has none."""
    return {s[k:k + 2] for k in range(len(s) - 1)} or ({s} if s else set())
