"""Impossible metadata is refused in one place: corrections (library, HTTP API) and manifest overrides.

A correction names its field and value in one bilingual line; a manifest override of the wrong type or an
impossible value is skipped with a warning, as other bad manifest entries are, never an internal error.
"""
from __future__ import annotations

import json

import pytest

from indexer.cli import main
from indexer.errors import PolicyError
from indexer.ingest import corpus
from indexer.ingest.meta_fields import check_correction
from indexer.uploads import correct_metadata
from tests.conftest import copy_corpus

RULE = "关于停车管理的若干规定\n一、总则\n为规范停车管理，制定本规定。\n二、附则\n自发布之日起施行。\n"
DONGGUAN = "dongguan-2021-strategic-clusters"


@pytest.mark.parametrize("field,value,words", [
    ("date", "2026-13-45", "日期无效 / invalid date: 2026-13-45 (应为 YYYY-MM-DD)"),
    ("date", "2021-13-45", "日期无效 / invalid date: 2021-13-45"),
    ("date", "2021-02-30", "日期无效 / invalid date: 2021-02-30"),
    ("date", "去年", "日期无效 / invalid date: 去年"),
    ("level", "mayor", "层级无效 / invalid level: mayor"),
    ("status", "repealed", "状态无效 / invalid status: repealed"),
    ("title", 123, "标题应为文字 / title must be text: 123"),
])
def test_an_impossible_value_is_refused_naming_field_and_value(field, value, words):
    with pytest.raises(PolicyError) as err:
        check_correction({field: value})
    assert words in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("fields,expected", [
    ({"level": "市级"}, {"level": "city"}),
    ({"level": "city"}, {"level": "city"}),
    ({"level": "未标注"}, {"level": ""}),
    ({"status": "征求意见稿"}, {"status": "draft"}),
    ({"status": "现行/未标注"}, {"status": ""}),
    ({"date": "2021-3-5"}, {"date": "2021-03-05"}),
    ({"date": " 2021-03-05 "}, {"date": "2021-03-05"}),
    ({"date": "2021年3月5日"}, {"date": "2021-03-05"}),
    ({"date": "", "title": "某规定"}, {"date": "", "title": "某规定"}),
])
def test_codes_labels_and_dates_are_read(fields, expected):
    assert check_correction(fields) == expected


@pytest.fixture
def uploaded(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "rule.txt").write_text(RULE, encoding="utf-8")
    (doc,) = corpus.load_corpus(folder, errors=[])
    return doc, folder


@pytest.mark.parametrize("fields", [{"date": "2026-13-45"}, {"date": "2021-13-45"}, {"level": "mayor"},
                                    {"title": "新标题", "date": "2021-13-45"}])
def test_correct_metadata_refuses_and_writes_nothing(uploaded, fields):
    doc, folder = uploaded
    with pytest.raises(PolicyError):
        correct_metadata(doc, fields, folder)
    assert not (folder / "manifest.json").exists()


def test_correct_metadata_stores_codes(uploaded):
    doc, folder = uploaded
    assert correct_metadata(doc, {"level": "市级", "status": "试行", "date": "2021-3-5"}, folder) == {
        "level": "city", "status": "trial", "date": "2021-03-05"}
    (again,) = corpus.load_corpus(folder, errors=[])
    assert (again.meta.level, again.meta.status, again.meta.date) == ("city", "trial", "2021-03-05")


def _bad_overrides(folder, overrides: dict) -> None:
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in data["documents"] if e.get("doc_id") == DONGGUAN)
    entry["overrides"] = {**entry.get("overrides", {}), **overrides}
    (folder / "manifest.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_manifest_override_of_the_wrong_type_is_skipped_with_a_warning(tmp_path):
    folder = copy_corpus(tmp_path / "corpus", [f"{DONGGUAN}.txt"])
    _bad_overrides(folder, {"title": 123, "date": "2021-13-45", "level": "mayor", "region": "东莞市"})
    errors: list = []
    (doc,) = corpus.load_corpus(folder, errors=errors)
    lines = [str(e) for e in errors]
    assert any("标题应为文字 / title must be text: 123" in x for x in lines), lines
    assert any("日期无效 / invalid date: 2021-13-45" in x for x in lines), lines
    assert any("层级无效 / invalid level: mayor" in x for x in lines), lines
    assert doc.meta.title and isinstance(doc.meta.title, str)  # the text's own reading
    assert doc.meta.date != "2021-13-45" and doc.meta.level != "mayor" and doc.meta.region == "东莞市"


def test_uploads_manifest_with_bad_overrides_does_not_abort_docs(tmp_path, capsys):
    folder = copy_corpus(tmp_path / "corpus", [f"{DONGGUAN}.txt"])
    _bad_overrides(folder, {"title": 123, "date": "2026-13-45"})
    assert main(["docs", "--corpus", str(folder), "--json"]) == 0
    out, err = capsys.readouterr()
    (doc,) = json.loads(out)
    assert isinstance(doc["title"], str) and doc["date"] != "2026-13-45"
    assert "内部错误" not in err and "TypeError" not in err
    assert "标题应为文字 / title must be text: 123" in err


# ---------------------------------------------------------------- the HTTP API

@pytest.fixture
def api(tmp_path, fake_index):
    pytest.importorskip("fastapi")
    import shutil

    from fastapi.testclient import TestClient

    from indexer.api.app import create_app

    index = tmp_path / "index"
    shutil.copytree(fake_index, index, ignore=shutil.ignore_patterns("*.lock"))
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "rule.txt").write_text(RULE, encoding="utf-8")
    app = create_app(index, uploads, token="")
    with TestClient(app, raise_server_exceptions=False) as c:
        c.uploads, c.jobs = uploads, app.state.api.jobs
        c.jobs.wait(c.post("/v1/index/build").json()["job_id"], timeout=120)  # the upload is indexed
        yield c


@pytest.mark.parametrize("body,words", [
    ({"date": "2026-13-45"}, "日期无效 / invalid date: 2026-13-45 (应为 YYYY-MM-DD)"),
    ({"date": "2021-13-45"}, "日期无效 / invalid date: 2021-13-45 (应为 YYYY-MM-DD)"),
    ({"level": "mayor"}, "层级无效 / invalid level: mayor"),
    ({"title": 123}, "标题应为文字 / title must be text: 123"),
])
def test_the_api_refuses_an_impossible_correction_with_the_same_words(api, body, words):
    from tests.test_api import error_of

    r = api.patch("/v1/documents/rule/metadata", json=body)
    assert words in error_of(r, 400, "bad_request")
    assert not (api.uploads / "manifest.json").exists()


def test_the_api_corrects_an_upload_and_reindexes(api):
    r = api.patch("/v1/documents/rule/metadata", json={"title": "某市停车管理规定", "level": "市级"})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["doc_id"] == "rule" and body["overrides"] == {"title": "某市停车管理规定", "level": "city"}
    api.jobs.wait(body["job"]["job_id"], timeout=120)
    doc = api.get("/v1/documents/rule").json()
    assert (doc["title"], doc["level"]) == ("某市停车管理规定", "city")


def test_the_api_refuses_to_correct_a_shipped_document(api):
    from tests.test_api import error_of

    assert "只能更正上传文件" in error_of(api.patch(f"/v1/documents/{DONGGUAN}/metadata", json={"title": "x"}),
                                    403, "shipped_document")
