"""Uploads, removals and builds through the HTTP API: the app's readers, limits and duplicate checks; jobs."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from indexer import paths  # noqa: E402
from indexer.api.app import create_app  # noqa: E402
from tests.conftest import copy_corpus  # noqa: E402
from tests.test_api import error_of  # noqa: E402

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "external"
HUADU = EXTERNAL / "guangzhou-huadu_2024_sme-loan-guarantee-measures.txt"
DONGGUAN = "dongguan-2021-strategic-clusters"


@pytest.fixture
def lib(tmp_path, monkeypatch, fake_index):
    """An API over a copy of the seed index and corpus, with an empty upload folder."""
    if not HUADU.exists():
        pytest.skip(f"{HUADU} not found")
    index = tmp_path / "index"
    shutil.copytree(fake_index, index, ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.setattr(paths, "CORPUS_DIR", copy_corpus(tmp_path / "corpus"))
    app = create_app(index, tmp_path / "uploads", token="")
    with TestClient(app, raise_server_exceptions=False) as c:
        c.jobs = app.state.api.jobs
        c.uploads = tmp_path / "uploads"
        yield c


def upload(client, *files, build=True):
    return client.post("/v1/documents", files=[("files", f) for f in files], data={"build": str(build).lower()})


def wait_done(client, job: dict) -> dict:
    client.jobs.wait(job["job_id"], timeout=120)
    got = client.get(f"/v1/jobs/{job['job_id']}").json()
    assert got["state"] == "done", got
    return got


def test_an_upload_is_read_indexed_by_a_job_and_found(lib):
    r = upload(lib, (HUADU.name, HUADU.read_bytes(), "text/plain"))
    assert r.status_code == 201, r.text
    (out,) = r.json()["files"]
    assert out["status"] == "added" and "助保贷" in out["title"] and (lib.uploads / out["saved_as"]).exists()
    job = wait_done(lib, r.json()["job"])
    assert job["reason"] == "upload" and job["progress"] == 1.0 and job["report"]["embedded"] > 0
    assert job["report"]["documents"] == 6 and job["finished"] >= job["started"]
    ids = [d["doc_id"] for d in lib.get("/v1/documents").json()]
    assert len(ids) == 6
    new = next(i for i in ids if "huadu" in i)
    hits = lib.get("/v1/search", params={"q": "助保贷", "doc": new}).json()
    assert hits and all(h["doc_id"] == new for h in hits)
    assert lib.get("/v1/index").json()["documents"] == 6


def test_the_same_file_twice_and_the_same_text_under_another_name_are_not_kept_twice(lib):
    data = HUADU.read_bytes()
    wait_done(lib, upload(lib, (HUADU.name, data, "text/plain")).json()["job"])
    again = upload(lib, (HUADU.name, data, "text/plain"))
    assert again.status_code == 200 and again.json()["files"][0]["status"] == "already"
    assert again.json()["job"] is None
    copy = upload(lib, ("copy.txt", data + b"\n\n", "text/plain")).json()["files"][0]
    assert copy["status"] == "duplicate" and "相同" in copy["message"]
    assert sorted(p.name for p in lib.uploads.iterdir()) == [HUADU.name]


def test_unreadable_unsupported_and_oversize_uploads(lib, monkeypatch):
    bad = upload(lib, ("broken.pdf", b"%PDF-1.4 this is not a pdf", "application/pdf"))
    assert bad.status_code == 200 and bad.json()["files"][0]["status"] == "failed"
    assert not any(lib.uploads.glob("broken*"))
    error_of(upload(lib, ("tool.exe", b"MZ\x90\x00", "application/octet-stream")), 415, "unsupported_type")
    monkeypatch.setattr("indexer.uploads.upload_limit_mb", lambda: 1)
    big = ("big.txt", "一".encode() * 400_000, "text/plain")  # 1.2 MB
    msg = error_of(upload(lib, (HUADU.name, HUADU.read_bytes(), "text/plain"), big), 413, "too_large")
    assert "big.txt" in msg and "1 MB" in msg
    assert not lib.uploads.exists() or not any(lib.uploads.iterdir())  # nothing of that request was kept
    error_of(lib.post("/v1/documents"), 422, "invalid_input")  # no file at all
    error_of(lib.post("/v1/documents", files=[("files", ("a.txt", b"x", "text/plain"))] * 21), 413,
             "too_many_files")


def test_the_upload_limit_is_the_app_s():
    import tomllib

    from indexer.uploads import upload_limit_mb

    config = tomllib.loads((paths.ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert upload_limit_mb() == config["server"]["maxUploadSize"] == 50


def test_removing_an_upload_and_refusing_to_remove_a_shipped_document(lib):
    wait_done(lib, upload(lib, (HUADU.name, HUADU.read_bytes(), "text/plain")).json()["job"])
    new = next(d["doc_id"] for d in lib.get("/v1/documents").json() if "huadu" in d["doc_id"])
    r = lib.delete(f"/v1/documents/{new}")
    assert r.status_code == 202 and r.json()["removed"] and not (lib.uploads / HUADU.name).exists()
    wait_done(lib, r.json()["job"])
    assert new not in [d["doc_id"] for d in lib.get("/v1/documents").json()]
    error_of(lib.get(f"/v1/documents/{new}"), 404, "not_found")
    error_of(lib.delete(f"/v1/documents/{new}"), 404, "not_found")
    error_of(lib.delete(f"/v1/documents/{DONGGUAN}"), 403, "shipped_document")
    assert (paths.CORPUS_DIR / f"{DONGGUAN}.txt").exists()


def test_a_build_while_a_build_runs_is_refused_and_searches_go_on(lib, monkeypatch):
    import indexer.ingest.build

    real, release, entered = indexer.ingest.build.build_index, threading.Event(), threading.Event()

    def held(*a, **kw):
        entered.set()
        assert release.wait(60)
        return real(*a, **kw)

    monkeypatch.setattr(indexer.ingest.build, "build_index", held)
    first = lib.post("/v1/index/build")
    assert first.status_code == 202 and first.json()["reason"] == "build"
    assert entered.wait(10)
    running = lib.get(f"/v1/jobs/{first.json()['job_id']}").json()
    assert running["state"] == "running"
    msg = error_of(lib.post("/v1/index/build"), 409, "build_running")
    assert first.json()["job_id"] in msg
    assert lib.get("/v1/search", params={"q": "产业集群"}).status_code == 200  # the build holds nothing searches need
    assert lib.get("/v1/index").json()["build"]["job_id"] == first.json()["job_id"]
    queued = upload(lib, (HUADU.name, HUADU.read_bytes(), "text/plain")).json()["job"]  # an upload queues instead
    assert queued["state"] == "queued" and queued["job_id"] != first.json()["job_id"]
    release.set()
    # the held build reads the folders only once released, so it already finds the upload; the queued one too
    assert wait_done(lib, first.json())["report"]["documents"] == 6
    assert wait_done(lib, queued)["report"]["documents"] == 6
    listed = [j["job_id"] for j in lib.get("/v1/jobs").json()]
    assert listed[:2] == [queued["job_id"], first.json()["job_id"]]  # newest first


def test_a_failed_build_says_why_in_its_job(lib, monkeypatch):
    import indexer.ingest.build
    from indexer.errors import PolicyError

    def fails(*a, **kw):
        raise PolicyError("磁盘已满 / disk full")

    monkeypatch.setattr(indexer.ingest.build, "build_index", fails)
    job = lib.post("/v1/index/build").json()
    lib.jobs.wait(job["job_id"], timeout=30)
    got = lib.get(f"/v1/jobs/{job['job_id']}").json()
    assert got["state"] == "failed" and got["error"] == "磁盘已满 / disk full" and got["report"] is None
    assert lib.post("/v1/index/build").status_code == 202  # a failed job does not block the next one


def test_unknown_job(lib):
    error_of(lib.get("/v1/jobs/0-nothing"), 404, "not_found")
