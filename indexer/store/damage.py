"""A damaged folder index: one line saying what is wrong, and the vectors a rebuild may still trust."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.errors import IndexError_
from indexer.store.generations import current_generation


def broken(folder: Path, what: str) -> IndexError_:
    """The one line for a damaged index: where, what, and that a build repairs it (`.detail`: where and what)."""
    exc = IndexError_(f"索引损坏，请重新运行 python -m indexer build / broken index at {folder}: {what}")
    exc.detail = f"{folder}: {what}"
    return exc


def read_texts(folder: Path, doc_ids: Sequence[str]) -> dict[str, str]:
    """texts.jsonl as doc_id → text; a damaged line or a missing document (a truncated file) is refused."""
    texts: dict[str, str] = {}
    try:
        f = open(folder / "texts.jsonl", "rb")
    except OSError as exc:
        raise broken(folder, f"texts.jsonl: {exc.strerror or exc}") from exc
    with f:
        for n, line in enumerate(f, 1):
            try:
                d = json.loads(line.decode("utf-8"))
                texts[d["doc_id"]] = d["text"]
            except (ValueError, KeyError, TypeError) as exc:
                raise broken(folder, f"texts.jsonl 第 {n} 行不完整或损坏 / texts.jsonl truncated or damaged at "
                                     f"line {n}") from exc
    missing = [i for i in doc_ids if i not in texts]
    if missing:
        raise broken(folder, f"texts.jsonl 缺少 {len(missing)} 个文件的正文（文件被截断）/ texts.jsonl lacks the "
                             f"text of {len(missing)} documents (truncated), first {missing[0]}")
    return texts


def salvage_vectors(index_dir: Path, dim: int) -> dict[str, np.ndarray]:
    """The vectors of a damaged index that can still be trusted, by content key; {} when none can.

    A key hashes the embedder's name with the passage, so a matching key names the same vector. They are
    trusted only when clauses.jsonl parses whole and vectors.npy holds one finite unit vector of `dim` per
    clause: then a damaged texts.jsonl, manifest or keyword index costs no re-embedding, while damaged
    vectors or clauses are never copied forward. With CURRENT unreadable the newest generation is used (any
    generation's keys are as good as the live one's).
    """
    folder = current_generation(index_dir)
    if folder is None:
        folder = max((p for p in Path(index_dir).glob("gen-*") if p.is_dir()), default=None)
    if folder is None:
        return {}
    try:
        with open(folder / "clauses.jsonl", encoding="utf-8") as f:
            keys = [json.loads(line)["key"] for line in f]
        vectors = np.load(folder / "vectors.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if vectors.ndim != 2 or vectors.shape != (len(keys), dim) or not len(keys):
        return {}
    vectors = vectors.astype(np.float32)
    if not np.isfinite(vectors).all() or not np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3):
        return {}
    return dict(zip(keys, vectors, strict=True))
