"""path → cleaned document text (encodings, PDF, DOCX, DOC, HTML) with page offsets; page noise removed."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from indexer.errors import IngestError

SUPPORTED_SUFFIXES = (".txt", ".md")

ProgressFn = Callable[[int, int, str], None]  # (done, total, what)


@dataclass(frozen=True)
class RawText:
    text: str  # cleaned text, "\n" line ends, noise lines removed
    format: str
    page_starts: tuple[int, ...] = ()  # PDF: offset in `text` where page i+1 starts
    warnings: tuple[str, ...] = ()
    sha256: str = ""


def read_path(path: str | Path, *, ocr: bool = True, progress: ProgressFn | None = None) -> RawText:
    """Read one file into cleaned text. Raises IngestError with one clear line on any problem."""
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(path, "文件为空 / empty file")
    text = data.decode("utf-8-sig").replace("\r\n", "\n")
    return RawText(text=text, format="txt", sha256=hashlib.sha256(data).hexdigest())
