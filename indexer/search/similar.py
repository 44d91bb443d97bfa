"""Clauses that say the same as an indexed clause: meaning first, shared wording on top of it."""
from __future__ import annotations

import unicodedata

from indexer.filters import SearchFilters
from indexer.models import Hit
from indexer.search.hits import make_hit
from indexer.store.base import ClauseStore

# Shared wording (rapidfuzz ratio of the normalised texts, 0-1) adds this much to the cosine. The top cosines of
# one clause sit within ~0.01 of each other, so a 10-point lead in wording (a reused sentence or two) outweighs
# them: Chaozhou's 5.2 finds its provincial source 5.3 (ratio .45 against ≤ .24) first, not 4th.
SURFACE_WEIGHT = 0.1


def normalise_for_surface(text: str) -> str:
    """Text for comparing wording: full/half width folded, no spaces or punctuation (as alignment does)."""
    t = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in t if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZ")


def similar(store: ClauseStore, row: int, k: int, filters: SearchFilters | None, bare: set[int] | frozenset[int],
            other_documents: bool) -> list[Hit]:
    """The k clauses closest to `row` (itself, bare headings and, with other_documents, its own document left
    out), by cosine plus SURFACE_WEIGHT × shared wording."""
    from rapidfuzz import fuzz

    own_rows = set(store.rows_of_document(store.document_of(row).doc_id).tolist()) if other_documents else {row}
    depth = max(3 * (k + 1), 30) + len(bare) + len(own_rows)
    semantic = [(r, s) for r, s in store.dense_topk(store.vectors([row])[0], depth, filters)
                if r != row and r not in own_rows and r not in bare]
    own = normalise_for_surface(store.text(row))
    surface = {r: fuzz.ratio(own, normalise_for_surface(store.text(r))) / 100 for r, _ in semantic}
    ranked = sorted(semantic, key=lambda x: (-(x[1] + SURFACE_WEIGHT * surface[x[0]]), x[0]))
    rankings = {"semantic": semantic,
                "surface": sorted(((r, surface[r]) for r, _ in semantic), key=lambda x: (-x[1], x[0]))}
    return [make_hit(store, i + 1, r, s + SURFACE_WEIGHT * surface[r], rankings, (), None, None)
            for i, (r, s) in enumerate(ranked[:k])]
