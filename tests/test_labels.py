"""Labels of place, level and date say what is missing in words (地区未标注 · 日期未注明), the same everywhere:
the provincial page, the matrix and timeline exports and the CLI."""
from __future__ import annotations

import dataclasses
import json

import pytest

from indexer import labels

PROVINCE = "guangdong-2020-strategic-clusters"
CHAOZHOU = "chaozhou-strategic-clusters-draft"


@pytest.mark.parametrize("region,level,date,year,expected", [
    ("东莞市", "city", "2021-04-14", True, "东莞市 · 2021"),
    ("东莞市", "city", "2021-04-14", False, "东莞市 · 2021-04-14"),
    ("", "news", "2021-04-14", True, "新闻报道 · 2021"),
    ("", "", "", True, "地区未标注 · 日期未注明"),
    ("潮州市", "city", "", True, "潮州市 · 日期未注明"),
    ("", "mayor", "", False, "地区未标注 · 日期未注明"),
])
def test_where_and_when(region, level, date, year, expected):
    assert labels.where_when(region, level, date, year=year) == expected


def test_words_for_what_is_missing():
    assert labels.level_words("") == "层级未标注" and labels.level_words("city") == "市级"
    assert labels.date_words("") == "日期未注明" and labels.region_words("", "") == "地区未标注"
    assert labels.lag_words(None) == "—" and labels.lag_words(301) == "+301 天" and labels.lag_words(-3) == "-3 天"


@pytest.fixture
def placeless(seed_docs):
    """The seed matrix with Chaozhou's row stripped of region, level and date (as a bare upload would be)."""
    from indexer.compare.matrix import implementation_matrix
    from indexer.embedders import FakeEmbedder

    m = implementation_matrix(seed_docs, PROVINCE, embedder=FakeEmbedder())
    rows = tuple(dataclasses.replace(r, region="", level="", date="") if r.doc_id == CHAOZHOU else r for r in m.rows)
    assert any(r.doc_id == CHAOZHOU for r in rows)
    return dataclasses.replace(m, rows=rows)


def test_cli_matrix_names_what_is_missing(placeless, seed_docs, monkeypatch, capsys, seed_library):
    from indexer.cli import main
    from indexer.cli import provincial as cli_provincial
    from indexer.compare import matrix

    monkeypatch.setattr(cli_provincial, "_library", lambda: seed_library)
    monkeypatch.setattr(matrix, "implementation_matrix", lambda *a, **kw: placeless)
    assert main(["matrix", "--reference", PROVINCE]) == 0
    out = capsys.readouterr().out.splitlines()
    line = next(x for x in out if CHAOZHOU in x)
    assert "地区未标注 · 日期未注明" in line
    # found in use: the grid's columns had no heading and its marks no legend
    assert line.lstrip().startswith(f"[{[r.doc_id for r in placeless.rows].index(CHAOZHOU) + 1}]")
    assert any(x.startswith("图例 / legend: ■ 已覆盖") for x in out)
    assert any(x.strip() == "".join(str(n % 10) for n in range(1, len(placeless.rows) + 1)) for x in out)


def test_matrix_export_names_what_is_missing(placeless, seed_docs):
    from indexer.export.matrix import matrix_report

    docs = next(t for t in matrix_report(placeless, seed_docs).tables if t.title == "文件")
    row = next(r for r in docs.rows if r[0] == CHAOZHOU)
    assert row[2:5] == ("地区未标注", "层级未标注", "日期未注明")


def test_provincial_page_names_what_is_missing(app_env, placeless, monkeypatch):
    import streamlit as st

    from indexer.compare import matrix
    from tests.test_provincial_app import open_page

    st.cache_data.clear()
    monkeypatch.setattr(matrix, "implementation_matrix", lambda *a, **kw: placeless)
    try:
        at = open_page()
        counts = next(d.value for d in at.dataframe if "采纳文件 documents" in d.value.columns)
        shown = "\n".join(counts["采纳文件 documents"])
        assert "地区未标注 · 日期未注明" in shown and "未标注 未注明日期" not in shown
        heat = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
        spec = json.loads(heat[0].proto.spec)  # the documents' order across names each column
        assert "地区未标注 · 日期未注明" in spec["encoding"]["x"]["sort"]
    finally:
        st.cache_data.clear()
