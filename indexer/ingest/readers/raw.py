"""What every reader returns (RawText) and takes (ReadOptions), and the few steps all of them share."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from indexer.ingest import noise
from indexer.models import ProgressFn  # noqa: E402 — (stage, done, total), one type for every long step

CHUNK = 4 * 1024 * 1024  # files are hashed and text files decoded in blocks of this size


# Control characters never reach the text: a terminal would obey them (ESC sequences set titles, colours, or
# worse) and exports would carry them. Form feed and vertical tab break lines; tab, newline and CR stay.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def count_controls(text: str) -> int:
    return len(_ANY_CONTROL.findall(text)) if _ANY_CONTROL.search(text) else 0


def strip_controls(text: str, brk: str = "\n") -> str:
    """The text without control characters and terminal escape sequences; \\f and \\v become `brk`."""
    if not _ANY_CONTROL.search(text):
        return text
    text = _ESCAPES.sub("", text).replace("\x0c", brk).replace("\x0b", brk)
    return _CONTROLS.sub("", text)


def blank_controls(text: str) -> str:
    """Each control character left in a reader's text replaced by a space: offsets into it stay valid."""
    return _ANY_CONTROL.sub(" ", text) if _ANY_CONTROL.search(text) else text


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
    cleaned = noise.clean_text(strip_controls(text))
    return RawText(text=cleaned.text, format=fmt, warnings=tuple(warnings), sha256=sha, fields=cleaned.fields)


def file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def newlines(s: str) -> str:
    return s.replace("\r\n", "\n").replace("\r", "\n") if "\r" in s else s
