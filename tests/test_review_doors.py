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
