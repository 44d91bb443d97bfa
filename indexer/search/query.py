"""What a query asks for, read against the store: thesaurus words, places it names, the 文号 it quotes, which of
its words carry a match and how much of it the best keyword hits explain."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from indexer.keywords import DOC_NUMBER_RE, normalise_doc_number
from indexer.store.base import ClauseStore, Ranked

RARE_SHARE = 0.05  # a query word found in more than this share of clauses is too common to mark or expand with


def idf_weights(store: ClauseStore, words: Sequence[str]) -> dict[str, float]:
    """BM25's IDF of each word over the store's clauses (how much finding that word says)."""
    df = store.document_frequency(words)
    n = max(1, len(store))
    return {t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in words}


class QueryReader:
    """Reads queries against one store; caches what it learns about the store (places, 文号 owners)."""

    def __init__(self, store: ClauseStore, tokenizer: Callable[[str], list[str]], bare: set[int] | frozenset[int]):
        self.store = store
        self.tokenizer = tokenizer
        self._bare = bare
        self._places: list[tuple[str, str]] | None = None
        self._numbers: list[tuple[str, int]] | None = None

    def keyword_coverage(self, tokens: Sequence[str], ranked: Ranked, top: int = 3) -> float:
        """How much of the query the best keyword hits explain: the largest IDF-weighted share of the query's
        words that one of the top hits holds. An everyday query whose words the documents do not use (罚多少,
        养狗要办证吗) gets weak keyword evidence, and fusion trusts it that much less."""
        words = [t for t in dict.fromkeys(tokens) if t.strip()]
        if not words or not ranked:
            return 0.0
        idf = idf_weights(self.store, words)
        total = sum(idf.values()) or 1.0
        best = 0.0
        for row, _ in ranked[:top]:
            held = set(self.tokenizer(self.store.text(row)))
            best = max(best, sum(w for t, w in idf.items() if t in held) / total)
        return best

    def places(self) -> list[tuple[str, str]]:
        """(name, full region name) of every indexed document's region and province, with the stem of each
        (宁波 → 宁波市), longest name first."""
        if self._places is None:
            names: dict[str, str] = {}
            for d in self.store.documents():
                for full in (d.meta.region, d.meta.province):
                    if len(full) >= 2:
                        names[full] = full
                        stem = full.rstrip("市省区县")
                        if len(stem) >= 2:
                            names.setdefault(stem, full)
            self._places = sorted(names.items(), key=lambda x: -len(x[0]))
        return self._places

    def places_named(self, query: str) -> list[str]:
        """Regions of indexed documents that the query names (宁波 → 宁波市), most specific only."""
        found, rest = [], query
        for name, full in self.places():
            if name in rest and full not in found:
                found.append(full)
                rest = rest.replace(name, " ")
        return found

    def expand(self, query: str, tokens: Sequence[str]) -> list[str]:
        """The query's tokens plus those of the thesaurus terms it calls for (专精特新 → 专业化…, 发钱 → 补贴).
        Always expands: the engine decides whether to ask (Engine.use_thesaurus)."""
        from indexer import thesaurus

        extra = [t for term in thesaurus.load().expand(query) for t in self.tokenizer(term) if t not in tokens]
        if not extra:
            return list(tokens)
        # only the informative words of a term: 工业机器人 brings 机器人-like evidence, not 工业 or 服务
        df = self.store.document_frequency(extra)
        n = max(1, len(self.store))
        extra = [t for t in extra if 0 < df.get(t, 0) <= RARE_SHARE * n]
        return list(dict.fromkeys([*tokens, *extra]))

    def marked_terms(self, tokens: Sequence[str]) -> list[str]:
        """The query words worth marking in a hit: the rare ones (a word in more than RARE_SHARE of all clauses,
        such as 企业 or 支持, carries no match); when every word is common, the rarest one; 文号 always."""
        df = self.store.document_frequency(tokens)
        n = max(1, len(self.store))
        known = {t: f for t, f in df.items() if f > 0}
        rare = [t for t, f in known.items() if f / n <= RARE_SHARE or DOC_NUMBER_RE.fullmatch(t)]
        if not rare and known:
            rare = [min(known, key=lambda t: (known[t], -len(t)))]
        return rare

    def doc_number_owners(self, query: str, rows: np.ndarray | None, exact: bool = False) -> Ranked:
        """The first clause of each document whose own 文号 appears in the query (within the filter).

        exact: the query must be the 文号 itself (phrase mode promises the wording, not the metadata).
        """
        if not any(ch.isdigit() for ch in query):
            return []
        q = normalise_doc_number(query)
        owners = [first for number, first in self._numbered_documents() if (q == number if exact else number in q)]
        if owners and rows is not None:
            allowed = set(rows.tolist())
            owners = [r for r in owners if r in allowed]
        return [(r, 1.0) for r in owners]

    def _numbered_documents(self) -> list[tuple[str, int]]:
        """(normalised 文号, first answerable row) of every document that has a number of its own."""
        if self._numbers is None:
            out = []
            for d in self.store.documents():
                if not d.meta.doc_number:
                    continue
                rows = [int(r) for r in self.store.rows_of_document(d.doc_id) if int(r) not in self._bare]
                if rows:
                    out.append((normalise_doc_number(d.meta.doc_number), rows[0]))
            self._numbers = out
        return self._numbers
