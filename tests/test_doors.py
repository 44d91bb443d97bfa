"""Same question, same answer, three doors: each verb asked through the Library, the CLI (--json), the HTTP API
and, where the page asks it, the app (AppTest), on the shipped corpus's fake-embedder index."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.api.app import create_app
from indexer.cli import main
from indexer.errors import PolicyError
from indexer.library import Library
from indexer.limits import MAX_QUERY_CHARS

PROVINCE, DONGGUAN = "guangdong-2020-strategic-clusters", "dongguan-2021-strategic-clusters"
CLAUSE = "dongguan-2021-strategic-clusters:2.1.2"
SEED = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture
def doors(app_env, fake_index):
    """(library, API client, the CLI's main) over one index and one upload folder."""
    from indexer import paths

    lib = Library(fake_index, paths.UPLOAD_DIR)
    client = TestClient(create_app(fake_index, paths.UPLOAD_DIR, token=""))

    return lib, client, main


@pytest.fixture
def own_doors(app_env, fake_index, tmp_path, monkeypatch):
    """As `doors`, over a copy of the index: uploads through the API start a build, which must not touch the
    session's shared index."""
    import shutil

    from indexer import paths

    index = tmp_path / "own-index"
    shutil.copytree(fake_index, index, ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.setattr(paths, "INDEX_DIR", index)
    lib = Library(index, paths.UPLOAD_DIR)
    return lib, TestClient(create_app(index, paths.UPLOAD_DIR, token="")), main


def cli_json(capsys, *argv: str):
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def ids(hits) -> list[str]:
    return [h["clause_id"] if isinstance(h, dict) else h.clause_id for h in hits]


# ---------------------------------------------------------------- search: filters in both vocabularies

SEARCHES = [
    ("level codes", {"level": "city"}, ["--level", "city"], {"level": "city"}),
    ("level labels", {"level": "市级"}, ["--level", "市级"], {"level": "市级"}),
    ("status labels", {"status": "征求意见稿"}, ["--status", "征求意见稿"], {"status": "征求意见稿"}),
    ("region scope self", {"region": "广东省", "region_scope": "self"}, ["--region", "广东省", "--scope", "self"],
     {"region": "广东省", "region_scope": "self"}),
    ("dates, undated kept", {"date_from": "2021-01-01", "date_to": "2021-12-31", "include_undated": True},
     ["--from", "2021-01-01", "--to", "2021-12-31", "--include-undated"],
     {"date_from": "2021-01-01", "date_to": "2021-12-31", "include_undated": True}),
]


@pytest.mark.parametrize("name, lib_kw, cli_args, api_kw", SEARCHES, ids=[s[0] for s in SEARCHES])
def test_search_is_the_same_through_every_door(doors, capsys, name, lib_kw, cli_args, api_kw):
    lib, client, _ = doors
    want = ids(lib.search("产业集群", k=8, filters=lib.filters(**lib_kw)))
    assert want, name
    assert ids(cli_json(capsys, "search", "产业集群", "--k", "8", *cli_args)) == want
    got = client.post("/v1/search", json={"query": "产业集群", "k": 8, **api_kw})
    assert got.status_code == 200, got.text
    assert ids(got.json()["hits"] if isinstance(got.json(), dict) else got.json()) == want


APP_FILTERS = [  # the search page's choices (several values of a field: any matches) and the Library's words
    ({"levels": ["市级"]}, {"level": "市级"}),
    ({"levels": ["city", "province"]}, {"level": "市级,省级"}),
    ({"regions": ["广东省"], "region_scope": "self"}, {"region": "广东省", "region_scope": "self"}),
    ({"date_from": "2021-01-01", "date_to": "2021-12-31", "include_undated": True},
     {"date_from": "2021-01-01", "date_to": "2021-12-31", "include_undated": True}),
]


@pytest.mark.parametrize("page, lib_kw", APP_FILTERS, ids=[str(p) for p, _ in APP_FILTERS])
def test_the_search_page_asks_the_same_library(doors, page, lib_kw):
    """The page's cached search goes through the one Library: same hits for the same filters."""
    from app_pages import results

    lib, _, _ = doors
    want = ids(lib.search("产业集群", k=8, filters=lib.filters(**lib_kw)))
    assert ids(results.search("产业集群", "hybrid", 8, results.filter_key(**page), ("doors",))) == want


def test_the_two_vocabularies_give_one_answer(doors):
    lib, _, _ = doors
    assert lib.filters(level="市级,省级") == lib.filters(level="city,province")


def test_an_over_long_query_is_refused_alike(doors, capsys, app_env):
    from streamlit.testing.v1 import AppTest

    lib, client, _ = doors
    query = "产" * (MAX_QUERY_CHARS + 1)
    with pytest.raises(PolicyError) as err:
        lib.search(query)
    line = str(err.value)
    assert main(["search", query]) == 2
    assert line in capsys.readouterr().err
    got = client.post("/v1/search", json={"query": query})
    assert got.status_code == 422 and got.json()["message"] == line
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=120)
    at.switch_page("app_pages/search.py").run()
    at.text_input(key="query").input(query)
    next(b for b in at.button if "检索" in b.label).click().run()
    from app_pages.render import md

    assert not at.exception and any(md(line) in e.value for e in at.error)  # the page writes it as Markdown


def test_an_unknown_filter_value_is_refused_alike(doors, capsys):
    lib, client, _ = doors
    with pytest.raises(PolicyError) as err:
        lib.filters(level="mayor")
    assert main(["search", "产业集群", "--level", "mayor"]) == 2
    assert str(err.value) in capsys.readouterr().err
    got = client.post("/v1/search", json={"query": "产业集群", "level": "mayor"})
    assert got.status_code == 422 and str(err.value) in got.json()["message"]


# ---------------------------------------------------------------- the other verbs

def test_similar_is_the_same_through_every_door(doors, capsys):
    lib, client, _ = doors
    want = ids(lib.similar(CLAUSE, k=5))
    assert ids(cli_json(capsys, "similar", CLAUSE, "--k", "5")) == want
    assert ids(client.get(f"/v1/clauses/{CLAUSE}/similar", params={"k": 5}).json()) == want


def test_coverage_is_the_same_through_every_door(doors, capsys):
    lib, client, _ = doors
    want = lib.coverage(PROVINCE, DONGGUAN).result.to_dict()
    assert cli_json(capsys, "coverage", "--reference", PROVINCE, "--target", DONGGUAN) == want
    assert client.post("/v1/coverage", json={"reference": PROVINCE, "target": DONGGUAN}).json() == want


def test_matrix_diffusion_and_instruments_are_the_same_through_every_door(doors, capsys):
    """The provincial view existed only in the CLI and the app: the API answers it now, from the same Library."""
    lib, client, _ = doors
    want = json.loads(json.dumps(lib.matrix(PROVINCE).to_dict(), ensure_ascii=False))
    assert cli_json(capsys, "matrix", "--reference", PROVINCE) == want
    assert client.post("/v1/matrix", json={"reference": PROVINCE}).json() == want
    want = json.loads(json.dumps(lib.diffusion(item="新能源").to_dict(), ensure_ascii=False))
    assert cli_json(capsys, "diffusion", "--item", "新能源") == want
    assert client.post("/v1/diffusion", json={"item": "新能源"}).json() == want
    want = lib.instruments("region")
    assert cli_json(capsys, "instruments", "--facet", "region") == want
    assert client.get("/v1/instruments", params={"facet": "region"}).json() == want
    assert client.post("/v1/matrix", json={"reference": "no-such-doc"}).status_code == 404


def test_align_and_reuse_are_the_same_through_every_door(doors, capsys):
    lib, client, _ = doors
    want = lib.align(PROVINCE, DONGGUAN).to_dict()
    assert cli_json(capsys, "align", PROVINCE, DONGGUAN) == json.loads(json.dumps(want, ensure_ascii=False))
    assert client.post("/v1/align", json={"doc_a": PROVINCE, "doc_b": DONGGUAN}).json() == \
        json.loads(json.dumps(want, ensure_ascii=False))
    min_chars, pairs = lib.reuse()
    got = client.post("/v1/reuse", json={}).json()
    assert got["min_chars"] == min_chars and len(got["pairs"]) == len(pairs)


def test_a_duplicate_upload_is_told_alike(own_doors, app_env):
    """The same bytes twice: the app's and the API's uploads both say it is already there, nothing is added."""
    from indexer.uploads import import_upload

    lib, client, _ = own_doors
    data = (SEED / "dongguan-2021-strategic-clusters.txt").read_bytes()
    first = import_upload("copy.txt", data, lib.documents(), lib.upload_dir)
    assert first.status == "duplicate"  # the text of a library document: nothing kept
    sent = client.post("/v1/documents", data={"build": "false"}, files=[("files", ("copy.txt", data, "text/plain"))])
    assert sent.json()["files"][0]["status"] == first.status
    assert not lib.upload_dir.exists() or not any(lib.upload_dir.iterdir())


# ---------------------------------------------------------------- a reader registered at run time

@pytest.fixture
def ofd_reader():
    """An `.ofd` reader (the national e-document format) registered while the test runs: reads as text here."""
    from indexer.ingest import readers
    from indexer.ingest.readers.text import read_text

    readers.register_reader(".ofd", lambda path, options=None: read_text(path, options, fmt="ofd"), text=True)
    yield ".ofd"
    readers.READERS.pop(".ofd", None)
    readers.SUPPORTED_SUFFIXES = tuple(readers.READERS)


def test_a_reader_registered_at_run_time_is_taken_everywhere(ofd_reader, own_doors, tmp_path, app_env):
    """corpus.py took the suffixes by value at import time and the API had a list of its own: a reader
    registered later was never listed by the corpus nor accepted by an upload."""
    from streamlit.testing.v1 import AppTest

    from app_pages import common
    from indexer.ingest.corpus import corpus_files
    from indexer.uploads import import_upload

    lib, client, _ = own_doors
    text = "某市电子公文管理办法\n\n第一条 为了规范电子公文的制发，制定本办法。\n\n第二条 本办法适用于本市各级机关。\n"
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "gongwen.ofd").write_text(text, encoding="utf-8")
    assert [p.name for p, _, _ in corpus_files(folder)] == ["gongwen.ofd"]
    sent = client.post("/v1/documents", data={"build": "false"},
                       files=[("files", ("gongwen.ofd", text.encode(), "application/ofd"))])
    assert sent.status_code in (200, 201, 202) and sent.json()["files"][0]["status"] == "added", sent.text
    assert "ofd" in common.upload_types()  # the library page's check before it saves a file
    again = import_upload("gongwen-2.ofd", text.replace("某市", "另一市").encode(), lib.documents(), tmp_path / "up2")
    assert again.status == "added"
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=120)
    at.switch_page("app_pages/library.py").run()
    assert not at.exception and any("ofd" in c.value for c in at.caption)
