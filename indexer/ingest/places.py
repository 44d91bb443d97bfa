"""Organ or title → (region, province, level): cpca lookups, national organs and special zones. Pure."""
from __future__ import annotations

import re
from functools import lru_cache

from indexer.models import Document

NATIONAL = re.compile(r"^(中共中央|国务院|全国人民代表大会|中华人民共和国|国家[\u4e00-\u9fff]{1,12}(局|委员会|部)|"
                      r"[\u4e00-\u9fff]{2,8}部$|[\u4e00-\u9fff]{2,6}部(办公厅)?)")

# A title that opens with a central organ is a national document, whatever follows (国务院2024年度立法工作计划).
NATIONAL_TITLE = re.compile(r"^(中共中央|党中央|国务院|全国人民代表大会|全国人大|中华人民共和国|中央办公厅)")


@lru_cache(maxsize=4096)
def resolve_region(name: str) -> tuple[str, str, str]:
    """(province, city, county) named at the start of an organ or title, via cpca ("" where unknown)."""
    if not name:
        return "", "", ""
    try:
        import cpca  # lazy: pandas import
    except ImportError:
        return "", "", ""
    head = re.split(r"关于|印发", name)[0]
    df = cpca.transform([head])
    row = df.iloc[0]

    def val(col):
        v = row.get(col)
        return v if isinstance(v, str) else ""

    prov, city, county = val("省"), val("市"), val("区")
    # cpca fills the province for a bare city; only trust what the head names itself
    named = lambda full: bool(full) and full.rstrip("省市区县") and full.rstrip("省市区县")[:2] in head  # noqa: E731
    return (prov if named(prov) or named(city) or named(county) else "",
            city if named(city) or named(county) else "", county if named(county) else "")


def place(meta_source: str) -> tuple[str, str, str]:
    """(region, province, level) from an issuer or title."""
    if not meta_source:
        return "", "", ""
    if NATIONAL.search(meta_source):
        return "全国", "", "national"
    prov, city, county = resolve_region(meta_source)
    if county:
        return county, prov, "county"
    if city:
        return city, prov, "city"
    if prov:
        return prov, prov, "province"
    return "", "", ""


def title_place(title: str) -> tuple[str, str, str]:
    """(region, province, level) of a title that opens with a full place name: 广西壮族自治区工业和信息化发展
    “十二五”规划, 广州开发区 广州市黄埔区促进…措施. A place named without its suffix (海南自由贸易港建设总体方案,
    a national plan) proves nothing and gives ("", "", "")."""
    for token in title.split()[:2]:  # a joint title may lead with a zone's name: 广州开发区 广州市黄埔区…
        head = token[:20]
        prov, city, county = resolve_region(head)
        names = [n for n in (prov, city, county) if n]
        if names and any(head.startswith(n) for n in names) and names[-1] in head:
            region = county or city or prov
            return region, prov, "county" if county else "city" if city else "province"
    return "", "", ""


# Special zones. A title that opens with one names the zone, not an administrative region: the region is the
# zone's city (its province when it spans several), the level is that of the issuer (a province may legislate
# for a zone in one of its cities: 广东省中新广州知识城条例, 义乌国际贸易综合改革试验区条例).
ZONE = re.compile(r"经济特区|新区|合作区|试验区|实验区|示范区|开发区|知识城|科学城|集聚区|度假区")
# zones whose names do not contain their city's (cpca would read 合作区 as 甘肃省合作市)
ZONE_CITIES = {"横琴": ("珠海市", "广东省"), "前海": ("深圳市", "广东省"), "河套": ("深圳市", "广东省"),
               "南沙": ("广州市", "广东省"), "浦东": ("上海市", "上海市"), "雄安": ("河北省", "河北省"),
               "滨海新区": ("天津市", "天津市"), "两江": ("重庆市", "重庆市")}


def zone_place(title: str) -> tuple[str, str, str]:
    """(region, province, kind of region) of a zone named at the start of a title: 深圳经济特区…条例 →
    (深圳市, 广东省, city); ("", "", "") when the title names no zone or no place for it."""
    m = ZONE.search(title[:30])
    if not m:
        return "", "", ""
    head = title[:m.end()]
    if re.search("关于|印发", head):
        return "", "", ""  # an organ writing about a zone (国务院关于同意设立河北雄安新区的批复): its region stands
    for key, (city, prov) in ZONE_CITIES.items():
        if key in head:
            return city, prov, "province" if city == prov and city.endswith("省") else "city"
    prov, city, county = resolve_region(title[:m.start()])
    if county and county.endswith("市"):  # a county-level city: 义乌国际贸易综合改革试验区 → 义乌市
        return county, prov, "county"
    if city and city != "市辖区":
        return city, prov, "city"
    return (prov, prov, "province") if prov else ("", "", "")


def zone_level(title: str, zone: tuple[str, str, str]) -> str:
    """The level of a zone's regulation whose issuer the text does not name."""
    if zone[1] and title.startswith(zone[1]):
        return "province"  # 广东省中新广州知识城条例: the province legislates
    if title.startswith(zone[0].rstrip("市省")) and "经济特区" in title[:20]:
        return zone[2]  # a special economic zone's regulations are its city's (海南's its province's)
    return ""


def document_region(doc: Document) -> str:
    """A document's region: its metadata, else the first 省/市/区/县 name in its title or opening."""
    if doc.meta.region:
        return doc.meta.region
    head = (doc.meta.title or "") + doc.text[:300]
    m = re.search(r"([\u4e00-\u9fff]{2,6}?(?:自治州|自治县|省|市|区|县))(?:人民政府|委员会|关于|印发|$)", head)
    return m.group(1) if m else ""
