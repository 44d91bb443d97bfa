"""Who may call the API: loopback by default, a bearer token elsewhere; CORS off; bounded bodies; hostile origins."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from indexer.api import security  # noqa: E402
from indexer.api.app import create_app  # noqa: E402
from indexer.cli import main  # noqa: E402
from indexer.errors import PolicyError  # noqa: E402
from tests.test_api import error_of  # noqa: E402

TOKEN = "s3cret-token-0123456789abcdef"


@pytest.mark.parametrize("host, token, ok", [
    ("127.0.0.1", None, True),
    ("localhost", None, True),
    ("::1", None, True),
    ("127.0.0.2", None, True),
    ("0.0.0.0", None, False),
    ("192.168.1.20", None, False),
    ("::", None, False),
    ("policy.example.org", None, False),
    ("0.0.0.0", TOKEN, True),
    ("127.0.0.1", "short", False),  # a token too short to be a secret is refused even on loopback
    ("0.0.0.0", "", False),
])
def test_binding_beyond_loopback_needs_a_token(host, token, ok):
    if ok:
        security.check_bind(host, token)
    else:
        with pytest.raises(PolicyError, match="POLICY_API_TOKEN"):
            security.check_bind(host, token)


@pytest.fixture
def no_uvicorn(monkeypatch):
    """uvicorn.run replaced: records the app it would serve instead of listening."""
    import uvicorn

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    return served


def test_serve_refuses_another_address_without_a_token_before_listening(monkeypatch, capsys, no_uvicorn):
    monkeypatch.delenv("POLICY_API_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "POLICY_API_TOKEN" in err and len(err.strip().splitlines()) == 1
    assert not no_uvicorn  # never started


def test_serve_defaults_to_loopback_port_8600(monkeypatch, no_uvicorn, fake_index):
    monkeypatch.delenv("POLICY_API_TOKEN", raising=False)
    assert main(["serve", "--index-dir", str(fake_index)]) == 0
    assert (no_uvicorn["host"], no_uvicorn["port"]) == ("127.0.0.1", 8600)
    with TestClient(no_uvicorn["app"], base_url="http://127.0.0.1:8600") as c:
        assert c.get("/v1/health").status_code == 200  # no token needed on loopback
    with TestClient(no_uvicorn["app"], base_url="http://localhost:8600") as c:
        assert c.get("/v1/health").status_code == 200
    with TestClient(no_uvicorn["app"], base_url="http://attacker.example:8600") as c:  # DNS rebinding
        error_of(c.get("/v1/health"), 400, "bad_host")


@pytest.mark.parametrize("header, name", [("127.0.0.1:8600", "127.0.0.1"), ("localhost", "localhost"),
                                          ("[::1]:8600", "::1"), ("Evil.Example:80", "evil.example"), ("", "")])
def test_host_names_without_their_port(header, name):
    assert security._host_name(header) == name


def test_served_on_another_address_every_request_needs_the_token(monkeypatch, no_uvicorn, fake_index):
    monkeypatch.setenv("POLICY_API_TOKEN", TOKEN)
    assert main(["serve", "--host", "0.0.0.0", "--port", "8601", "--index-dir", str(fake_index)]) == 0
    assert no_uvicorn["host"] == "0.0.0.0"
    with TestClient(no_uvicorn["app"], base_url="http://10.0.0.5:8601") as c:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": TOKEN}, {"Authorization": f"Bearer {TOKEN}x"}):
            r = c.get("/v1/search", params={"q": "产业集群"}, headers=headers)
            error_of(r, 401, "unauthorized")
            assert r.headers["WWW-Authenticate"] == "Bearer"
        error_of(c.post("/v1/index/build"), 401, "unauthorized")
        error_of(c.post("/v1/documents", files=[("files", ("a.txt", b"x", "text/plain"))]), 401, "unauthorized")
        ok = c.get("/v1/search", params={"q": "产业集群"}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json()
        assert c.get("/docs").status_code == 200  # the docs page holds no data


def test_the_token_is_compared_in_constant_time(monkeypatch, fake_index):
    calls = []
    real = security.hmac.compare_digest
    monkeypatch.setattr(security.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    with TestClient(create_app(fake_index, token=TOKEN)) as c:
        assert c.get("/v1/health", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert c.get("/v1/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert calls == [(b"nope", TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


def test_cors_is_off_by_default_and_opens_only_to_named_origins(fake_index):
    preflight = {"Origin": "https://oa.example.gov.cn", "Access-Control-Request-Method": "POST"}
    with TestClient(create_app(fake_index, token="")) as c:
        r = c.get("/v1/health", headers={"Origin": "https://oa.example.gov.cn"})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
        assert "access-control-allow-origin" not in c.options("/v1/search", headers=preflight).headers
    with TestClient(create_app(fake_index, token="", cors_origins=["https://oa.example.gov.cn"])) as c:
        r = c.options("/v1/search", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://oa.example.gov.cn"
        r = c.post("/v1/search", json={"query": "产业集群", "k": 1}, headers={"Origin": "https://oa.example.gov.cn"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://oa.example.gov.cn"
        r = c.get("/v1/health", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in r.headers


def test_a_web_page_of_another_origin_cannot_change_anything(fake_index, tmp_path):
    with TestClient(create_app(fake_index, tmp_path / "up", token="")) as c:
        evil = {"Origin": "https://evil.example"}
        error_of(c.post("/v1/documents", files=[("files", ("a.txt", b"x", "text/plain"))], headers=evil), 403,
                 "forbidden_origin")
        error_of(c.post("/v1/index/build", headers=evil), 403, "forbidden_origin")
        error_of(c.delete("/v1/documents/dongguan-2021-strategic-clusters", headers=evil), 403, "forbidden_origin")
        assert not (tmp_path / "up").exists()


def test_request_bodies_are_bounded(fake_index):
    with TestClient(create_app(fake_index, token="")) as c:
        big = json.dumps({"query": "产业集群", "doc_ids": ["x" * 1000] * 1100})  # > 1 MiB declared
        error_of(c.post("/v1/search", content=big, headers={"content-type": "application/json"}), 413, "too_large")

        def chunks():  # no Content-Length: counted while it is read
            yield b'{"query": "' + b"a" * 1000
            for _ in range(1100):
                yield b"a" * 1000
            yield b'"}'

        r = c.post("/v1/search", content=chunks(), headers={"content-type": "application/json"})
        error_of(r, 413, "too_large")
