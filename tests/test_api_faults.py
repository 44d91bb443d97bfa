"""User-found API faults: long four-byte names, lone surrogates, batch costs, /docs offline and from its own page,
and removing an upload before a build has indexed it. Each failed before its fix (500, 403, blank page, 404)."""
from __future__ import annotations

import shutil

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from indexer import paths  # noqa: E402
from indexer.api.app import create_app  # noqa: E402
from indexer.errors import PolicyError  # noqa: E402
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


# ---------------------------------------------------------------- 2. a lone surrogate is refused at the edge

BAD = "\ud800产业"


@pytest.mark.parametrize("method,url,body,where", [
    ("POST", "/v1/search", '{"query": "\\ud800产业"}', "query"),
    ("POST", "/v1/search", '{"query": "产业", "region": "东莞\\udc00"}', "region"),
    ("POST", "/v1/search/batch", '{"queries": ["产业集群", "\\ud800产业"]}', "queries[1]"),
    ("POST", "/v1/coverage", '{"reference": "guangdong-2020-strategic-clusters", "items": ["装备\\ud800"]}',
     "items[0]"),
    ("POST", "/v1/coverage", '{"reference": "guangdong-2020-strategic-clusters", "items": "装备\\ud800、物流"}',
     "items"),
    ("POST", "/v1/align", '{"doc_a": "\\ud800", "doc_b": "x"}', "doc_a"),
    ("POST", "/v1/reuse", '{"docs": ["a", "\\udfff"]}', "docs[1]"),
    ("PATCH", "/v1/documents/x/metadata", '{"title": "标题\\ud800"}', "title"),
])
def test_a_lone_surrogate_anywhere_in_a_request_is_one_clear_422(lib, method, url, body, where):
    r = lib.request(method, url, content=body, headers={"content-type": "application/json"})
    msg = error_of(r, 422, "invalid_text")  # was 500 internal_error (UnicodeEncodeError)
    assert msg.startswith(f"{where}: ") and "文本含无效字符" in msg and "text contains invalid characters" in msg
    assert lib.get("/v1/health").status_code == 200  # the connection and the server carry on


def test_the_same_words_from_the_cli_and_the_library_check(tmp_path, capsys):
    from indexer.cli import main
    from indexer.errors import PolicyError
    from indexer.limits import check_text

    with pytest.raises(PolicyError, match="文本含无效字符 / text contains invalid characters"):
        check_text(BAD)
    assert check_text("产业集群") == "产业集群"
    # a command-line argument of invalid UTF-8 bytes arrives as a lone surrogate (surrogateescape)
    rc = main(["search", "\udcff产业", "--index-dir", str(tmp_path / "none"), "--embedder", "fake"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "文本含无效字符" in err and "query" in err, err
    rc = main(["search", "产业", "--region", "东莞\udcff", "--index-dir", str(tmp_path / "none")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "文本含无效字符" in err and "region" in err, err


def test_query_and_path_parameters_go_through_the_same_check():
    from starlette.requests import Request

    from indexer.api.errors import ApiError
    from indexer.api.routes_read import valid_text

    ok = Request({"type": "http", "query_string": "q=产业".encode(), "headers": [], "path_params": {"doc_id": "a"}})
    valid_text(ok)
    bad = Request({"type": "http", "query_string": b"", "headers": [], "path_params": {"doc_id": "\ud800"}})
    with pytest.raises(ApiError) as e:
        valid_text(bad)
    assert e.value.status == 422 and e.value.code == "invalid_text" and e.value.message.startswith("doc_id: 文本含无效字符")


# ---------------------------------------------------------------- 3. caps that could be bypassed

def test_a_batch_is_capped_in_total_characters_and_items_in_length(lib, monkeypatch):
    from indexer.limits import MAX_ITEM_CHARS, MAX_QUERY_CHARS, MAX_TOTAL_CHARS

    n = MAX_TOTAL_CHARS // MAX_QUERY_CHARS + 1  # 300 such queries ran ~96 s of model time in one request
    msg = error_of(lib.post("/v1/search/batch", json={"queries": ["链" * MAX_QUERY_CHARS] * n}), 422,
                   "batch_too_long")
    assert f"at most {MAX_TOTAL_CHARS}" in msg
    body = {"reference": "guangdong-2020-strategic-clusters", "items": ["装备制造", "链" * 20_000]}  # ran 24 s
    msg = error_of(lib.post("/v1/coverage", json=body), 422, "item_too_long")
    assert f"at most {MAX_ITEM_CHARS}" in msg and "items[1]" in msg
    body["items"] = "装备制造、" + "链" * 20_000
    error_of(lib.post("/v1/coverage", json=body), 422, "item_too_long")


# ---------------------------------------------------------------- 5. /docs and /redoc work offline

@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_local_assets_that_answer(lib, page):
    import re

    r = lib.get(page)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", r.text)
    urls += re.findall(r"""url:\s*'([^']+)'""", r.text) + re.findall(r"""spec-url\s*=\s*["']([^"']+)""", r.text)
    assert urls and "://" not in r.text.replace("http://testserver", ""), urls  # was cdn.jsdelivr.net
    kinds = set()
    for url in urls:
        got = lib.get(url)
        assert got.status_code == 200, url
        kinds.add(got.headers["content-type"].split(";")[0])
    assert "text/javascript" in kinds or "application/javascript" in kinds
    if page == "/docs":
        assert "text/css" in kinds


# ---------------------------------------------------------------- 6. the API's own page may post

def test_a_request_from_the_apis_own_page_may_change_things_and_a_foreign_one_may_not(lib):
    own = {"Origin": "http://testserver"}  # what /docs sends: the server's own scheme://host:port
    r = lib.post("/v1/search", json={"query": "产业集群", "k": 1}, headers=own)
    assert r.status_code == 200, r.text  # was 403 forbidden_origin
    r = lib.post("/v1/search", json={"query": "产业集群", "k": 1},
                 headers={"Origin": "http://127.0.0.1:8600", "Host": "127.0.0.1:8600"})
    assert r.status_code == 200, r.text
    for evil in ("https://evil.example", "http://testserver.evil.example", "http://evil.example:80", "null",
                 "http://testserver:8080", "file://testserver"):
        error_of(lib.post("/v1/index/build", headers={"Origin": evil}), 403, "forbidden_origin")
    error_of(lib.post("/v1/search", json={"query": "x"}, headers={"Origin": "http://127.0.0.1:8601",
                                                                    "Host": "127.0.0.1:8600"}), 403,
             "forbidden_origin")


def test_on_loopback_a_rebound_name_is_still_refused_before_its_origin_is_compared(fake_index, tmp_path):
    app = create_app(fake_index, tmp_path / "up", token="", allowed_hosts=("127.0.0.1", "localhost", "::1"))
    with TestClient(app, base_url="http://127.0.0.1:8600", raise_server_exceptions=False) as c:
        assert c.post("/v1/search", json={"query": "产业集群", "k": 1},
                      headers={"Origin": "http://127.0.0.1:8600"}).status_code == 200
        error_of(c.post("/v1/search", json={"query": "产业集群"},
                        headers={"Origin": "http://evil.example:8600", "Host": "evil.example:8600"}), 400, "bad_host")


# ---------------------------------------------------------------- 7. an upload removed before it is indexed

def test_an_upload_not_yet_indexed_can_be_removed_and_no_build_indexes_it(lib):
    saved = upload(lib, "新上传.txt", build=False).json()["files"][0]["saved_as"]
    assert (lib.uploads / saved).exists()
    r = lib.delete(f"/v1/documents/{saved}")  # was 404 until a build had indexed it
    assert r.status_code == 202, r.text
    assert r.json()["removed"] is True and not (lib.uploads / saved).exists()
    lib.jobs.wait(r.json()["job"]["job_id"], timeout=120)
    assert all("新上传" not in d["path"] for d in lib.get("/v1/documents").json())
    # by the doc_id the build would give it, too
    again = upload(lib, "另一个.txt", TEXT + "另一份。".encode(), build=False).json()["files"][0]["saved_as"]
    r = lib.delete("/v1/documents/另一个")
    assert r.status_code == 202 and r.json()["doc_id"] == "另一个" and not (lib.uploads / again).exists()
    error_of(lib.delete("/v1/documents/no-such-upload"), 404, "not_found")


def test_an_upload_removed_while_its_build_runs_is_not_published(lib):
    r = upload(lib, "边建边删.txt", build=True)
    saved, job = r.json()["files"][0]["saved_as"], r.json()["job"]
    gone = lib.delete(f"/v1/documents/{saved}")
    assert gone.status_code == 202, gone.text
    for j in (job, gone.json()["job"]):
        lib.jobs.wait(j["job_id"], timeout=120)
    assert not (lib.uploads / saved).exists()
    assert all("边建边删" not in d["path"] for d in lib.get("/v1/documents").json())


def test_a_build_drops_a_document_whose_file_was_removed_while_it_ran(tmp_path):
    from indexer.ingest.build import build_index
    from indexer.search import Engine

    corpus = copy_corpus(tmp_path / "corpus", ["guangdong-2020-strategic-clusters.txt"])
    late = corpus / "late.txt"
    late.write_bytes(TEXT)

    def remove_while_embedding(stage, done, total):
        if stage == "embed":
            late.unlink(missing_ok=True)

    report = build_index([corpus], tmp_path / "index", "fake", progress=remove_while_embedding)
    assert report.documents == 1
    assert [d.doc_id for d in Engine.open(tmp_path / "index").store.documents()] == [
        "guangdong-2020-strategic-clusters"]


# ---------------------------------------------------------------- an empty query (found in use: 200 [] from the API)

@pytest.mark.parametrize("request_", [("get", "/v1/search?q="), ("get", "/v1/search?q=%20%20"),
                                      ("post", "/v1/search", {"query": "   "})])
def test_an_empty_query_is_refused_as_the_cli_refuses_it(lib, request_):
    method, url, *body = request_
    r = lib.get(url) if method == "get" else lib.post(url, json=body[0])
    assert "查询为空" in error_of(r, 422, "empty_query")


def test_a_batch_keeps_an_empty_line_as_an_empty_list(lib):
    r = lib.post("/v1/search/batch", json={"queries": ["", "链长制"]})
    assert r.status_code == 200 and r.json()[0] == [] and r.json()[1]


def test_the_cli_refuses_a_query_of_spaces(fake_index, capsys, monkeypatch):
    from indexer.cli import main

    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    assert main(["search", "   ", "--index-dir", str(fake_index)]) == 2
    err = capsys.readouterr().err
    assert "查询为空" in err and "Traceback" not in err


def test_a_malformed_body_is_said_in_chinese_with_where(lib):
    r = lib.post("/v1/search", content=b'{"query": "x",}', headers={"content-type": "application/json"})
    message = error_of(r, 422, "invalid_input")
    assert "不是有效的 JSON" in message and "第 14 个字符" in message


def test_region_scope_all_is_the_clis_word_for_the_default(lib):
    """The CLI's --scope takes all|self; the API took only self or nothing (found in use: all refused by a regex)."""
    wide = lib.get("/v1/search", params={"q": "产业集群", "region": "广东"}).json()
    assert lib.get("/v1/search", params={"q": "产业集群", "region": "广东", "region_scope": "all"}).json() == wide
    body = lib.post("/v1/search", json={"query": "产业集群", "region": "广东", "region_scope": "all"})
    assert body.status_code == 200 and body.json() == wide
    assert "取值不在可选范围内" in error_of(lib.get("/v1/search", params={"q": "x", "region_scope": "every"}), 422,
                                          "invalid_input")


def test_coverage_of_a_document_against_itself_is_refused(lib, capsys):
    """Found in use: 杭州市物业管理条例 against itself gave 92 of 93 covered; align already refused the same pair."""
    body = {"reference": "guangdong-2020-strategic-clusters", "target": "guangdong-2020-strategic-clusters"}
    assert "同一份文件" in error_of(lib.post("/v1/coverage", json=body), 422, "same_document")
    from indexer.library import Library

    with pytest.raises(PolicyError, match="同一份文件"):
        Library(paths.INDEX_DIR).coverage("guangdong-2020-strategic-clusters",
                                          "guangdong-2020-strategic-clusters.txt")  # the same file, named otherwise
