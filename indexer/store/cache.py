"""Vectors embedded by a build that has not finished yet, saved in chunks so a killed build loses little."""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CACHE = "cache"

_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


class VectorCache:
    """Vectors embedded by a build, saved in chunks as it goes, so a killed build loses little work."""

    def __init__(self, index_dir: Path, embedder_name: str):
        self.folder = Path(index_dir) / CACHE
        self.prefix = _SLUG.sub("_", embedder_name)[-80:]
        self._seq = 0

    def load(self, dim: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for keys_file in sorted(self.folder.glob(f"{self.prefix}--*.keys.json")):
            vec_file = keys_file.with_name(keys_file.name[:-len(".keys.json")] + ".npy")
            try:
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                vecs = np.load(vec_file, allow_pickle=False)
            except (OSError, ValueError):
                continue
            if vecs.ndim == 2 and vecs.shape == (len(keys), dim):
                out.update(zip(keys, vecs, strict=True))
        return out

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        if not keys:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{self.prefix}--{os.getpid()}-{time.time_ns()}-{self._seq}"
        self._seq += 1
        tmp = self.folder / f".{stem}.npy"
        np.save(tmp, np.asarray(vectors, dtype=np.float32), allow_pickle=False)
        os.replace(tmp, self.folder / f"{stem}.npy")
        tmpk = self.folder / f".{stem}.keys.json"
        tmpk.write_text(json.dumps(keys), encoding="utf-8")
        os.replace(tmpk, self.folder / f"{stem}.keys.json")  # keys last: a chunk counts only when complete

    def clear(self) -> None:
        for p in self.folder.glob(f"*{self.prefix}--*"):
            p.unlink(missing_ok=True)


class KnownVectors:
    """The vectors a build already has, by content key: the live index's as one matrix (row per key), plus those
    found in the cache or embedded now. Stacking the library's matrix gathers rows instead of copying 40k arrays."""

    def __init__(self, keys: Sequence[str] = (), matrix: np.ndarray | None = None):
        self._row: dict[str, int] = {}
        for i, k in enumerate(keys):
            self._row.setdefault(k, i)
        self._matrix = matrix
        self._more: dict[str, np.ndarray] = {}

    @classmethod
    def of(cls, vectors: dict[str, np.ndarray]) -> KnownVectors:
        known = cls()
        known._more = dict(vectors)
        return known

    def __contains__(self, key: str) -> bool:
        return key in self._row or key in self._more

    def __len__(self) -> int:
        return len(self._row) + sum(1 for k in self._more if k not in self._row)

    def setdefault(self, key: str, vector: np.ndarray) -> None:
        if key not in self:
            self._more[key] = vector

    def update(self, pairs) -> None:
        self._more.update(pairs)

    def stack(self, keys: Sequence[str], dim: int) -> np.ndarray:
        """(len(keys), dim) float32: the vector of every key (each must be known)."""
        out = np.empty((len(keys), dim), dtype=np.float32)
        rows = np.fromiter((-1 if k in self._more else self._row.get(k, -1) for k in keys), np.int64, len(keys))
        have = rows >= 0
        if have.any():
            out[have] = self._matrix[rows[have]]
        for i in np.flatnonzero(~have).tolist():
            out[i] = self._more[keys[i]]
        return out
