"""Word files by their first bytes, not their name: a Word 97 file (OLE) goes to antiword, a zip to python-docx."""
from __future__ import annotations

from pathlib import Path

from indexer.ingest.readers.doc import read_doc
from indexer.ingest.readers.docx import read_docx
from indexer.ingest.readers.raw import RawText, ReadOptions

OLE_MAGIC = b"\xd0\xcf\x11\xe0"
ZIP_MAGIC = b"PK\x03\x04"


def read_word(path: Path, options: ReadOptions | None = None) -> RawText:
    """A .doc or .docx, whichever it really is (a .docx named .doc, a Word 97 file named .docx); a file that is
    neither goes to the reader its suffix names, which says what is wrong with it."""
    with path.open("rb") as f:
        magic = f.read(4)
    if magic == OLE_MAGIC:
        return read_doc(path, options)
    if magic == ZIP_MAGIC:
        return read_docx(path, options)
    return read_doc(path, options) if path.suffix.lower() == ".doc" else read_docx(path, options)
