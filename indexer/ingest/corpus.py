"""Documents on disk → Document objects: reader + outline + metadata, with the corpus manifest's overrides."""
from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

from indexer import paths
from indexer.errors import DUPLICATE, IngestError
from indexer.ingest import metadata, outline
from indexer.ingest.parse_cache import ParseCache
from indexer.ingest.readers import ProgressFn, read_path, supported_suffixes
from indexer.models import DocMeta, Document, find_document  # noqa: F401 — looked up where loaded
from indexer.versions import PARSER_VERSION  # noqa: E402,F401 — what a file becomes; bumped in versions.py

DEFAULT_CORPUS = paths.CORPUS_DIR
MANIFEST = "manifest.json"


def slug(name: str) -> str:
    """A readable doc_id from a file name: lower-case ASCII words, Chinese kept."""
    stem = Path(name).stem
    s = re.sub(r"[^\w\u4e00-\u9fff]+", "-", stem.lower()).strip("-_")
    return s or "document"


def load_document(path: str | Path, *, doc_id: str | None = None, overrides: dict | None = None,
                  ocr: bool = True, progress: ProgressFn | None = None, cache: ParseCache | None = None) -> Document:
    """Read, segment and describe one file (from `cache` when it holds this file's parse), then apply the
    manifest's corrections."""
    path = Path(path)
    doc_id = doc_id or slug(path.name)
    key = sha = ""
    if cache is not None and path.is_file():
        try:
            key, sha = cache.key(path, doc_id, ocr)
        except OSError:
            pass  # unreadable: the reader below says why in its own words
    doc = cache.get(key, path) if key else None
    if doc is None:
        doc, recheck_after = _parse(path, doc_id, ocr, progress)
        if key and doc.sha256 == sha:  # the file did not change while it was read
            cache.put(key, doc, recheck_after)
    return _corrected(doc, overrides) if overrides else doc


def _parse(path: Path, doc_id: str, ocr: bool, progress: ProgressFn | None) -> tuple[Document, str]:
    """The document a file becomes, and the date after which its status must be read again ("" for never)."""
    raw = read_path(path, ocr=ocr, progress=progress)
    parsed = outline.parse(raw.text, doc_id, page_starts=raw.page_starts)
    if not parsed.clauses:  # page numbers, figures, dates, a signature: nothing a search could find
        raise IngestError(path, "文件中没有可读的正文（只有数字、日期或署名等）/ no readable text (only numbers, "
                                "dates or signatures)")
    meta = metadata.extract(raw.text, filename=path.name, fields=raw.fields)
    doc = Document(doc_id=doc_id, path=str(path), text=raw.text, meta=meta, clauses=parsed.clauses,
                   format=raw.format, page_starts=raw.page_starts, sha256=raw.sha256,
                   warnings=raw.warnings, skipped=parsed.skipped)
    return doc, ("" if meta.status == "expired" else _next_expiry(raw.text, raw.fields))


_EXPIRY = re.compile(r"失\s*效\s*日\s*期\s*[:：]?\s*(.{0,24})")


def _next_expiry(text: str, fields: tuple[tuple[str, str], ...]) -> str:
    """The earliest 失效日期 still to come that the text or the reader's fields name ("" when none): after it the
    document's status (metadata.find_status) may read 已失效, so a cached parse must be read again."""
    today = datetime.date.today().isoformat()
    found = [metadata.find_date(m.group(1)) for m in _EXPIRY.finditer(text)]
    found += [metadata.find_date(v) for k, v in fields if "失效日期" in re.sub(r"\s", "", k)]
    return min((d for d in found if d and d >= today), default="")


def _corrected(doc: Document, overrides: dict) -> Document:
    from indexer.ingest.meta_fields import check_correction

    known = DocMeta.__dataclass_fields__  # an unknown key in a hand-edited manifest is ignored, not fatal
    meta = replace(doc.meta, **check_correction({k: v for k, v in overrides.items() if k in known}))
    return replace(doc, meta=metadata.complete(meta))


def manifest_entries(folder: Path, problems: list[IngestError] | None = None) -> list[dict]:
    """The manifest's well-formed entries; a damaged manifest or entry is reported in `problems` and skipped."""
    mf = folder / MANIFEST
    if not mf.exists():
        return []
    try:
        data = json.loads(mf.read_text(encoding="utf-8"))
        entries = data.get("documents", []) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ValueError("no list of documents")
    except (OSError, ValueError) as exc:
        _problem(problems, IngestError(mf, f"清单无法读取，已忽略 / manifest unreadable, ignored: {exc}"))
        return []
    good = []
    for i, entry in enumerate(entries, 1):
        file = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(file, str) or not file.strip():
            _problem(problems, IngestError(mf, f"清单第 {i} 项缺少 file，已跳过 / entry {i} names no file, skipped"))
        elif not _inside(folder / file, folder):
            _problem(problems, IngestError(mf, f"清单第 {i} 项 {file!r} 指向文件夹之外，已跳过 / entry {i} points "
                                               "outside the corpus folder, skipped"))
        elif entry.get("overrides") is not None and not isinstance(entry["overrides"], dict):
            _problem(problems, IngestError(mf, f"清单第 {i} 项的 overrides 不是对象，已跳过 / entry {i}: overrides "
                                               "is not an object, skipped"))
        else:
            good.append({**entry, "overrides": _checked_overrides(entry.get("overrides") or {}, i, mf, problems)})
    return good


def _checked_overrides(overrides: dict, i: int, mf: Path, problems: list[IngestError] | None) -> dict:
    """The entry's overrides whose values are possible; each impossible one (a number for a title, 2021-13-45,
    level "mayor") is reported and left out, so the text's own reading stands for that field."""
    from indexer.errors import PolicyError
    from indexer.ingest.meta_fields import check_field

    known = DocMeta.__dataclass_fields__  # an unknown key in a hand-edited manifest is ignored, not fatal
    good = {}
    for k, v in overrides.items():
        if k not in known:
            continue
        try:
            good[k] = check_field(k, v)
        except PolicyError as exc:
            _problem(problems, IngestError(mf, f"清单第 {i} 项的更正已忽略 / entry {i}: override ignored: {exc}"))
    return good


def _problem(problems: list[IngestError] | None, exc: IngestError) -> None:
    if problems is None:
        raise exc
    problems.append(exc)


def _inside(path: Path, folder: Path) -> bool:
    """Whether a path (after following links) stays inside the folder: ../../secret.txt and links out do not."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def corpus_files(folder: str | Path = DEFAULT_CORPUS,
                 problems: list[IngestError] | None = None) -> list[tuple[Path, str, dict]]:
    """(path, doc_id, overrides) for every supported file in the folder, manifest entries first.

    Files (or links) that lead outside the folder are never indexed; with `problems` given, damaged manifest
    entries are reported there and skipped instead of stopping the build.
    """
    folder = Path(folder)
    out, seen = [], set()
    problems = [] if problems is None else problems
    for entry in manifest_entries(folder, problems):
        p = folder / entry["file"]
        out.append((p, entry.get("doc_id") or slug(p.name), entry.get("overrides") or {}))
        seen.add(p.name)
    for p in sorted(folder.iterdir()) if folder.is_dir() else []:
        if p.is_file() and p.name not in seen and p.suffix.lower() in supported_suffixes():
            if not _inside(p, folder):
                problems.append(IngestError(p, "链接指向文件夹之外，未收录 / a link out of the corpus folder, skipped"))
                continue
            out.append((p, slug(p.name), {}))
    ids = [d for _, d, _ in out]
    dup = {d for d in ids if ids.count(d) > 1}
    if dup:
        out = [(p, (d if d not in dup else f"{d}-{p.suffix.lstrip('.').lower()}"), o) for p, d, o in out]
    return out


def content_key(text: str) -> str:
    """Identity of a document's content, blind to whitespace, encoding and file format."""
    return hashlib.sha256(re.sub(r"\s+", "", text).encode("utf-8")).hexdigest()


def load_unseen(path: Path, doc_id: str, seen: dict[str, str], *, overrides: dict | None = None,
                ocr: bool = True, cache: ParseCache | None = None) -> Document:
    """Load a file unless its content repeats a document already in `seen` (content key → doc_id), which it joins.

    Raises IngestError of kind DUPLICATE naming the earlier document."""
    doc = load_document(path, doc_id=doc_id, overrides=overrides, ocr=ocr, cache=cache)
    key = content_key(doc.text)
    if key in seen:
        raise IngestError(path, f"与已有文件 {seen[key]} 内容相同，未重复收录 / same content as {seen[key]}",
                          kind=DUPLICATE, same_as=seen[key])
    seen[key] = doc.doc_id
    return doc


def load_corpus(folder: str | Path = DEFAULT_CORPUS, *, errors: list[IngestError] | None = None,
                ocr: bool = True, seen: dict[str, str] | None = None,
                cache: ParseCache | None = None) -> list[Document]:
    """Load every document in a folder. Files that fail are skipped and reported in `errors`.

    A file whose content repeats an earlier document's (the same text uploaded under another name) is
    skipped and reported too: `seen` maps content keys to doc_ids across calls.
    """
    docs = []
    seen = {} if seen is None else seen
    problems: list[IngestError] = []
    listed = corpus_files(folder, problems)
    if problems and errors is None:
        raise problems[0]
    if errors is not None:
        errors.extend(problems)
    for path, doc_id, overrides in listed:
        base, k = doc_id, 2
        while doc_id in seen.values():  # same file name in another folder
            doc_id, k = f"{base}-{k}", k + 1
        try:
            docs.append(load_unseen(path, doc_id, seen, overrides=overrides, ocr=ocr, cache=cache))
        except IngestError as exc:
            if errors is None:
                raise
            errors.append(exc)
    return docs


def load_default_corpus(errors: list[IngestError] | None = None, ocr: bool = True) -> list[Document]:
    """The shipped corpus plus uploaded documents (doc_ids unique across folders)."""
    return load_folders(paths.corpus_dirs(), errors=errors, ocr=ocr)


def load_folders(folders, errors: list[IngestError] | None = None, ocr: bool = True) -> list[Document]:
    """Documents of several folders in order, doc_ids unique and repeated content skipped across them."""
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for folder in folders:
        docs.extend(load_corpus(folder, errors=errors, ocr=ocr, seen=seen))
    return docs
