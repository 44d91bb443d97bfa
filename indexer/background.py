"""Background work beside the work a person waits for: a warm-up runs once, in a thread that yields the CPU; large
tables are built a piece at a time, so that the thread never holds the interpreter for long; and Python's AST parser
is never entered by two threads at once."""
from __future__ import annotations

import ast
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

log = logging.getLogger("policy_library")

_AST_LOCK = threading.RLock()
PIECE = 4096  # strings or entries per piece: about a millisecond of work between two pauses


def _pause() -> None:
    """Let another thread take the interpreter: one long C call (a dict of 350,000 words, a decode of 3 MB) holds it
    throughout, and the server answering the browser's requests waited up to 50 ms behind the warm-up."""
    time.sleep(0)


def split_joined(buf: np.ndarray, sep: str) -> list[str]:
    """The strings that `sep` (one ASCII character) joins in the UTF-8 bytes `buf`, decoded a piece at a time."""
    cuts = np.flatnonzero(buf == ord(sep))[PIECE - 1::PIECE].tolist()  # every PIECE-th separator
    out: list[str] = []
    for start, end in zip([-1, *cuts], [*cuts, len(buf)], strict=True):
        out.extend(buf[start + 1:end].tobytes().decode("utf-8").split(sep))
        _pause()
    return out


def dict_of(keys: Sequence, values: Sequence) -> dict:
    """dict(zip(keys, values)) built a piece at a time (ValueError when their lengths differ)."""
    if len(keys) != len(values):
        raise ValueError(f"{len(keys)} keys, {len(values)} values")
    table: dict = {}
    for start in range(0, len(keys), PIECE):
        table.update(zip(keys[start:start + PIECE], values[start:start + PIECE], strict=True))
        _pause()
    return table


def lower_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux: a thread is a task with its own nice value); the
    process's other threads keep theirs. Elsewhere, or when refused: unchanged. Measured (bench_app-style, 4
    interleaved pairs): the app's first result 3.63 → 3.40 s, its query box 3.09 → 2.96 s."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


def serialise_ast_parsing() -> None:
    """Make `ast.parse` take a process-wide lock (once). CPython 3.11 keeps the AST constructor's recursion depth per
    interpreter, not per thread, so two threads parsing at once can fail with "SystemError: AST constructor
    recursion depth mismatch" (python/cpython#106905, fixed only in later versions). Here the two are a warm-up
    thread reading .npy headers (numpy parses them with `ast.literal_eval`) and Streamlit compiling a page's script
    (`ast.parse`): the page failed once in the test suite."""
    if getattr(ast.parse, "_serialised", False):
        return
    parse = ast.parse

    def locked_parse(*args, **kwargs):
        with _AST_LOCK:
            return parse(*args, **kwargs)

    locked_parse._serialised = True  # type: ignore[attr-defined]
    locked_parse.__doc__ = parse.__doc__
    ast.parse = locked_parse  # ast.literal_eval calls the module's `parse`, so it takes the lock too


class WarmUp:
    """`work` run once in a daemon thread at the lowest priority (best effort: its failure is logged, and the real
    work later reports its own errors)."""

    def __init__(self, work: Callable[[], object], name: str):
        self._work, self._name = work, name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = False

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name=self._name)
                self._thread.start()

    def _run(self) -> None:
        lower_priority()
        try:
            self._work()
            self._done = True
        except Exception:  # noqa: BLE001
            log.debug("%s failed", self._name, exc_info=True)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for it (at most `timeout` seconds); True when the work finished, False while it runs, when it
        failed, or when it was never started."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._done
