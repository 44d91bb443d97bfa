"""Which upper documents reach a local one: a law that a later library law repeals (《…》同时废止) gives way to it, and
a provincial law about one named place (a basin, a lake, a scenic area) reaches only the cities and counties its text
names."""
from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.compare.answering import _norm_title
from indexer.models import Document

_REPEALS = re.compile(r"((?:《[^《》]{2,60}》[、和及，,]?)+)同时废止")


def repealed_by(docs: Sequence[Document], by_title: dict[str, Document]) -> dict[str, str]:
    """doc_id → doc_id of the later library document whose own text repeals it (本法自…起施行。《…》同时废止)."""
    out: dict[str, str] = {}
    for d in docs:
        for m in _REPEALS.finditer(d.text):
            for title in re.findall(r"《([^《》]+)》", m.group(1)):
                old = by_title.get(_norm_title(title))
                if old is not None and old is not d and (old.meta.date or "") <= (d.meta.date or "9999"):
                    out[old.doc_id] = d.doc_id
    return out


# An upper document about one named place inside its territory (a basin, a lake, a scenic area): its title names the
# place after the province's name. Such a law reaches only the cities and counties its text names.
_PLACE_AREA = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:流域|水域|风景名胜区|自然保护区|世界文化遗产|湿地公园|度假区|文化景观)")
_PLACE_FEATURE = re.compile(r"([\u4e00-\u9fff]{1,3}?(?:塘河|水库|江|河|湖|溪)+)(?![道长泊流])")
# words before 江/河/水域 … that name a kind of water or area, not one place
_NOT_PLACE = re.compile(r"沿海|近海|内河|江河|河湖|渔港|港口|类型|城市|农村|国境|运河$|中国")
_ADMIN_SUFFIX = re.compile(r"[省市县区]$")


def named_place(doc: Document) -> str:
    """The place (not an administrative region) an upper document's title is about: 浙江省曹娥江流域水环境保护条例 →
    曹娥江; "" for a law about a subject (浙江省河道管理条例, 内河交通安全管理条例)."""
    t = _norm_title(doc.meta.title or "")
    for place in sorted({doc.meta.region, doc.meta.province} - {""}, key=len, reverse=True):
        t = t.replace(place, "")
    t = re.sub(r"^[\u4e00-\u9fff]{2,4}?(?:省|市)", "", t)
    for pattern in (_PLACE_AREA, _PLACE_FEATURE):
        m = pattern.search(t)
        if m and not _NOT_PLACE.search(m.group(1)):
            return m.group(1)
    return ""


def place_names(region: str) -> list[str]:
    """The short names (金华, 义乌, 景宁) of a region and of the city that holds it, as a text names them."""
    from indexer.ingest.places import resolve_region

    _, city, county = resolve_region(region)
    out = []
    for name in dict.fromkeys(n for n in (region, city, county) if n and n != "市辖区"):
        short = name[:2] if "自治" in name else _ADMIN_SUFFIX.sub("", name)  # 景宁畲族自治县 → 景宁
        out.append(short if len(short) >= 2 else name)
    return out


def outside_place(upper: Document, local: Document) -> str:
    """The named place of `upper` when its text names neither the local document's city nor its county (the
    basin of 曹娥江 does not reach 金华); "" when it does, when `upper` is about no one place, or the local place is
    unknown."""
    place = named_place(upper)
    if not place:
        return ""
    names = place_names(local.meta.region) if local.meta.region else []
    if not names or any(n in upper.text for n in names):
        return ""
    return place
