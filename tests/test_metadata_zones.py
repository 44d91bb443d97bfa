"""Special zones: a title naming an economic zone, a new area or a cooperation zone gives the region of the
zone's city (or province) and the level of its issuer."""
from __future__ import annotations

import pytest

from indexer.ingest import metadata

BODY = "\n第一章 总则\n第一条 为了促进发展，根据有关法律、行政法规，结合实际，制定本条例。"


def history(organ: str) -> str:
    return f"\n（2021年6月29日{organ}第二次会议通过）"


@pytest.mark.parametrize("text, region, province, level", [
    ("深圳经济特区数据条例" + history("深圳市第七届人民代表大会常务委员会") + BODY, "深圳市", "广东省", "city"),
    ("深圳经济特区数据条例" + BODY, "深圳市", "广东省", "city"),  # a special zone's regulations are its city's
    ("汕头经济特区城市管理条例" + BODY, "汕头市", "广东省", "city"),
    ("海南经济特区禁毒条例" + BODY, "海南省", "海南省", "province"),
    ("珠海经济特区横琴新区条例" + BODY, "珠海市", "广东省", "city"),
    # a cooperation zone's name does not contain its city (cpca alone reads 合作区 as 甘肃省合作市)
    ("横琴粤澳深度合作区发展促进条例" + history("广东省第十四届人民代表大会常务委员会") + BODY, "珠海市", "广东省",
     "province"),
    ("前海深港现代服务业合作区条例" + history("深圳市第六届人民代表大会常务委员会") + BODY, "深圳市", "广东省", "city"),
    # a provincial regulation for a zone in one of its cities
    ("广东省中新广州知识城条例" + BODY, "广州市", "广东省", "province"),
    ("广东省中新广州知识城条例" + history("广东省第十三届人民代表大会常务委员会") + BODY, "广州市", "广东省", "province"),
    ("义乌国际贸易综合改革试验区条例" + history("浙江省第十三届人民代表大会常务委员会") + BODY, "义乌市", "浙江省",
     "province"),
    ("中国（浙江）自由贸易试验区条例" + history("浙江省第十二届人民代表大会常务委员会") + BODY, "浙江省", "浙江省",
     "province"),  # spans several cities: the province
    ("宁波杭州湾新区条例" + history("宁波市第十四届人民代表大会常务委员会") + BODY, "宁波市", "浙江省", "city"),
])
def test_zone_titles_give_region_and_the_issuers_level(text, region, province, level):
    m = metadata.extract(text)
    assert (m.region, m.province, m.level) == (region, province, level)


@pytest.mark.parametrize("title, place", [
    ("国务院关于同意设立河北雄安新区的批复", ("", "", "")),  # an organ writing about a zone: not the zone's title
    ("海南自由贸易港建设总体方案", ("", "", "")),
    ("粤港澳大湾区发展规划纲要", ("", "", "")),
    ("横琴粤澳深度合作区建设总体方案", ("珠海市", "广东省", "city")),
])
def test_zone_place(title, place):
    assert metadata.zone_place(title) == place


def test_zone_without_issuer_or_special_zone_status_has_region_but_no_guessed_level():
    """A national plan for a zone may carry no issuer line: the region is the zone's, the level stays unknown."""
    m = metadata.extract("横琴粤澳深度合作区建设总体方案\n一、总体要求\n（一）指导思想。坚持以习近平新时代中国特色社会主义思想为指导。")
    assert (m.region, m.province, m.level) == ("珠海市", "广东省", "")


def test_an_issuer_elsewhere_keeps_its_region():
    m = metadata.extract("广州开发区 广州市黄埔区促进文旅产业与版权经济高质量发展的若干措施\n第一条 为了促进发展，制定本措施。")
    assert (m.region, m.province, m.level) == ("黄埔区", "广东省", "county")
    national = metadata.extract("国务院关于同意设立河北雄安新区的批复\n河北省人民政府：\n同意设立河北雄安新区。\n国务院\n2017年4月1日")
    assert (national.region, national.level) == ("全国", "national")
