"""A result as users see it: one clause with its document's metadata, where each signal ranked it, and the spans
its card marks."""
from __future__ import annotations

from collections.abc import Sequence

from indexer.keywords import highlight_spans
from indexer.models import Hit
from indexer.search.spans import fuzzy_span
from indexer.store.base import ClauseStore, Ranked


def signal_ranks(row: int, rankings: dict[str, Ranked]) -> dict[str, dict]:
    """Each signal that found the row: its rank and score there."""
    signals = {}
    for name, ranked in rankings.items():
        for i, (rr, s) in enumerate(ranked, 1):
            if rr == row:
                signals[name] = {"rank": i, "score": round(float(s), 6)}
                break
    return signals


def marks(text: str, tokens: Sequence[str], phrase: str | None, fuzzy_query: str | None) -> list:
    """The spans to mark: the phrase's occurrences, the near-verbatim wording of a fuzzy query, else the words."""
    if phrase is not None:
        return highlight_spans(text, [phrase])
    if fuzzy_query is not None:
        span = fuzzy_span(fuzzy_query, text)
        return highlight_spans(text, [text[span[0]:span[1]]]) if span else []  # every occurrence
    return highlight_spans(text, tokens)


def make_hit(store: ClauseStore, rank: int, row: int, score: float, rankings: dict[str, Ranked],
             tokens: Sequence[str], phrase: str | None, fuzzy_query: str | None) -> Hit:
    """The Hit of one row at one rank."""
    c = store.clause(row)
    m = store.document_of(row).meta
    text = c.text
    return Hit(rank=rank, score=float(score), doc_id=c.doc_id, title=m.title, region=m.region,
               province=m.province, level=m.level, date=m.date, status=m.status, clause_id=c.clause_id,
               section=" › ".join(c.section), section_path=tuple(c.section), text=text, start=c.start,
               end=c.end, page=c.page, highlights=tuple(marks(text, tokens, phrase, fuzzy_query)),
               signals=signal_ranks(row, rankings), doc_number=m.doc_number)
