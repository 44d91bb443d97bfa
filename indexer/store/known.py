"""What a build needs of the live folder generation (its clause keys and vectors), read without parsing the clause
table when its files are provably as they were written: the manifest records a checksum of each JSON file.

Anything unexpected (no checksums: an older generation; a file changed since; an approximate vector index; the
wrong dimension) returns None, and the build opens the store whole, which names any damage.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from indexer.store.generations import current_generation
from indexer.store.keyword_segments import KEYWORDS, KIND, SegmentedKeywords

CHECKED = ("clauses.jsonl", "texts.jsonl", "documents.json", "keys.json")


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def write_checked(path: Path, text: str) -> str:
    """Write a text file; returns its checksum for the manifest."""
    data = text.encode("utf-8")
    path.write_bytes(data)
    return digest(data)


def known_vectors(index_dir: Path, name: str, dim: int) -> tuple[list[tuple[str, str]], np.ndarray] | None:
    """(clause_id, key) pairs and the vector of each row of the live generation, when it was written by this
    backend with embedder `name` of `dim` and nothing in it changed since; None otherwise."""
    folder = current_generation(Path(index_dir))
    if folder is None:
        return None
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        emb, sums = manifest.get("embedder") or {}, manifest.get("checksums") or {}
        if (emb.get("name") != name or emb.get("dim") != dim or set(sums) != set(CHECKED)
                or (manifest.get("vector_index") or {}).get("kind", "flat") != "flat"
                or (manifest.get("keywords") or {}).get("kind") != KIND):
            return None
        data = {}
        for f in CHECKED:
            data[f] = (folder / f).read_bytes()
            if digest(data[f]) != sums[f]:
                return None
        pairs = [tuple(p) for p in json.loads(data["keys.json"])]
        vectors = np.load(folder / "vectors.npy", allow_pickle=False)
        if vectors.shape != (len(pairs), dim) or vectors.dtype != np.float32:
            return None
        SegmentedKeywords.load(folder / KEYWORDS, len(pairs))  # as opening the store would: a damaged one is named
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return pairs, vectors
