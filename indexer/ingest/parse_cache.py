"""Parsed documents kept by file hash, so a build reads and parses only the files that changed.

An entry is one JSON file named by a key that hashes everything the parse depends on: the file's bytes, its
name and doc_id (clause ids and the title come from them), OCR on or off, the parser (PARSER_VERSION, the source
of the ingest modules, the reader libraries' versions). The manifest's corrections are not in the key: they are
applied to the cached document on every load, so a correction takes effect without parsing again. An entry
whose status depends on today's date (a 失效日期 still to come) is parsed again once that date has passed.
Entries are written to a temporary file and renamed, so a killed build never leaves half an entry; a damaged
one is a miss.
"""
from __future__ import annotations

import datetime
import functools
import gc
import hashlib
import json
import os
from pathlib import Path

from indexer.models import Clause, DocMeta, Document
from indexer.versions import PARSER_VERSION

PARSED = "parsed"  # the cache's folder inside the index folder
ENTRY_VERSION = 2
# a clause's text is document.text[start:end] and its doc_id the document's: neither is stored twice
CLAUSE_FIELDS = ("clause_id", "level", "kind", "marker", "number", "heading", "section", "start", "end", "page",
                 "parent_id")
_READER_LIBS = ("python-docx", "trafilatura", "cpca", "rapidocr-onnxruntime", "pdfminer.six", "pdfplumber",
                "pypdfium2", "charset-normalizer", "lxml")
_INGEST = Path(__file__).resolve().parent
_NOT_PARSING = {"build.py", "parse_cache.py"}  # ingest modules that do not change what a file becomes


@functools.lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    """What a file becomes depends on: PARSER_VERSION, the parsing code as it is now, the reader libraries."""
    from importlib import metadata as im

    from indexer.ingest.readers import MAX_OCR_PAGES
    h = hashlib.sha256(f"{ENTRY_VERSION}:{PARSER_VERSION}:{MAX_OCR_PAGES}".encode())
    sources = sorted(p for p in _INGEST.rglob("*.py") if p.name not in _NOT_PARSING)
    sources += [_INGEST.parent / name for name in ("text.py", "models.py", "keywords.py", "versions.py")]
    for p in sources:
        h.update(p.relative_to(_INGEST.parent).as_posix().encode() + b"\0" + p.read_bytes())
    for lib in _READER_LIBS:
        try:
            h.update(f"{lib}={im.version(lib)}".encode())
        except im.PackageNotFoundError:
            h.update(f"{lib}=-".encode())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ParseCache:
    """Documents parsed by earlier builds, by parse key; `used` records the keys this build asked for."""

    def __init__(self, index_dir: Path):
        self.folder = Path(index_dir) / PARSED
        self.used: set[str] = set()
        self.hits = self.misses = 0

    def key(self, path: Path, doc_id: str, ocr: bool) -> tuple[str, str]:
        """(parse key, file hash) of a file as it is now."""
        sha = file_sha256(path)
        parts = (parser_fingerprint(), sha, path.name, doc_id, "ocr" if ocr else "no-ocr")
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest(), sha

    def get(self, key: str, path: Path) -> Document | None:
        """The cached document (at `path`), or None when there is none or it can no longer be trusted."""
        self.used.add(key)
        collecting = gc.isenabled()
        gc.disable()  # a library's clauses come back as small objects: the collector would walk them over and over
        try:
            entry = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            if entry.get("key") != key or entry.get("version") != ENTRY_VERSION:
                raise ValueError("another entry")
            recheck = entry.get("recheck_after") or ""
            if recheck and datetime.date.today().isoformat() > recheck:
                raise ValueError("its status may have changed")
            doc = document_from_record(entry["document"], str(path))
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        finally:
            if collecting:
                gc.enable()
        self.hits += 1
        return doc

    def put(self, key: str, doc: Document, recheck_after: str = "") -> None:
        """Keep a parsed document (before corrections); a failure to write only costs a parse next time."""
        try:
            entry = {"version": ENTRY_VERSION, "key": key, "recheck_after": recheck_after,
                     "document": document_to_record(doc)}
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.folder / f"{key}.json")
        except (OSError, ValueError):
            pass

    def prune(self) -> None:
        """Drop entries this build did not use (files changed or gone) and temporaries of killed builds."""
        if not self.folder.is_dir():
            return
        for p in self.folder.iterdir():
            if p.name.startswith(".") or (p.suffix == ".json" and p.stem not in self.used):
                p.unlink(missing_ok=True)


def document_to_record(d: Document) -> dict:
    if any(c.text != d.text[c.start:c.end] or c.doc_id != d.doc_id for c in d.clauses):
        raise ValueError("a clause that is not a span of its document")  # not cached: parsed afresh each time
    return {"doc_id": d.doc_id, "text": d.text, "meta": d.meta.to_dict(), "format": d.format,
            "page_starts": list(d.page_starts), "sha256": d.sha256, "warnings": list(d.warnings),
            "skipped": [list(s) for s in d.skipped],
            "clauses": [[getattr(c, f) for f in CLAUSE_FIELDS] for c in d.clauses]}


def document_from_record(r: dict, path: str) -> Document:
    meta = dict(r["meta"])
    meta["cited_numbers"] = tuple(meta.get("cited_numbers") or ())
    text, doc_id = r["text"], r["doc_id"]
    clauses = []
    for values in r["clauses"]:
        c = dict(zip(CLAUSE_FIELDS, values, strict=True))
        c["section"] = tuple(c["section"])
        clauses.append(Clause(doc_id=doc_id, text=text[c["start"]:c["end"]], **c))
    return Document(doc_id=doc_id, path=path, text=text, meta=DocMeta(**meta), clauses=tuple(clauses),
                    format=r["format"], page_starts=tuple(r["page_starts"]), sha256=r["sha256"],
                    warnings=tuple(r["warnings"]), skipped=tuple(tuple(s) for s in r["skipped"]))
