"""User-found API faults: long four-byte names, lone surrogates, batch costs, /docs offline and from its own page,
and removing an upload before a build has indexed it. Each failed before its fix (500, 403, blank page, 404)."""
from __future__ import annotations

import shutil

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from indexer import paths  # noqa: E402
from indexer.api.app import create_app  # noqa: E402
from tests.conftest import copy_corpus  # noqa: E402
from tests.test_api import error_of  # noqa: E402

TEXT = "关于加快发展产业集群的通知\n\n一、总体要求\n\n推动产业集群高质量发展，培育先进制造业。\n".encode()


@pytest.fixture
def lib(tmp_path, monkeypatch, fake_index):
    """An API over a copy of the seed index and corpus, with an empty upload folder."""
    index = tmp_path / "index"
    shutil.copytree(fake_index, index, ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.setattr(paths, "CORPUS_DIR", copy_corpus(tmp_path / "corpus"))
    app = create_app(index, tmp_path / "uploads", token="")
    with TestClient(app, raise_server_exceptions=False) as c:
        c.jobs = app.state.api.jobs
        c.uploads = tmp_path / "uploads"
        yield c


def upload(client, name: str, data: bytes = TEXT, build: bool = False):
    return client.post("/v1/documents", files=[("files", (name, data, "text/plain"))],
                       data={"build": str(build).lower()})


# ---------------------------------------------------------------- 1. names cut by bytes, not characters

@pytest.mark.parametrize("char", ["𠀀", "😀", "政"])
def test_an_upload_named_with_many_four_byte_characters_is_kept_under_a_shorter_name(lib, char):
    r = upload(lib, char * 120 + ".txt")
    assert r.status_code == 201, r.text  # was 500 internal_error (OSError: File name too long)
    saved = r.json()["files"][0]["saved_as"]
    assert saved.endswith(".txt") and set(saved[:-4]) == {char}
    assert len(saved.encode()) <= 255 and (lib.uploads / saved).exists()
