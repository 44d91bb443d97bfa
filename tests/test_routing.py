"""Addresses no page answers: /search, a mistyped or retyped path open a page, never Streamlit's "Page not found".

AppTest asks for pages only by hash; a browser opening http://host/<path> asks by the path's name. The
`address` fixture makes AppTest's first run ask by name, as the browser does, and records every "Page not
found" Streamlit sends. The same addresses are checked in a real browser in test_browser.py.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.commands import navigation
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.local_script_runner import LocalScriptRunner

from app_pages.routing import route

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
URL_PATHS = ("", "compare", "coverage", "library", "provincial")  # as st.navigation has them: the default is ""


@pytest.mark.parametrize(("requested", "expected"), [
    ("", ""),
    ("library", "library"),
    ("search", ""),              # the default page's own url_path: Streamlit serves it only at the root
    ("nonsense", ""),
    ("Library", "library"),      # a retyped link
    ("COVERAGE", "coverage"),
    ("library/", "library"),
    ("compare.py", ""),
    ("%E6%A3%80%E7%B4%A2", ""),  # /检索, percent-encoded as the browser sends it
    ("library/x", ""),
])
def test_route_table(requested, expected):
    assert route(requested, URL_PATHS) == expected


@given(st.text(max_size=20))
def test_route_always_names_a_page_and_is_stable(requested):
    target = route(requested, URL_PATHS)
    assert target in URL_PATHS
    assert route(target, URL_PATHS) == target


@pytest.fixture
def address(monkeypatch):
    """open(path, **query): run the app as a browser opening /path?query; returns (AppTest, not-found count)."""
    not_found: list[str] = []
    real_send = navigation.send_page_not_found
    monkeypatch.setattr(navigation, "send_page_not_found", lambda ctx: not_found.append("sent") or real_send(ctx))
    asked = {"path": ""}
    real_rerun = LocalScriptRunner.request_rerun

    def by_name(self, data):
        if not data.page_script_hash:  # the first run; later runs name the page they finished on, by hash
            data = dataclasses.replace(data, page_name=asked["path"])
        return real_rerun(self, data)

    monkeypatch.setattr(LocalScriptRunner, "request_rerun", by_name)

    def open_address(path: str, script: str = APP, **query) -> tuple[AppTest, list[str]]:
        asked["path"] = path
        at = AppTest.from_file(script, default_timeout=120)
        at.query_params.update(query)
        at.run()
        assert not at.exception, at.exception
        return at, not_found
    return open_address


def test_the_harness_sees_streamlits_page_not_found(address, tmp_path):
    """Without the routing, an unknown name gets the dialog: proof that the tests below would catch it."""
    bare = tmp_path / "bare_app.py"
    bare.write_text("import streamlit as st\n"
                    "st.navigation([st.Page(lambda: st.title('home'), title='home', default=True),\n"
                    "               st.Page(lambda: st.title('other'), title='other', url_path='other')]).run()\n",
                    encoding="utf-8")
    at, not_found = address("search", script=str(bare))
    assert at.title[0].value == "home" and not_found == ["sent"]


@pytest.mark.parametrize(("path", "title"), [
    ("", "检索"), ("search", "检索"), ("nonsense", "检索"), ("library", "文库"), ("Library", "文库"),
    ("COMPARE", "对照"),
])
def test_every_address_opens_a_page_without_page_not_found(app_env, address, path, title):
    at, not_found = address(path)
    assert at.title[0].value.startswith(title)
    assert not_found == []


def test_search_address_restores_the_shared_search(app_env, address):
    at, not_found = address("search", q="机器人", mode="keyword", region="东莞市")
    assert not_found == []
    assert at.text_input(key="query").value == "机器人" and at.radio(key="mode").value == "keyword"
    assert at.multiselect(key="f_regions").value == ["东莞市"]
    assert any("「机器人」找到" in m.value for m in at.markdown)
    assert at.query_params["q"] in ("机器人", ["机器人"])  # the address keeps the search, so it can be sent on


def test_after_landing_the_app_navigates_as_usual(app_env, address):
    at, not_found = address("nonsense")
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception and at.title[0].value.startswith("对照")
    at.switch_page("app_pages/search.py").run()
    assert not at.exception and at.title[0].value.startswith("检索")
    assert not_found == []


def test_link_values_take_the_words_of_the_cli():
    from app_pages.routing import link_values
    from indexer.models import LEVEL_LABELS

    assert link_values(["市级", "province", "乡级"], ["province", "city"], LEVEL_LABELS) == (["city", "province"], ["乡级"])
    assert link_values(["杭州", "广东省", "火星"], ["杭州市", "广东省", "东莞市"]) == (["杭州市", "广东省"], ["火星"])
    assert link_values(["a-1"], ["a-1", "a-10"], {}) == (["a-1"], [])  # document ids: exact only


@pytest.mark.parametrize("value, upper, want", [("2021", False, dt.date(2021, 1, 1)), ("2021", True, dt.date(2021, 12, 31)),
                                                ("2024-02", True, dt.date(2024, 2, 29)), ("2021-12", True, dt.date(2021, 12, 31)),
                                                ("2021-06-30", False, dt.date(2021, 6, 30)), ("2021-13", False, None),
                                                ("x", False, None), ("", True, None), ("2021-1-1-1", False, None),
                                                ("9999-12", True, dt.date(9999, 12, 31)), ("10000", False, None)])
def test_link_dates_as_the_cli_reads_them(value, upper, want):
    from app_pages.routing import link_date

    assert link_date(value, upper) == want
