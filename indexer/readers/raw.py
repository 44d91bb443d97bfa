"""What every reader returns (RawText) and takes (ReadOptions), and the few steps all of them share."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from indexer import noise

ProgressFn = Callable[[int, int, str], None]  # (done, total, what)

CHUNK = 4 * 1024 * 1024  # files are hashed and text files decoded in blocks of this size


@dataclass(frozen=True)
class RawText:
    text: str  # cleaned text, "\n" line ends, noise lines removed
    format: str
    page_starts: tuple[int, ...] = ()  # PDF: offset in `text` where page i+1 starts
    warnings: tuple[str, ...] = ()
    sha256: str = ""
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) from removed portal headers/banners: 文号, 发布日期 …


@dataclass(frozen=True)
class ReadOptions:
    """What read_path was asked for, handed to the reader of the file's format."""

    ocr: bool = True
    progress: ProgressFn | None = None
    max_ocr_pages: int = 200


def finish(text: str, fmt: str, sha: str, warnings: list[str]) -> RawText:
    """Noise removed from a whole document's text, packed as the reader's result."""
    cleaned = noise.clean_text(text)
    return RawText(text=cleaned.text, format=fmt, warnings=tuple(warnings), sha256=sha, fields=cleaned.fields)


def file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def newlines(s: str) -> str:
    return s.replace("\r\n", "\n").replace("\r", "\n") if "\r" in s else s
