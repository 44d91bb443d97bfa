"""BM25 over immutable keyword segments: term statistics summed over the live rows of every segment at load time,
so the scores are exactly those of one index built from all clauses, and a build adds or drops documents by
writing a small segment and a new row map instead of re-tokenising the library.

A segment (keywords/<name>/ in a generation) holds postings by term (CSC: indptr, rows, tf), each row's token
count and a hash of its text. The generation adds, per segment, `<name>.live.npy`: the store row each segment
row stands for, -1 for a row no longer in the library. A later generation hard-links the segment files it keeps.
The arithmetic follows bm25s (Lucene idf, Robertson tf part, float32 per-posting scores added term by term), so
the ranks of the previous index format are reproduced.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.keywords import BM25_B, BM25_K1, KeywordIndex, weighted_scores

KEYWORDS = "keywords"  # the folder of a generation that holds the segments
SEGMENTS = "segments.json"
SEGMENT_FILES = ("terms.json", "indptr.npy", "rows.npy", "tf.npy", "lengths.npy", "tkeys.npy")
KIND = "segments"


@dataclass
class Segment:
    """One segment's postings; `live` maps its rows to store rows (-1: not in this generation)."""

    name: str
    terms: list[str]
    indptr: np.ndarray  # int64, len(terms) + 1
    rows: np.ndarray  # int32, a posting's segment row
    tf: np.ndarray  # float32, a posting's term frequency
    lengths: np.ndarray  # int32, tokens per segment row
    tkeys: np.ndarray  # uint8 (n, 16): hash of each row's text
    live: np.ndarray  # int32, store row of each segment row or -1

    def __post_init__(self):
        self.term_id = {t: i for i, t in enumerate(self.terms)}

    def __len__(self) -> int:
        return len(self.lengths)

    def n_live(self) -> int:
        return int(np.count_nonzero(self.live >= 0))

    def text_keys(self) -> list[bytes]:
        raw = self.tkeys.tobytes()
        return [raw[i:i + 16] for i in range(0, len(raw), 16)]

    def term_of_posting(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.terms), dtype=np.int32), np.diff(self.indptr))

    def save(self, folder: Path) -> None:
        """Write the segment's own files (never its live map: that belongs to a generation)."""
        folder.mkdir(parents=True)
        (folder / "terms.json").write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")
        for name in ("indptr", "rows", "tf", "lengths", "tkeys"):
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, live: np.ndarray | None = None) -> Segment:
        """A saved segment with this live map (None: every row dead, for a build to claim)."""
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        arrays = {n: np.load(folder / f"{n}.npy", allow_pickle=False)
                  for n in ("indptr", "rows", "tf", "lengths", "tkeys")}
        if live is None:
            live = np.full(len(arrays["lengths"]), -1, np.int32)
        seg = cls(folder.name, terms, live=live, **arrays)
        seg.check()
        return seg

    def check(self) -> None:
        """Refuse arrays that do not fit together (a damaged or hand-edited file)."""
        n, p = len(self.lengths), len(self.rows)
        if not (isinstance(self.terms, list) and self.indptr.ndim == 1 and len(self.indptr) == len(self.terms) + 1
                and self.indptr[0] == 0 and self.indptr[-1] == p and bool(np.all(np.diff(self.indptr) >= 0))
                and len(self.tf) == p and self.tkeys.shape == (n, 16)
                and len(self.live) == n and (p == 0 or (0 <= self.rows.min() and self.rows.max() < n))):
            raise ValueError(f"segment {self.name}: arrays of inconsistent sizes")


def segment_from_postings(name: str, terms: list[str], term_ids: np.ndarray, rows: np.ndarray, tf: np.ndarray,
                          lengths: np.ndarray, tkeys: np.ndarray, live: np.ndarray) -> Segment:
    """A segment from postings in any order (term ids index `terms`, rows index `lengths`)."""
    order = np.lexsort((rows, term_ids))
    counts = np.bincount(term_ids, minlength=len(terms)) if len(term_ids) else np.zeros(len(terms), np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Segment(name, terms, indptr, rows[order].astype(np.int32), tf[order].astype(np.float32),
                   np.asarray(lengths, np.int32), np.asarray(tkeys, np.uint8).reshape(-1, 16), np.asarray(live, np.int32))


class SegmentedKeywords:
    """BM25 scores of every store row, from the live rows of all segments (the KeywordIndex interface)."""

    def __init__(self, segments: Sequence[Segment], n_docs: int, k1: float = BM25_K1, b: float = BM25_B):
        self.segments = list(segments)
        self.n_docs = n_docs
        total = sum(int(s.lengths[s.live >= 0].sum()) for s in self.segments)
        avgdl = np.float64(total) / n_docs if n_docs else np.float64(1.0)  # as bm25s: np.mean of the lengths
        self._norm = [k1 * ((1 - b) + b * s.lengths.astype(np.int64) / avgdl) for s in self.segments]
        self._maps = [_store_map(s) for s in self.segments]
        self._ascending = [bool(np.all(np.diff(s.live[s.live >= 0]) > 0)) for s in self.segments]  # live rows keep order

    @classmethod
    def load(cls, folder: Path, n_docs: int) -> SegmentedKeywords:
        listed = json.loads((folder / SEGMENTS).read_text(encoding="utf-8"))
        segments = [Segment.load(folder / e["name"], np.load(folder / f"{e['name']}.live.npy", allow_pickle=False))
                    for e in listed]
        rows = np.concatenate([s.live[s.live >= 0] for s in segments]) if segments else np.zeros(0, np.int32)
        if len(rows) != n_docs or (n_docs and not np.array_equal(np.bincount(rows, minlength=n_docs),
                                                                np.ones(n_docs, np.int64))):
            raise ValueError(f"keyword segments cover {len(rows)} rows, the store holds {n_docs}")
        return cls(segments, n_docs)

    def _spans(self, term: str) -> list[tuple[int, int, int]]:
        """(segment, first, end posting) of a term in each segment that knows it."""
        out = []
        for j, seg in enumerate(self.segments):
            t = seg.term_id.get(term)
            if t is not None and seg.indptr[t + 1] > seg.indptr[t]:
                out.append((j, int(seg.indptr[t]), int(seg.indptr[t + 1])))
        return out

    def _postings(self, term: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(store rows, tf, length norm) of the live postings of a term, per segment holding it."""
        out = []
        for j, a, b in self._spans(term):
            seg, to = self.segments[j], self._maps[j]
            rows, tf = seg.rows[a:b], seg.tf[a:b]
            if isinstance(to, int):
                to = rows + to if to else rows
            else:
                to = to[a:b]
                keep = to >= 0
                rows, tf, to = rows[keep], tf[keep], to[keep]
            if len(to):
                out.append((to, tf, self._norm[j][rows]))
        return out

    def _df(self, term: str) -> int:
        return sum(b - a if isinstance(self._maps[j], int) else int(np.count_nonzero(self._maps[j][a:b] >= 0))
                   for j, a, b in self._spans(term))

    def scores(self, tokens: Sequence[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 score of every store row for the query tokens (each distinct token once).

        Args:
            weights: token → weight for tokens that count less than 1 (e.g. thesaurus expansions).
        """
        if weights:
            return weighted_scores(tokens, weights, self.n_docs, self.scores)
        out = np.zeros(self.n_docs, dtype=np.float32)
        for term in dict.fromkeys(tokens):
            if not term:
                continue
            postings = self._postings(term)
            df = sum(len(r) for r, _, _ in postings)
            if not df:
                continue
            idf = np.float32(math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)))
            for rows, tf, norm in postings:  # float64 as bm25s computes it, float32 as it stores it
                norm += tf  # in place (norm is this call's own gathered copy): tf / (norm + tf) * idf
                np.divide(tf, norm, out=norm)
                norm *= idf
                out[rows] += norm.astype(np.float32)
        return out

    def document_frequency(self, tokens: Sequence[str]) -> dict[str, int]:
        """How many store rows hold each token (0 for tokens no live row holds)."""
        return {t: self._df(t) for t in dict.fromkeys(tokens)}

    def scores_at(self, tokens: Sequence[str], rows: Sequence[int]) -> np.ndarray:
        """`scores(tokens)[rows]`, computed for these rows only (the same float32 sums, term by term)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        for term in dict.fromkeys(tokens):
            if not term or not (df := self._df(term)):
                continue
            idf = np.float32(math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)))
            for j, a, b in self._spans(term):
                hit, at = self._find(j, a, b, rows)
                seg_rows, tf = self.segments[j].rows[at], self.segments[j].tf[at]
                out[hit] += (idf * (tf / (self._norm[j][seg_rows] + tf))).astype(np.float32)
        return out

    def _find(self, j: int, a: int, b: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of `rows` segment j's postings a…b (one term's) hold, and the posting of each of those."""
        to = self._maps[j]
        if isinstance(to, int):  # postings ascend by segment row, so by store row
            keys, want, pos = self.segments[j].rows[a:b], rows - to, None
        else:
            st = to[a:b]
            pos = np.flatnonzero(st >= 0)
            keys, want = st[pos], rows
            if not self._ascending[j]:
                order = np.argsort(keys, kind="stable")
                keys, pos = keys[order], pos[order]
        if not len(keys):
            return np.zeros(len(rows), bool), np.zeros(0, np.int64)
        at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
        hit = keys[at] == want
        return hit, a + (at[hit] if pos is None else pos[at[hit]])


def _store_map(seg: Segment) -> int | np.ndarray:
    """How a segment's postings find their store rows: an offset when its live rows are one ascending run (a
    segment written whole by a build), else each posting's store row (-1 when dead)."""
    live = seg.live
    if len(live) and live[0] >= 0 and np.array_equal(live, np.arange(live[0], live[0] + len(live), dtype=live.dtype)):
        return int(live[0])
    return live[seg.rows]


def load_keywords(generation: Path, manifest: dict, n: int) -> KeywordIndex | SegmentedKeywords:
    """A generation's keyword index: segments, or the one bm25s index of generations written before them."""
    if (manifest.get("keywords") or {}).get("kind") == KIND:
        return SegmentedKeywords.load(generation / KEYWORDS, n)
    return KeywordIndex.load(generation / "bm25", n)


def save_generation(folder: Path, segments: Sequence[Segment], fresh: set[str], previous: Path | None) -> dict:
    """Write a generation's keyword folder: fresh segments written, kept ones hard-linked from `previous`, every
    live map written. Returns what the manifest records."""
    import os
    import shutil
    folder.mkdir(parents=True)
    for seg in segments:
        if seg.name in fresh:
            seg.save(folder / seg.name)
        else:
            (folder / seg.name).mkdir()
            for f in SEGMENT_FILES:
                src, dst = previous / KEYWORDS / seg.name / f, folder / seg.name / f
                try:
                    os.link(src, dst)  # segments are immutable: sharing the file costs nothing
                except OSError:
                    shutil.copy2(src, dst)
        np.save(folder / f"{seg.name}.live.npy", seg.live.astype(np.int32), allow_pickle=False)
    listed = [{"name": s.name, "rows": len(s), "live": s.n_live(), "postings": len(s.rows)} for s in segments]
    (folder / SEGMENTS).write_text(json.dumps(listed, indent=1), encoding="utf-8")
    return {"kind": KIND, "segments": listed}
