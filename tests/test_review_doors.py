"""The review through every door: CLI (text, --json, --export), POST /v1/review, the app page; the same JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer import cli
from tests.review_fixtures import CITY, write_library

CITY_ID = "丽水市烟花示例管理规定-2021-01-11"


@pytest.fixture
def library(tmp_path, monkeypatch):
    """The fixture library as the review's extra folders; the project's own corpus stays the base library."""
    import os

    from indexer.compare import review

    root = write_library(tmp_path / "lib")
    monkeypatch.setenv("POLICY_REVIEW_CACHE", str(tmp_path / "review-cache"))
    monkeypatch.setenv(review.LIBRARY_ENV, os.pathsep.join([str(root / "national"), str(root / "zhejiang")]))
    review._EXTRA.clear()
    return root


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _stable(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "seconds"}


def test_cli_text_names_the_planted_conflict(library, capsys):
    code, out, _ = _run(capsys, "review", CITY_ID)
    assert code == 0
    first = out.split("\n  1.", 1)[1]
    assert "超出上位法幅度" in first.splitlines()[0] and "1000–5000元" in first and "100–500元" in first


def test_cli_json_equals_the_api(library, capsys, tmp_path):
    from fastapi.testclient import TestClient

    from indexer.api.app import create_app

    code, out, _ = _run(capsys, "review", CITY_ID, "--json")
    assert code == 0
    from_cli = json.loads(out)
    with TestClient(create_app(tmp_path / "no-index", tmp_path / "up", token=""), raise_server_exceptions=False) as c:
        r = c.post("/v1/review", json={"doc": CITY_ID})
        assert r.status_code == 200
        assert _stable(r.json()) == _stable(from_cli)
        draft = c.post("/v1/review", json={"text": CITY.split("<!-- INFO END -->")[1], "title": "草案", "level": "city"})
        assert draft.status_code == 200 and draft.json()["findings"][0]["type"] == "range_exceeds"
        both = c.post("/v1/review", json={"doc": CITY_ID, "text": "第一条 略"})
        assert both.status_code == 422 and set(both.json()) == {"error", "message"}
        missing = c.post("/v1/review", json={"doc": "no-such-document"})
        assert missing.status_code == 404 and "Traceback" not in missing.text


def test_cli_reads_a_draft_from_stdin(library, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(CITY.split("<!-- INFO END -->")[1]))
    code, out, _ = _run(capsys, "review", "-", "--title", "某市草案", "--level", "city", "--json")
    assert code == 0 and json.loads(out)["title"] == "某市草案"


@pytest.mark.parametrize("suffix", [".xlsx", ".docx"])
def test_exports_carry_titles_and_article_numbers(library, capsys, tmp_path, suffix):
    path = tmp_path / f"review{suffix}"
    code, _, err = _run(capsys, "review", CITY_ID, "--export", str(path))
    assert code == 0 and path.exists()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path)
        text = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    else:
        from docx import Document

        d = Document(str(path))
        text = "\n".join(p.text for p in d.paragraphs) + "\n".join(
            c.text for t in d.tables for row in t.rows for c in row.cells)
    for want in ("《丽水市烟花示例管理规定》", "《烟花示例安全管理条例》", "第四条", "第六条", "超出上位法幅度", "【一千元以上五千元以下】"):
        assert want in text


def test_cli_unknown_document_is_one_line(library, capsys):
    code, out, err = _run(capsys, "review", "no-such-document")
    errors = [line for line in err.splitlines() if not line.startswith("读取文库")]
    assert code == 2 and len(errors) == 1 and errors[0].startswith("错误 / error") and "Traceback" not in err


def test_app_page_reviews_a_library_document(library):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app_pages" / "review.py"), default_timeout=120).run()
    assert not at.exception
    at.selectbox(key="review_doc").select(CITY_ID)
    at.button[0].click().run()
    assert not at.exception
    html = "\n".join(m.value for m in at.markdown)
    assert "超出上位法幅度" in html and "1000–5000元" in html


# ---------------------------------------------------------------- the same review, and bad input, at every door

UPPER_ID = "烟花示例安全管理条例-2016-02-06"
DRAFT = CITY.split("<!-- INFO END -->", 1)[1]


def _one_error_line(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("读取文库")]


def test_cli_draft_without_a_level_is_reviewed_as_local(library, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(DRAFT))
    code, out, err = _run(capsys, "review", "-", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["level"] == "city" and d["findings"][0]["type"] == "range_exceeds"


@pytest.mark.parametrize(("argv", "words"), [
    (["review", UPPER_ID], "上位法"),
    (["review", CITY_ID, "--upper", "no-such-law"], "no-such-law"),
    (["review", CITY_ID, "--export", "/no-such-folder/report.xlsx"], "cannot write the export"),
    (["review", CITY_ID, "--export", "report.pdf"], "unsupported export format"),
    (["review", CITY_ID, "--library", "/no-such-folder"], "no such library folder"),
])
def test_cli_bad_input_is_one_bilingual_line(library, capsys, argv, words):
    code, _, err = _run(capsys, *argv)
    lines = _one_error_line(err)
    assert code == 2 and len(lines) == 1 and words in lines[0] and "Traceback" not in err
    assert lines[0].startswith("错误 / error") and " / " in lines[0]


def test_cli_and_api_agree_on_chosen_upper_law(library, capsys, tmp_path):
    from fastapi.testclient import TestClient

    from indexer.api.app import create_app

    code, out, _ = _run(capsys, "review", CITY_ID, "--upper", UPPER_ID, "--json")
    assert code == 0
    with TestClient(create_app(tmp_path / "no-index", tmp_path / "up", token=""), raise_server_exceptions=False) as c:
        r = c.post("/v1/review", json={"doc": CITY_ID, "upper": [UPPER_ID]})
    assert r.status_code == 200 and _stable(r.json()) == _stable(json.loads(out))
    assert [u["doc_id"] for u in r.json()["upper_documents"]] == [UPPER_ID]


@pytest.mark.parametrize(("body", "status"), [
    ({}, 422),
    ({"doc": UPPER_ID}, 400),
    ({"doc": CITY_ID, "upper": ["no-such-law"]}, 404),
    ({"text": "第一条 略", "level": "mayor"}, 422),
    ({"text": "第一条 略" * 100_000}, 413),
    ({"doc": 5}, 422),
    ({"doc": CITY_ID, "upper": "烟花"}, 422),
    ({"text": "   "}, 422),
])
def test_api_bad_input_is_one_line_never_500(library, tmp_path, body, status):
    from fastapi.testclient import TestClient

    from indexer.api.app import create_app

    with TestClient(create_app(tmp_path / "no-index", tmp_path / "up", token=""), raise_server_exceptions=False) as c:
        r = c.post("/v1/review", json=body)
    assert r.status_code == status
    assert set(r.json()) == {"error", "message"} and "\n" not in r.json()["message"]


def test_export_names_the_upper_law_by_number_or_date(library, capsys, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "review.xlsx"
    assert _run(capsys, "review", CITY_ID, "--export", str(path))[0] == 0
    text = "\n".join(str(c.value) for ws in load_workbook(path) for row in ws.iter_rows() for c in row if c.value)
    assert "《烟花示例安全管理条例》（" in text and "日期未知）" not in text.split("《烟花示例安全管理条例》（", 1)[1][:40]


def _page():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app_pages" / "review.py"),
                             default_timeout=120).run()


def test_app_page_reviews_a_pasted_draft_against_chosen_upper_law(library):
    at = _page()
    at.radio(key="review_source").set_value("粘贴草案 Pasted draft")
    at.text_input(key="review_title").input("某市烟花示例管理规定（草案）")
    at.text_area(key="review_text").input(DRAFT)
    at.multiselect(key="review_upper").select(UPPER_ID)
    at.button[0].click().run()
    assert not at.exception and not at.error
    html = "\n".join(m.value for m in at.markdown)
    assert "超出上位法幅度" in html and "1000–5000元" in html
    assert "某市烟花示例管理规定（草案）" in at.subheader[0].value


def test_app_page_bad_draft_is_one_error_and_no_stale_result(library):
    at = _page()
    at.selectbox(key="review_doc").select(CITY_ID)
    at.button[0].click().run()
    assert at.subheader  # a first review on screen
    at.radio(key="review_source").set_value("粘贴草案 Pasted draft")
    at.text_area(key="review_text").input("   ")
    at.button[0].click().run()
    assert not at.exception
    assert len(at.error) == 1 and "草案文本为空" in at.error[0].value
    assert not at.subheader  # the earlier review is not shown as if it were this one


def test_app_page_reviews_the_draft_that_was_pasted(library):
    """Found in use: a draft pasted while the radio still said 文库文件 was answered 「请选择一份文件」, and with a library
    document also picked the draft was dropped without a word."""
    at = _page()
    at.text_area(key="review_text").input(DRAFT)
    at.button[0].click().run()
    assert not at.exception and not at.warning and at.subheader and "草案" in at.subheader[0].value
    at.selectbox(key="review_doc").select(CITY_ID)
    at.button[0].click().run()
    assert any("粘贴的草案未使用" in i.value for i in at.info)


def test_app_page_says_where_national_law_comes_from(library, monkeypatch):
    """Found in use: with no national law in the library the page said only that 《旅游法》 was missing."""
    from indexer.compare import review

    assert not any("POLICY_REVIEW_LIBRARY" in i.value for i in _page().info)  # the fixture's national folder is read
    monkeypatch.setenv(review.LIBRARY_ENV, str(library / "zhejiang"))  # no national law now
    review._EXTRA.clear()
    import streamlit as st

    st.cache_resource.clear()
    assert any("POLICY_REVIEW_LIBRARY" in i.value for i in _page().info)


@pytest.mark.parametrize(("export", "words"), [("report.pdf", "不支持的导出格式"),
                                               ("/no-such-folder/report.xlsx", "文件夹不存在")])
def test_cli_refuses_an_export_it_cannot_write_before_loading_the_library(capsys, monkeypatch, export, words):
    # the library's load takes 20 s on the real folders: a .pdf is refused before it, one line, exit code 2
    def no_load(*a, **k):
        raise AssertionError("the library was loaded")

    monkeypatch.setattr("indexer.library.documents", no_load)
    monkeypatch.setattr("indexer.compare.review.with_upper_law", no_load)
    code, _, err = _run(capsys, "review", CITY_ID, "--export", export)
    lines = _one_error_line(err)
    assert code == 2 and len(lines) == 1 and words in lines[0] and "Traceback" not in err
    assert "loading the library" not in err
