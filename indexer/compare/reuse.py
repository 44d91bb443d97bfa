"""Text reuse across documents: near-verbatim passages with aligned character spans on both sides.

Seed and extend, as plagiarism detectors do: every document is reduced to its letters and digits
(punctuation, width and whitespace differences vanish, so a reprint with half-width commas still matches),
k-character shingles are indexed once, shared shingles between two documents are chained along their
diagonal (small edits only shift or break a chain briefly), and each chain is cut at clause boundaries on
both sides. Cost grows with the shared text, not with the square of the corpus.
"""
from __future__ import annotations

import bisect
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from indexer.models import Document

K = 10  # shingle length in normalised characters
MAX_GAP = 24  # a chain survives an edit of up to this many characters
MAX_DRIFT = 12  # … and insertions/deletions shifting it by up to this many
MAX_DOCS_PER_SHINGLE = 50  # shingles in more documents than this are boilerplate
MAX_PER_DOC = 4  # a shingle repeated more often inside one document is a formula, not a passage
MIN_SIMILARITY = 0.8
DEFAULT_MIN_CHARS = 20  # about one sentence


@dataclass(frozen=True)
class Side:
    doc_id: str
    clause_id: str | None
    start: int  # offsets into Document.text
    end: int
    text: str

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "clause_id": self.clause_id, "start": self.start, "end": self.end,
                "text": self.text}


@dataclass(frozen=True)
class ReusePair:
    a: Side
    b: Side
    similarity: float  # Indel similarity of the two normalised passages, 0–1
    chars: int  # normalised length of the shorter side

    def to_dict(self) -> dict:
        return {"a": self.a.to_dict(), "b": self.b.to_dict(), "similarity": round(self.similarity, 4),
                "chars": self.chars}


@dataclass
class _Norm:
    doc: Document
    text: str  # letters and digits only, NFKC
    pos: list[int]  # pos[i] = offset in doc.text of text[i]
    clause_starts: list[int]  # normalised offsets where each clause starts
    clause_ids: list[str]


def normalise(doc: Document) -> _Norm:
    chars, pos = [], []
    for i, ch in enumerate(doc.text):
        for c in unicodedata.normalize("NFKC", ch):
            if c.isalnum():
                chars.append(c.lower())
                pos.append(i)
    clauses = sorted(doc.clauses, key=lambda c: c.start)
    starts = [bisect.bisect_left(pos, c.start) for c in clauses]
    return _Norm(doc, "".join(chars), pos, starts, [c.clause_id for c in clauses])


def _clause_at(n: _Norm, i: int) -> int:
    return bisect.bisect_right(n.clause_starts, i) - 1


def _chains(seeds: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Group seed (i, j) positions into runs along near-constant diagonals."""
    chains: list[list[tuple[int, int]]] = []
    active: list[list[tuple[int, int]]] = []
    for i, j in sorted(seeds):
        placed = False
        for ch in active:
            li, lj = ch[-1]
            if 0 < i - li <= MAX_GAP and abs((i - j) - (li - lj)) <= MAX_DRIFT and j > lj:
                ch.append((i, j))
                placed = True
                break
        if not placed:
            ch = [(i, j)]
            active.append(ch)
            chains.append(ch)
        active = [c for c in active if i - c[-1][0] <= MAX_GAP]
    return chains


def _side(n: _Norm, lo: int, hi: int, clause: int) -> Side:
    start, end = n.pos[lo], n.pos[hi - 1] + 1
    cid = n.clause_ids[clause] if clause >= 0 else None
    return Side(n.doc.doc_id, cid, start, end, n.doc.text[start:end])


def _pairs_between(na: _Norm, nb: _Norm, seeds: list[tuple[int, int]], min_chars: int) -> list[ReusePair]:
    out = []
    for chain in _chains(seeds):
        groups: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        for i, j in chain:
            groups[(_clause_at(na, i), _clause_at(nb, j))].append((i, j))
        for (ca, cb), pts in groups.items():
            a_lo, b_lo = pts[0]
            a_hi, b_hi = pts[-1][0] + K, pts[-1][1] + K
            # a shingle may run past its clause; keep each side inside its clause
            if ca + 1 < len(na.clause_starts):
                a_hi = min(a_hi, na.clause_starts[ca + 1])
            if cb + 1 < len(nb.clause_starts):
                b_hi = min(b_hi, nb.clause_starts[cb + 1])
            a_lo, b_lo = max(a_lo, na.clause_starts[ca] if ca >= 0 else 0), max(b_lo, nb.clause_starts[cb] if cb >= 0 else 0)
            chars = min(a_hi - a_lo, b_hi - b_lo)
            if chars < min_chars:
                continue
            sim = fuzz.ratio(na.text[a_lo:a_hi], nb.text[b_lo:b_hi]) / 100
            if sim < MIN_SIMILARITY:
                continue
            out.append(ReusePair(_side(na, a_lo, a_hi, ca), _side(nb, b_lo, b_hi, cb), sim, chars))
    return out


def find_reuse(docs: Sequence[Document], min_chars: int = DEFAULT_MIN_CHARS) -> list[ReusePair]:
    """Passages of at least `min_chars` normalised characters shared near-verbatim by two documents.

    Each pair lies within one clause on each side (a reprinted list of 20 items gives 20 pairs); pairs
    come ordered by document pair, then by position in the first document.
    """
    norms = [normalise(d) for d in docs]
    index: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for d, n in enumerate(norms):
        for i in range(len(n.text) - K + 1):
            index[n.text[i:i + K]].append((d, i))
    seeds: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for occ in index.values():
        if len(occ) < 2:
            continue
        by_doc: dict[int, list[int]] = defaultdict(list)
        for d, i in occ:
            by_doc[d].append(i)
        if len(by_doc) < 2 or len(by_doc) > MAX_DOCS_PER_SHINGLE:
            continue
        if any(len(v) > MAX_PER_DOC for v in by_doc.values()):
            continue
        ds = sorted(by_doc)
        for x, da in enumerate(ds):
            for db in ds[x + 1:]:
                seeds[(da, db)].extend((i, j) for i in by_doc[da] for j in by_doc[db])
    out: list[ReusePair] = []
    for (da, db), s in sorted(seeds.items()):
        pairs = _pairs_between(norms[da], norms[db], s, min_chars)
        out.extend(sorted(pairs, key=lambda p: p.a.start))
    return out


def reuse_among(docs: Sequence[Document], keys: Sequence[str] = (), min_chars: int | None = None):
    """Reused passages among the library (or the documents named by `keys`), with the CLI's checks.

    Returns (min_chars, pairs)."""
    from indexer.errors import PolicyError
    from indexer.ingest.corpus import find_document

    if keys:
        docs = [find_document(list(docs), k) for k in keys]
        ids = [d.doc_id for d in docs]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise PolicyError(f"重复列出同一文件 {', '.join(twice)}，文件不与自身比较 / the same document is listed "
                              "twice: a document is not compared with itself")
        if len(docs) < 2:
            raise PolicyError("至少需要两个文件 / at least two documents are needed")
    min_chars = DEFAULT_MIN_CHARS if min_chars is None else min_chars
    if min_chars < 1:
        raise PolicyError("min_chars 须为正数 / min_chars must be positive")
    return min_chars, find_reuse(docs, min_chars=min_chars)
