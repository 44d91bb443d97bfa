"""SECURITY.md's promises, checked: escaping in the UI, confined uploads, no code-executing index formats,
localhost by default."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from indexer import paths
from indexer.errors import PolicyError
from indexer.ingest.build import build_index
from indexer.search import Engine
from indexer.store import current_generation
from tests.conftest import ROOT, copy_corpus

CODE_DIRS = [ROOT / "indexer", ROOT / "app_pages", ROOT / "streamlit_app.py", ROOT / "app.py"]
EVIL_NAME = "<img src=x onerror=alert(9)>通知.txt"
EVIL_TEXT = ("关于<img src=x onerror=alert(1)>的通知\n一、总则\n（一）<script>alert(2)</script>推动海上风电产业集群发展。\n"
             "（二）[点击](javascript:alert(3)) 与 **加粗** 及 <iframe src=//evil.example></iframe> 都应原样显示。\n")


def _sources() -> list[Path]:
    out = []
    for p in CODE_DIRS:
        out += [p] if p.is_file() else sorted(p.rglob("*.py"))
    return out


# ---------------------------------------------------------------- the index folder holds no code

def test_no_code_executing_loader_in_the_code():
    banned = re.compile(r"\b(import pickle|from pickle|pickle\.loads?|cPickle|dill|joblib|shelve|marshal\.loads?|"
                        r"torch\.load|yaml\.load\(|yaml\.unsafe_load|eval\(|exec\()")
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in _sources()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if banned.search(line)]
    assert not found, found
    # every NumPy load refuses pickled object arrays explicitly, and so does bm25s
    for p in _sources():
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bnp\.load\(|BM25\.load\(", line):
                assert "allow_pickle=False" in line, f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
            assert "allow_pickle=True" not in line, f"{p.relative_to(ROOT)}:{n}"


class _Trap:
    """Unpickling this object creates a file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture
def small_index(tmp_path):
    corpus = copy_corpus(tmp_path / "c", ["dongguan-2021-strategic-clusters.txt"])
    idx = tmp_path / "idx"
    build_index([corpus], idx, "fake")
    return corpus, idx


def _plant(path: Path, marker: Path) -> None:
    np.save(path, np.array([_Trap(marker)], dtype=object), allow_pickle=True)
    if path.suffix != ".npy":  # np.save appended .npy
        Path(str(path) + ".npy").replace(path)


@pytest.mark.parametrize("target", ["vectors.npy", "keywords/*/rows.npy", "keywords/*/indptr.npy", "keywords/*.live.npy"])
def test_a_pickle_planted_in_the_index_never_runs(small_index, tmp_path, target):
    _, idx = small_index
    marker = tmp_path / "pwned"
    _plant(next(current_generation(idx).glob(target)), marker)
    with pytest.raises((PolicyError, ValueError)):
        Engine.open(idx).search("产业集群", k=3)
    assert not marker.exists()


def test_a_pickle_planted_in_the_vector_cache_never_runs(small_index, tmp_path):
    corpus, idx = small_index
    marker = tmp_path / "pwned"
    cache = idx / "cache"
    cache.mkdir(exist_ok=True)
    _plant(cache / "fake-256--1-1-0.npy", marker)
    (cache / "fake-256--1-1-0.keys.json").write_text('["x"]', encoding="utf-8")
    report = build_index([corpus], idx, "fake")  # the bad chunk is skipped, the build completes
    assert report.documents == 1 and not marker.exists()


def test_index_metadata_is_plain_json(small_index):
    _, idx = small_index
    gen = current_generation(idx)
    kinds = {p.suffix for p in gen.rglob("*") if p.is_file()}
    assert kinds <= {".json", ".jsonl", ".npy", ".faiss", ".txt"}, kinds
    for p in gen.rglob("*.txt"):  # the phrase file: normalised clause texts, plain UTF-8
        p.read_bytes().decode("utf-8")


# ---------------------------------------------------------------- uploads stay in the data folder

@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\windows\\system.ini", "/etc/cron.d/x.txt", "..",
                                  "a\x00b.txt", "\x1b[31m.txt", "名称\r\n换行.txt", "\u202etxt.exe.pdf", "",
                                  ".bashrc", "x" * 1000 + ".txt", "通知<script>.txt"])
def test_uploads_are_confined_to_the_upload_folder(tmp_path, name):
    from app_pages.common import safe_filename
    from indexer.uploads import save_upload

    folder = tmp_path / "uploads"
    path, _ = save_upload(name, b"content", folder=folder)
    assert path.resolve().parent == folder.resolve()
    assert path.name == safe_filename(name) or path.name.startswith(Path(safe_filename(name)).stem)
    assert path.name.isprintable() and not path.name.startswith(".") and len(path.name) <= 90
    assert not set(path.name) & set('/\\<>:"|?*\x00')
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [path.name]


def test_upload_size_limit_is_configured_and_used():
    from app_pages import common

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == 50
    assert common.max_upload_mb() == 50
    assert "common.max_upload_mb()" in (ROOT / "app_pages" / "library.py").read_text(encoding="utf-8")


# ---------------------------------------------------------------- document text and names are data

@pytest.fixture
def evil_env(monkeypatch, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / EVIL_NAME).write_text(EVIL_TEXT, encoding="utf-8")
    index = tmp_path / "index"
    report = build_index([corpus], index, "fake")
    assert report.documents == 1, report.errors
    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    monkeypatch.setattr(paths, "INDEX_DIR", index)
    monkeypatch.setattr(paths, "CORPUS_DIR", corpus)
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "uploads")
    return Engine.open(index)


def _assert_inert(at) -> str:
    html = "\n".join(m.value for m in at.markdown)
    for bad in ("<script", "<img", "<iframe", "](javascript", "**加粗**"):
        assert bad not in html, bad
    return html


def test_search_page_shows_markup_in_documents_as_text(evil_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.switch_page("app_pages/search.py")
    at.run()
    at.text_input(key="query").input("海上风电产业集群")
    next(b for b in at.button if "检索" in b.label).click().run()
    assert not at.exception, at.exception
    html = _assert_inert(at)
    assert "&lt;script&gt;alert&#40;2&#41;&lt;/script&gt;" in html


def test_library_page_shows_markup_in_names_and_text_as_text(evil_env):
    from streamlit.testing.v1 import AppTest

    doc_id = evil_env.store.documents()[0].doc_id
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.query_params["doc"] = doc_id
    at.switch_page("app_pages/library.py")
    at.run()
    assert not at.exception, at.exception
    html = _assert_inert(at)
    assert "&lt;iframe" in html and "&lt;script&gt;" in html


# ---------------------------------------------------------------- localhost by default

def test_app_binds_to_localhost_by_default_and_docs_say_how_to_expose_it():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert "--server.address 0.0.0.0" in security and "reverse proxy" in security


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) listening on this port."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            addr, p = local.rsplit(":", 1)
            if state == "0A" and int(p, 16) == port:
                out.append(addr)
    return out


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_running_app_listens_only_on_loopback(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "POLICY_INDEX": str(tmp_path / "idx"), "POLICY_UPLOADS": str(tmp_path / "up"),
           "POLICY_EMBEDDER": "fake"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port",
                             str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.time() < deadline, "streamlit did not start"
            time.sleep(0.3)
        addrs = _listening(port)
        assert addrs and all(a in ("0100007F", "00000000000000000000000001000000") for a in addrs), addrs
    finally:
        proc.terminate()
        proc.wait(timeout=30)
