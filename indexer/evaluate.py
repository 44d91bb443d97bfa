"""Retrieval evaluation on a query set ([{"q": …, "needles": […]}]): Recall@1, Recall@5, MRR@10 per mode."""
from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import PolicyError
from indexer.search import Engine, Fusion, Hit

DEFAULT_MODES = ("hybrid", "semantic", "keyword", "hybrid+fuzzy", "phrase", "fuzzy")


@dataclass(frozen=True)
class EvalQuery:
    q: str
    needles: tuple[str, ...]


def load_queries(path: str | Path) -> list[EvalQuery]:
    """A query set: a JSON list of {"q": query, "needles": [substrings a relevant clause contains]}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [EvalQuery(d["q"], tuple(d["needles"])) for d in data]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PolicyError(f"无法读取查询集 / cannot read query set {path}: {exc}") from exc


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def is_relevant(text: str, needles: Sequence[str]) -> bool:
    """A hit is relevant when its text contains one of the needles (full/half-width punctuation alike)."""
    return any(n in text or _norm(n) in _norm(text) for n in needles)


def first_relevant_rank(hits: Sequence[Hit], needles: Sequence[str]) -> int | None:
    for i, h in enumerate(hits, 1):
        if is_relevant(h.text, needles):
            return i
    return None


def metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """Recall@1, Recall@5 (share of queries with a relevant hit in the top k) and MRR@10."""
    n = len(ranks) or 1
    return {"R@1": sum(1 for r in ranks if r is not None and r <= 1) / n,
            "R@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
            "MRR@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n}


def run_mode(engine: Engine, queries: Sequence[EvalQuery], mode: str, fusion: Fusion | None = None) -> dict:
    """Metrics of one mode ("hybrid+fuzzy" fuses the fuzzy signal too), with each query's first relevant rank.

    fusion: None measures the engine's own default (its adaptive keyword weight); a Fusion forces that one.
    """
    base, _, extra = mode.partition("+")
    ranks = [first_relevant_rank(engine.search(q.q, k=10, mode=base, fuzzy=extra == "fuzzy", fusion=fusion),
                                 q.needles) for q in queries]
    return {"mode": mode, **metrics(ranks), "ranks": ranks}


def evaluate(engine: Engine, queries: Sequence[EvalQuery], modes: Sequence[str] = DEFAULT_MODES) -> list[dict]:
    return [run_mode(engine, queries, m) for m in modes]


def compare_fusions(engine: Engine, queries: Sequence[EvalQuery]) -> list[dict]:
    """Hybrid with different fusion settings, to choose the default by measurement."""
    variants = {"rrf k=60": Fusion(), "rrf k=20": Fusion(k=20), "rrf k=10": Fusion(k=10),
                "rrf k=60 sem×2": Fusion(weights=(("semantic", 2.0),)),
                "rrf k=60 kw×2": Fusion(weights=(("keyword", 2.0),)),
                "minmax": Fusion(method="minmax"), "minmax sem×2": Fusion(method="minmax",
                                                                           weights=(("semantic", 2.0),))}
    return [{**run_mode(engine, queries, "hybrid", f), "mode": name} for name, f in variants.items()]


def format_table(results: Sequence[dict], queries: Sequence[EvalQuery] | None = None) -> str:
    """Modes side by side: one row per metric, then (optionally) each query's first relevant rank."""
    names = [r["mode"] for r in results]
    width = max(12, *(len(n) + 2 for n in names))
    lines = ["metric".ljust(10) + "".join(n.rjust(width) for n in names)]
    for m in ("R@1", "R@5", "MRR@10"):
        lines.append(m.ljust(10) + "".join(f"{r[m]:.3f}".rjust(width) for r in results))
    if queries:
        lines.append("")
        lines.append("first relevant rank per query (- = not in top 10):")
        for i, q in enumerate(queries):
            cells = "".join(str(r["ranks"][i] or "-").rjust(width) for r in results)
            lines.append(f"  {q.q[:24]:<24}"[:26].ljust(10) + cells)
    return "\n".join(lines)
