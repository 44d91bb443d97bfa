"""The policy thesaurus: abbreviations ↔ full names and everyday ↔ formal terms the keyword side expands with."""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from indexer.keywords import fold_width

THESAURUS = Path(__file__).with_name("policy_thesaurus.txt")


@dataclass(frozen=True)
class Rule:
    """When any term of `when` stands in the query, the terms of `add` are looked for too."""

    when: tuple[str, ...]
    add: tuple[str, ...]


def parse(lines: Iterable[str]) -> list[Rule]:
    """Rules of a thesaurus file: "a, b, c" (equivalent) or "a, b => c, d" (one way); # starts a comment."""
    rules = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        left, arrow, right = line.partition("=>")
        terms = [t for t in (x.strip() for x in left.replace("，", ",").split(",")) if t]
        if arrow:
            adds = [t for t in (x.strip() for x in right.replace("，", ",").split(",")) if t]
            if terms and adds:
                rules.append(Rule(tuple(terms), tuple(adds)))
        elif len(terms) > 1:
            rules.append(Rule(tuple(terms), tuple(terms)))
    return rules


@dataclass(frozen=True)
class _Compiled:
    """A rule with its terms folded once: Chinese triggers as strings, Latin ones as one whole-word pattern."""

    han: tuple[str, ...]
    latin: re.Pattern | None
    add: tuple[tuple[str, str], ...]  # (term, folded term)

    @classmethod
    def of(cls, rule: Rule) -> _Compiled:
        when = [fold_width(t, lower=True) for t in rule.when]
        latin = [t for t in when if t.isascii()]
        pattern = (re.compile(rf"(?<![a-z0-9])(?:{'|'.join(map(re.escape, latin))})(?![a-z0-9])") if latin
                   else None)
        return cls(tuple(t for t in when if not t.isascii()), pattern,
                   tuple((t, fold_width(t, lower=True)) for t in rule.add))

    def fires(self, query: str) -> bool:
        """Chinese terms match inside the folded query; Latin ones as whole words (AI is not in "chain")."""
        return any(t in query for t in self.han) or (self.latin is not None and self.latin.search(query) is not None)


@dataclass(frozen=True)
class Thesaurus:
    rules: tuple[Rule, ...]
    _compiled: tuple[_Compiled, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_compiled", tuple(_Compiled.of(r) for r in self.rules))

    def expand(self, query: str) -> list[str]:
        """Terms to look for besides the query's own words (none that the query already holds)."""
        q = fold_width(query, lower=True)
        out: dict[str, None] = {}
        for rule in self._compiled:
            if rule.fires(q):
                for t, folded in rule.add:
                    if folded not in q:
                        out[t] = None
        return list(out)


def files() -> list[Path]:
    """The shipped thesaurus, then any named by $POLICY_THESAURUS."""
    extra = [Path(p) for p in os.environ.get("POLICY_THESAURUS", "").split(os.pathsep) if p.strip()]
    return [THESAURUS, *extra]


@lru_cache(maxsize=8)
def _load(paths: tuple[Path, ...], stamps: tuple) -> Thesaurus:
    rules: list[Rule] = []
    for p in paths:
        try:
            rules += parse(p.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError):
            continue  # a missing or unreadable user file must not stop search
    return Thesaurus(tuple(rules))


def load() -> Thesaurus:
    paths = tuple(files())
    stamps = tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in paths)
    return _load(paths, stamps)
