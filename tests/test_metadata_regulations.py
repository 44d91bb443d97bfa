"""Local regulations: their legislative history (通过 / 批准 / 修正 / 修订 / 公布 / 施行) gives issuer, approver,
dates, region and level. Real lines from the Zhejiang library, and checks over all 410 of its files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.ingest import legislation, metadata
from indexer.ingest.corpus import load_document

LIBRARY = Path(__file__).resolve().parents[2] / "shared" / "library" / "zhejiang"
needs_library = pytest.mark.skipif(not LIBRARY.is_dir(), reason="../shared/library not present")


@pytest.mark.parametrize("line, expect", [
    ("2021年9月29日浙江省第十三届人民代表大会常务委员会第三十二次会议通过",
     [("2021-09-29", "passed", "浙江省", "人民代表大会常务委员会")]),
    ("2019年8月1日 浙江省第十三届人民代表大会常务委员会第十三次会议批准",
     [("2019-08-01", "approved", "浙江省", "人民代表大会常务委员会")]),
    ("2014年12月26日 市十四届人大常委会第二十次会议通过", [("2014-12-26", "passed", "市", "人民代表大会常务委员会")]),
    ("2021年3月19日 景宁畲族自治县第九届人民代表大会第五次会议审议通过",
     [("2021-03-19", "passed", "景宁畲族自治县", "人民代表大会")]),
    ("1995年4月15日 景宁畲族自治县八届人大四次会议通过", [("1995-04-15", "passed", "景宁畲族自治县", "人民代表大会")]),
    ("2021年5月28日 经浙江省第十三届人民代表大会常务委员会第二十九次会议批准",
     [("2021-05-28", "approved", "浙江省", "人民代表大会常务委员会")]),
    # the verb of the decision it cites (《…修改…》) is not what the meeting did
    ("2021年7月30日 浙江省第十三届人民代表大会常务委员会第三十次会议批准的《宁波市人民代表大会常务委员会关于修改"
     "〈宁波市机动车维修业管理条例〉的决定》修正", [("2021-07-30", "amended", "浙江省", "人民代表大会常务委员会")]),
    ("2016年5月27日 浙江省第十二届人民代表大会常务委员会第二十九次会议修订",
     [("2016-05-27", "revised", "浙江省", "人民代表大会常务委员会")]),
    ("2015年4月13日 宁波市人民代表大会常务委员会公告第12号公布",
     [("2015-04-13", "published", "宁波市", "人民代表大会常务委员会")]),
    ("2014年4月10日 宁波市第十四届人民代表大会常务委员会第8号公布",
     [("2014-04-10", "published", "宁波市", "人民代表大会常务委员会")]),
    # several events on one line, one of them wrapped in 根据
    ("1999年9月3日 浙江省第九届人民代表大会常务委员会第十五次会议批准2012年10月26日宁波市第十四届人民代表大会常务委员会"
     "第四次会议修订", [("1999-09-03", "approved", "浙江省", "人民代表大会常务委员会"),
                    ("2012-10-26", "revised", "宁波市", "人民代表大会常务委员会")]),
    ("（2003年6月27日浙江省第十届人民代表大会常务委员会第四次会议通过 根据2020年11月27日浙江省第十三届人民代表大会"
     "常务委员会第二十五次会议《关于修改〈浙江省大气污染防治条例〉等六件地方性法规的决定》修正）",
     [("2003-06-27", "passed", "浙江省", "人民代表大会常务委员会"),
      ("2020-11-27", "amended", "浙江省", "人民代表大会常务委员会")]),
])
def test_history_lines_become_events(line, expect):
    events = legislation.parse(["某条例", line, "第一条 为了……，制定本条例。"])
    assert [(e.date, e.action, e.place, e.body) for e in events] == expect


def test_an_undated_line_in_the_history_is_an_undated_event():
    lines = ["宁波市城市绿化条例", "1991年10月26日 宁波市第九届人民代表大会常务委员会第二十六次会议通过",
             "浙江省第七届人民代表大会常务委员会第二十六次会议批准", "第一章 总则"]
    assert [(e.date, e.action, e.organ) for e in legislation.parse(lines)] == [
        ("1991-10-26", "passed", "宁波市人民代表大会常务委员会"), ("", "approved", "浙江省人民代表大会常务委员会")]


@pytest.mark.parametrize("lines", [
    ["关于印发措施的通知", "2023年5月1日起施行", "一、总体要求"],  # a date and 施行 alone: no organ acted
    ["会议纪要", "2024年3月1日，市政府召开常务会议审议通过了实施方案。"],  # prose, not a history line
    ["某市发展规划", "第一章 发展基础", "2021年9月29日浙江省第十三届人民代表大会常务委员会第三十二次会议通过"],
    ["标题", "正文一", "正文二", "正文三", "正文四", "正文五", "正文六",
     "2021年9月29日浙江省第十三届人民代表大会常务委员会第三十二次会议通过"],  # too far down to be a history
])
def test_other_documents_have_no_history(lines):
    assert legislation.parse(lines) == ()


CITY = """丽水市传统村落保护条例

2019年5月28日 丽水市第四届人民代表大会常务委员会第十六次会议通过

2019年8月1日 浙江省第十三届人民代表大会常务委员会第十三次会议批准

第一章  总则
第一条 为了加强传统村落保护和利用，制定本条例。"""

AMENDED_CITY = """宁波市公路养护管理条例
2005年5月31日 宁波市第十二届人民代表大会常务委员会第二十次会议通过
2005年7月29日 浙江省第十届人民代表大会常务委员会第十九次会议批准
2020年6月29日 宁波市第十五届人民代表大会常务委员会第三十次会议通过
2020年7月31日 浙江省第十三届人民代表大会常务委员会第二十二次会议批准的《宁波市人民代表大会常务委员会关于修改〈宁波市公路养护管理条例〉的决定》第二次修正
第一条 为了加强公路养护管理，制定本条例。"""

BARE_PLACES = """宁波杭州湾新区条例
2014年12月26日 市十四届人大常委会第二十次会议通过
2015年3月27日 省十二届人大常委会第十八次会议批准
2015年4月13日 宁波市人民代表大会常务委员会公告第12号公布
2015年5月1日 施行
第一章 总则"""

PROVINCE = """浙江省大气污染防治条例
（2003年6月27日浙江省第十届人民代表大会常务委员会第四次会议通过 2016年5月27日浙江省第十二届人民代表大会常务委员会第二十九次会议修订）
第一章 总则
第一条 为了防治大气污染，制定本条例。"""

COUNTY = """景宁畲族自治县荣誉市民条例
2021年3月19日 景宁畲族自治县第九届人民代表大会第五次会议审议通过
2021年5月28日 经浙江省第十三届人民代表大会常务委员会第二十九次会议批准
第一条 为了表彰荣誉市民，制定本条例。"""


@pytest.mark.parametrize("text, expect", [
    (CITY, dict(issuer="丽水市人民代表大会常务委员会", approver="浙江省人民代表大会常务委员会", region="丽水市",
                province="浙江省", level="city", date="2019-08-01", date_passed="2019-05-28",
                date_approved="2019-08-01", date_amended="")),
    # the text in force became law when the province approved the amendment
    (AMENDED_CITY, dict(issuer="宁波市人民代表大会常务委员会", level="city", date="2020-07-31",
                        date_passed="2005-05-31", date_approved="2005-07-29", date_amended="2020-07-31")),
    # 市 / 省 named in full by the 公告 line and by the title's city
    (BARE_PLACES, dict(issuer="宁波市人民代表大会常务委员会", approver="浙江省人民代表大会常务委员会",
                       region="宁波市", province="浙江省", level="city", date="2015-03-27",
                       date_published="2015-04-13", date_effective="2015-05-01")),
    (PROVINCE, dict(issuer="浙江省人民代表大会常务委员会", approver="", region="浙江省", province="浙江省",
                    level="province", date="2016-05-27", date_passed="2003-06-27", date_amended="2016-05-27")),
    (COUNTY, dict(issuer="景宁畲族自治县人民代表大会", approver="浙江省人民代表大会常务委员会",
                  region="景宁畲族自治县", province="浙江省", level="county", date="2021-05-28")),
])
def test_regulation_metadata(text, expect):
    m = metadata.extract(text)
    for k, v in expect.items():
        assert getattr(m, k) == v, (k, getattr(m, k))


@needs_library
def test_every_library_regulation_has_issuer_date_region_and_level():
    """All 410 files: the issuer is a people's congress (or its standing committee) of the region; a city's or
    county's regulation names the province as approver; `date` is a history date no 批准/修正/修订 follows."""
    files = sorted(LIBRARY.glob("*.md"))
    assert len(files) == 410
    for f in files:
        doc = load_document(f)
        m = doc.meta
        assert re.fullmatch(r".+(人民代表大会常务委员会|人民代表大会)", m.issuer), (f.name, m.issuer)
        assert m.level in ("province", "city", "county") and m.region and m.province == "浙江省", f.name
        # the region is the issuer's, or the city of a zone the title names (义乌国际贸易综合改革试验区条例 → 义乌市);
        # the level is always the issuer's
        assert m.issuer.startswith(m.region) or metadata.zone_place(m.title)[0] == m.region, f.name
        assert metadata.place(m.issuer)[2] == m.level, f.name
        if m.level != "province":
            assert m.approver == "浙江省人民代表大会常务委员会", f.name
        events = legislation.parse(doc.text.split("\n"))
        assert m.date in {e.date for e in events}, f.name
        assert not [e for e in events if e.action in ("approved", "amended", "revised") and e.date > m.date]
        assert m.date_passed and m.date_passed <= m.date, f.name


NATIONAL = LIBRARY.parent / "national" / "administrative-regulations"


@pytest.mark.parametrize("line, expect", [
    ("2014年11月24日 中华人民共和国国务院令第656号公布", ("published", "中华人民共和国", "国务院")),
    ("2006年7月5日 国务院第142次常务会议通过", ("passed", "", "国务院")),
])
def test_state_council_history_lines(line, expect):
    (ev,) = legislation.parse(["某某条例", "", line, "", "第一章 总则"])
    assert (ev.action, ev.place, ev.body) == expect


@pytest.mark.skipif(not NATIONAL.is_dir(), reason="../shared/library not present")
def test_administrative_regulations_are_national():
    """An administrative regulation names only 国务院 in its history: issuer 国务院, level national (they had
    no level, so no comparison could place them above the provinces' regulations)."""
    files = sorted(NATIONAL.glob("*.md"))[::25]
    metas = [load_document(f).meta for f in files]
    assert sum(m.issuer == "国务院" and m.level == "national" for m in metas) >= 0.9 * len(metas)


@pytest.mark.skipif(not (LIBRARY.parent / "national" / "laws").is_dir(), reason="../shared/library not present")
def test_law_titles_are_read_not_their_first_chapter():
    """A law's title names no document type (中华人民共和国大气污染防治法): 39 national files took a chapter heading
    (第二章 …) for their title, so no comparison could find what cites them."""
    laws = LIBRARY.parent / "national" / "laws"
    files = sorted(laws.glob("*.md"))
    titles = {f.name: load_document(f).meta.title for f in files[::10] + [laws / "大气污染防治法(2018-10-26).md"]}
    assert titles["大气污染防治法(2018-10-26).md"] == "中华人民共和国大气污染防治法"
    assert not [t for t in titles.values() if not t or t.startswith("第")]
