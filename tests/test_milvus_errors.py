"""How a Milvus failure is read (no server needed): the cause chain, the URI named, the token never shown."""
from __future__ import annotations

import pytest

from indexer.store.milvus_errors import MilvusDown, MilvusGone, MilvusRefused, explain

URI = "http://milvus.example:19530"


class Status(Exception):
    """What grpc raises: a code() and details."""

    def __init__(self, code: str, details: str = ""):
        super().__init__(details)
        self._code = code

    def code(self):
        return f"StatusCode.{self._code}"


def wrapped(cause: Exception, message: str) -> Exception:
    try:
        raise RuntimeError(message) from cause
    except RuntimeError as exc:
        return exc


@pytest.mark.parametrize("exc, kind", [
    (wrapped(Status("UNAUTHENTICATED"), "Fail connecting to server on milvus.example:19530"), MilvusRefused),
    (wrapped(Status("UNAVAILABLE"), "Fail connecting to server on milvus.example:19530"), MilvusDown),
    (RuntimeError("collection not found[collection=policy_x_g1]"), MilvusGone),
])
def test_the_cause_decides_the_line(exc, kind):
    line = explain(exc, URI, "policy_x_g1")
    assert isinstance(line, kind) and URI in str(line) and "\n" not in str(line)


def test_the_token_is_never_shown(monkeypatch):
    monkeypatch.setenv("POLICY_MILVUS_TOKEN", "root:Sesame")
    line = str(explain(RuntimeError("bad request from root:Sesame"), URI))
    assert "Sesame" not in line and URI in line


def test_a_lite_file_has_no_token_to_refuse(tmp_path):
    line = explain(PermissionError("permission denied"), str(tmp_path / "x.db"))
    assert not isinstance(line, MilvusRefused) and "Milvus Lite" in str(line)
