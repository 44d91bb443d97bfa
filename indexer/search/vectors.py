"""Clause vectors for callers that hold clauses, not rows (alignment, coverage): the index's own vector where it
holds the same passage (by content key), else embedded now."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from indexer.embedders import Embedder
from indexer.models import Clause
from indexer.passages import passage_text, vector_key
from indexer.store.base import ClauseStore


def clause_vectors(store: ClauseStore, embedder: Callable[[], Embedder], context: str, clauses: Sequence[Clause],
                   titles: dict[str, str] | None = None) -> np.ndarray:
    """Vectors of these clauses, as the index embedded them (passage context `context`).

    Args:
        embedder: gives the embedder, asked only when a clause's passage is not in the index.
        titles: doc_id → title, only needed for indexes built with context "title" and unindexed docs.
    """
    titles = dict(titles or {})
    for d in store.documents():
        titles.setdefault(d.doc_id, d.meta.title)
    passages = [passage_text(c, titles.get(c.doc_id, ""), context) for c in clauses]
    keys = [vector_key(store.embedder_name, p) for p in passages]
    stored = store.vectors_for_keys(list(dict.fromkeys(keys)))
    out = np.zeros((len(clauses), store.embedder_dim), dtype=np.float32)
    missing = []
    for i, k in enumerate(keys):
        if k in stored:
            out[i] = stored[k]
        else:
            missing.append(i)
    if missing:
        out[missing] = embedder().embed_passages([passages[i] for i in missing])
    return out
