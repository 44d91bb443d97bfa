"""The 省级视图 page with AppTest: matrix, per-item counts, timeline and instrument facets on the seed corpus."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
PAGE = "app_pages/provincial.py"
NEWS = "guangdong-2021-chain-leader-news"


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def _frame(at: AppTest, column: str):
    """The first table on the page with that column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_matrix_of_the_provincial_list(app_env, fake_index):
    from indexer.compare.matrix import implementation_matrix
    from indexer.library import documents, index_embedder

    at = open_page()
    assert at.selectbox(key="prov_ref").value == "guangdong-2020-strategic-clusters"
    want = implementation_matrix(documents(fake_index), "guangdong-2020-strategic-clusters",
                                 embedder=index_embedder(fake_index))
    assert at.multiselect(key=f"prov_docs_{want.reference}").value == [r.doc_id for r in want.rows]
    assert [m.value for m in at.metric][:2] == ["20", str(len(want.rows))]
    counts = _frame(at, "条目 item")
    assert list(counts["采纳 taken up"]) == [f"{want.taken_up(j)} / {len(want.rows)}" for j in range(20)]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the heatmap is drawn


def test_the_news_reprint_is_listed_not_counted(app_env):
    """The news page that reprints the 20 is shown with why it is not counted; adding it by hand counts it."""
    at = open_page()
    key = "prov_docs_guangdong-2020-strategic-clusters"
    assert NEWS not in at.multiselect(key=key).value
    why = _frame(at, "计入 counted")
    news = why[why["理由 why"].str.contains("转载")]
    assert list(news["计入 counted"]) == ["转载，不计入"]
    assert set(why["计入 counted"]) == {"计入", "转载，不计入"}
    at.multiselect(key=key).set_value([*at.multiselect(key=key).value, NEWS]).run()
    assert not at.exception, at.exception
    assert at.metric[1].value == "3"


def test_dropping_a_document_recounts(app_env):
    at = open_page()
    key = "prov_docs_guangdong-2020-strategic-clusters"
    kept = [d for d in at.multiselect(key=key).value if d != "chaozhou-strategic-clusters-draft"]
    at.multiselect(key=key).set_value(kept).run()
    assert not at.exception, at.exception
    assert at.metric[1].value == str(len(kept))
    counts = _frame(at, "条目 item")
    assert all(x.endswith(f"/ {len(kept)}") for x in counts["采纳 taken up"])


def test_timeline_and_instrument_tabs(app_env):
    at = open_page()
    at.selectbox(key="prov_item").set_value(15).run()  # 新能源
    assert not at.exception, at.exception
    timeline = next(d.value for d in at.dataframe if "措辞 wording" in d.value.columns)
    news = timeline[timeline["文件 document"].str.contains("链长制")]
    assert list(news["措辞 wording"]) == ["照搬原文"] and list(news["滞后天数 lag"]) == ["+301 天"]
    assert list(timeline["日期 date"])[-1] == "日期未注明"  # Chaozhou's draft, last
    at.radio(key="prov_facet").set_value("level").run()
    at.multiselect(key="prov_tags").set_value(["土地"]).run()
    assert not at.exception, at.exception
    tagged = next(d.value for d in at.dataframe if "工具 tags" in d.value.columns)
    assert len(tagged) and all("土地" in t for t in tagged["工具 tags"])


def test_the_matrix_exports_are_written_only_when_asked(app_env, monkeypatch):
    """Issue 28: the first visit wrote the .xlsx and .docx of the matrix before anyone asked (about a second of
    the page's first paint); like every other export, each is written when its button is clicked."""
    import streamlit as st

    import indexer.export.matrix as writer

    written = []
    real = writer.matrix_bytes
    monkeypatch.setattr(writer, "matrix_bytes", lambda *a, **k: written.append(a[1]) or real(*a, **k))
    st.cache_data.clear()  # an earlier test's files would hide the call
    at = open_page()
    assert [b.label for b in at.get("download_button")] == ["导出 .xlsx", "导出 .docx"]
    assert written == []


CHART_LIBS_PROBE = """
import sys
from streamlit.testing.v1 import AppTest
from indexer import paths
from indexer.errors import PolicyError
from indexer.library import Library
from pathlib import Path
paths.INDEX_DIR, paths.UPLOAD_DIR = Path({index!r}), Path({uploads!r})
def refuse(*a, **k):
    raise PolicyError("refused")
Library.{verb} = refuse  # the page stops where its result would be drawn
at = AppTest.from_file({app!r}, default_timeout=120)
at.switch_page({page!r})
at.run()
assert not at.exception, at.exception
assert at.title[0].value.startswith({title!r}) and at.selectbox, "not drawn"
print(sorted(m for m in ("altair", "pandas") if m in sys.modules))
"""


@pytest.mark.parametrize(("page", "title", "verb"), [("app_pages/coverage.py", "覆盖", "coverage"),
                                                     ("app_pages/provincial.py", "省级", "matrix")])
def test_the_pickers_are_drawn_before_the_chart_libraries_load(app_env, fake_index, tmp_path, page, title, verb):
    """Issue 28: coverage and provincial imported altair and pandas (about 0.8 s) before their title and pickers;
    only their charts and tables need them. In a fresh process, a page stopped before its result never loads
    them."""
    code = CHART_LIBS_PROBE.format(index=str(fake_index), uploads=str(tmp_path / "up"), app=APP, page=page,
                                   title=title, verb=verb)
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(APP).parent, capture_output=True, text=True,
                         timeout=180, env={**os.environ, "POLICY_EMBEDDER": "fake"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
