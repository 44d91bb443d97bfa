"""Texts embedded outside a build (list items, the industry vocabulary, pasted drafts), kept on disk per embedder so
a new process does not embed them again: the coverage page's first visit spent ~3.7 s re-embedding the same
reference items and vocabulary in every process.

$POLICY_EMBED_MEMO names the folder (`off`: none; default: the model cache's `memo/`), one sub-folder per embedder
name and dimension. Each save is one .npz chunk (hashes of kind + text, unit vectors) written atomically; chunks
beyond MAX_BYTES go oldest first, and an unreadable chunk is a miss.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.cache_files import load_arrays, save_arrays

ENV = "POLICY_EMBED_MEMO"
MAX_BYTES = 64 * 2**20  # ~40k vectors of 384 floats
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def memo_dir(embedder_name: str, dim: int) -> Path | None:
    env = os.environ.get(ENV, "")
    if env.lower() == "off":
        return None
    if env:
        root = Path(env).expanduser()
    else:
        from indexer.embed.convert import cache_root
        root = cache_root() / "memo"
    return root / f"{_SLUG.sub('_', embedder_name)[-80:]}-{dim}"


def text_key(kind: str, text: str) -> bytes:
    """kind is 'p' (passage) or 'q' (query): the two are embedded differently."""
    return hashlib.blake2b(f"{kind}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()


class DiskMemo:
    """Unit vectors by text key for one embedder, read once from its folder, new ones added as chunks."""

    def __init__(self, embedder_name: str, dim: int):
        self.folder = memo_dir(embedder_name, dim)
        self.dim = dim
        self._known: dict[bytes, np.ndarray] | None = None

    def get(self, key: bytes) -> np.ndarray | None:
        if self._known is None:
            self._known = self._load()
        return self._known.get(key)

    def _load(self) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        for chunk in self._chunks():
            arrays = load_arrays(chunk)
            if arrays is None or set(arrays) != {"keys", "vectors"}:
                continue
            keys, vecs = arrays["keys"], arrays["vectors"]
            if keys.dtype == np.dtype("S16") and vecs.shape == (len(keys), self.dim):
                out.update(zip(keys.tolist(), vecs, strict=True))
        return out

    def _chunks(self) -> list[Path]:
        if self.folder is None or not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.npz"))  # names start with the time: oldest first

    def add(self, keys: Sequence[bytes], vectors: Sequence[np.ndarray]) -> None:
        if self.folder is None or not keys:
            return
        if self._known is not None:
            self._known.update(zip(keys, vectors, strict=True))
        name = f"{time.time_ns():020d}-{os.getpid()}.npz"
        save_arrays(self.folder / name, keys=np.array(list(keys), dtype="S16"),
                    vectors=np.asarray(np.vstack(vectors), dtype=np.float32))
        self._trim()

    def _trim(self) -> None:
        chunks = self._chunks()
        sizes = [c.stat().st_size if c.exists() else 0 for c in chunks]
        total = sum(sizes)
        for chunk, size in zip(chunks, sizes, strict=True):
            if total <= MAX_BYTES:
                break
            chunk.unlink(missing_ok=True)
            total -= size
