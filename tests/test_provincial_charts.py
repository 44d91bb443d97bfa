"""The 省级视图 page's charts and tables as people read them: the diffusion time axis carries years, undated rows
say so in words (never None), and the instrument chart labels every bar by title with one colour per tag."""
from __future__ import annotations

import json

import pytest

from app_pages import charts
from indexer.compare.diffusion import timeline_of
from indexer.compare.instruments import default_codebook, facet_counts
from tests.test_provincial_app import open_page

PROVINCE = "guangdong-2020-strategic-clusters"
CHAOZHOU = "chaozhou-strategic-clusters-draft"


@pytest.fixture(scope="module")
def timeline(seed_docs):
    from indexer.compare.matrix import implementation_matrix
    from indexer.embedders import FakeEmbedder

    m = implementation_matrix(seed_docs, PROVINCE, embedder=FakeEmbedder())
    t = timeline_of(m, 15, seed_docs)  # 新能源: the news (2021), Dongguan (2021) and Chaozhou's undated draft
    assert any(c.undated for c in t.carriers) and any(not c.undated for c in t.carriers)
    return t


# ---------------------------------------------------------------- diffusion

def test_the_time_axis_shows_years(timeline, seed_docs):
    rows = charts.timeline_rows(timeline, {d.doc_id: d.meta.title for d in seed_docs})
    spec = charts.timeline_chart(rows, timeline.date).to_dict()
    axes = [layer["encoding"]["x"] for layer in spec.get("layer", [spec])]
    assert axes and all("%Y" in x.get("axis", {}).get("format", "") for x in axes if x.get("type") == "temporal"), axes


def test_undated_rows_say_so_in_words(timeline, seed_docs):
    rows = charts.timeline_table(timeline, {d.doc_id: d.meta.title for d in seed_docs})
    undated = rows[rows["文件 document"].str.contains("潮州")]
    assert list(undated["日期 date"]) == ["日期未注明"] and list(undated["滞后天数 lag"]) == ["—"]
    assert "None" not in rows.astype(str).to_string() and "nan" not in rows.astype(str).to_string()


def test_cli_diffusion_text_never_says_none(monkeypatch, capsys, seed_docs, seed_library):
    from indexer.cli import main
    from indexer.cli import provincial as cli_provincial

    monkeypatch.setattr(cli_provincial, "_library", lambda: seed_library)
    assert main(["diffusion", "--item", "新能源"]) == 0
    out = capsys.readouterr().out
    assert "None" not in out and "日期未注明" in out and CHAOZHOU in out


@pytest.mark.parametrize("suffix", [".md", ".csv"])
def test_timeline_exports_never_say_none(timeline, seed_docs, suffix):
    from indexer.export.matrix import matrix_bytes

    text = matrix_bytes(timeline, suffix, seed_docs).decode("utf-8-sig")
    assert "None" not in text and "日期未注明" in text


def test_timeline_json_keeps_null(timeline):
    undated = next(c for c in timeline.to_dict()["carriers"] if c["undated"])
    assert undated["lag_days"] is None and undated["date"] == ""


# ---------------------------------------------------------------- instruments

@pytest.fixture(scope="module")
def facets(seed_docs):
    cb = default_codebook()
    counts = facet_counts(seed_docs, "document")
    return cb, charts.facet_frame(counts, cb, "document", {d.doc_id: d for d in seed_docs})


def test_instrument_bars_are_labelled_by_title_every_one(facets, seed_docs):
    cb, df = facets
    spec = charts.instrument_chart(df, cb.tags).to_dict()
    groups = set(df["分组 group"])
    assert not groups & {d.doc_id for d in seed_docs}  # titles, not doc_ids
    assert any("战略性产业集群" in g for g in groups) and all(len(g) <= charts.LABEL_CHARS for g in groups)
    y = spec["encoding"]["y"]
    assert y["axis"]["labelOverlap"] is False and y["axis"]["labelLimit"] >= 200
    assert spec["height"] >= 24 * len(groups)
    tooltip = [t["field"] for t in spec["encoding"]["tooltip"]]
    assert "全称 full name" in tooltip  # the whole title on hover
    full = set(df["全称 full name"])
    assert any(len(t) > charts.LABEL_CHARS for t in full)  # some titles really were shortened


def test_every_tag_has_its_own_colour(facets):
    cb, df = facets
    scale = charts.instrument_chart(df, cb.tags).to_dict()["encoding"]["color"]["scale"]
    assert scale["domain"] == list(cb.tags)
    assert len(scale["range"]) == len(cb.tags) == len(set(c.lower() for c in scale["range"]))
    assert len(charts.PALETTE) >= 20 and len(set(charts.PALETTE)) == len(charts.PALETTE)


def test_same_short_titles_stay_apart():
    labels = charts.short_labels({"a": "某市关于培育发展战略性产业集群的实施意见（征求意见稿）",
                                  "b": "某市关于培育发展战略性产业集群的实施意见（正式稿）"})
    assert len(set(labels.values())) == 2 and all(len(v) <= charts.LABEL_CHARS + 4 for v in labels.values())


# ---------------------------------------------------------------- the page

def test_the_page_shows_no_note_for_developers_and_no_none(app_env):
    at = open_page()
    words = [c.value for c in at.caption] + [m.value for m in at.markdown]
    assert not any("他人维护" in w or "按需求" in w or "another page" in w for w in words)
    at.selectbox(key="prov_item").set_value(15).run()
    timeline = next(d.value for d in at.dataframe if "措辞 wording" in d.value.columns)
    assert "None" not in timeline.astype(str).to_string()
    assert list(timeline["日期 date"])[-1] == "日期未注明" and list(timeline["滞后天数 lag"])[-1] == "—"
    specs = [json.loads(c.proto.spec) for c in (at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"))]
    bars = next(sp for sp in specs if sp.get("encoding", {}).get("color", {}).get("field") == "工具 tag")
    assert bars["encoding"]["color"]["scale"]["domain"] == list(default_codebook().tags)


def test_readme_has_no_note_about_who_owns_which_page():
    from tests.conftest import ROOT

    assert "another engineer" not in (ROOT / "README.md").read_text(encoding="utf-8")
