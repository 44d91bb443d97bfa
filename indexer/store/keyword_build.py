"""The next generation's keyword segments: rows of the live generation kept by the hash of their text, only new
texts tokenised (into one new segment), segments merged when they are many or mostly dead.

Tokens depend only on a clause's text and the tokenizer (its configuration, jieba's version, the user
dictionary): a previous generation tokenised with another tokenizer is not reused at all.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from indexer.store.keyword_segments import (
    KEYWORDS,
    KIND,
    SEGMENTS,
    Segment,
    save_generation,
    segment_from_postings,
)

MAX_SEGMENTS = 8  # above this many, every segment but the largest is merged into one
MIN_LIVE = 0.5  # a segment with fewer live rows than this share is rewritten without its dead rows


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class KeywordPlan:
    """The segments of a generation about to be written, and how they came about (for the build report)."""

    def __init__(self, segments: list[Segment], fresh: set[str], previous: Path | None, counts: dict):
        self.segments, self.fresh, self.previous, self.counts = segments, fresh, previous, counts

    def save(self, generation: Path) -> dict:
        """Write the keyword folder of a generation being written; returns what its manifest records."""
        return save_generation(generation / KEYWORDS, self.segments, self.fresh, self.previous)


def previous_segments(previous: Path | None, tokenizer: dict) -> list[Segment]:
    """The segments of the live generation when it was tokenised as now, with every row marked dead; [] when there
    are none to trust (another format or tokenizer, or a damaged file: the next build tokenises afresh)."""
    if previous is None:
        return []
    try:
        manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or (manifest.get("keywords") or {}).get("kind") != KIND or manifest.get("tokenizer") != tokenizer:
            return []
        listed = json.loads((previous / KEYWORDS / SEGMENTS).read_text(encoding="utf-8"))
        out = []
        for e in listed:
            out.append(Segment.load(previous / KEYWORDS / e["name"]))
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


def plan_keywords(texts: Sequence[str], previous: Path | None, tokenizer: dict,
         tokenize: Callable[[str], list[str]]) -> KeywordPlan:
    """Segments for these store rows (row i has texts[i]), reusing the previous generation's where it can."""
    keys = [text_key(t) for t in texts]
    old = previous_segments(previous, tokenizer)
    free: dict[bytes, list[tuple[int, int]]] = {}
    for s, seg in enumerate(old):
        for r, k in enumerate(seg.text_keys()):
            free.setdefault(k, []).append((s, r))
    for rows in free.values():
        rows.reverse()  # pop() takes the earliest
    anywhere = {k: rows[-1] for k, rows in free.items()}
    new_rows: list[int] = []
    for g, k in enumerate(keys):
        rows = free.get(k)
        if rows:
            s, r = rows.pop()
            old[s].live[r] = g
        else:
            new_rows.append(g)
    segments = [seg for seg in old if seg.n_live()]
    fresh: set[str] = set()
    copied = 0
    if new_rows:
        bags = []
        for g in new_rows:
            if keys[g] in anywhere:  # the same text, already tokenised (a repeated clause)
                bags.append(_bag_of(old, *anywhere[keys[g]]))
                copied += 1
            else:
                bags.append(Counter(tokenize(texts[g])))
        new = _segment_from_bags(bags, [keys[g] for g in new_rows], new_rows)
        segments.append(new)
        fresh.add(new.name)
    segments, merged = _merge_if_needed(segments)
    fresh |= {s.name for s in merged}
    counts = {"kept": len(texts) - len(new_rows), "tokenised": len(new_rows) - copied, "copied": copied,
              "merged": sum(s.n_live() for s in merged)}
    return KeywordPlan(segments, fresh, previous, counts)


def _bag_of(segments: list[Segment], s: int, r: int) -> Counter:
    seg = segments[s]
    at = np.flatnonzero(seg.rows == r)
    terms = seg.term_of_posting()[at]
    return Counter({seg.terms[t]: int(tf) for t, tf in zip(terms.tolist(), seg.tf[at].tolist(), strict=True)})


def _key_array(keys: Sequence[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(keys), np.uint8).reshape(-1, 16).copy()


_names = iter(range(10**9))


def _name() -> str:
    return f"seg-{time.time_ns():x}-{next(_names)}"


def _segment_from_bags(bags: Sequence[Counter], tkeys: Sequence[bytes], live: Sequence[int]) -> Segment:
    """A segment of rows given as term → count bags."""
    vocab: dict[str, int] = {}
    term_ids: list[int] = []
    rows: list[int] = []
    tf: list[int] = []
    for r, bag in enumerate(bags):
        for term, n in bag.items():
            term_ids.append(vocab.setdefault(term, len(vocab)))
            rows.append(r)
            tf.append(n)
    lengths = np.array([sum(b.values()) for b in bags], np.int32)
    return segment_from_postings(_name(), list(vocab), np.array(term_ids, np.int64), np.array(rows, np.int32),
                                 np.array(tf, np.float32), lengths, _key_array(tkeys),
                                 np.array(live, np.int32))


def _merge_if_needed(segments: list[Segment]) -> tuple[list[Segment], list[Segment]]:
    """(segments after merging, the merged segments made) under MAX_SEGMENTS and MIN_LIVE."""
    sparse = [s for s in segments if s.n_live() < MIN_LIVE * len(s)]
    many = sorted(segments, key=len)[:-1] if len(segments) > MAX_SEGMENTS else []
    chosen = {s.name: s for s in sparse + many}
    if not chosen or (len(chosen) == 1 and not sparse):
        return segments, []
    merged = merge(list(chosen.values()))
    return [s for s in segments if s.name not in chosen] + [merged], [merged]


def merge(segments: Sequence[Segment]) -> Segment:
    """One segment holding the live rows of these, in store-row order (dead rows dropped)."""
    vocab: dict[str, int] = {}
    parts_t, parts_r, parts_tf = [], [], []
    live_rows = np.concatenate([s.live[s.live >= 0] for s in segments])
    order = np.sort(live_rows)
    new_row_of_store = {int(g): i for i, g in enumerate(order.tolist())}
    lengths = np.zeros(len(order), np.int32)
    tkeys = np.zeros((len(order), 16), np.uint8)
    for seg in segments:
        ids = np.array([vocab.setdefault(t, len(vocab)) for t in seg.terms], np.int64)
        alive = np.flatnonzero(seg.live >= 0)
        target = np.array([new_row_of_store[int(g)] for g in seg.live[alive].tolist()], np.int64)
        row_map = np.full(len(seg), -1, np.int64)
        row_map[alive] = target
        lengths[target], tkeys[target] = seg.lengths[alive], seg.tkeys[alive]
        new_rows = row_map[seg.rows]
        keep = new_rows >= 0
        parts_t.append(ids[seg.term_of_posting()[keep]])
        parts_r.append(new_rows[keep])
        parts_tf.append(seg.tf[keep])
    term_ids = np.concatenate(parts_t)
    used, term_ids = np.unique(term_ids, return_inverse=True)  # terms only dead rows held are dropped
    terms = list(vocab)
    return segment_from_postings(_name(), [terms[t] for t in used.tolist()], term_ids, np.concatenate(parts_r),
                                 np.concatenate(parts_tf), lengths, tkeys, order.astype(np.int32))
