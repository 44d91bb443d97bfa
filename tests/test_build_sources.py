"""A build never quietly removes documents whose files are still on disk: an index remembers the folders it was
built from, and the app's, the API's and the CLI's rebuilds read those folders again. Found in use: the app,
opening a library index after a parser update, rebuilt it from the default corpus folder and removed 418 of its
423 documents."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.errors import PolicyError
from indexer.ingest.build import build_index
from indexer.library import Library
from indexer.store import open_store, recorded_sources
from tests.conftest import FakeEmbedder

ZHEJIANG = Path(__file__).resolve().parents[2] / "shared" / "library" / "zhejiang"
pytestmark = pytest.mark.skipif(not ZHEJIANG.is_dir(), reason="../shared/library is not beside this checkout")


def ids(index: Path) -> set[str]:
    return {d.doc_id for d in open_store(index).documents()}


@pytest.fixture
def library(tmp_path) -> tuple[Path, Path, Path]:
    """Two folders of real Zhejiang regulations, indexed together: (folder a, folder b, index)."""
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, files in ((a, sorted(ZHEJIANG.glob("杭州市*.md"))[:2]), (b, sorted(ZHEJIANG.glob("宁波市*.md"))[:2])):
        folder.mkdir()
        for f in files:
            shutil.copy(f, folder / f.name)
    index = tmp_path / "index"
    build_index([a, b], index, FakeEmbedder())
    return a, b, index


def test_the_index_records_its_folders(library):
    a, b, index = library
    assert recorded_sources(index) == ([a, b], [])


def test_a_build_from_fewer_folders_is_refused_and_changes_nothing(library):
    a, b, index = library
    before = ids(index)
    with pytest.raises(PolicyError, match="--allow-drop") as err:
        build_index([a], index, FakeEmbedder())
    assert "2 份文件" in str(err.value) and str(b) in str(err.value)
    assert ids(index) == before and len(before) == 4
    build_index([a], index, FakeEmbedder(), allow_drop=True)  # asked for: b's documents go
    from indexer.ingest.build import load_documents
    assert ids(index) == {d.doc_id for d in load_documents([a])[0]} and len(ids(index)) == 2


def test_a_deleted_file_is_still_removed(library):
    a, b, index = library
    gone = sorted(b.iterdir())[0]
    gone.unlink()
    build_index([a, b], index, FakeEmbedder())
    assert len(ids(index)) == 3


def test_the_library_rebuilds_from_the_recorded_folders(library, tmp_path):
    a, b, index = library
    uploads = tmp_path / "uploads"
    lib = Library(index, uploads)
    assert lib.folders() == [a, b, uploads]
    uploads.mkdir()
    shutil.copy(sorted(ZHEJIANG.glob("温州市*.md"))[0], uploads)
    lib.build()  # an upload in the app or the API: the library's own documents stay
    assert len(ids(index)) == 5


def test_an_index_without_recorded_folders_is_protected(tmp_path, library, monkeypatch):
    """An index built from documents given directly (benchmarks, older versions) records no folders: the default
    folders are read, and the build is refused rather than removing the library."""
    a, b, index = library
    other = tmp_path / "direct"
    from indexer.ingest.build import load_documents
    docs, _ = load_documents([a, b])
    build_index(None, other, FakeEmbedder(), documents=docs)
    assert recorded_sources(other) == ([], [])
    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    with pytest.raises(PolicyError, match="--allow-drop"):
        Library(other, tmp_path / "uploads").build()
    assert len(ids(other)) == 4


def test_cli_build_without_folders_reads_the_recorded_ones(library, capsys):
    from indexer.cli import main

    a, b, index = library
    assert main(["build", "--index-dir", str(index), "--embedder", "fake", "--quiet"]) == 0
    assert len(ids(index)) == 4
    assert main(["build", "--index-dir", str(index), "--embedder", "fake", "--quiet", "--corpus", str(a)]) == 2
    err = capsys.readouterr().err
    assert "--allow-drop" in err and "Traceback" not in err and len(ids(index)) == 4


def test_cli_docs_and_lists_answer_on_the_index(library, tmp_path, monkeypatch, capsys):
    """`docs` lists the index's documents (found in use: it listed the 5 shipped ones whatever $POLICY_INDEX held, so
    a library's ids could not be looked up), then the files of its folders not indexed yet."""
    import json

    from indexer import paths
    from indexer.cli import main

    a, b, index = library
    monkeypatch.setattr(paths, "INDEX_DIR", index)
    monkeypatch.setattr(paths, "UPLOAD_DIR", tmp_path / "uploads")
    late = sorted(ZHEJIANG.glob("温州市*.md"))[0]
    shutil.copy(late, a / late.name)  # copied in after the build
    assert main(["docs", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {d["doc_id"] for d in listed} >= ids(index) and len(listed) == 5
    assert listed[-1]["path"].endswith(late.name)
    assert main(["lists", sorted(ids(index))[0]]) == 0  # a library id, not a shipped one


def test_relative_folders_are_recorded_whole_and_a_missing_one_refuses(tmp_path, monkeypatch, library):
    """Found in review: an index built from relative folders, rebuilt from another working directory, lost them; and
    a recorded folder that is gone (a moved library, an unmounted drive) must not empty the index either."""
    a, b, index = library
    monkeypatch.chdir(tmp_path)
    rel = tmp_path / "rel-index"
    build_index(["a", "b"], rel, FakeEmbedder())
    assert recorded_sources(rel)[0] == [a.resolve(), b.resolve()]
    monkeypatch.chdir("/")
    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    Library(rel, tmp_path / "uploads").build()
    assert len(ids(rel)) == 4
    shutil.move(str(b), str(tmp_path / "moved"))
    with pytest.raises(PolicyError, match="文件夹不存在"):
        Library(rel, tmp_path / "uploads").build()
    from indexer.cli import main

    assert main(["build", "--index-dir", str(rel), "--embedder", "fake", "--quiet"]) == 2  # the CLI says the same
    assert len(ids(rel)) == 4


def test_same_named_files_of_two_folders_are_told_apart(tmp_path):
    """Found in review: the guard matched documents by id, and ids of same-named files shift with the folders."""
    a, b = tmp_path / "a", tmp_path / "b"
    files = sorted(ZHEJIANG.glob("杭州市*.md"))[:2]
    for folder, f in ((a, files[0]), (b, files[1])):
        folder.mkdir()
        shutil.copy(f, folder / "条例.md")
    index = tmp_path / "index"
    build_index([a, b], index, FakeEmbedder())
    assert len(ids(index)) == 2
    with pytest.raises(PolicyError, match="--allow-drop") as err:
        build_index([b], index, FakeEmbedder())
    assert f"--corpus {a}" in str(err.value)


def test_an_upload_folder_never_made_does_not_block_the_rebuild(library, tmp_path, monkeypatch):
    """Found by the cold-start benchmark: the default index records data/uploads, which no upload has made yet; after
    a parser update the app's rebuild was refused as if a library folder had gone."""
    a, b, index = library
    never = tmp_path / "never-made-uploads"
    rebuilt = tmp_path / "with-uploads"
    build_index([a, b, never], rebuilt, FakeEmbedder())
    assert never in recorded_sources(rebuilt)[0] and not never.exists()
    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    Library(rebuilt, never).build()
    assert len(ids(rebuilt)) == 4
