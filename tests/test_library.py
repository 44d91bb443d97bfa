"""The service layer: the app and the CLI give the same answer to the same question, because both call it."""
from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer import freshness, library, paths, uploads
from indexer.cli import main
from indexer.compare import pairs
from indexer.embedders import FakeEmbedder
from indexer.ingest import places
from indexer.ingest.build import build_index
from tests.conftest import copy_corpus

PROVINCE, DONGGUAN = "guangdong-2020-strategic-clusters", "dongguan-2021-strategic-clusters"


@pytest.fixture
def on_index(monkeypatch, fake_index, tmp_path):
    monkeypatch.setattr(paths, "INDEX_DIR", fake_index)
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "uploads")
    return fake_index


def _cli_json(capsys, argv) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_coverage_is_the_same_from_cli_service_and_app(on_index, capsys):
    from app_pages import results

    cli = _cli_json(capsys, ["coverage", "--reference", PROVINCE, "--target", DONGGUAN, "--json"])
    service = library.coverage_between(library.documents(), PROVINCE, DONGGUAN).result.to_dict()
    app = results.coverage(PROVINCE, "", DONGGUAN, None, (), "", ("test",))[0].to_dict()
    assert cli == service == app
    assert cli["region"] == "东莞市" and cli["summary"]["covered"] > 0


def test_pasted_items_coverage_is_the_same_from_cli_and_app(on_index, capsys):
    from app_pages import results

    cli = _cli_json(capsys, ["coverage", "--reference", PROVINCE, "--items", "新能源,现代物流", "--json"])
    app = results.coverage(PROVINCE, "", None, None, ("新能源", "现代物流"), "", ("test",))[0].to_dict()
    assert cli == app


def test_align_is_the_same_from_cli_service_and_app(on_index, capsys):
    from app_pages import results

    cli = _cli_json(capsys, ["align", DONGGUAN, PROVINCE, "--json"])
    service = pairs.align_pair(library.documents(), DONGGUAN, PROVINCE, vectors=library.index_vectors()).to_dict()
    app = results.align(DONGGUAN, PROVINCE, ("test",)).to_dict()
    assert cli == service == app and cli["counts"]["pairs"] > 0


def test_region_falls_back_to_the_opening_when_metadata_has_none(seed_docs):
    from dataclasses import replace

    doc = next(d for d in seed_docs if d.doc_id == DONGGUAN)
    bare = replace(doc, meta=replace(doc.meta, region=""))
    assert places.document_region(bare) == "东莞市"


def test_a_moved_index_still_knows_its_files(tmp_path):
    """Files are matched by content hash: an index copied with its corpus does not claim files are missing."""
    corpus = copy_corpus(tmp_path / "a" / "corpus")
    build_index([corpus], tmp_path / "a" / "index", FakeEmbedder())
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    shutil.rmtree(tmp_path / "a")
    docs = library.documents(tmp_path / "b" / "index")
    assert freshness.unindexed_files(docs, [tmp_path / "b" / "corpus"]) == []
    (tmp_path / "b" / "corpus" / "new.txt").write_text("一、总则\n新的条款内容。", encoding="utf-8")
    assert [p.name for p in freshness.unindexed_files(docs, [tmp_path / "b" / "corpus"])] == ["new.txt"]


def test_a_build_names_the_files_it_could_not_read(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", ["dongguan-2021-strategic-clusters.txt"])
    shutil.copy(corpus / "dongguan-2021-strategic-clusters.txt", corpus / "copy.txt")
    report = build_index([corpus], tmp_path / "index", FakeEmbedder())
    assert [p.split("/")[-1] for p in report.failed_paths] == ["copy.txt"]
    assert len(report.errors) == len(report.failed_paths)
    assert freshness.waiting_files(library.documents(tmp_path / "index"), report.failed_paths, [corpus]) == []


def test_metadata_lines_left_out_of_clauses_keep_their_offsets_in_the_index(fake_engine, seed_docs):
    """Salutation, issuer, 文号 and date lines are not clauses, but the index keeps where they are."""
    built = {d.doc_id: d for d in fake_engine.documents}
    assert any(d.skipped for d in seed_docs)
    for d in seed_docs:
        assert built[d.doc_id].skipped == d.skipped
        for _kind, start, end in d.skipped:
            assert d.text[start:end].strip() and not any(c.start < end and start < c.end for c in d.clauses)


def test_app_and_cli_exports_name_documents_and_record_the_settings(on_index, tmp_path, capsys):
    """The same coverage report from the app's button and from --export: titles and 文号, lists and region."""
    import openpyxl

    from app_pages import exports

    out = tmp_path / "cli.xlsx"
    assert main(["coverage", "--reference", PROVINCE, "--target", DONGGUAN, "--export", str(out)]) == 0
    answer = library.coverage_between(library.documents(), PROVINCE, DONGGUAN)
    app = tmp_path / "app.xlsx"
    app.write_bytes(exports.export_bytes(answer.result, ".xlsx", tuple(pairs.coverage_settings(answer))))
    cli_sheet, app_sheet = (openpyxl.load_workbook(p)["摘要"] for p in (out, app))
    cli_lines = [r[0] for r in cli_sheet.iter_rows(values_only=True)]
    assert cli_lines == [r[0] for r in app_sheet.iter_rows(values_only=True)]
    assert any("粤府函〔2020〕82号" in str(v) for v in cli_lines) and any("东莞市" in str(v) for v in cli_lines)


# ---------------------------------------------------------------- upload names fit the file system

@pytest.mark.parametrize("name", ["𠀀" * 120 + ".txt", "😀" * 120 + ".PDF", "政" * 120 + ".docx", "a" * 300,
                                  "x." + "𠀀" * 100, "👨‍👩‍👧" * 50 + ".md"])
def test_upload_names_are_cut_to_a_byte_budget_keeping_the_suffix(name, tmp_path):
    clean = uploads.safe_filename(name)
    stem, dot, suffix = clean.rpartition(".")
    assert len((stem if dot else clean).encode()) <= uploads.MAX_STEM_BYTES
    assert clean.encode("utf-8").decode("utf-8") == clean  # whole characters only
    if name.lower().endswith((".txt", ".pdf", ".docx", ".md")):
        assert clean.endswith(name.rpartition(".")[2].lower())
    path, _ = uploads.save_upload(name, b"x", tmp_path)  # was OSError: File name too long
    assert path.exists() and path.name == clean


@given(st.text(min_size=0, max_size=400))
def test_any_upload_name_is_a_short_whole_character_name(name):
    clean = uploads.safe_filename(name)
    assert clean and len(clean.encode("utf-8")) <= uploads.MAX_STEM_BYTES + 1 + uploads.MAX_SUFFIX_BYTES
    assert uploads.safe_filename(clean) == clean
