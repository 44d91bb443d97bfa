"""Damaged indexes: a search says what is wrong in one line, the next build says it repaired it, and afterwards
search answers as before. Vectors are reused only when provably sound; damaged ones are never copied forward."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.cli import main
from indexer.ingest.build import build_index
from indexer.search import Engine
from indexer.store import CURRENT, current_generation
from tests.conftest import copy_corpus

FILES = ["dongguan-2021-strategic-clusters.txt", "anhui-2024-county-industry-clusters.txt"]
QUERIES = ["链长制 总链长", "县域特色产业集群"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("damage")
    corpus = copy_corpus(root / "corpus", FILES)
    build_index([corpus], root / "index", "fake")
    engine = Engine.open(root / "index")
    answers = [[h.clause_id for h in engine.search(q, k=5)] for q in QUERIES]
    return corpus, root / "index", answers, len(engine.store)


def _vectors_of_wrong_dimension(gen: Path) -> None:
    n = len(np.load(gen / "vectors.npy"))
    np.save(gen / "vectors.npy", np.full((n, 7), 7 ** -0.5, np.float32))


def _manifest_list(gen: Path) -> None:
    (gen / "manifest.json").write_text("[]", encoding="utf-8")


def _current_not_utf8(gen: Path) -> None:
    (gen.parent / CURRENT).write_bytes(b"\xff\xfe" + gen.name.encode() + b"\x80\n")


def _texts_cut_mid_line(gen: Path) -> None:
    data = (gen / "texts.jsonl").read_bytes()
    (gen / "texts.jsonl").write_bytes(data[: len(data) * 2 // 3])


def _texts_cut_at_a_line_end(gen: Path) -> None:
    lines = (gen / "texts.jsonl").read_bytes().splitlines(keepends=True)
    (gen / "texts.jsonl").write_bytes(b"".join(lines[:-1]))  # a whole document's text gone, every line valid


def _manifest_without_embedder(gen: Path) -> None:
    m = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    del m["embedder"]
    (gen / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


# case → (damage, what the one line names, whether the stored vectors can still be trusted)
CASES = {
    "vectors-of-wrong-dimension": (_vectors_of_wrong_dimension, "vectors of dimension 7", False),
    "manifest-holding-a-list": (_manifest_list, "manifest.json holds list", True),
    "current-not-utf8": (_current_not_utf8, "CURRENT holds non-UTF-8 bytes", True),
    "texts-cut-mid-line": (_texts_cut_mid_line, "texts.jsonl truncated or damaged at line", True),
    "texts-cut-at-a-line-end": (_texts_cut_at_a_line_end, "texts.jsonl lacks the text of 1 documents", True),
    "manifest-without-embedder": (_manifest_without_embedder, "manifest.json names no embedder", True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_damage_is_one_line_and_the_next_build_repairs_it(built, tmp_path, capsys, case):
    src_corpus, src_index, answers, n_clauses = built
    index = tmp_path / "index"
    shutil.copytree(src_index, index, ignore=shutil.ignore_patterns("*.lock"))
    damage, needle, sound_vectors = CASES[case]
    damage(current_generation(index))

    rc = main(["search", QUERIES[0], "--index-dir", str(index)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "索引损坏" in err and "python -m indexer build" in err and needle in err, err

    rc = main(["build", "--quiet", "--json", "--corpus", str(src_corpus), "--index-dir", str(index),
               "--embedder", "fake"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("提示 / note: 原索引已损坏，已从文件重建") and needle in lines[0]
    report = json.loads(out)
    assert needle in report["repaired"] and report["clauses"] == n_clauses
    # sound vectors are reused by content key; vectors that are themselves damaged are all embedded again
    if sound_vectors:
        assert report["embedded"] == 0 and report["reused"] == n_clauses
    else:
        assert report["reused"] == 0 and report["embedded"] > 0

    engine = Engine.open(index)
    assert [[h.clause_id for h in engine.search(q, k=5)] for q in QUERIES] == answers
    assert all(engine.store.document_text(d.doc_id) for d in engine.store.documents())
    again = build_index([src_corpus], index, "fake")
    assert again.repaired == "" and again.embedded == 0


def test_salvage_trusts_only_whole_unit_vectors(built, tmp_path):
    from indexer.store.damage import salvage_vectors

    _, src_index, _, n_clauses = built
    index = tmp_path / "index"
    shutil.copytree(src_index, index, ignore=shutil.ignore_patterns("*.lock"))
    gen = current_generation(index)
    dim = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))["embedder"]["dim"]
    assert len(salvage_vectors(index, dim)) > 0
    assert salvage_vectors(index, dim + 1) == {}  # another embedder's dimension
    vecs = np.load(gen / "vectors.npy")
    bad = vecs.copy()
    bad[3] = np.nan
    np.save(gen / "vectors.npy", bad)
    assert salvage_vectors(index, dim) == {}
    np.save(gen / "vectors.npy", vecs * 2)  # not unit vectors: not what this index stores
    assert salvage_vectors(index, dim) == {}
    np.save(gen / "vectors.npy", vecs[:-1])  # one row short: rows no longer line up with clauses
    assert salvage_vectors(index, dim) == {}
    np.save(gen / "vectors.npy", vecs)
    lines = (gen / "clauses.jsonl").read_bytes()
    (gen / "clauses.jsonl").write_bytes(lines[: len(lines) // 2])
    assert salvage_vectors(index, dim) == {}
    assert salvage_vectors(tmp_path / "nothing", dim) == {}
