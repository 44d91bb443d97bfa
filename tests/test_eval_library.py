"""The library dev set (benchmarks/library_queries.json), the naive baselines and the benchmark's vector cache."""
from __future__ import annotations

import json
import math
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.embedders import FakeEmbedder
from indexer.evaluate import is_relevant

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import baselines  # noqa: E402
import eval_library  # noqa: E402
from vector_cache import CachedEmbedder  # noqa: E402

QUERY_FILE = ROOT / "benchmarks" / "library_queries.json"
HAVE_LIBRARY = eval_library.LIBRARY.is_dir() and eval_library.EXTERNAL.is_dir()


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


# ---- the query file

@pytest.fixture(scope="module")
def raw_queries() -> list[dict]:
    return json.loads(QUERY_FILE.read_text(encoding="utf-8"))


def test_schema_and_size(raw_queries):
    assert len(raw_queries) >= 90
    for d in raw_queries:
        assert set(d) <= {"q", "needles", "style", "split", "lang"}, d
        assert isinstance(d["q"], str) and d["q"].strip() == d["q"] and d["q"]
        assert d["needles"] and all(isinstance(n, str) and len(n) >= 4 for n in d["needles"]), d
        assert d["style"] in ("formal", "colloquial")
        assert d["split"] in ("tune", "heldout")
        assert d.get("lang", "zh") in ("zh", "en")
    assert len({d["q"] for d in raw_queries}) == len(raw_queries), "duplicate query"
    queries = eval_library.load_library_queries(QUERY_FILE)
    assert [q.q for q in queries] == [d["q"] for d in raw_queries]


def test_styles_are_balanced_and_held_out_third_follows_the_fixed_rule(raw_queries):
    styles = Counter(d["style"] for d in raw_queries)
    assert min(styles.values()) >= 0.4 * len(raw_queries), styles
    # The rule fixed before any measurement: every third query (positions 2, 5, 8, …) is held out.
    assert [d["split"] for d in raw_queries] == ["heldout" if i % 3 == 2 else "tune" for i in range(len(raw_queries))]
    for split in ("tune", "heldout"):
        assert {d["style"] for d in raw_queries if d["split"] == split} == {"formal", "colloquial"}


def test_the_set_covers_english_document_numbers_and_regions(raw_queries):
    english = [d for d in raw_queries if d.get("lang") == "en"]
    assert len(english) >= 5 and all(re.search(r"[a-z]{3}", d["q"]) for d in english)
    assert sum(1 for d in raw_queries if re.search(r"〔\d{4}〕\d+号", d["q"])) >= 2
    regions = ("宁波", "杭州", "嘉兴", "温州", "湖州", "绍兴", "台州", "丽水", "舟山", "衢州", "金华", "潮州", "浙江")
    assert sum(1 for d in raw_queries if any(r in d["q"] for r in regions)) >= 10


@pytest.fixture(scope="module")
def documents():
    if not HAVE_LIBRARY:
        pytest.skip("../shared/library or ../shared/external is not present")
    seed, library, _ = eval_library.read_library()
    return list(seed) + list(library)


def test_every_needle_is_in_a_document_a_clause_and_a_sentence_unit(raw_queries, documents):
    """A needle must be findable by both sides: inside one product clause and inside one sentence unit."""
    missing = unfindable(raw_queries, documents)
    assert not missing, "\n".join(missing)


def unfindable(raw_queries: list[dict], documents) -> list[str]:
    """Needles that no document, no product clause or no sentence unit holds whole."""
    texts = {d.doc_id: nfkc(d.text) for d in documents}  # normalised once: 400+ documents
    missing = []
    for d in raw_queries:
        for needle in d["needles"]:
            holders = [doc for doc in documents if nfkc(needle) in texts[doc.doc_id]]
            if not holders:
                missing.append(f"{d['q']}: {needle} (no document)")
                continue
            if not any(is_relevant(c.text, [needle]) for doc in holders for c in doc.clauses):
                missing.append(f"{d['q']}: {needle} (crosses a clause boundary)")
            units = [u for doc in holders for u in baselines.sentence_units(doc.doc_id, doc.text)]
            if not any(is_relevant(u.text, [needle]) for u in units):
                missing.append(f"{d['q']}: {needle} (crosses a sentence boundary)")
    return missing


@pytest.mark.parametrize(("name", "split", "per_style"), [("library_queries_fresh.json", "fresh", 20),
                                                          ("library_queries_tune2.json", "tune2", 25),
                                                          ("library_queries_tune3.json", "tune3", 30)])
def test_the_later_sets_are_new_and_every_needle_is_findable(raw_queries, documents, name, split, per_style):
    """The fresh test set (never fitted on) and the second and third tuning sets: their own split, no query or needle shared
    with the dev set or with each other."""
    later = json.loads((ROOT / "benchmarks" / name).read_text(encoding="utf-8"))
    assert {d["split"] for d in later} == {split}
    assert Counter(d["style"] for d in later) == {"formal": per_style, "colloquial": per_style}
    others = list(raw_queries)
    for other in ("library_queries_fresh.json", "library_queries_tune2.json", "library_queries_tune3.json"):
        if other != name:
            others += json.loads((ROOT / "benchmarks" / other).read_text(encoding="utf-8"))
    assert not {d["q"] for d in later} & {d["q"] for d in others}
    assert not {n for d in later for n in d["needles"]} & {n for d in others for n in d["needles"]}
    assert [q.q for q in eval_library.load_library_queries(ROOT / "benchmarks" / name)] == [d["q"] for d in later]
    missing = unfindable(later, documents)
    assert not missing, "\n".join(missing)


def test_answers_spread_over_seed_library_and_external(raw_queries, documents):
    kinds = Counter()
    texts = [(doc, nfkc(doc.text)) for doc in documents]
    for d in raw_queries:
        for doc, text in texts:
            if any(nfkc(n) in text for n in d["needles"]):
                kinds["seed" if doc.path.startswith(str(ROOT / "corpus")) else
                      "external" if "/external/" in doc.path else "library"] += 1
    assert kinds["seed"] >= 10 and kinds["external"] >= 5 and kinds["library"] >= 50, kinds


def test_document_subset_keeps_every_needle_document_and_is_deterministic(raw_queries, documents):
    queries = eval_library.load_library_queries(QUERY_FILE)
    library = [d for d in documents if not d.path.startswith(str(ROOT / "corpus"))]
    needed = eval_library.needle_documents(library, queries)
    n = len(needed) + 7
    chosen = eval_library.choose_documents(library, queries, n)
    assert len(chosen) == n and needed <= {d.doc_id for d in chosen}
    assert [d.doc_id for d in eval_library.choose_documents(list(reversed(library)), queries, n)] == \
        [d.doc_id for d in reversed(chosen)]
    assert len(eval_library.choose_documents(library, queries, 0)) == len(needed)  # never below the needle docs
    assert eval_library.choose_documents(library, queries, None) == library


# ---- baselines on a tiny corpus

TINY = [
    "业主大会会议可以采用集体讨论的形式。",
    "养犬人应当为犬只办理养犬登记。",
    "携犬出户时应当束犬链。",
    "本条例自2020年1月1日起施行。",
    "外卖企业应当为骑手购买人身意外伤害保险。",
]


@pytest.mark.parametrize("text,expected", [
    ("第一条 为了。第二条 好的；\n（一）甲。", ["第一条 为了。", "第二条 好的；", "（一）甲。"]),
    ("# 标题\n\n<!-- INFO END -->\n\n正文", ["# 标题", "正文"]),
    ("  \n。\n——\n句子一。句子二", ["句子一。", "句子二"]),
    ("Article 1. Scope\r\nArticle 2", ["Article 1. Scope", "Article 2"]),
])
def test_sentence_units_cut_after_full_stops_and_at_line_breaks(text, expected):
    assert [u.text for u in baselines.sentence_units("d", text)] == expected


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="甲乙丙。\n \t，a", max_size=60))
def test_sentence_units_lose_no_content_character(text):
    units = baselines.sentence_units("d", text)
    kept = "".join(u.text for u in units)
    assert [c for c in kept if c.isalnum()] == [c for c in text if c.isalnum()]
    assert all(u.text == u.text.strip() and u.text for u in units)


def test_char_overlap_prefers_more_shared_characters_then_the_shorter_unit():
    ranker = baselines.CharOverlap(["养犬登记", "养犬", "犬只登记办理手续须知", "无关"])
    ranked = [i for i, _ in ranker.rank("养犬要登记吗")]
    assert ranked == [0, 2, 1]  # 4 shared, 3 shared, 2 shared; 无关 shares nothing and is left out
    tie = baselines.CharOverlap(["犬只登记办理手续", "犬只登记"])
    assert [i for i, _ in tie.rank("犬只登记")] == [1, 0]


def _reference_bm25(docs: list[list[str]], query: list[str], k1: float = 1.5, b: float = 0.75) -> list[float]:
    """Lucene BM25 written out plainly, as bm25s implements it by default (no constant (k1 + 1) factor)."""
    n, avgdl = len(docs), sum(map(len, docs)) / len(docs)
    df = Counter(t for d in docs for t in set(d))
    scores = []
    for d in docs:
        tf = Counter(d)
        s = 0.0
        for t in query:
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * tf[t] / (tf[t] + k1 * (1 - b + b * len(d) / avgdl))
        scores.append(s)
    return scores


def test_bm25_agrees_with_a_plain_reference_implementation():
    tokens = [baselines.jieba_tokens(t) for t in TINY]
    ranker = baselines.BM25(TINY)
    for query in ("养犬登记", "外卖骑手保险", "业主大会会议", "施行"):
        ref = _reference_bm25(tokens, baselines.jieba_tokens(query))
        got = dict(ranker.rank(query))
        assert got, query
        for i, s in enumerate(ref):
            assert math.isclose(got.get(i, 0.0), s, rel_tol=1e-4, abs_tol=1e-6), (query, i)
        assert next(iter(got)) == int(np.argmax(ref))


def test_jieba_tokens_drop_punctuation_and_fold_width():
    assert baselines.jieba_tokens("ＡＢＣ，养犬。") == ["abc", "养犬"]


def test_dense_ranks_by_cosine_with_the_query_vector():
    emb = FakeEmbedder()
    vecs = emb.embed_passages(TINY)
    ranked = baselines.Dense(vecs, emb.embed_query).rank("养犬人应当为犬只办理养犬登记", depth=3)
    assert ranked[0][0] == 1 and len(ranked) == 3
    scores = vecs @ emb.embed_query("养犬人应当为犬只办理养犬登记")
    assert [i for i, _ in ranked] == list(np.argsort(-scores, kind="stable")[:3])


def test_rrf_sums_reciprocal_ranks_and_breaks_ties_by_index():
    fused = baselines.rrf([[(2, 9.0), (0, 5.0)], [(0, 0.9), (1, 0.8)]], k=60)
    assert [i for i, _ in fused] == [0, 2, 1]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert baselines.rrf([[(3, 1.0)], [(1, 1.0)]])[0][0] == 1  # equal scores: lower index first


def test_fused_baseline_finds_what_either_signal_finds():
    emb = FakeEmbedder()
    bm25 = baselines.BM25(TINY)
    dense = baselines.Dense(emb.embed_passages(TINY), emb.embed_query)
    fused = baselines.Fused(bm25, dense)
    top = [TINY[i] for i, _ in fused.rank("外卖骑手意外伤害保险", depth=2)]
    assert is_relevant(top[0], ["人身意外伤害保险"])


# ---- the vector cache

class CountingFake(FakeEmbedder):
    queries = 0

    def embed_query(self, text):
        self.queries += 1
        return super().embed_query(text)


def test_cache_embeds_each_text_once_and_a_new_process_embeds_nothing(tmp_path):
    first = CachedEmbedder(tmp_path, CountingFake())
    texts = [f"第{i}条 内容{i}" for i in range(100)] + ["第1条 内容1"]
    v1 = first.embed_passages(texts)
    first.embed_query("问题")
    assert first.inner.calls == 100 and first.embedded == 100
    first.flush()
    again = CachedEmbedder(tmp_path, CountingFake())
    assert len(again) == 101 and again.missing(texts) == 0
    np.testing.assert_array_equal(again.embed_passages(texts), v1)
    again.embed_query("问题")
    assert again.inner.calls == 0 and again.inner.queries == 0


def test_cache_survives_a_run_killed_between_chunks(tmp_path):
    cache = CachedEmbedder(tmp_path, FakeEmbedder())
    cache.embed_passages([f"文本{i}" for i in range(70)])  # one full chunk of 64 is on disk, 6 are pending
    # A killed run: no flush. A chunk whose keys file never got written does not count either.
    np.save(tmp_path / "fake--9-9-9.npy", np.zeros((3, 256), dtype=np.float32))
    reborn = CachedEmbedder(tmp_path, FakeEmbedder())
    assert len(reborn) == 64
    assert reborn.missing([f"文本{i}" for i in range(70)]) == 6


def test_the_benchmark_scores_both_sides_by_the_same_needle_rule(tmp_path):
    queries = [eval_library.LibraryQuery("养犬登记", ("办理养犬登记",), "colloquial", "tune")]
    emb = CachedEmbedder(tmp_path, FakeEmbedder())
    units = [baselines.Unit("d", t) for t in TINY]
    ranks = eval_library.baseline_ranks(units, emb.embed_passages(TINY), emb, queries)
    assert set(ranks) == set(eval_library.BASELINES)
    assert all(r == [1] for r in ranks.values()), ranks


def test_table_reports_each_group():
    queries = [eval_library.LibraryQuery("a", ("x",), "formal", "tune"),
               eval_library.LibraryQuery("b", ("x",), "colloquial", "heldout")]
    table = eval_library.format_table({"hybrid": [1, None], "bm25@sent": [2, 1]}, queries)
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[2:]}
    # all: R@1 R@5 MRR, then formal, colloquial, tune, heldout
    assert rows["hybrid"][:3] == ["0.50", "0.50", "0.50"]
    assert rows["bm25@sent"][:3] == ["0.50", "1.00", "0.75"]
    assert rows["bm25@sent"][3:6] == ["0.00", "1.00", "0.50"] and rows["bm25@sent"][12:15] == ["1.00", "1.00", "1.00"]
    assert "formal(1)" in table and "heldou(1)" in table
