"""The app's server (`streamlit run app.py`): it opens the index and loads the models as it starts, before any
browser asks, and the pages then answer from that same Library."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_pages import backend
from indexer import library, paths
from indexer.background import lower_priority
from tests.test_browser import free_port

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
READY = "索引与模型已就绪"


def test_server_warms_up_before_any_page_is_opened(tmp_path, fake_index):
    index = tmp_path / "index"
    shutil.copytree(fake_index, index, ignore=shutil.ignore_patterns("*.lock"))
    env = {**os.environ, "POLICY_INDEX": str(index), "POLICY_UPLOADS": str(tmp_path / "up"),
           "POLICY_EMBEDDER": "fake"}
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port",
                                 str(free_port()), "--server.headless", "true"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # a bound on a hung server, not a timing: the line comes or it fails
        while READY not in log.read_text(encoding="utf-8", errors="replace"):
            assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8", errors="replace")
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")


def test_first_page_takes_the_warmed_library(app_env):
    backend._library.clear()
    early = backend.warm_early(paths.INDEX_DIR, paths.UPLOAD_DIR)
    assert early.warmed(timeout=120)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert backend.library() is early  # the page opened no second Library: the warmed engine answers
    assert backend.take_early(paths.INDEX_DIR, paths.UPLOAD_DIR) is None  # taken once
    at.text_input(key="query").input("产业集群")
    at.button[0].click().run()
    assert not at.exception and any("找到" in m.value for m in at.markdown)
    backend._library.clear()


def test_warm_up_without_an_index_is_quiet(tmp_path):
    lib = backend.warm_early(tmp_path / "no-index", tmp_path / "up")
    assert lib.warmed(timeout=120) is False  # no index yet: the first page builds it, as before
    assert backend.take_early(tmp_path / "no-index", tmp_path / "up") is lib


def test_warm_up_thread_yields_the_cpu_and_only_it():
    import threading

    seen = {}

    def probe():
        lower_priority()
        seen["warm"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    t = threading.Thread(target=probe)
    t.start()
    t.join()
    assert seen["warm"] == 19  # the background thread runs last
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # the caller's own is unchanged


def test_ast_parsing_is_serialised_once_a_library_is_made(tmp_path):
    import ast
    import threading

    from indexer import background

    library.Library(tmp_path / "no-index", tmp_path / "up")  # every door makes one
    assert getattr(ast.parse, "_serialised", False)
    background.serialise_ast_parsing()  # a second call wraps nothing twice
    assert ast.literal_eval("{'descr': '<f4', 'shape': (3,)}") == {"descr": "<f4", "shape": (3,)}
    started, done = threading.Event(), threading.Event()

    def worker():
        started.set()
        ast.literal_eval("(1, 2)")  # numpy's .npy header read
        done.set()

    with background._AST_LOCK:  # while another thread parses, this one waits
        t = threading.Thread(target=worker)
        t.start()
        started.wait()
        assert not done.wait(0.3)
    t.join()
    assert done.is_set()
