"""The pages' access to the engine: cached corpus and index, the embedding model, index builds with progress."""
from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from app_pages.common import STAGES, one_line
from app_pages.widgets import time_left
from indexer import paths
from indexer.errors import PolicyError
from indexer.models import Document

if TYPE_CHECKING:
    from indexer.library import Library

log = logging.getLogger("policy_app")

STAY = "正在更新索引，请留在本页直到完成（离开会中断）/ updating the index: stay on this page"


# ---------------------------------------------------------------- cache keys

def _folder_stamp(folder: Path) -> tuple:
    """Changes whenever a file in the folder is added, removed or rewritten."""
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()
                        if p.is_file()))


def corpus_stamp() -> tuple:
    return tuple((str(d), _folder_stamp(d)) for d in paths.corpus_dirs())


def index_stamp() -> tuple:
    """Names the live index generation: a new build gives new cached results."""
    from indexer.store import current_generation

    gen = current_generation(paths.INDEX_DIR)
    return (str(paths.INDEX_DIR), gen.name if gen else None)


def state_stamp() -> tuple:
    """Changes when the corpus or the index changes: part of every cached result's key."""
    return (corpus_stamp(), index_stamp())


# ---------------------------------------------------------------- corpus and engine

@st.cache_resource(show_spinner="正在读取文库… / loading documents", max_entries=2)
def _load_corpus(stamp: tuple) -> tuple[list[Document], list[str]]:
    from indexer.ingest.corpus import load_default_corpus

    errors: list = []
    docs = load_default_corpus(errors=errors)
    return docs, [one_line(e) for e in errors]


def forget_corpus() -> None:
    """Drop the cached documents read from disk (after an upload or a removal)."""
    _load_corpus.clear()


def corpus() -> tuple[list[Document], list[str]]:
    """Documents of the shipped corpus and the uploads, with one line per file that failed."""
    return _load_corpus(corpus_stamp())


def index_ready() -> bool:
    return index_stamp()[1] is not None


_EARLY: dict[tuple[str, str], Library] = {}


def warm_early(index_dir: str | Path | None = None, upload_dir: str | Path | None = None) -> Library:
    """Make the Library of these folders and start its warm-up now (app.py, as the server starts: the index, the
    tokenizer dictionary and the model load while the browser is still fetching the page). The first page that
    asks for the same folders takes it (`take_early`)."""
    from indexer.library import Library

    lib = Library(index_dir, upload_dir)
    _EARLY[(str(lib.index_dir), str(lib.upload_dir))] = lib
    lib.warm_up()
    return lib


def take_early(index_dir: str | Path, upload_dir: str | Path) -> Library | None:
    """The Library `warm_early` made for these folders, once (None when there is none)."""
    return _EARLY.pop((str(Path(index_dir)), str(Path(upload_dir))), None)


@st.cache_resource(show_spinner="正在加载检索索引… / opening the index", max_entries=2)
def _library(index_dir: str, upload_dir: str):
    from indexer.library import Library

    return take_early(index_dir, upload_dir) or Library(index_dir, upload_dir)


def library():
    """The one Library of this process (the API and the CLI ask theirs the same questions)."""
    return _library(str(paths.INDEX_DIR), str(paths.UPLOAD_DIR))


def engine():
    """The search engine over the index folder, built on first start if the folder is empty.

    Raises PolicyError when it cannot open.
    """
    if not index_ready():
        build_index(message="首次启动：正在建立索引 / first start: building the index")
    lib = library()
    eng = lib.engine()
    lib.warm_up()  # once per library: the models load while the page is drawn and the user types
    if eng.parser_outdated() and not st.session_state.get("_parser_rebuild_tried"):
        # the index was built by an older version of the parser: outlines and sections may have moved. Rebuild
        # once (unchanged clause texts keep their vectors); if that fails, the old index still answers.
        st.session_state["_parser_rebuild_tried"] = True
        try:
            build_index(message="解析程序已更新：正在重建索引 / the parser changed: rebuilding the index")
        except PolicyError as exc:  # e.g. a rebuild from these folders would remove documents: keep the old index
            st.warning(f"解析程序已更新，但未能自动重建索引，仍使用原索引检索：{exc}", icon=":material/warning:")
        eng = lib.engine()
    return eng


def documents() -> list[Document]:
    """The documents the app works on: the index's when it exists, else those read from disk."""
    eng = None
    with contextlib.suppress(PolicyError):
        eng = engine()
    if eng is not None:
        return list(eng.documents)
    return corpus()[0]


def read_errors() -> list[str]:
    """One line per file that could not be read (duplicates are notes, see read_notes): from the index's last
    build, else from reading the folders."""
    eng = None
    with contextlib.suppress(PolicyError):
        eng = engine()
    if eng is not None:
        if "problems" in eng.manifest:
            return [p.message for p in _problems(eng) if not p.is_notice]
        return [one_line(e) for e in eng.manifest.get("errors", [])]
    return corpus()[1]


def read_notes() -> list[str]:
    """Files skipped because another file holds the same text (a notice, not an error)."""
    eng = None
    with contextlib.suppress(PolicyError):
        eng = engine()
    return [p.message for p in _problems(eng) if p.is_notice] if eng is not None else []


def _problems(eng):
    from indexer.freshness import build_problems  # not through indexer.library: it loads compare and ingest

    return build_problems(eng.manifest, eng.documents)


def build_index(message: str = "正在更新索引 / updating the index", queue: bool = False):
    """Incremental index build (only new clause texts are embedded) with a progress bar.

    queue: when another build (e.g. a CLI build) holds the index, wait for it and build after it, saying so.
    """
    from indexer.errors import IndexError_

    bar = st.progress(0.0, text=message)
    started = time.perf_counter()
    stage_start: dict[str, tuple[float, int]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        frac = min(1.0, done / total) if total else 1.0
        t0, d0 = stage_start.setdefault(stage, (time.perf_counter(), done))
        left = time_left(done - d0, total - done, time.perf_counter() - t0)
        bar.progress(frac, text=f"{message} · {STAGES.get(stage, stage)} {done}/{total}{left}")

    try:
        try:
            report = library().build(progress=progress)
        except IndexError_ as exc:
            if not queue or "another build" not in str(exc):
                raise
            bar.progress(0.0, text="另一个构建正在进行，文件已排队，完成后自动编入索引 / queued behind a running build")
            report = library().build(progress=progress, wait=True)
    finally:
        bar.empty()
    _load_corpus.clear()
    st.cache_data.clear()
    log.info("index built in %.1f s", time.perf_counter() - started)
    return report


def waiting_files(docs: list[Document]) -> list[Path]:
    """Files on disk that searches cannot find yet (an import left before it finished, a file copied in),
    leaving out those the last build could not read (they are reported as read errors)."""
    from indexer.freshness import waiting_files as _waiting  # light: the search page asks on every run

    if not index_ready():
        return []
    eng = None
    with contextlib.suppress(PolicyError):
        eng = engine()
    failed = eng.manifest.get("failed_paths", []) if eng is not None else []
    return _waiting(docs, failed)
