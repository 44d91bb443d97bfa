"""The policy thesaurus: file format, expansion rules, user files, and what it does to keyword search."""
from __future__ import annotations

from indexer import thesaurus
from indexer.thesaurus import Thesaurus, parse


def test_parse_reads_equivalences_one_way_rules_and_comments():
    rules = parse(["# a comment", "", "双碳, 碳达峰碳中和", "发钱, 给钱 => 补贴, 奖励  # trailing note", "孤词"])
    assert [(r.when, r.add) for r in rules] == [(("双碳", "碳达峰碳中和"), ("双碳", "碳达峰碳中和")),
                                                (("发钱", "给钱"), ("补贴", "奖励"))]


def test_expand_adds_what_the_query_lacks_and_latin_terms_match_whole_words():
    t = Thesaurus(tuple(parse(["双碳, 碳达峰碳中和", "发钱 => 补贴", "AI, 人工智能"])))
    assert t.expand("双碳目标下给企业发钱") == ["碳达峰碳中和", "补贴"]
    assert t.expand("碳达峰碳中和") == ["双碳"]
    assert t.expand("AI 产业") == ["人工智能"] and t.expand("supply chain") == []
    assert t.expand("ＡＩ产业") == ["人工智能"]  # full-width letters fold


def test_the_shipped_file_parses_and_a_user_file_adds_to_it(tmp_path, monkeypatch):
    shipped = thesaurus.load()
    assert len(shipped.rules) > 100 and "集成电路" in shipped.expand("搞芯片的企业")
    mine = tmp_path / "mine.txt"
    mine.write_text("老破小 => 老旧小区改造\n", encoding="utf-8")
    monkeypatch.setenv("POLICY_THESAURUS", str(mine))
    assert thesaurus.load().expand("老破小怎么改") == ["老旧小区改造"]
    monkeypatch.setenv("POLICY_THESAURUS", str(tmp_path / "missing.txt"))
    assert len(thesaurus.load().rules) == len(shipped.rules)  # a missing user file is skipped


def test_keyword_search_finds_the_formal_term_for_an_everyday_word(fake_engine):
    """The seeds say 集成电路/半导体, never 芯片 alone in the clause a drafter wants; 发钱 is 资金/补贴."""
    fake_engine.use_thesaurus = False
    try:
        plain = fake_engine.search("搞芯片", k=5, mode="keyword")
    finally:
        fake_engine.use_thesaurus = True
    expanded = fake_engine.search("搞芯片", k=5, mode="keyword")
    assert expanded and any("集成电路" in h.text or "半导体" in h.text for h in expanded)
    assert len(expanded) >= len(plain)


def test_no_shipped_rule_fires_on_a_single_character():
    """Triggers match inside the query, so a one-character one (狗, 车, 钱) would fire inside unrelated words (热狗)."""
    rules = parse(thesaurus.THESAURUS.read_text(encoding="utf-8").splitlines())
    assert len(rules) > 300
    assert [t for r in rules for t in r.when if len(t.strip()) < 2] == []


def _reference_expand(rules, query: str) -> list[str]:
    """The obviously correct expansion: every term folded and matched on the spot, per query."""
    import re

    from indexer.keywords import fold_width

    def holds(q: str, term: str) -> bool:
        if term.isascii():
            return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", q) is not None
        return term in q

    q = fold_width(query, lower=True)
    out: dict[str, None] = {}
    for rule in rules:
        if any(holds(q, fold_width(t, lower=True)) for t in rule.when):
            out.update({t: None for t in rule.add if fold_width(t, lower=True) not in q})
    return list(out)


def test_compiled_rules_expand_as_the_rules_read_one_by_one():
    """The rules are folded and compiled once per thesaurus; the answer is that of re-folding them per query."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    shipped = thesaurus.load()
    terms = sorted({t for r in shipped.rules for t in (*r.when, *r.add)})
    pieces = st.one_of(st.sampled_from(terms), st.sampled_from(["AI", "ai", "ＡＩ", "chain", " ", "的", "5G", "x"]),
                       st.text(max_size=4))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(pieces, max_size=5).map("".join))
    def check(query):
        assert shipped.expand(query) == _reference_expand(shipped.rules, query)

    check()
