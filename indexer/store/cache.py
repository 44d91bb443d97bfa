"""Vectors embedded by a build that has not finished yet, saved in chunks so a killed build loses little."""
from __future__ import annotations

import json
import os
import re
import time
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
