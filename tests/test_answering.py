"""Which documents answer a reference, by rule: lower level inside its jurisdiction and tied to it, or citing it;
never the same level, another province, unknown places, news or reprints (those are related, with why)."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.compare.answering import (
    BASIS,
    CITES,
    LOWER,
    NEWS,
    OTHER_PLACE,
    REPRINT,
    SAME_OR_HIGHER,
    SHARES,
    SUBJECT,
    UNKNOWN_PLACE,
    in_jurisdiction,
    relate,
    title_subject,
)
from indexer.compare.coverage import embedding_memo
from indexer.compare.matrix import implementation_matrix
from indexer.compare.reference import UNIT_ARTICLE, UNIT_LIST, RefItem
from indexer.embedders import FakeEmbedder
from indexer.models import Clause, DocMeta, Document

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXTERNAL = SHARED / "external"
PROVINCE, DONGGUAN, CHAOZHOU = ("guangdong-2020-strategic-clusters", "dongguan-2021-strategic-clusters",
                                "chaozhou-strategic-clusters-draft")
NEWS_DOC = "guangdong-2021-chain-leader-news"
ITEMS = [RefItem(n, None, "", "") for n in ("新一代电子信息", "绿色石化", "智能家电", "汽车", "先进材料")]


def _doc(doc_id: str, title: str, text: str = "", **meta) -> Document:
    body = text or title
    clause = Clause(f"{doc_id}:p1", doc_id, 1, "para", "", 0, "", body, ("",), 0, len(body))
    return Document(doc_id, f"{doc_id}.txt", body, DocMeta(title=title, **meta), (clause,))


REF = _doc("gd", "广东省关于培育发展战略性产业集群的意见", "新一代电子信息 绿色石化 智能家电 汽车 先进材料",
           level="province", province="广东省", region="广东省", doc_number="粤府函〔2020〕82号")


@pytest.mark.parametrize("doc, counted, why", [
    # a city of the province on the same subject: an answer
    (_doc("fs", "佛山市培育发展战略性产业集群的实施意见", level="city", province="广东省", region="佛山市"),
     True, ""),
    # the same words from another province, the same level, a place nobody knows: related, not counted
    (_doc("gx", "广西培育发展战略性产业集群的意见", level="province", province="广西壮族自治区",
          region="广西壮族自治区"), False, OTHER_PLACE),
    (_doc("nn", "南宁市培育发展战略性产业集群的实施意见", level="city", province="广西壮族自治区",
          region="南宁市"), False, OTHER_PLACE),
    (_doc("gd2", "广东省培育发展战略性产业集群三年行动", level="province", province="广东省", region="广东省"),
     False, SAME_OR_HIGHER),
    (_doc("cn", "国务院关于培育发展战略性产业集群的意见", level="national", region="全国"), False, SAME_OR_HIGHER),
    (_doc("x", "关于培育发展战略性产业集群的意见"), False, UNKNOWN_PLACE),
    (_doc("news", "培育发展战略性产业集群新闻", level="news"), False, NEWS),
])
def test_level_and_place_decide(doc, counted, why):
    rel = relate(REF, doc, ITEMS, UNIT_LIST)
    assert rel is not None and SUBJECT in rel.reasons
    assert (rel.counted, rel.excluded) == (counted, why)
    assert (LOWER in rel.reasons) == counted


def test_naming_three_items_is_a_tie_not_an_answer():
    """The 2026 national No. 1 document names three of the province's clusters: that alone used to count."""
    nat = _doc("no1", "2026年中央一号文件", "发展智能家电、汽车和新一代电子信息", level="national", region="全国")
    rel = relate(REF, nat, ITEMS, UNIT_LIST)
    assert rel.reasons == (SHARES,) and not rel.counted and rel.excluded == SAME_OR_HIGHER
    city = _doc("sz", "深圳市某规划", "发展智能家电、汽车和新一代电子信息", level="city", province="广东省",
                region="深圳市")
    assert relate(REF, city, ITEMS, UNIT_LIST).reasons == (SHARES, LOWER)
    assert relate(REF, _doc("z", "无关文件", "汽车"), ITEMS, UNIT_LIST) is None  # nothing ties them


def test_citing_the_number_or_the_basis_counts_from_anywhere():
    hk = _doc("hk", "某某办法", "根据粤府函〔2020〕82号文件精神", level="province", province="广东省",
              cited_numbers=("粤府函〔2020〕82号",))
    rel = relate(REF, hk, ITEMS, UNIT_LIST)
    assert rel.counted and rel.reasons[0] == CITES
    law = _doc("law", "中华人民共和国消防法", level="national", region="全国")
    prov = _doc("zj", "浙江省森林消防条例", "第一条 为了预防森林火灾，根据《中华人民共和国消防法》，结合本省实际，制定本条例。",
                level="province", province="浙江省", region="浙江省")
    rel = relate(law, prov, [], UNIT_ARTICLE)
    assert rel.counted and BASIS in rel.reasons and LOWER in rel.reasons
    # a nested title cited with 〈〉 is the same title
    impl = _doc("ref", "浙江省实施《中华人民共和国道路交通安全法》办法", level="province", province="浙江省",
                region="浙江省")
    city = _doc("qz", "衢州市市区电动自行车管理规定",
                "第一条 根据《浙江省实施〈中华人民共和国道路交通安全法〉办法》等规定，结合本市实际，制定本规定。",
                level="city", province="浙江省", region="衢州市")
    assert BASIS in relate(impl, city, [], UNIT_ARTICLE).reasons


def test_a_copy_is_a_reprint_unless_it_is_the_citys_own_law():
    text = "。".join(f"第{i}项 各地要加快发展新一代电子信息产业集群并完善配套政策措施{i}" for i in range(30))
    ref = _doc("p", "浙江省某某条例", text, level="province", province="浙江省", region="浙江省")
    portal = _doc("q", "转发浙江省某某条例", text, level="city", province="浙江省", region="杭州市")
    own = _doc("c", "杭州市某某条例", text, level="city", province="浙江省", region="杭州市")
    assert relate(ref, portal, [], UNIT_ARTICLE).excluded == REPRINT
    rel = relate(ref, own, [], UNIT_ARTICLE)
    assert rel.counted and rel.copied > 0.9  # 杭州市立法条例 repeats 90 % of the province's and is its law


def test_jurisdiction_of_a_city_takes_its_counties():
    city = _doc("hz", "杭州市物业管理条例", level="city", province="浙江省", region="杭州市")
    county = _doc("ch", "淳安县物业管理办法", level="county", province="浙江省", region="淳安县")
    other = _doc("nb", "宁波市某某区物业管理办法", level="county", province="浙江省", region="海曙区")
    assert in_jurisdiction(city, county) is True
    assert in_jurisdiction(city, other) is False


@pytest.mark.parametrize("title, region, subject", [
    ("中华人民共和国消防法", "", "消防"),
    ("浙江省实施《中华人民共和国道路交通安全法》办法", "浙江省", "道路交通安全"),
    ("浙江省消防条例", "浙江省", "消防"),
])
def test_law_titles_meet_their_implementations(title, region, subject):
    doc = Document("x", "x.txt", "", DocMeta(title=title, region=region, province=region), ())
    assert title_subject(doc) == subject


# ---------------------------------------------------------------- a mixed library of real files

@pytest.mark.skipif(not EXTERNAL.is_dir(), reason="../shared/external not present")
def test_mixed_library_counts_exactly_the_two_cities(seed_docs):
    """The province's list, two of its cities' answers, another province's plan and a city there, the national
    No. 1 document and a news reprint: only the two cities are counted; the reprint is labelled as one; the
    others are related with their reasons; 'taken up by none' is what neither city took up."""
    from indexer.ingest.corpus import load_document

    extra = [load_document(EXTERNAL / f) for f in ("guangxi_2011_industry-it-12th-fyp.txt",
                                                   "nanning_2016_science-technology-13th-fyp.GB18030-raw.txt",
                                                   "national_2026_central-no1-document.docx")]
    docs = [*seed_docs, *extra]
    m = implementation_matrix(docs, PROVINCE, embedder=embedding_memo(FakeEmbedder()))
    assert [r.doc_id for r in m.rows] == [DONGGUAN, CHAOZHOU]
    related = {r.doc_id: r for r in m.related}
    assert related[NEWS_DOC].excluded == REPRINT and m.reprints() == [NEWS_DOC]
    assert all(not r.counted for r in m.related)
    assert {related[d.doc_id].excluded for d in extra[:2]} == {OTHER_PLACE}
    assert related[extra[2].doc_id].excluded in (UNKNOWN_PLACE, SAME_OR_HIGHER)
    none = m.untouched()
    assert none and none == [it.name for j, it in enumerate(m.items)
                             if all(r.cells[j].status != "covered" for r in m.rows)]
    assert all(m.count_label(j).endswith("/ 2") for j in range(len(m.items)))


ZHEJIANG = Path(__file__).resolve().parents[2] / "shared" / "library" / "zhejiang"


@pytest.mark.skipif(not ZHEJIANG.is_dir(), reason="../shared/library is not beside this checkout")
def test_cities_that_legislated_first_are_counted_but_said_to_be_earlier(tmp_path):
    """The provincial 生活垃圾管理条例 (2020-12-24) and the city regulations on the subject: 杭州 (2015, amended 2019),
    宁波 (2019) and 嘉兴 (approved 2020-07, amended 2021) all came first. Their coverage is still the reviewer's
    question (counted), but none took the province's articles up: no 'adopted' with a negative lag."""
    from indexer.compare.answering import EARLIER, made_before, relations
    from indexer.compare.diffusion import diffusion
    from indexer.ingest.build import load_documents

    for f in ZHEJIANG.glob("*生活垃圾*.md"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    docs = load_documents([tmp_path])[0]
    ref = next(d for d in docs if d.meta.level == "province")
    rels = {r.doc_id: r for r in relations(docs, ref)}
    assert len(rels) == 3 and all(r.counted and EARLIER in r.reasons for r in rels.values())
    assert all("早于参照文件制定" in r.label for r in rels.values())
    jiaxing = next(d for d in docs if d.meta.region == "嘉兴市")
    assert jiaxing.meta.date > ref.meta.date and made_before(jiaxing, ref)  # its current text is later, it is not
    assert not made_before(ref, jiaxing) and not made_before(ref, ref)
    t = diffusion(docs, f"{ref.doc_id}:ch3.a21")
    assert t.carriers and all(c.earlier and not c.adopted for c in t.carriers)
    assert t.to_dict()["summary"]["adopted"] == 0


def test_made_before_compares_known_dates_only():
    from indexer.compare.answering import made_before

    def doc(date="", passed=""):
        return Document(date or "x", "x.txt", "", DocMeta(title="t", date=date, date_passed=passed), ())
    assert made_before(doc("2019-08-01", "2015-04-01"), doc("2020-12-24"))
    assert not made_before(doc("2021-03-01"), doc("2020-12-24", "2020-11-27"))
    assert not made_before(doc(""), doc("2020-12-24")) and not made_before(doc("2019-01-01"), doc(""))
    assert not made_before(doc("2020"), doc("2020-12-24"))  # a year alone: compared by the year


def test_a_news_page_as_the_reference_says_so(seed_docs):
    """Found in use: a news page taken as the reference answered 0 / 0 everywhere, and the province's own opinion was
    left out as of 'unknown level or place' (the news page's level, not the opinion's)."""
    from indexer.compare.answering import REFERENCE_NEWS, relations

    news = next(d for d in seed_docs if d.doc_id == NEWS_DOC)
    rels = relations(seed_docs, news)
    assert rels and all(not r.counted and r.excluded == REFERENCE_NEWS for r in rels)
    assert any(r.doc_id == PROVINCE for r in rels) and "新闻报道" in rels[0].label


@pytest.mark.skipif(not ZHEJIANG.is_dir(), reason="../shared/library is not beside this checkout")
def test_the_commencement_article_is_not_among_the_items_none_took_up(tmp_path):
    """Every city's regulation says when it takes effect; the province's 本条例自…起施行 is taken up by none, always."""
    from indexer.compare.matrix import COMMENCEMENT, implementation_matrix
    from indexer.ingest.build import load_documents

    for f in ZHEJIANG.glob("*生活垃圾*.md"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    docs = load_documents([tmp_path])[0]
    ref = next(d for d in docs if d.meta.level == "province")
    m = implementation_matrix(docs, ref.doc_id, embedder=FakeEmbedder())
    last = m.items[-1]
    assert COMMENCEMENT.match(last.text) and last.name not in m.untouched()
    assert not COMMENCEMENT.match("第五条 本条例自公布之日起，县级以上人民政府应当建立协调机制。")


@pytest.mark.skipif(not ZHEJIANG.is_dir(), reason="../shared/library is not beside this checkout")
def test_pages_open_on_a_province_and_a_city_of_one_subject(tmp_path):
    """Found in use: 对照 and 覆盖 opened on the free-trade-zone regulation against 丽水's villages (every 第一条 read
    alike), and 省级视图 on a reference no city answers."""
    from app_pages.widgets import default_pair
    from indexer.ingest.build import load_documents

    names = ["中国（浙江）自由贸易试验区条例.md", "丽水市传统村落保护条例(2019-08-19).md", "浙江省生活垃圾管理条例(2020-12-24).md",
             "杭州市生活垃圾管理条例(2019-08-15).md", "浙江省物业管理条例(2009-11-27).md", "杭州市物业管理条例(2021-08-09).md",
             "宁波市住宅小区物业管理条例(2021-10-15).md"]
    for n in names:
        (tmp_path / n).write_bytes((ZHEJIANG / n).read_bytes())
    docs = load_documents([tmp_path])[0]
    i, j = default_pair(docs)
    assert docs[i].meta.title == "浙江省物业管理条例" and "物业" in docs[j].meta.title  # two cities answer it
    unrelated = [d for d in docs if "自由贸易" in d.meta.title or "村落" in d.meta.title]
    a, b = default_pair(unrelated)  # no pair on one subject: the first of each level, as before
    assert (unrelated[a].meta.level, unrelated[b].meta.level) == ("province", "city")
