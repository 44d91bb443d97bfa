"""Policy-instrument tags: the codebook, the tagger on real clauses, filter, facets and the labelled sample."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.compare import instruments as ins
from indexer.errors import PolicyError

LABELS = Path(__file__).resolve().parent.parent / "benchmarks" / "instrument_labels.json"
BRIEF = {"supply": {"资金", "人才", "技术", "基础设施", "公共服务"}, "demand": {"政府采购", "示范应用", "市场开拓", "外包"},
         "environment": {"目标规划", "财税优惠", "金融支持", "法规管制", "土地", "组织保障"}}


def test_codebook_has_the_taxonomy_with_a_source_per_label():
    cb = ins.default_codebook()
    for category, tags in BRIEF.items():
        assert tags <= {i.tag for i in cb.instruments if i.category == category}
    for i in cb.instruments:
        assert i.category in cb.categories and i.source and i.definition and i.include, i.tag
    assert len(set(cb.tags)) == len(cb.tags)


# Real clauses (the seeds and the Zhejiang library) and the tools they use.
CLAUSES = [
    ("县级以上人民政府和乡镇人民政府应当对农村生活垃圾的清扫、收集、运输和处置费用给予财政补助和支持。", {"资金"}),
    ("市、区县人民政府应当设立绿色产业发展引导基金,促进社会资本投入绿色产业发展。", {"金融支持"}),
    ("全面落实高端紧缺人才个人所得税优惠政策。", {"人才", "财税优惠"}),
    ("市和区县（市）人民政府可以采取特许经营、政府购买服务等方式，吸引社会力量参与公共排水和再生水利用设施的建设和运营。",
     {"外包"}),
    ("社会资本设立的非营利性养老机构与政府投资设立的养老机构执行相同的土地使用政策，可以依法使用国有划拨土地。", {"土地"}),
    ("违反本条例第十五条第一款规定，有下列行为之一的，由综合行政执法部门责令改正，可以处二百元以下罚款：", {"法规管制"}),
    ("依托市制造强市建设领导小组,统筹协调我市产业集群培育发展的全局性工作。", {"组织保障"}),
    ("以需求为导向，培育一批深度应用场景，重点发展工业机器人。", {"示范应用"}),
    ("本条例所称信访人，是指采用前款规定形式进行信访活动的公民、法人和其他组织。", set()),
]


@pytest.mark.parametrize("text, tags", CLAUSES)
def test_tags_of_real_clauses(text, tags):
    assert tags <= set(ins.tag_text(text)), ins.tag_text(text)
    if not tags:
        assert ins.tag_text(text) == ()


def test_exclusions_keep_social_insurance_out_of_finance():
    assert "金融支持" not in ins.tag_text("快递经营企业应当通过单险种参加工伤保险形式为临时聘用人员提供工伤保险待遇。")


@given(st.text(alphabet="财政补助贷款用地人才培训规划目标违反罚款，。 \n", max_size=60), st.integers(0, 60))
def test_whitespace_does_not_change_tags(text, at):
    spaced = text[:at] + " \n " + text[at:]
    assert ins.tag_text(spaced) == ins.tag_text(text)
    assert set(ins.tag_text(text)) <= set(ins.default_codebook().tags)


def test_unknown_tag_is_refused_with_the_known_ones():
    with pytest.raises(PolicyError, match="资金"):
        ins.default_codebook().check(["钱"])


def test_facets_count_tagged_clauses(seed_docs):
    by_doc = ins.facet_counts(seed_docs, "document")
    tagged = ins.tag_documents(seed_docs)
    for d in seed_docs:
        want = {t: sum(t in tagged[c.clause_id] for c in d.clauses) for t in ins.default_codebook().tags}
        assert {t: by_doc[d.doc_id][t] for t in want} == want
    by_year = ins.facet_counts(seed_docs, "year")
    assert set(by_year) == {"2020", "2021", "2024", "日期未注明"}  # Chaozhou's draft is undated
    total = sum(sum(c.values()) for c in by_doc.values())
    assert total == sum(sum(c.values()) for c in by_year.values()) == sum(len(t) for t in tagged.values())
    with pytest.raises(PolicyError):
        ins.facet_counts(seed_docs, "colour")


def test_filter_and_search_filter(seed_docs, fake_engine):
    land = ins.clauses_with(seed_docs, ["土地"])
    assert land and all("土地" in tags for _, _, tags in land)
    both = ins.clauses_with(seed_docs, ["土地", "资金"], every=True)
    assert {c for _, c, _ in both} <= {c for _, c, _ in land}
    hits = fake_engine.search("用地保障", k=50)
    kept = ins.filter_hits(hits, ["土地"])
    assert kept and all("土地" in ins.tag_text(h.text) for h in kept)
    assert [h.clause_id for h in kept] == [h.clause_id for h in hits if "土地" in ins.tag_text(h.text)]


def test_labelled_sample_is_large_mixed_and_split():
    clauses = json.loads(LABELS.read_text(encoding="utf-8"))["clauses"]
    assert len(clauses) >= 200 and {c["source"] for c in clauses} == {"corpus", "zhejiang"}
    assert sum(c["split"] == "held_out" for c in clauses) >= 100
    tags = set(ins.default_codebook().tags)
    assert all(set(c["tags"]) <= tags for c in clauses)


def test_agreement_counts():
    rows = {r.tag: r for r in ins.agreement([("财政补助", ["资金"]), ("贷款贴息", ["资金"]), ("罚款", [])])}
    assert (rows["资金"].support, rows["资金"].true_positive) == (2, 1)
    assert rows["金融支持"].predicted == 1 and rows["金融支持"].precision == 0.0  # 贷款 is credit, not a grant
    assert 0.0 <= ins.macro_f1(list(rows.values())) <= 1.0


def test_cli_instruments(capsys, monkeypatch, tmp_path):
    from indexer import paths
    from indexer.cli import main

    monkeypatch.setattr(paths, "INDEX_DIR", tmp_path / "no-index")
    assert main(["instruments", "--facet", "level", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["facet"] == "level" and {"province", "city", "news"} <= set(got["counts"])
    assert main(["instruments", "--tag", "土地", "--json"]) == 0
    assert all("土地" in x["instruments"] for x in json.loads(capsys.readouterr().out))
    assert main(["instruments", "--codebook"]) == 0 and "Rothwell" in capsys.readouterr().out
    assert main(["instruments", "--tag", "钱"]) == 2
