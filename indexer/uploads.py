"""Uploads: safe names, saving, reading as the library page does, removal, and metadata corrections."""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer import paths
from indexer.errors import PolicyError
from indexer.models import Document

_BAD_CHARS = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
# File systems limit a name to 255 bytes, not characters: 120 four-byte characters (𠀀, emoji) are 480. The stem
# keeps room for save_upload's "-2" and its ".NAME.part" temporary file.
MAX_STEM_CHARS = 80
MAX_STEM_BYTES = 200
MAX_SUFFIX_BYTES = 16  # ".docx"; a longer "suffix" is part of the name


def cut_to_bytes(text: str, limit: int) -> str:
    """The longest start of `text` whose UTF-8 form fits in `limit` bytes, never half a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_filename(name: str) -> str:
    """A file name that stays inside the upload folder: no path parts, '..', control or reserved chars, and short
    enough for any file system (MAX_STEM_BYTES of whole characters, then the lower-case suffix)."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _BAD_CHARS.sub("_", name).strip().strip(".").strip()
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix.encode("utf-8")) > MAX_SUFFIX_BYTES or not suffix.strip():
        stem, suffix = name, ""
    stem = cut_to_bytes(stem.strip(". ")[:MAX_STEM_CHARS], MAX_STEM_BYTES).strip(". ") or "upload"
    return f"{stem}.{suffix.strip().lower()}" if suffix.strip() else stem


def save_upload(name: str, data: bytes, folder: Path | None = None) -> tuple[Path, bool]:
    """Write an uploaded file under a safe, unused name. Returns (path, already_there)."""
    folder = Path(folder or paths.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    clean = safe_filename(name)
    digest = hashlib.sha256(data).hexdigest()
    stem, suffix = os.path.splitext(clean)
    target, k = folder / clean, 2
    while target.exists():
        if hashlib.sha256(target.read_bytes()).hexdigest() == digest:
            return target, True
        target, k = folder / f"{stem}-{k}{suffix}", k + 1
    tmp = folder / f".{target.name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target, False


def is_upload(doc: Document, folder: Path | None = None) -> bool:
    try:
        return Path(doc.path).resolve().parent == Path(folder or paths.UPLOAD_DIR).resolve()
    except OSError:
        return False


def remove_upload(doc: Document, folder: Path | None = None) -> None:
    """Delete an uploaded document's file (shipped corpus files are never touched)."""
    if not is_upload(doc, folder):
        raise PolicyError("只能删除上传的文件，内置文库文件不可删除 / only uploaded files can be removed")
    Path(doc.path).unlink(missing_ok=True)


def waiting_upload(key: str, folder: Path | None = None) -> tuple[str, Path] | None:
    """An uploaded file no build has indexed yet, by the doc_id a build would give it or its file name (the
    upload answer's saved_as): (doc_id, path), or None. Nothing is read but the folder's listing."""
    from indexer.ingest.corpus import corpus_files

    for path, doc_id, _ in corpus_files(Path(folder or paths.UPLOAD_DIR)):
        if key in (doc_id, path.name):
            return doc_id, path
    return None


def remove_waiting_upload(key: str, folder: Path | None = None) -> str | None:
    """Delete an uploaded file that no build has indexed yet; returns its doc_id, or None when there is none.
    A build that read it before it went drops it at publish (build.build_index)."""
    found = waiting_upload(key, folder)
    if found is not None:
        found[1].unlink(missing_ok=True)
    return found[0] if found else None


CORRECTABLE = ("title", "issuer", "doc_number", "date", "region", "province", "level", "status")


def correct_metadata(doc: Document, fields: dict[str, str], folder: Path | None = None) -> dict:
    """Record corrections of an uploaded document's metadata in its folder's manifest.json (the same curated
    mechanism as corpus/manifest.json), so they hold across rebuilds. Returns the entry's overrides.

    An empty value removes that correction (the text's own reading comes back). Values are checked by
    `meta_fields.check_correction` (levels and statuses as codes or Chinese labels, real YYYY-MM-DD dates);
    an impossible one raises PolicyError naming the field and value, and nothing is written.
    """
    import json

    folder = Path(folder or paths.UPLOAD_DIR)
    if not is_upload(doc, folder):
        raise PolicyError("只能更正上传文件的元数据；内置文件请编辑 corpus/manifest.json / only uploads can be "
                          "corrected here; edit corpus/manifest.json for shipped documents")
    from indexer.ingest.meta_fields import check_correction

    unknown = sorted(set(fields) - set(CORRECTABLE))
    if unknown:
        raise PolicyError(f"不能更正的字段 / not correctable: {', '.join(unknown)}")
    fields = check_correction(fields)  # an impossible date or level is refused before anything is written
    mf = folder / "manifest.json"
    try:
        data = json.loads(mf.read_text(encoding="utf-8")) if mf.exists() else {}
    except (OSError, ValueError):
        data = {}  # a damaged uploads manifest is rewritten (corpus.manifest_entries reported it)
    entries = [e for e in (data.get("documents") or []) if isinstance(e, dict)] if isinstance(data, dict) else []
    name = Path(doc.path).name
    entry = next((e for e in entries if e.get("file") == name), None)
    if entry is None:
        entry = {"file": name, "doc_id": doc.doc_id}
        entries.append(entry)
    overrides = dict(entry.get("overrides") or {})
    for k, v in fields.items():
        if v:
            overrides[k] = v
        else:
            overrides.pop(k, None)
    entry["overrides"] = overrides
    tmp = mf.with_name(".manifest.json.part")
    tmp.write_text(json.dumps({**(data if isinstance(data, dict) else {}), "documents": entries},
                              ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, mf)
    return overrides


def duplicate_of(doc: Document, docs: Sequence[Document]) -> Document | None:
    """The library document holding the same text (whitespace aside) as `doc`, if any (not `doc` itself)."""
    from indexer.ingest.corpus import content_key

    key = content_key(doc.text)
    return next((d for d in docs if d.doc_id != doc.doc_id and d.path != doc.path and content_key(d.text) == key),
                None)


def upload_limit_mb() -> int:
    """Per-file upload limit in MB: the app's `server.maxUploadSize` in .streamlit/config.toml, else 50."""
    import tomllib

    try:
        with open(paths.ROOT / ".streamlit" / "config.toml", "rb") as f:
            return int(tomllib.load(f)["server"]["maxUploadSize"])
    except (OSError, KeyError, TypeError, ValueError, tomllib.TOMLDecodeError):
        return 50


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one uploaded file: added (saved, waiting for a build), already (the same bytes are in the
    upload folder), duplicate (the same text as a library document: nothing kept) or failed (unreadable)."""

    file: str  # the name it was sent under
    status: str  # added | already | duplicate | failed
    message: str
    saved_as: str = ""  # the file name in the upload folder ("" when nothing was kept)
    title: str = ""

    def to_dict(self) -> dict:
        return {"file": self.file, "status": self.status, "message": self.message, "saved_as": self.saved_as,
                "title": self.title}


def import_upload(name: str, data: bytes, docs: Sequence[Document], folder: Path | None = None,
                  progress=None) -> UploadOutcome:
    """Save an uploaded file and read it as the library page does: an unreadable file or one holding the text
    of a library document is not kept. The size limit (upload_limit_mb) is the caller's to check first."""
    from indexer.errors import IngestError
    from indexer.ingest.corpus import load_document

    path, existed = save_upload(name, data, folder)
    if existed:
        return UploadOutcome(name, "already", f"{name}：已在文库中（{path.name}），无需重复导入 / already in the "
                                              "library", path.name)
    try:
        new = load_document(path, progress=progress)
    except IngestError as exc:
        path.unlink(missing_ok=True)
        return UploadOutcome(name, "failed", f"{name}：{exc.problem}")
    if (twin := duplicate_of(new, docs)) is not None:  # the same text in another file (PDF after DOCX)
        path.unlink(missing_ok=True)
        return UploadOutcome(name, "duplicate", f"{name}：内容与《{twin.meta.title or twin.doc_id}》相同，未重复"
                                                "索引 / same text as a document already in the library",
                             title=twin.meta.title)
    return UploadOutcome(name, "added", f"{name}：已导入，等待编入索引 / saved, waiting for the index build",
                         path.name, new.meta.title)
