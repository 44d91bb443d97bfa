"""Policy-instrument tags: each clause gets the supply / demand / environment tools its wording names.

The tags, their definitions and the literature each comes from are in `instrument_codebook.json`; the tagger
is the codebook's word patterns (a clause gets a tag when one `include` pattern matches and no `exclude`
pattern does). Pure: text in, tags out. Agreement with hand labels is measured by
`benchmarks/bench_instruments.py` on a held-out half of `benchmarks/instrument_labels.json`.
"""
from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.labels import NO_LEVEL, date_words, region_words
from indexer.models import Document

CODEBOOK = Path(__file__).with_name("instrument_codebook.json")


@dataclass(frozen=True)
class Instrument:
    tag: str  # 资金
    english: str
    category: str  # supply | demand | environment
    source: str
    definition: str
    include: tuple[re.Pattern, ...]
    exclude: tuple[re.Pattern, ...]

    def matches(self, text: str) -> bool:
        return any(p.search(text) for p in self.include) and not any(p.search(text) for p in self.exclude)


@dataclass(frozen=True)
class Codebook:
    instruments: tuple[Instrument, ...]
    categories: dict
    note: str = ""  # where the taxonomy comes from

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(i.tag for i in self.instruments)

    def category(self, tag: str) -> str:
        return next(i.category for i in self.instruments if i.tag == tag)

    def check(self, tags: Iterable[str]) -> tuple[str, ...]:
        """The tags as given, refusing unknown ones with the list of known ones."""
        from indexer.errors import PolicyError

        tags = tuple(t.strip() for t in tags if t.strip())
        bad = [t for t in tags if t not in self.tags]
        if bad:
            raise PolicyError(f"未知的政策工具标签 / unknown instrument tag {'、'.join(bad)}: one of {'、'.join(self.tags)}")
        return tags


def load_codebook(path: str | Path = CODEBOOK) -> Codebook:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for t in raw["tags"]:
        out.append(Instrument(t["tag"], t["english"], t["category"], t["source"], t["definition"],
                              tuple(re.compile(p) for p in t.get("include", ())),
                              tuple(re.compile(p) for p in t.get("exclude", ()))))
    return Codebook(tuple(out), raw["categories"], raw.get("note", ""))


@functools.lru_cache(maxsize=1)
def default_codebook() -> Codebook:
    return load_codebook()


def _clean(text: str) -> str:
    # a clause's own enumerations count; the numbering and the spacing do not
    return re.sub(r"\s+", "", text)


def tag_text(text: str, codebook: Codebook | None = None) -> tuple[str, ...]:
    """The instrument tags of one text, in codebook order."""
    cb = codebook or default_codebook()
    t = _clean(text)
    return tuple(i.tag for i in cb.instruments if i.matches(t))


def tag_documents(docs: Sequence[Document], codebook: Codebook | None = None) -> dict[str, tuple[str, ...]]:
    """clause id → tags, for every clause of these documents."""
    return {c.clause_id: tag_text(c.text, codebook) for d in docs for c in d.clauses}


# ---------------------------------------------------------------- filter and facets

def clauses_with(docs: Sequence[Document], tags: Sequence[str], *, every: bool = False,
                 codebook: Codebook | None = None) -> list[tuple[str, str, tuple[str, ...]]]:
    """(doc_id, clause_id, tags) of the clauses carrying any (or every) of `tags`."""
    want = set((codebook or default_codebook()).check(tags))
    out = []
    for d in docs:
        for c in d.clauses:
            got = tag_text(c.text, codebook)
            if (want <= set(got)) if every else (want & set(got)):
                out.append((d.doc_id, c.clause_id, got))
    return out


def filter_hits(hits: Sequence, tags: Sequence[str], codebook: Codebook | None = None) -> list:
    """Search hits whose clause carries any of `tags` (the instrument filter on top of any search)."""
    want = set((codebook or default_codebook()).check(tags))
    return [h for h in hits if want & set(tag_text(h.text, codebook))]


FACETS = ("document", "region", "year", "level")


def _facet_key(doc: Document, by: str) -> str:
    m = doc.meta
    if by == "document":
        return doc.doc_id
    if by == "region":
        return region_words(m.region or m.province)
    if by == "year":
        return date_words(m.date, year=True)
    if by == "level":
        return m.level or NO_LEVEL  # the code (JSON keeps codes); people read it through labels.level_words
    raise ValueError(by)


def facet_counts(docs: Sequence[Document], by: str = "document",
                 codebook: Codebook | None = None) -> dict[str, Counter]:
    """Clauses per tag for each document, region, year or level: {key: Counter(tag → clauses)}."""
    if by not in FACETS:
        from indexer.errors import PolicyError

        raise PolicyError(f"未知的分面 / unknown facet {by!r}: one of {', '.join(FACETS)}")
    out: dict[str, Counter] = {}
    for d in docs:
        cnt = out.setdefault(_facet_key(d, by), Counter())
        for c in d.clauses:
            cnt.update(tag_text(c.text, codebook))
    return out


# ---------------------------------------------------------------- agreement

@dataclass(frozen=True)
class Agreement:
    tag: str
    support: int  # labelled clauses with the tag
    predicted: int
    true_positive: int

    @property
    def precision(self) -> float | None:
        return self.true_positive / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.true_positive / self.support if self.support else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


def agreement(examples: Sequence[tuple[str, Sequence[str]]], codebook: Codebook | None = None) -> list[Agreement]:
    """Per-tag agreement of the tagger with labels: examples are (text, labelled tags)."""
    cb = codebook or default_codebook()
    pred = [set(tag_text(t, cb)) for t, _ in examples]
    gold = [set(g) for _, g in examples]
    return [Agreement(tag, sum(tag in g for g in gold), sum(tag in p for p in pred),
                      sum(tag in p and tag in g for p, g in zip(pred, gold, strict=True))) for tag in cb.tags]


def macro_f1(rows: Sequence[Agreement]) -> float:
    """Mean F1 over the tags that occur in the labels (a tag never labelled has no recall to average)."""
    f = [r.f1 if r.f1 is not None else 0.0 for r in rows if r.support]
    return sum(f) / len(f) if f else 0.0
