"""Text → document metadata (title, issuer, 文号, dates, region, level, status). Pure functions."""
from __future__ import annotations

from indexer.models import DocMeta


def extract(text: str, filename: str = "") -> DocMeta:
    return DocMeta()


def complete(meta: DocMeta) -> DocMeta:
    return meta
