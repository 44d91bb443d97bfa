"""What an unrelated list item looks like: standard industry names and generic head words as a null for coverage."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

INDUSTRY_NAMES = Path(__file__).with_name("industry_names.txt")
# Heads of a name that say "some industry" and nothing more (低空经济, 会计服务, 现代服务业). Longest first, so
# 服务业 wins over 服务. Names ending in 产业 normally lose it in `coverage.core_name` already.
GENERIC_HEADS = ("服务业", "经济", "服务", "行业", "产业")


@functools.lru_cache(maxsize=1)
def industry_names() -> tuple[str, ...]:
    """The background vocabulary: GB/T 4754—2017 divisions (see industry_names.txt)."""
    lines = INDUSTRY_NAMES.read_text(encoding="utf-8").splitlines()
    return tuple(dict.fromkeys(s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")))


def vocabulary_z(cos_refs: np.ndarray, cos_vocab: np.ndarray) -> np.ndarray:
    """z-score of each target × reference cosine against the target's cosines to the background vocabulary.

    Row z-scores over the reference list always crown some reference item, even for a name that belongs to
    none of them; against ninety ordinary industry names, the crowned one of such a name is unremarkable.

    Args:
        cos_refs: targets × references cosines.
        cos_vocab: targets × vocabulary cosines (the same kind of cosine).
    """
    if cos_vocab.shape[1] < 2:
        return np.zeros_like(cos_refs)
    sd = cos_vocab.std(axis=1, keepdims=True)
    return (cos_refs - cos_vocab.mean(axis=1, keepdims=True)) / np.where(sd > 1e-9, sd, 1.0)


def generic_head(name: str) -> str | None:
    """The generic head word a name ends in (低空经济 → 经济), None when it has none or is nothing else."""
    return next((h for h in GENERIC_HEADS if name.endswith(h) and len(name) > len(h)), None)


def head_explained(names: Sequence[str], zname: np.ndarray,
                   head_z: Callable[[str], np.ndarray]) -> np.ndarray:
    """How much of each name's z-score against a reference item its bare generic head word already earns.

    e5 puts the word 经济 alone nearest 新能源 among the provincial clusters, and 服务 nearest 软件与信息服务,
    so every 某某经济 or 某某服务 leans to those items whatever its own words say. The part of the pair's
    z-score that the head earns on its own, min(z(name), z(head)) clipped at 0, is not evidence of a match.

    Args:
        names: the target names (core names, as embedded for `zname`).
        zname: targets × references name z-scores.
        head_z: a head word → its row of name z-scores against the same references.
    """
    out = np.zeros_like(zname)
    for i, name in enumerate(names):
        head = generic_head(name)
        if head:
            out[i] = np.clip(np.minimum(zname[i], head_z(head)), 0.0, None)
    return out
