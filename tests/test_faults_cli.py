"""CLI faults that used to mislead: a mistyped corpus folder, a full disk, odd --k values, a document compared with
itself, invalid filters, oversized input, and duplicates reported as errors. Fake embedder, in-process CLI."""
from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer import paths
from indexer.cli import main
from indexer.errors import DUPLICATE, IngestError, PolicyError
from indexer.filters import SearchFilters, validate
from indexer.ingest.build import build_index
from indexer.limits import MAX_ITEMS, MAX_K, MAX_QUERY_CHARS, check_items, check_query
from indexer.search import Engine
from indexer.store import CURRENT
from tests.conftest import SEED_CORPUS, copy_corpus

PROVINCE = "guangdong-2020-strategic-clusters"
DONGGUAN = "dongguan-2021-strategic-clusters"
FILES = [f"{PROVINCE}.txt", f"{DONGGUAN}.txt"]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    """Two seed documents indexed once (each test that changes it works on a copy)."""
    root = tmp_path_factory.mktemp("faults-cli")
    corpus = copy_corpus(root / "corpus", FILES)
    build_index([corpus], root / "index", "fake")
    return corpus, root / "index"


@pytest.fixture
def lib(small, tmp_path, monkeypatch) -> tuple[Path, Path]:
    corpus, index = small
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index, tmp_path / "index", ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.setattr(paths, "INDEX_DIR", tmp_path / "index")  # align, coverage, reuse read the default index
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "no-uploads")
    return tmp_path / "corpus", tmp_path / "index"


def one_line_error(capsys, rc: int, *needles: str) -> str:
    """The command failed with exit code 2 and said exactly one line holding every needle."""
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "internal error" not in err, err
    for n in needles:
        assert n in err, (n, err)
    return err


def build(index: Path, *args: str) -> int:
    return main(["build", "--quiet", "--index-dir", str(index), "--embedder", "fake", *args])


def clauses(index: Path) -> int:
    return len(Engine.open(index).store)


# ---------------------------------------------------------------- 5. a build that would empty the index

def test_a_mistyped_corpus_folder_is_an_error_and_the_index_stays(lib, capsys):
    corpus, index = lib
    before, n = (index / CURRENT).read_text(), clauses(index)
    rc = build(index, "--corpus", str(corpus.parent / "corpsu"))
    one_line_error(capsys, rc, "文件夹不存在", "corpsu")
    assert (index / CURRENT).read_text() == before and clauses(index) == n


def test_a_build_that_would_remove_every_clause_asks_for_allow_empty(lib, capsys):
    corpus, index = lib
    empty = corpus.parent / "empty"
    empty.mkdir()
    before, n = (index / CURRENT).read_text(), clauses(index)
    rc = build(index, "--corpus", str(empty))
    one_line_error(capsys, rc, "--allow-empty", f"all {n} clauses")
    assert (index / CURRENT).read_text() == before and clauses(index) == n
    with pytest.raises(PolicyError, match="allow-empty"):
        build_index([empty], index, "fake")
    assert build(index, "--corpus", str(empty), "--allow-empty") == 0
    assert clauses(index) == 0


def test_the_first_build_of_an_empty_library_needs_no_flag(tmp_path):
    (tmp_path / "empty").mkdir()
    report = build_index([tmp_path / "empty"], tmp_path / "index", "fake")  # what the app does on first start
    assert report.documents == 0 and clauses(tmp_path / "index") == 0


# ---------------------------------------------------------------- 7. a full disk, a queries file not in UTF-8

@pytest.mark.parametrize("where", ["generation", "cache"])
def test_a_full_disk_names_the_index_and_leaves_no_temp_folder(lib, capsys, monkeypatch, where):
    from indexer.store import FaissStore, VectorCache

    corpus, index = lib
    shutil.copy(SEED_CORPUS / "anhui-2024-county-industry-clusters.txt", corpus)  # new clauses: real work
    before, answer = (index / CURRENT).read_text(), Engine.open(index).search("链长制", k=3)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if where == "generation":
        monkeypatch.setattr(FaissStore, "save", full)
    else:
        monkeypatch.setattr("indexer.ingest.build.CACHE_EVERY", 1)  # save every batch while embedding
        monkeypatch.setattr(VectorCache, "add", full)
    err = one_line_error(capsys, build(index, "--corpus", str(corpus)), "no space left on device", str(index))
    assert "磁盘空间不足" in err and "error: :" not in err
    assert not list(index.glob(".tmp-*"))  # the half-written generation is gone now, not at the next build
    assert (index / CURRENT).read_text() == before
    assert [h.clause_id for h in Engine.open(index).search("链长制", k=3)] == [h.clause_id for h in answer]
    monkeypatch.undo()
    assert build(index, "--corpus", str(corpus)) == 0 and len(Engine.open(index).documents) == 3


def test_an_os_error_without_a_file_name_has_no_empty_name(capsys, monkeypatch):
    import indexer.cli.ingest as ingest

    def fail(args):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(ingest, "cmd_outline", fail)
    rc = main(["outline", "x.txt"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err == f"错误 / error: {os.strerror(errno.EIO)}"


def test_a_queries_file_not_in_utf8_is_one_line(lib, capsys, tmp_path):
    _, index = lib
    q = tmp_path / "queries.txt"
    q.write_bytes("链长制\n".encode() + "县域特色产业\n".encode("gbk"))
    rc = main(["search", "--queries", str(q), "--index-dir", str(index)])
    one_line_error(capsys, rc, str(q), "UTF-8", "line 2")


# ---------------------------------------------------------------- 8. --k, a document with itself, no lists

@pytest.mark.parametrize("k", ["-5", "0", str(MAX_K + 1)])
@pytest.mark.parametrize("command", ["search", "similar"])
def test_k_outside_1_to_1000_is_refused(lib, capsys, command, k):
    _, index = lib
    target = "链长制" if command == "search" else f"{DONGGUAN}:1"
    rc = main([command, target, "--k", k, "--index-dir", str(index)])
    one_line_error(capsys, rc, "--k", f"1 到 {MAX_K}", f"got {k}")


def test_k_within_the_limits_still_answers(lib, capsys):
    _, index = lib
    assert main(["search", "链长制", "--k", "1", "--json", "--index-dir", str(index)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_align_a_document_with_itself_is_refused(lib, capsys):
    rc = main(["align", PROVINCE, f"{PROVINCE}.txt"])  # the same document, named two ways
    one_line_error(capsys, rc, "同一文件", "same document")


def test_reuse_of_a_document_with_itself_is_refused(lib, capsys):
    rc = main(["reuse", "--docs", f"{DONGGUAN},{DONGGUAN}"])
    one_line_error(capsys, rc, DONGGUAN, "listed twice")
    rc = main(["reuse", "--docs", DONGGUAN])
    one_line_error(capsys, rc, "at least two")


def test_lists_of_a_document_without_lists_says_so(tmp_path, capsys):
    (tmp_path / "notice.txt").write_text("关于报送材料的通知\n各单位：\n请于本月底前报送年度工作总结材料。\n特此通知。\n",
                                         encoding="utf-8")
    assert main(["lists", "notice", "--corpus", str(tmp_path)]) == 0
    assert "no named lists found in notice" in capsys.readouterr().out


# ---------------------------------------------------------------- 9. filter values that can match nothing

class Doc:  # what validate() reads of a document
    def __init__(self, doc_id, region, province):
        from indexer.models import DocMeta
        self.doc_id, self.meta = doc_id, DocMeta(region=region, province=province)


DOCS = [Doc("dg", "东莞市", "广东省"), Doc("gd", "广东省", "广东省"), Doc("ah", "", "安徽省")]


@pytest.mark.parametrize("filters, needles", [
    (SearchFilters(date_from="2021-13-45"), ["from date '2021-13-45'", "YYYY-MM-DD"]),
    (SearchFilters(date_to="2021-02-30"), ["to date '2021-02-30'", "no such date"]),
    (SearchFilters(date_from="21-1-1"), ["from date", "YYYY-MM-DD"]),
    (SearchFilters(date_from="2022", date_to="2021-06"), ["after to date"]),
    (SearchFilters(level="mayor"), ["unknown level mayor", "national, province, city, county, news, other"]),
    (SearchFilters(level="city,mayor"), ["unknown level mayor"]),
    (SearchFilters(status="foo"), ["unknown status foo", "current, draft, trial, expired"]),
    (SearchFilters(region="火星"), ["region 火星", "东莞市", "安徽省"]),
    (SearchFilters(province="火星省"), ["province 火星省", "安徽省、广东省"]),
    (SearchFilters(doc_ids=("nope",)), ["no document nope", "ah、dg、gd"]),
])
def test_invalid_filter_values_name_what_is_valid(filters, needles):
    problems = validate(filters, DOCS)
    assert len(problems) == 1, problems
    for n in needles:
        assert n in problems[0]


@pytest.mark.parametrize("filters", [
    SearchFilters(), SearchFilters(date_from="2021", date_to="2021-12"), SearchFilters(date_to="2024-02-29"),
    SearchFilters(level="city,province"), SearchFilters(status="current,draft"), SearchFilters(status="现行"),
    SearchFilters(region="东莞"), SearchFilters(region="广东，安徽"), SearchFilters(province="安徽"),
    SearchFilters(doc_ids=("dg",)), SearchFilters(section="保障措施"),
])
def test_valid_filter_values_pass(filters):
    assert validate(filters, DOCS) == []


@given(st.dates(), st.sampled_from([4, 7, 10]))
def test_every_real_date_prefix_is_valid(day, n):
    iso = day.isoformat()
    if len(iso) == 10:  # years 1000-9999
        assert validate(SearchFilters(date_from=iso[:n], date_to=iso[:n])) == []


@pytest.mark.parametrize("option, value, needle", [
    ("--from", "2021-13-45", "YYYY-MM-DD"), ("--to", "2021-02-30", "no such date"),
    ("--level", "mayor", "national"), ("--status", "foo", "current"), ("--region", "火星", "东莞市"),
])
def test_search_refuses_invalid_filters_in_one_line(lib, capsys, option, value, needle):
    _, index = lib
    rc = main(["search", "链长制", option, value, "--index-dir", str(index)])
    one_line_error(capsys, rc, value, needle)


def test_search_with_valid_filters_still_finds(lib, capsys):
    _, index = lib
    rc = main(["search", "链长制", "--region", "东莞", "--level", "city", "--status", "current", "--from", "2021",
               "--to", "2021-12-31", "--json", "--index-dir", str(index)])
    hits = json.loads(capsys.readouterr().out)
    assert rc == 0 and hits and {h["doc_id"] for h in hits} == {DONGGUAN}


# ---------------------------------------------------------------- 10. length caps

def test_a_query_over_the_limit_is_refused_before_embedding(lib, capsys, monkeypatch):
    _, index = lib
    monkeypatch.setattr(Engine, "embed_query", lambda *a: pytest.fail("must not embed"))
    rc = main(["search", "链" * (MAX_QUERY_CHARS + 1), "--index-dir", str(index)])
    one_line_error(capsys, rc, f"{MAX_QUERY_CHARS + 1}", f"at most {MAX_QUERY_CHARS}")
    assert check_query("链" * MAX_QUERY_CHARS) == "链" * MAX_QUERY_CHARS


def test_a_long_line_in_a_queries_file_names_its_line(lib, capsys, tmp_path):
    _, index = lib
    q = tmp_path / "q.txt"
    q.write_text("链长制\n" + "县" * (MAX_QUERY_CHARS + 1) + "\n", encoding="utf-8")
    rc = main(["search", "--queries", str(q), "--index-dir", str(index)])
    one_line_error(capsys, rc, f"{q}:2", "query too long")


def test_too_many_pasted_items_are_refused_before_embedding(lib, capsys, monkeypatch):
    import indexer.library as library

    monkeypatch.setattr(library, "coverage_between", lambda *a, **k: pytest.fail("must not compute"))
    items = ",".join(f"产业{i}" for i in range(MAX_ITEMS + 1))
    rc = main(["coverage", "--reference", PROVINCE, "--items", items])
    one_line_error(capsys, rc, f"{MAX_ITEMS + 1}", f"at most {MAX_ITEMS}")
    assert len(check_items([f"产业{i}" for i in range(MAX_ITEMS)])) == MAX_ITEMS


# ---------------------------------------------------------------- 11. a duplicate is a notice

def test_a_duplicate_file_is_a_note_not_an_error(lib, capsys):
    corpus, index = lib
    shutil.copy(corpus / f"{DONGGUAN}.txt", corpus / "东莞（转发）.txt")
    assert build(index, "--corpus", str(corpus)) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("提示 / note: ") and "内容相同" in err[0]
    manifest = Engine.open(index).manifest
    assert manifest["error_kinds"] == [DUPLICATE] and len(manifest["errors"]) == 1
    assert main(["docs", "--corpus", str(corpus)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("提示 / note: ")


def test_a_bad_file_is_still_an_error_beside_a_duplicate(lib, capsys):
    corpus, index = lib
    shutil.copy(corpus / f"{DONGGUAN}.txt", corpus / "copy.txt")
    (corpus / "empty.txt").write_bytes(b"")
    assert build(index, "--corpus", str(corpus)) == 0
    err = sorted(capsys.readouterr().err.strip().splitlines())
    assert [e.split(":")[0] for e in err] == ["提示 / note", "警告 / skipped"]
    assert IngestError("x", "文件为空 / empty file").kind == "error"
    assert IngestError("x", "whatever", kind=DUPLICATE).is_notice


# ---------------------------------------------------------------- 4. the CLI's reports name documents

def test_cli_exports_name_documents_by_title_and_record_the_lists(lib, tmp_path, capsys):
    from openpyxl import load_workbook

    docs = {d.doc_id: d for d in Engine.open(lib[1]).documents}
    title = docs[PROVINCE].meta.title
    out = tmp_path / "align.md"
    assert main(["align", DONGGUAN, PROVINCE, "--export", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith(f"# 条款比对：《{docs[DONGGUAN].meta.title}》")
    out = tmp_path / "cov.xlsx"
    assert main(["coverage", "--reference", PROVINCE, "--target", DONGGUAN, "--export", str(out)]) == 0
    summary = [r[0] for r in load_workbook(out)["摘要"].iter_rows(values_only=True)]
    assert title in summary[0] and docs[PROVINCE].meta.doc_number in summary[1]
    assert any(s.startswith("条件 / settings: 参照清单 / reference list: ") for s in summary)


# ---------------------------------------------------------------- caps that could be bypassed

def test_a_long_pasted_item_is_refused_before_embedding_from_the_cli(lib, capsys, monkeypatch):
    import indexer.compare.coverage as coverage
    from indexer.limits import MAX_ITEM_CHARS

    monkeypatch.setattr(coverage, "coverage", lambda *a, **k: pytest.fail("must not compute"))
    rc = main(["coverage", "--reference", PROVINCE, "--items", "装备制造," + "链" * 20_000])  # ran 24 s
    one_line_error(capsys, rc, "条目过长", "item too long", f"at most {MAX_ITEM_CHARS}")


def test_the_service_layer_refuses_long_or_many_items_for_every_door(lib, monkeypatch):
    import indexer.compare.coverage as coverage
    from indexer import library
    from indexer.limits import MAX_ITEM_CHARS, MAX_TOTAL_CHARS, check_items

    monkeypatch.setattr(coverage, "coverage", lambda *a, **k: pytest.fail("must not compute"))
    docs = library.documents()
    for items in (["链" * (MAX_ITEM_CHARS + 1)], [f"产业{i}" for i in range(MAX_ITEMS + 1)],
                  ["链" * MAX_ITEM_CHARS] * (MAX_TOTAL_CHARS // MAX_ITEM_CHARS + 1)):
        with pytest.raises(PolicyError, match="at most"):
            library.coverage_between(docs, PROVINCE, None, items)  # the app's path (app_pages/results.py)
        with pytest.raises(PolicyError, match="at most"):
            check_items(items)
    assert check_items(["链" * MAX_ITEM_CHARS]) == ["链" * MAX_ITEM_CHARS]


def test_instruments_makes_the_checks_search_makes(lib, capsys, monkeypatch):
    import indexer.search as search

    monkeypatch.setattr(search, "search", lambda *a, **k: pytest.fail("must not search"))
    rc = main(["instruments", "--tag", "资金", "--query", "链" * 10_010])  # ran 10 s
    one_line_error(capsys, rc, "10010", f"at most {MAX_QUERY_CHARS}")
    for k in ("-5", "0", "100000"):  # -5 exited 0 with nothing, 100000 was accepted
        rc = main(["instruments", "--tag", "资金", "--query", "资金", "--k", k])
        one_line_error(capsys, rc, "--k", f"between 1 and {MAX_K}", k)
    for tag in (",", " , ，", ""):  # printed a facet as if no --tag were given
        rc = main(["instruments", "--tag", tag])
        one_line_error(capsys, rc, "--tag", "标签")


def test_a_queries_file_is_capped_in_count_and_characters(lib, capsys, tmp_path):
    from indexer.limits import MAX_TOTAL_CHARS

    _, index = lib
    q = tmp_path / "q.txt"
    q.write_text("\n".join(["链长制"] * (MAX_ITEMS + 1)) + "\n", encoding="utf-8")
    rc = main(["search", "--queries", str(q), "--index-dir", str(index)])
    one_line_error(capsys, rc, f"{MAX_ITEMS + 1}", f"at most {MAX_ITEMS}")
    n = MAX_TOTAL_CHARS // MAX_QUERY_CHARS + 1
    q.write_text("\n".join(["链" * MAX_QUERY_CHARS] * n) + "\n", encoding="utf-8")
    rc = main(["search", "--queries", str(q), "--index-dir", str(index)])
    one_line_error(capsys, rc, f"{n * MAX_QUERY_CHARS}", f"at most {MAX_TOTAL_CHARS}")
