"""Freshness: which files in the corpus folders the index does not hold yet, and what the last build left out."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer import paths
from indexer.models import Document

_SHAS: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) → sha256: pages ask on every rerun


def file_sha(path: Path) -> str:
    """The readers' content hash of a file, computed once per version of the file."""
    from indexer.ingest.readers.raw import file_sha as read_sha

    st = Path(path).stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _SHAS:
        if len(_SHAS) > 10_000:
            _SHAS.clear()
        _SHAS[key] = read_sha(Path(path))
    return _SHAS[key]


def unindexed_files(docs: Sequence[Document], folders: Sequence[Path] | None = None) -> list[Path]:
    """Files in the corpus folders that no indexed document was read from.

    Matched by content hash, not by path, so an index copied or moved with its folder still knows its files.
    """
    from indexer.ingest.corpus import corpus_files

    have = {d.sha256 for d in docs if d.sha256}
    paths_have = {Path(d.path).name for d in docs if not d.sha256}
    out = []
    for folder in folders if folders is not None else paths.corpus_dirs():
        for p, _, _ in corpus_files(folder):
            try:
                if file_sha(p) not in have and p.name not in paths_have:
                    out.append(p)
            except OSError:
                continue
    return out


@dataclass(frozen=True)
class FileProblem:
    """A file the last build left out, said for people: its name only (no server path), and why."""

    file: str
    kind: str  # "error" or "duplicate" (a notice)
    message: str

    @property
    def is_notice(self) -> bool:
        return self.kind == "duplicate"


def build_problems(manifest: dict, docs: Sequence[Document]) -> list[FileProblem]:
    """The files the last build could not index, for files still on disk; a duplicate names its twin by title."""
    titles = {d.doc_id: d.meta.title or d.doc_id for d in docs}
    out = []
    for p in manifest.get("problems") or []:
        if p.get("path") and not Path(p["path"]).exists():
            continue  # removed since: nothing left to say
        name = p.get("file") or Path(p.get("path", "")).name
        if p.get("kind") == "duplicate":
            twin = titles.get(p.get("same_as", ""), p.get("same_as", ""))
            out.append(FileProblem(name, "duplicate", f"{name}：内容与《{twin}》相同，未重复索引 / same text as {twin!r}"))
        else:
            out.append(FileProblem(name, "error", f"{name}：{p.get('problem', '')}"))
    return out


def waiting_files(docs: Sequence[Document], failed: Sequence[str] = (),
                  folders: Sequence[Path] | None = None) -> list[Path]:
    """Files searches cannot find yet (an import left before it finished, a file copied in), leaving out
    those the last build could not read (`failed`: their paths, as the build recorded them)."""
    bad = {Path(f).name for f in failed}
    return [p for p in unindexed_files(docs, folders) if p.name not in bad]
