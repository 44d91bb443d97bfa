"""Markdown files: read as text for now."""
from __future__ import annotations

from pathlib import Path

from indexer.readers.raw import RawText, ReadOptions
from indexer.readers.text import read_text


def read_markdown(path: Path, options: ReadOptions | None = None) -> RawText:
    return read_text(path, options, fmt="md")
