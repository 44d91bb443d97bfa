"""How hybrid search combines its signals' rankings into one."""
from __future__ import annotations

from dataclasses import dataclass

from indexer.store.base import Ranked

RRF_K = 60  # reciprocal-rank-fusion constant (see evaluate.py: measured against alternatives)


@dataclass(frozen=True)
class Fusion:
    """How hybrid mode combines signals: "rrf" (Σ w/(k+rank)) or "minmax" (Σ w·min-max-normalised score)."""

    method: str = "rrf"
    k: int = RRF_K
    weights: tuple[tuple[str, float], ...] = ()

    def weight(self, name: str) -> float:
        return dict(self.weights).get(name, 1.0)


DEFAULT_FUSION = Fusion()


def fuse(rankings: dict[str, Ranked], fusion: Fusion | None = None) -> Ranked:
    """Combine per-signal rankings into one, best first (ties broken by row for determinism)."""
    fusion = fusion or DEFAULT_FUSION
    fused: dict[int, float] = {}
    for name, ranked in rankings.items():
        w = fusion.weight(name)
        if fusion.method == "minmax" and ranked:
            hi, lo = ranked[0][1], ranked[-1][1]
            for row, s in ranked:
                fused[row] = fused.get(row, 0.0) + w * ((s - lo) / (hi - lo) if hi > lo else 1.0)
        else:
            for r, (row, _) in enumerate(ranked, 1):
                fused[row] = fused.get(row, 0.0) + w / (fusion.k + r)
    return sorted(fused.items(), key=lambda x: (-x[1], x[0]))
