"""The HTTP API's read and comparison endpoints through FastAPI's TestClient: answers and refusals."""
from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from indexer.api.app import create_app  # noqa: E402
from indexer.limits import MAX_ITEMS, MAX_K, MAX_QUERY_CHARS  # noqa: E402

PROVINCE, DONGGUAN = "guangdong-2020-strategic-clusters", "dongguan-2021-strategic-clusters"


@pytest.fixture(scope="module")
def client(fake_index, tmp_path_factory):
    app = create_app(fake_index, tmp_path_factory.mktemp("uploads"), token="")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def error_of(r, status: int, code: str) -> str:
    """The response is the JSON error shape with this status and code; returns its message."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "message"} and body["error"] == code, body
    assert "Traceback" not in r.text and "\n" not in body["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body["message"]  # Chinese + English
    return body["message"]


# ---------------------------------------------------------------- health, status, docs

def test_health_and_index_status_report_counts_and_versions(client, fake_engine):
    assert client.get("/v1/health").json() == {"status": "ok", "index": True, "api_version": "1"}
    s = client.get("/v1/index").json()
    assert s["ready"] and s["backend"] == "folder"
    assert (s["documents"], s["clauses"]) == (len(fake_engine.store.documents()), len(fake_engine.store))
    assert s["embedder"]["name"] == "fake" and s["versions"]["parser"] == s["parser_version"]
    assert s["parser_outdated"] is False and s["build"] is None
    assert s["generation"].startswith("gen-")


def test_status_without_an_index_says_not_ready_and_searches_answer_503(tmp_path):
    with TestClient(create_app(tmp_path / "none", tmp_path / "up", token="")) as c:
        assert c.get("/v1/health").json()["index"] is False
        assert c.get("/v1/index").json()["ready"] is False
        msg = error_of(c.get("/v1/search", params={"q": "产业集群"}), 503, "index_unavailable")
        assert "build" in msg


def test_openapi_docs_describe_every_endpoint(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/v1/search", "/v1/search/batch", "/v1/clauses/{clause_id}/similar", "/v1/documents",
            "/v1/documents/{doc_id}", "/v1/documents/{doc_id}/outline", "/v1/documents/{doc_id}/lists",
            "/v1/coverage", "/v1/align", "/v1/reuse", "/v1/index", "/v1/index/build", "/v1/jobs/{job_id}",
            "/v1/health"} <= set(spec["paths"])
    assert {"get", "post"} <= set(spec["paths"]["/v1/documents"])
    assert "delete" in spec["paths"]["/v1/documents/{doc_id}"]
    assert spec["components"]["schemas"]["Error"]["required"] == ["error", "message"]


# ---------------------------------------------------------------- search

@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword", "phrase", "fuzzy"])
def test_search_in_every_mode_gives_the_engine_s_hits(client, fake_engine, mode):
    r = client.get("/v1/search", params={"q": "工业机器人", "k": 5, "mode": mode})
    assert r.status_code == 200, r.text
    assert r.json() == [h.to_dict() for h in fake_engine.search("工业机器人", k=5, mode=mode)]
    assert r.headers["X-Index-Generation"].startswith("gen-")


@pytest.mark.parametrize("params, check", [
    ({"region": "东莞"}, lambda h: "东莞" in h["region"]),
    ({"level": "province"}, lambda h: h["level"] == "province"),
    ({"doc": [PROVINCE, DONGGUAN]}, lambda h: h["doc_id"] in (PROVINCE, DONGGUAN)),
    ({"status": "draft"}, lambda h: h["status"] == "draft"),
    ({"from": "2021-01-01", "to": "2021-12-31"}, lambda h: h["date"].startswith("2021")),
    ({"section": "保障措施"}, lambda h: True),
    ({"region": "广东", "region_scope": "self"}, lambda h: h["region"] == "广东省"),
])
def test_search_filters_as_query_parameters(client, fake_engine, params, check):
    from indexer.filters import SearchFilters

    hits = client.get("/v1/search", params={"q": "产业集群", "k": 10, **params}).json()
    assert hits and all(check(h) for h in hits), hits
    f = SearchFilters(region=params.get("region", ""), level=params.get("level", ""),
                      doc_ids=tuple(params.get("doc", ())), status=params.get("status", ""),
                      date_from=params.get("from", ""), date_to=params.get("to", ""),
                      section=params.get("section", ""), region_scope=params.get("region_scope", ""))
    assert hits == [h.to_dict() for h in fake_engine.search("产业集群", k=10, filters=f)]


def test_post_search_and_batch_equal_get_search(client):
    got = client.get("/v1/search", params={"q": "产业链", "k": 3, "region": "广东"}).json()
    assert client.post("/v1/search", json={"query": "产业链", "k": 3, "region": "广东"}).json() == got
    batch = client.post("/v1/search/batch", json={"queries": ["产业链", "", "工业机器人"], "k": 3,
                                                   "region": "广东"}).json()
    assert got and batch[0] == got and batch[1] == [] and len(batch) == 3


@pytest.mark.parametrize("params, status, code", [
    ({"q": "产业集群", "k": "ten"}, 422, "invalid_input"),
    ({"q": "产业集群", "k": 0}, 422, "k_out_of_range"),
    ({"q": "产业集群", "k": MAX_K + 1}, 422, "k_out_of_range"),
    ({"q": "产业集群", "mode": "magic"}, 422, "invalid_input"),
    ({"q": "产" * (MAX_QUERY_CHARS + 1)}, 422, "query_too_long"),
    ({}, 422, "invalid_input"),
    ({"q": "产业集群", "level": "galactic"}, 422, "invalid_filter"),
    ({"q": "产业集群", "from": "2021-02-30"}, 422, "invalid_filter"),
    ({"q": "产业集群", "region_scope": "everything"}, 422, "invalid_input"),
    ({"q": "产业集群", "fuzzy": "perhaps"}, 422, "invalid_input"),
])
def test_bad_search_input_is_refused_with_a_json_error(client, params, status, code):
    error_of(client.get("/v1/search", params=params), status, code)


def test_bad_json_bodies_are_refused(client):
    error_of(client.post("/v1/search", json={"query": 5}), 422, "invalid_input")
    error_of(client.post("/v1/search", json={"query": "x", "k": 3, "colour": "red"}), 422, "invalid_input")
    error_of(client.post("/v1/search", content=b"{not json", headers={"content-type": "application/json"}),
             422, "invalid_input")
    error_of(client.post("/v1/search/batch", json={"queries": ["a"] * (MAX_ITEMS + 1)}), 422, "too_many_queries")
    error_of(client.post("/v1/search/batch", json={"queries": ["a", "产" * (MAX_QUERY_CHARS + 1)]}), 422,
             "query_too_long")


def test_unknown_paths_and_methods_answer_json(client):
    error_of(client.get("/v1/nothing-here"), 404, "not_found")
    error_of(client.put("/v1/search"), 405, "method_not_allowed")


# ---------------------------------------------------------------- clauses and documents

def test_clause_and_similar_clauses(client, fake_engine):
    cid = fake_engine.search("工业机器人", k=1)[0].clause_id
    assert client.get(f"/v1/clauses/{cid}").json() == fake_engine.clause(cid).to_dict()
    got = client.get(f"/v1/clauses/{cid}/similar", params={"k": 4}).json()
    assert got == [h.to_dict() for h in fake_engine.similar(cid, k=4)] and cid not in [h["clause_id"] for h in got]
    same = client.get(f"/v1/clauses/{cid}/similar", params={"k": 4, "other_documents": "false"}).json()
    assert same == [h.to_dict() for h in fake_engine.similar(cid, k=4, other_documents=False)]
    assert {h["doc_id"] for h in got}.isdisjoint({cid.split(":")[0]})
    only = client.get(f"/v1/clauses/{cid}/similar", params={"k": 4, "level": "province"}).json()
    assert only and all(h["level"] == "province" for h in only)
    error_of(client.get("/v1/clauses/no-such-doc:9.9"), 404, "not_found")
    error_of(client.get("/v1/clauses/no-such-doc:9.9/similar"), 404, "not_found")
    error_of(client.get(f"/v1/clauses/{cid}/similar", params={"k": -1}), 422, "k_out_of_range")


def test_documents_outline_and_lists(client, fake_engine):
    from indexer.ingest.lists import find_lists

    docs = client.get("/v1/documents").json()
    assert [d["doc_id"] for d in docs] == [d.doc_id for d in fake_engine.store.documents()]
    assert all("/" not in d["path"] for d in docs)  # file names only: the server's folders stay private
    one = client.get(f"/v1/documents/{DONGGUAN}").json()
    assert one["region"] == "东莞市" and one["n_clauses"] > 0
    doc = next(d for d in fake_engine.documents if d.doc_id == DONGGUAN)
    assert client.get(f"/v1/documents/{DONGGUAN}/outline").json() == [c.to_dict() for c in doc.clauses]
    assert client.get(f"/v1/documents/{DONGGUAN}/lists").json() == [nl.to_dict() for nl in find_lists(doc)]
    by_name = client.get("/v1/documents/dongguan-2021-strategic-clusters.txt").json()
    assert by_name["doc_id"] == DONGGUAN
    for url in ("/v1/documents/nope", "/v1/documents/nope/outline", "/v1/documents/nope/lists"):
        assert "nope" in error_of(client.get(url), 404, "not_found")


# ---------------------------------------------------------------- coverage, align, reuse

def test_coverage_of_a_document_and_of_pasted_items(client):
    cov = client.post("/v1/coverage", json={"reference": PROVINCE, "target": DONGGUAN}).json()
    assert cov["region"] == "东莞市" and cov["summary"]["covered"] > 0
    pasted = client.post("/v1/coverage", json={"reference": PROVINCE, "items": ["新能源", "现代物流"]}).json()
    as_text = client.post("/v1/coverage", json={"reference": PROVINCE, "items": "新能源、现代物流"}).json()
    assert pasted == as_text and pasted["target"] == "pasted list"
    assert [t["name"] for t in pasted["target_items"]] == ["新能源", "现代物流"]
    assert pasted["summary"]["target_items"] == 2


@pytest.mark.parametrize("body, status, code", [
    ({"reference": PROVINCE}, 422, "invalid_input"),
    ({"reference": PROVINCE, "items": []}, 422, "invalid_input"),
    ({"reference": PROVINCE, "items": "  "}, 422, "invalid_input"),
    ({"reference": PROVINCE, "target": DONGGUAN, "items": ["新能源"]}, 422, "invalid_input"),
    ({"reference": PROVINCE, "items": [f"条目{i}" for i in range(MAX_ITEMS + 1)]}, 422, "too_many_items"),
    ({"reference": "nope", "target": DONGGUAN}, 404, "not_found"),
    ({"reference": PROVINCE, "target": "nope"}, 404, "not_found"),
    ({"reference": PROVINCE, "target": DONGGUAN, "reference_section": "第九十九章"}, 404, "not_found"),
    ({"reference": 12, "target": DONGGUAN}, 422, "invalid_input"),
])
def test_bad_coverage_requests(client, body, status, code):
    error_of(client.post("/v1/coverage", json=body), status, code)


def test_align_two_documents(client):
    al = client.post("/v1/align", json={"doc_a": DONGGUAN, "doc_b": PROVINCE}).json()
    assert al["doc_a"] == DONGGUAN and al["counts"]["pairs"] == len(al["pairs"]) > 0
    error_of(client.post("/v1/align", json={"doc_a": DONGGUAN, "doc_b": DONGGUAN}), 422, "same_document")
    error_of(client.post("/v1/align", json={"doc_a": DONGGUAN, "doc_b": "nope"}), 404, "not_found")
    error_of(client.post("/v1/align", json={"doc_a": DONGGUAN}), 422, "invalid_input")


def test_reuse_between_documents(client):
    got = client.post("/v1/reuse", json={"docs": [DONGGUAN, PROVINCE]}).json()
    assert got["min_chars"] == 20 and got["pairs"]
    assert {p["a"]["doc_id"] for p in got["pairs"]} | {p["b"]["doc_id"] for p in got["pairs"]} <= {DONGGUAN, PROVINCE}
    longer = client.post("/v1/reuse", json={"docs": [DONGGUAN, PROVINCE], "min_chars": 60}).json()
    assert len(longer["pairs"]) < len(got["pairs"]) and all(p["chars"] >= 60 for p in longer["pairs"])
    error_of(client.post("/v1/reuse", json={"docs": [DONGGUAN]}), 422, "invalid_input")
    error_of(client.post("/v1/reuse", json={"docs": [DONGGUAN, DONGGUAN]}), 422, "invalid_input")
    error_of(client.post("/v1/reuse", json={"docs": [DONGGUAN, "nope"]}), 404, "not_found")
    error_of(client.post("/v1/reuse", json={"min_chars": 0}), 422, "invalid_input")


def test_an_unexpected_failure_is_a_json_500_without_traceback(client, monkeypatch):
    from indexer.search import Engine

    def boom(self, *a, **kw):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(Engine, "search", boom)
    msg = error_of(client.get("/v1/search", params={"q": "产业集群"}), 500, "internal_error")
    assert "secret" not in msg and "ZeroDivisionError" in msg
