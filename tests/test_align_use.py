"""Alignment as a reviewer reads it (found in use): the legislative history above a regulation is not paired as
text, and the CLI names relations in the README's Chinese words."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.compare.align import RELATION_LABELS, align_documents, alignable
from indexer.embedders import FakeEmbedder
from indexer.ingest.corpus import load_document
from indexer.ingest.legislation import is_history_line

ZHEJIANG = Path(__file__).resolve().parents[2] / "shared" / "library" / "zhejiang"
pytestmark = pytest.mark.skipif(not ZHEJIANG.is_dir(), reason="../shared/library is not beside this checkout")


def test_the_legislative_history_is_not_aligned():
    a = load_document(ZHEJIANG / "浙江省物业管理条例(2009-11-27).md")
    b = load_document(ZHEJIANG / "杭州市物业管理条例(2021-08-09).md")
    history = [c for c in a.clauses if c.kind == "preamble" and is_history_line(c.text)]
    assert history and not set(c.clause_id for c in history) & {c.clause_id for c in alignable(a)}
    al = align_documents(a, b, embedder=FakeEmbedder())
    assert al.pairs and not any(is_history_line(p.a.text) or is_history_line(p.b.text) for p in al.pairs)
    assert is_history_line("2006年5月24日 浙江省第十届人民代表大会常务委员会第二十五次会议通过")
    assert not is_history_line("2020年底前，全面建立生活垃圾分类投放、收集、运输、处置体系。")


def test_the_cli_says_relations_in_chinese(capsys, monkeypatch):
    from indexer.cli import main

    monkeypatch.setenv("POLICY_EMBEDDER", "fake")
    assert main(["align", "guangdong-2020-strategic-clusters", "dongguan-2021-strategic-clusters"]) == 0
    out = capsys.readouterr().out
    assert any(f"[{label}" in out for label in RELATION_LABELS.values())
    assert not any(f"[{english}" in out for english in ("partial", "paraphrase", "identical", "only A"))
