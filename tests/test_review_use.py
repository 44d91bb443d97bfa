"""Faults a filing reviewer met using the review on regulations outside benchmarks/review_dev (杭州 客运出租汽车, 杭州
环境噪声, 金华 水环境, 衢州 电动自行车, 浙江省 安全生产), each on the real articles of ../shared/library: a penalty named as
a condition, a fare, approvals between governments, 禁止 inside a noun phrase, a subject cut inside the article's
marker, amendment decisions taken for missing upper laws, the latest version of a State Council regulation, and
what the review says when it cannot do what it was asked."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.compare.review_diff import MUST_NOT, PROHIBITION_DROPPED, modality_differences, modals
from indexer.compare.review_powers import FEE, LICENCE, PENALTY, power_differences, powers
from tests.test_review_lexicon import LIBRARY, article, needs_library

TAXI = "zhejiang/杭州市客运出租汽车管理条例(2018-04-16).md"
QUZHOU_EBIKE = "zhejiang/衢州市市区电动自行车管理规定(2016-12-12).md"
JINHUA_WATER = "zhejiang/金华市水环境保护条例(2019-10-15).md"
HANGZHOU_NOISE = "zhejiang/杭州市环境噪声管理条例(2010-01-13).md"
NOISE_LAW = "national/laws/环境噪声污染防治法(2018-12-29).md"
ROAD_TRANSPORT = "national/administrative-regulations/道路运输条例({}).md"


def load(path: str):
    from indexer.ingest.corpus import load_document

    return load_document(LIBRARY / path)


# ---------------------------------------------------------------- powers

@needs_library
@pytest.mark.parametrize("marker", ["第十条", "第十四条"])
def test_a_licence_already_revoked_is_a_condition_not_a_penalty(marker):
    # 与车辆经营权相对应的车辆被吊销巡游出租车运输证的 / 运输证有效期届满或者被依法吊销的: grounds for a deregistration
    assert PENALTY not in powers(article(TAXI, marker))


@needs_library
def test_a_taxi_fare_is_no_administrative_fee():
    # 按照规定及计程计价设备显示的金额收取车费: what a passenger pays the driver
    local = article(TAXI, "第三十一条")
    assert FEE not in powers(local)
    assert not [d for d in power_differences(local, []) if d.type == "fee_added"]


@needs_library
@pytest.mark.parametrize(("path", "marker"), [(TAXI, "第三十五条"), (QUZHOU_EBIKE, "第三十四条")])
def test_an_approval_between_governments_is_no_licence(path, marker):
    # 市人民政府…经报请省人民政府批准后可以…采取价格干预措施; 各县（市）…经衢州市人民政府批准，可以参照本规定执行
    assert LICENCE not in powers(article(path, marker))


@needs_library
def test_a_licence_applied_for_is_still_a_licence():
    # 应当向住房和城乡建设主管部门申请污水排入排水管网许可: the rule above leaves real licences alone
    assert LICENCE in powers(article(JINHUA_WATER, "第二十三条"))


# ---------------------------------------------------------------- modal verbs

@needs_library
def test_a_verb_said_twice_around_jin_zhi_is_a_noun_phrase():
    # 夜间进行禁止进行的产生环境噪声污染的建筑施工作业的: the act a penalty punishes, not a prohibition
    upper = article(NOISE_LAW, "第五十六条")
    assert not [m for m in modals(upper) if m.cls == MUST_NOT]
    local = article(HANGZHOU_NOISE, "第三十条")
    assert not [d for d in modality_differences(local, upper, close=True) if d.type == PROHIBITION_DROPPED]


@needs_library
def test_a_subject_does_not_start_inside_the_article_marker():
    # 第三十六条 文化娱乐活动场所、体育场（馆）、集贸市场、餐饮业的经营者应当…: 30 characters back end inside 第三十六条
    local = article(HANGZHOU_NOISE, "第三十六条")
    subjects = [m.subject for m in modals(local) if "经营者" in m.subject]
    assert subjects and all(not s.startswith("条") and "第" not in s[:2] for s in subjects)


# ---------------------------------------------------------------- the upper documents

@needs_library
def test_amendment_decisions_are_not_missing_upper_laws(tmp_path, monkeypatch):
    # the taxi regulation's history names 《杭州市人民代表大会常务委员会关于修改杭州市客运出租汽车管理条例…的决定》
    from indexer.compare.review_basis import candidates, upper_layer

    monkeypatch.setenv("POLICY_REVIEW_CACHE", str(tmp_path))
    local = load(TAXI)
    assert "关于修改" in local.text[:600]
    layer = upper_layer([local, load("zhejiang/浙江省道路运输条例(2012-03-31).md")])
    _, missing = candidates(layer, local)
    assert not [t for t in missing if "关于修改" in t]


@needs_library
def test_the_latest_version_of_a_state_council_regulation_stands_for_it():
    # three files of the 道路运输条例, each opening 2004年4月30日 …公布 and its 《国务院关于修改…的决定》第N次修订 lines
    from indexer.compare.review_basis import _latest

    versions = [load(ROAD_TRANSPORT.format(d)) for d in ("2019-03-02", "2023-07-20", "2022-03-29")]
    assert versions[1].meta.date_amended == "2023-07-20" and versions[1].meta.issuer == "国务院"
    keep, _ = _latest(versions)
    assert [d.doc_id for d in keep] == ["道路运输条例-2023-07-20"]


# ---------------------------------------------------------------- what the review says it could not do

@needs_library
def test_a_document_without_articles_is_said_to_be_read_by_paragraph(tmp_path, monkeypatch):
    from indexer.compare.review import draft_document, review_document

    monkeypatch.setenv("POLICY_REVIEW_CACHE", str(tmp_path))
    draft = draft_document("市区电动自行车应当登记上牌。\n\n驾驶电动自行车应当佩戴安全头盔。", "说明", "city")
    rv = review_document([load("zhejiang/浙江省电动自行车管理条例(2020-05-15).md")], draft)
    assert any("第X条" in n for n in rv.notes)


@needs_library
def test_an_upper_document_chosen_that_is_not_above_is_named(tmp_path, monkeypatch):
    from indexer.compare.review import review_document

    monkeypatch.setenv("POLICY_REVIEW_CACHE", str(tmp_path))
    local, other = load(JINHUA_WATER), load(QUZHOU_EBIKE)
    rv = review_document([local, other, load("national/laws/水污染防治法(2017-06-27).md")], local,
                         upper=[other.doc_id])
    assert any("衢州市市区电动自行车管理规定" in n and "不在本文件之上" in n for n in rv.notes)


def test_an_empty_draft_through_the_api_says_what_is_missing(tmp_path):
    from fastapi.testclient import TestClient

    from indexer.api.app import create_app

    with TestClient(create_app(tmp_path / "no-index", tmp_path / "up", token=""), raise_server_exceptions=False) as c:
        r = c.post("/v1/review", json={"text": "  \n "})
        assert r.status_code == 422 and "非空" in r.json()["message"] and "not both" not in r.json()["message"]
        both = c.post("/v1/review", json={"doc": "x", "text": "第一条 略"})
        assert both.status_code == 422 and "其一" in both.json()["message"]


def test_library_paths_exist_where_used():
    # the paths above are the library's file names; a renamed file fails here rather than skipping silently
    if LIBRARY.is_dir():
        for p in (TAXI, QUZHOU_EBIKE, JINHUA_WATER, HANGZHOU_NOISE, NOISE_LAW, ROAD_TRANSPORT.format("2023-07-20")):
            assert Path(LIBRARY / p).is_file(), p


@needs_library
def test_a_law_repealed_by_a_later_library_law_gives_way_to_it(tmp_path, monkeypatch):
    # 噪声污染防治法 第九十条: 《中华人民共和国环境噪声污染防治法》同时废止; 杭州 names the old law as its basis
    from indexer.compare.review import review_document
    from indexer.compare.review_basis import DOC_BASIS, candidates, upper_layer

    monkeypatch.setenv("POLICY_REVIEW_CACHE", str(tmp_path))
    new = load("national/laws/噪声污染防治法(2021-12-24).md")
    old, local = load(NOISE_LAW), load(HANGZHOU_NOISE)
    assert "《中华人民共和国环境噪声污染防治法》同时废止" in new.text and "环境噪声污染防治法" in local.text[:2000]
    docs = [local, old, new, load("national/laws/环境保护法(2014-04-24).md")]
    layer = upper_layer(docs)
    assert layer.repealed == {old.doc_id: new.doc_id}
    cands, _ = candidates(layer, local)
    assert old.doc_id not in [c.doc.doc_id for c in cands]
    assert DOC_BASIS in next(c for c in cands if c.doc.doc_id == new.doc_id).reasons
    rv = review_document(docs, local)
    assert any("噪声污染防治法》废止" in n for n in rv.notes)
    chosen = review_document(docs, local, upper=[old.doc_id])  # the reviewer's own choice is kept, and flagged
    assert chosen.findings and all("已被《中华人民共和国噪声污染防治法》废止" in f.caveat
                                   for f in chosen.findings if f.upper and f.upper.doc_id == old.doc_id)


# ---------------------------------------------------------------- duties: from the law the document implements

@needs_library
def test_a_framework_law_gives_a_noise_regulation_no_duties(tmp_path, monkeypatch):
    # 杭州 names both the 环境保护法 and the noise law as its basis; the 环境保护法's duties on 海洋, 农业, 生态补偿 …
    # are not a noise regulation's to take up, the 噪声污染防治法's are
    from indexer.compare.review import DUTY_MISSING, review_document

    monkeypatch.setenv("POLICY_REVIEW_CACHE", str(tmp_path))
    local, framework = load(HANGZHOU_NOISE), load("national/laws/环境保护法(2014-04-24).md")
    noise = load("national/laws/噪声污染防治法(2021-12-24).md")
    docs = [local, framework, noise, load(NOISE_LAW), load("national/laws/大气污染防治法(2018-10-26).md"),
            load("national/laws/水污染防治法(2017-06-27).md")]
    duties = [f for f in review_document(docs, local).findings if f.type == DUTY_MISSING]
    assert duties and {f.upper.doc_id for f in duties} == {noise.doc_id}


@needs_library
def test_dust_rules_take_duties_from_the_air_law_not_the_water_law(tmp_path, monkeypatch):
    # 丽水 扬尘 names the 大气污染防治法 and the province's 大气 regulation; the water laws share only 污染防治 with its
    # title (benchmarks/review_dev/duties.json labels 大气污染防治法 duties for it)
    from indexer.compare.review import duty_sources
    from indexer.compare.review_basis import candidates, upper_layer

    monkeypatch.setenv("POLICY_REVIEW_CACHE", str(tmp_path))
    local = load("zhejiang/丽水市扬尘污染防治规定(2021-12-30).md")
    air, water = load("national/laws/大气污染防治法(2018-10-26).md"), load("national/laws/水污染防治法(2017-06-27).md")
    docs = [local, air, water, load("zhejiang/浙江省大气污染防治条例(2020-11-27).md"),
            load("zhejiang/浙江省水污染防治条例(2020-11-27).md"), load("national/laws/环境保护法(2014-04-24).md")]
    sources = [c.doc.meta.title for c in duty_sources(candidates(upper_layer(docs), local)[0])]
    assert "中华人民共和国大气污染防治法" in sources
    assert not [t for t in sources if "水污染" in t]


@needs_library
def test_a_library_folder_is_read_with_the_folders_under_it(tmp_path):
    # --library ../shared/library/national read nothing: its laws are in laws/ and administrative-regulations/
    import shutil

    from indexer.compare.review import with_upper_law

    laws, regs = tmp_path / "national" / "laws", tmp_path / "national" / "administrative-regulations"
    laws.mkdir(parents=True)
    regs.mkdir()
    shutil.copy(LIBRARY / "national/laws/噪声污染防治法(2021-12-24).md", laws)
    shutil.copy(LIBRARY / ROAD_TRANSPORT.format("2023-07-20"), regs)
    titles = {d.meta.title for d in with_upper_law([], [str(tmp_path / "national")])}
    assert titles == {"中华人民共和国噪声污染防治法", "中华人民共和国道路运输条例"}


@needs_library
def test_upper_law_made_after_the_document_is_marked_at_every_door():
    """Found in use: 杭州市旅游条例 (2016) was checked against the 2017 provincial regulation and the 2018 旅游法 without a
    word; a difference with a later law may mean the city's text must be amended, not that it overstepped."""
    from indexer.compare.review import review_document
    from indexer.export.review import review_report

    local = load("zhejiang/杭州市旅游条例(2016-12-27).md")
    docs = [local, load("zhejiang/浙江省旅游条例(2017-11-30).md"), load("national/laws/旅游法(2018-10-26).md")]
    rv = review_document(docs, local)
    later = [c for c in rv.candidates if rv.later(c)]
    assert later and all(c.doc.meta.date > local.meta.date for c in later)
    assert "晚于本文件" in rv.upper_words() and any("晚于本文件" in n for n in rv.notes)
    assert all(u["later_than_document"] == rv.later(c) for u, c in zip(rv.to_dict()["upper_documents"],
                                                                        rv.candidates, strict=True))
    assert any("晚于本文件" in line for line in review_report(rv).summary)


@needs_library
def test_an_upper_fine_that_only_cites_its_article_is_read_through_it():
    """Found in use: 温州市电梯安全条例 第二十六条 (未办理变更使用登记) was reported at 0.77 as below the range of 浙江省特种设备
    安全管理条例 第二十二条, whose 违反本条例第十二条第二款规定的 punishes another act: the two were paired on their
    boilerplate. With the upper document's articles read, the acts differ and the finding says so at low confidence."""
    from indexer.compare.review_acts import offence_likeness
    from indexer.compare.review_diff import ACT_DIFFER

    local = article("zhejiang/温州市电梯安全条例(2018-04-09).md", "第二十六条")
    upper = article("zhejiang/浙江省特种设备安全管理条例.md", "第二十二条")
    province = load("zhejiang/浙江省特种设备安全管理条例.md")
    numbers = {c.number: c.text for c in province.clauses if c.kind == "article"}
    at_local, at_upper = local.index("罚款"), upper.index("罚款")
    assert offence_likeness(local, at_local, upper, at_upper) is None  # the upper text alone does not tell
    assert offence_likeness(local, at_local, upper, at_upper, upper_articles=numbers.get) < ACT_DIFFER


@needs_library
def test_upper_law_picked_by_wording_alone_is_said_to_be_so():
    """Found in use: a short draft naming no law got 禁毒条例 and other unrelated regulations as its upper law, silently."""
    from indexer.compare.review import draft_document, review_document

    draft = draft_document("第一条 为了规范养犬行为，制定本规定。\n第二条 携犬出户应当束犬链。\n第三条 本规定自公布之日起施行。\n",
                           "", "city")
    docs = [load("zhejiang/浙江省全民健身条例(2014-11-28).md"), load("zhejiang/浙江省合同行为管理监督规定.md")]
    rv = review_document(docs, draft, level="city")
    assert rv.candidates and any("只按条文措辞相近选出" in n for n in rv.notes)
