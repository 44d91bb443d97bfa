"""Shared page plumbing with no engine behind it: labels, one-line errors, upload helpers, small lookups."""
from __future__ import annotations

import contextlib
import logging
import time

import streamlit as st

from app_pages.render import md
from app_pages.widgets import (  # noqa: F401 — pages reach these through common
    SIGNALS,
    default_doc,
    default_pair,
    doc_label,
    hit_spans,
    keep_known,
    remember_widgets,
    restore_widgets,
    selection_changed,
    signal_label,
    stop,
    time_left,
)
from indexer.errors import PolicyError, first_line
from indexer.models import LEVEL_LABELS, STAGE_LABELS, STATUS_LABELS, Document, ProgressFn

log = logging.getLogger("policy_app")

LEVELS = LEVEL_LABELS
STATUSES = STATUS_LABELS
MODES = {"hybrid": "智能 Smart", "keyword": "关键词 Keyword", "phrase": "短语 Phrase", "fuzzy": "模糊 Fuzzy"}
BUILTIN_TYPES = ("txt", "md", "pdf", "docx", "doc", "html", "htm")


def upload_types() -> list[str]:
    """The file types uploads take: every registered reader's, read now (a reader registered later counts)."""
    from indexer.ingest.readers import supported_suffixes

    return [s.lstrip(".") for s in supported_suffixes()]


def max_upload_mb() -> int:
    """Per-file upload limit in MB, from .streamlit/config.toml (server.maxUploadSize)."""
    try:
        return int(st.get_option("server.maxUploadSize"))
    except Exception:  # noqa: BLE001 — outside a Streamlit runtime
        return 50


# ---------------------------------------------------------------- errors

one_line = first_line  # the same first line the CLI and the API show


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


# ---------------------------------------------------------------- labels and lookups

STAGES = STAGE_LABELS
PAGE_SIZE = 50  # aligned pairs drawn at once: two long plans give a thousand pairs, the export has them all

def _relations() -> dict[str, str]:
    from indexer.compare.align import RELATION_ENGLISH, RELATION_LABELS
    from indexer.compare.align import RELATIONS as ORDER

    return {r: f"{RELATION_LABELS[r]} {RELATION_ENGLISH[r]}" for r in (*ORDER, "only_a", "only_b")}


def __getattr__(name: str):
    """RELATIONS and ONLY, built when the compare page first asks: the search page loads no comparison code."""
    if name in ("RELATIONS", "ONLY"):
        labels = _relations()
        globals()["RELATIONS"] = {r: label for r, label in labels.items() if not r.startswith("only_")}
        globals()["ONLY"] = {r: label for r, label in labels.items() if r.startswith("only_")}
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def find_doc(docs: list[Document], doc_id: str) -> Document | None:
    return next((d for d in docs if d.doc_id == doc_id), None)


def lists_of(doc: Document) -> list:
    """The document's named lists, the primary one first."""
    from indexer.ingest.lists import find_lists, primary_list

    found = find_lists(doc)
    main = primary_list(doc)
    return ([main] if main else []) + [nl for nl in found if nl is not main]


def parse_names(text: str) -> tuple[str, ...]:
    from indexer.compare.coverage import parse_names as _parse

    return tuple(_parse(text))


def redline(old: str, new: str):
    from indexer.compare.redline import redline as _redline

    return _redline(old, new, ignore_width=True)  # full- vs half-width punctuation is not an edit


# ---------------------------------------------------------------- uploads

def safe_filename(name: str) -> str:
    from indexer.uploads import safe_filename as _safe

    return _safe(name)


def is_upload(doc: Document) -> bool:
    from indexer.uploads import is_upload as _is_upload

    return _is_upload(doc)


def progress_fn(bar, prefix: str) -> ProgressFn:
    """A progress callback for reading one file: page by page, with time left (OCR takes seconds a page)."""
    started: dict[str, tuple[float, int]] = {}

    def update(stage: str, done: int, total: int) -> None:
        frac = min(1.0, done / total) if total else 1.0
        t0, d0 = started.setdefault(stage, (time.perf_counter(), done))
        left = time_left(done - d0, total - done, time.perf_counter() - t0)
        bar.progress(frac, text=f"{prefix} · {STAGES.get(stage, stage)} {done}/{total}{left}")
    return update

