"""Text reuse: the news reprint of the provincial 20, exact spans, scaling."""
from __future__ import annotations

import json
import random
import time

from indexer.cli import main
from indexer.compare import reuse
from indexer.ingest.lists import primary_list
from indexer.ingest.outline import segment
from indexer.models import DocMeta, Document
from tests.align_fixtures import NEWS, PROVINCE, corpus, doc


def test_news_reprint_of_all_20_items_is_found():
    pairs = reuse.find_reuse(corpus())
    linked = {}
    for p in pairs:
        for s, o in ((p.a, p.b), (p.b, p.a)):
            if s.doc_id == PROVINCE and o.doc_id == NEWS:
                linked[s.clause_id] = (s, o, p)
    items = primary_list(doc(PROVINCE)).items
    assert len(items) == 20
    for it in items:
        s, o, p = linked[it.clause_id]
        c = doc(PROVINCE).clause(it.clause_id)
        # the whole item, not a fragment of it
        assert s.end - s.start >= 0.9 * len(c.text.strip())
        assert o.text.lstrip().startswith(c.text.lstrip()[:2])
        assert p.similarity >= 0.95


def test_spans_point_into_the_documents():
    docs = {d.doc_id: d for d in corpus()}
    pairs = reuse.find_reuse(corpus())
    assert pairs
    for p in pairs:
        for s in (p.a, p.b):
            d = docs[s.doc_id]
            assert d.text[s.start:s.end] == s.text
            c = d.clause(s.clause_id)
            assert c.start <= s.start < s.end <= c.end
        assert p.similarity >= reuse.MIN_SIMILARITY and p.chars >= reuse.DEFAULT_MIN_CHARS


def test_min_chars_filters():
    long_only = reuse.find_reuse(corpus(), min_chars=150)
    assert long_only and all(p.chars >= 150 for p in long_only)
    assert len(long_only) < len(reuse.find_reuse(corpus()))


def _doc(doc_id, text):
    return Document(doc_id=doc_id, path=doc_id, text=text, meta=DocMeta(), clauses=tuple(segment(text, doc_id)))


def test_small_edits_and_punctuation_do_not_break_a_passage():
    a = "一、总体要求\n坚持创新驱动，推动科技创新、产业创新与制度创新协调互促，带动重点领域和关键环节取得新突破。\n"
    b = "一、总体要求\n坚持创新驱动,推动科技创新、产业创新和制度创新协调互促,带动重点领域与关键环节取得新突破!\n"
    pairs = reuse.find_reuse([_doc("a", a), _doc("b", b)])
    assert len(pairs) == 1
    p = pairs[0]
    assert p.a.text.startswith("坚持创新驱动") and p.b.text.startswith("坚持创新驱动")
    assert 0.9 <= p.similarity < 1.0


def test_unrelated_documents_share_nothing():
    assert reuse.find_reuse([_doc("a", "一、甲\n推进海上风电规模化开发，建设运维基地。"),
                             _doc("b", "一、乙\n完善天然气基础设施布局，加快管网建设。")]) == []


def test_hundreds_of_documents_are_fast():
    # 300 documents of 3,000 characters, each quoting one provincial item: the shingle index keeps the
    # cost near-linear (all-pairs over sentences would be ~10^9 comparisons)
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    items = [c.text for c in doc(PROVINCE).clauses if c.kind == "num"]
    docs = []
    for k in range(300):
        body = "".join(rng.choice(alphabet) for _ in range(3000))
        docs.append(_doc(f"d{k}", f"一、第{k}号\n{body[:1500]}。\n{items[k % len(items)]}\n{body[1500:]}。\n"))
    t0 = time.perf_counter()
    pairs = reuse.find_reuse(docs)
    elapsed = time.perf_counter() - t0
    assert elapsed < 30, elapsed
    # documents quoting the same item are linked to each other
    assert {(p.a.doc_id, p.b.doc_id) for p in pairs} >= {("d0", "d20"), ("d1", "d21")}


def test_cli_reuse_json(capsys):
    assert main(["reuse", "--min-chars", "100", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["min_chars"] == 100 and d["pairs"]
    p = d["pairs"][0]
    assert set(p["a"]) >= {"doc_id", "clause_id", "start", "end"} and "similarity" in p
