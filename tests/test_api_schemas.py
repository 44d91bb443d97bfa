"""One schema: the API's models are the CLI's --json shapes, and the API, the CLI and the Python API agree."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from indexer import library, paths  # noqa: E402
from indexer.api import schemas  # noqa: E402
from indexer.api.app import create_app  # noqa: E402
from indexer.cli import main  # noqa: E402
from indexer.compare import pairs  # noqa: E402
from indexer.limits import MAX_QUERY_CHARS  # noqa: E402
from tests.conftest import SEED_CORPUS  # noqa: E402

PROVINCE, DONGGUAN = "guangdong-2020-strategic-clusters", "dongguan-2021-strategic-clusters"


@pytest.fixture
def on_index(monkeypatch, fake_index, tmp_path):
    """The CLI's defaults (index, corpus, uploads) pointed where the API looks."""
    monkeypatch.setattr(paths, "INDEX_DIR", fake_index)
    monkeypatch.setattr(paths, "CORPUS_DIR", SEED_CORPUS)
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "uploads")
    with TestClient(create_app(fake_index, tmp_path / "uploads", token="")) as c:
        yield c


def cli(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


# A fixed set of calls: (CLI arguments, API request, the Python API's answer)
def _calls(engine, docs):
    from indexer.compare.align import align_documents
    from indexer.compare.reuse import find_reuse
    from indexer.ingest.lists import find_lists
    from indexer.search import SearchFilters

    def doc(i):
        return next(d for d in docs if d.doc_id == i)

    def hits(q, **kw):
        return [h.to_dict() for h in engine.search(q, **kw)]

    cid = engine.search("工业机器人", k=1)[0].clause_id
    return [
        (["search", "工业机器人", "--k", "5"], ("GET", "/v1/search", {"q": "工业机器人", "k": 5}),
         hits("工业机器人", k=5)),
        (["search", "产业链", "--mode", "keyword", "--region", "广东"],
         ("GET", "/v1/search", {"q": "产业链", "mode": "keyword", "region": "广东"}),
         hits("产业链", mode="keyword", filters=SearchFilters(region="广东"))),
        (["search", "产业集群", "--mode", "semantic", "--level", "city", "--from", "2021", "--section", "保障措施"],
         ("POST", "/v1/search", {"query": "产业集群", "mode": "semantic", "level": "city", "date_from": "2021",
                                 "section": "保障措施"}),
         hits("产业集群", mode="semantic", filters=SearchFilters(level="city", date_from="2021", section="保障措施"))),
        (["search", "战略性产业集群", "--mode", "phrase", "--doc", DONGGUAN],
         ("GET", "/v1/search", {"q": "战略性产业集群", "mode": "phrase", "doc": DONGGUAN}),
         hits("战略性产业集群", mode="phrase", filters=SearchFilters(doc_ids=(DONGGUAN,)))),
        (["search", "工业机器人集成应用", "--fuzzy"], ("GET", "/v1/search", {"q": "工业机器人集成应用", "fuzzy": True}),
         hits("工业机器人集成应用", fuzzy=True)),
        (["similar", cid, "--k", "3"], ("GET", f"/v1/clauses/{cid}/similar", {"k": 3}),
         [h.to_dict() for h in engine.similar(cid, k=3)]),
        (["lists", DONGGUAN], ("GET", f"/v1/documents/{DONGGUAN}/lists", None),
         [nl.to_dict() for nl in find_lists(doc(DONGGUAN))]),
        (["outline", str(SEED_CORPUS / f"{DONGGUAN}.txt")], ("GET", f"/v1/documents/{DONGGUAN}/outline", None),
         [c.to_dict() for c in doc(DONGGUAN).clauses]),
        (["coverage", "--reference", PROVINCE, "--target", DONGGUAN],
         ("POST", "/v1/coverage", {"reference": PROVINCE, "target": DONGGUAN}),
         library.coverage_between(docs, PROVINCE, DONGGUAN).result.to_dict()),
        (["coverage", "--reference", PROVINCE, "--items", "装备制造,现代物流,新材料"],
         ("POST", "/v1/coverage", {"reference": PROVINCE, "items": ["装备制造", "现代物流", "新材料"]}),
         library.coverage_between(docs, PROVINCE, None, ["装备制造", "现代物流", "新材料"]).result.to_dict()),
        (["align", DONGGUAN, PROVINCE], ("POST", "/v1/align", {"doc_a": DONGGUAN, "doc_b": PROVINCE}),
         align_documents(doc(DONGGUAN), doc(PROVINCE), vectors=engine.clause_vectors).to_dict()),
        (["reuse", "--docs", f"{DONGGUAN},{PROVINCE}"], ("POST", "/v1/reuse", {"docs": [DONGGUAN, PROVINCE]}),
         {"min_chars": 20, "pairs": [p.to_dict() for p in find_reuse([doc(DONGGUAN), doc(PROVINCE)])]}),
    ]


def _api(client, method, url, payload):
    r = client.get(url, params=payload) if method == "GET" else client.post(url, json=payload)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_api_the_cli_and_the_python_api_give_the_same_answers(on_index, capsys, fake_engine):
    calls = _calls(fake_engine, fake_engine.documents)
    for argv, (method, url, payload), python in calls:
        from_cli = cli(capsys, *argv, "--json")
        from_api = _api(on_index, method, url, payload)
        assert from_api == from_cli == python, argv
        assert from_api, argv  # each call has an answer worth comparing
    docs_cli = cli(capsys, "docs", "--json")
    docs_api = on_index.get("/v1/documents").json()
    assert docs_api == [{**d, "path": Path(d["path"]).name} for d in docs_cli]


@pytest.mark.parametrize("model, key", [(schemas.Hit, "hit"), (schemas.Clause, "clause"),
                                        (schemas.NamedList, "list"), (schemas.Coverage, "coverage"),
                                        (schemas.Alignment, "align"), (schemas.Reuse, "reuse"),
                                        (schemas.DocumentSummary, "summary"), (schemas.BuildReport, "build")])
def test_each_model_holds_exactly_the_to_dict_shape(model, key, fake_engine, tmp_path):
    """Validating real to_dict() output and dumping it back changes nothing, and no key is left undeclared."""
    from indexer.compare.reuse import find_reuse
    from indexer.embedders import FakeEmbedder
    from indexer.ingest.build import build_index
    from indexer.ingest.lists import find_lists

    docs = fake_engine.documents
    dg = next(d for d in docs if d.doc_id == DONGGUAN)
    samples = {
        "hit": lambda: [h.to_dict() for h in fake_engine.search("工业机器人", k=3, fuzzy=True)],
        "clause": lambda: [c.to_dict() for c in dg.clauses[:20]],
        "list": lambda: [nl.to_dict() for nl in find_lists(dg)],
        "coverage": lambda: [library.coverage_between(docs, PROVINCE, DONGGUAN).result.to_dict()],
        "align": lambda: [pairs.align_pair(docs, DONGGUAN, PROVINCE, vectors=fake_engine.clause_vectors).to_dict()],
        "reuse": lambda: [{"min_chars": 20, "pairs": [p.to_dict() for p in find_reuse(docs[:3])]}],
        "summary": lambda: [d.summary() for d in docs] + [d.summary() for d in fake_engine.store.documents()],
        "build": lambda: [build_index([SEED_CORPUS], tmp_path / "i", FakeEmbedder()).to_dict()],
    }
    for d in samples[key]():
        assert model.model_validate(d).model_dump(mode="json") == json.loads(json.dumps(d))
        assert set(model.model_fields) == set(d)


def test_document_metadata_fields_come_from_docmeta():
    import dataclasses

    from indexer.models import DocMeta

    meta = {f.name for f in dataclasses.fields(DocMeta)}
    assert meta <= set(schemas.DocumentSummary.model_fields)
    assert set(schemas.DocumentSummary.model_fields) - meta == {"doc_id", "n_clauses", "path", "format"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=MAX_QUERY_CHARS + 40), k=st.integers(-5, 1200),
       mode=st.sampled_from(["hybrid", "keyword", "phrase", "fuzzy", "semantic", "other"]),
       region=st.text(max_size=8), date_from=st.text(max_size=12))
def test_no_search_input_gives_a_server_error(on_index, fake_engine, q, k, mode, region, date_from):
    r = on_index.get("/v1/search", params={"q": q, "k": k, "mode": mode, "region": region, "from": date_from})
    assert r.status_code in (200, 422), r.text
    body = r.json()
    if r.status_code == 422:
        assert set(body) == {"error", "message"}
    else:
        assert isinstance(body, list) and len(body) <= k
        assert len(q) <= MAX_QUERY_CHARS and 1 <= k <= 1000
