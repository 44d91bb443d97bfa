"""How a document's place, level, date, issuer, 文号, lag and a search's filters read to people: what is missing is
said in words (地区未标注, 日期未注明), never a bare 未标注 or None. The app, the CLI and the reports all label
through here."""
from __future__ import annotations

from collections.abc import Mapping

from indexer.models import LEVEL_LABELS, STATUS_LABELS

NO_REGION = "地区未标注"
NO_LEVEL = "层级未标注"
NO_DATE = "日期未注明"
NO_ISSUER = "发文机关未标注"
NO_NUMBER = "文号未标注"
NO_LAG = "—"
# The region scope as the search page's radio reads it.
SCOPE_LABELS = {"": "含下辖", "self": "仅本级"}


def region_words(region: str, level: str = "") -> str:
    """The region; else the level's label where it stands for a place (新闻报道, 国家级); else 地区未标注."""
    return region or (LEVEL_LABELS.get(level, "") if level else "") or NO_REGION


def level_words(level: str) -> str:
    return LEVEL_LABELS.get(level, level) if level else NO_LEVEL


def date_words(date: str, *, year: bool = False) -> str:
    """The date (or its year), else 日期未注明."""
    return (date[:4] if year else date) if date else NO_DATE


def issuer_words(issuer: str) -> str:
    return issuer or NO_ISSUER


def number_words(doc_number: str) -> str:
    return doc_number or NO_NUMBER


def where_when(region: str, level: str, date: str, *, year: bool = False) -> str:
    """"东莞市 · 2021", "新闻报道 · 2021-04-14", "地区未标注 · 日期未注明"."""
    return f"{region_words(region, level)} · {date_words(date, year=year)}"


EARLIER_WORDS = "先行（早于参照文件）"


def lag_words(days: int | None, earlier: bool = False) -> str:
    """Days after the reference: "+301 天", "-3 天", or "—" when either date is missing; a text first made before
    the reference (it carried the provision first, its current date may be a later amendment) in words."""
    if earlier:
        return EARLIER_WORDS
    if days is None:
        return NO_LAG
    return f"+{days} 天" if days >= 0 else f"{days} 天"


def filter_words(filters, documents=None) -> tuple[str, ...]:
    """Every restriction of a search (a SearchFilters, or None), one phrase each, in the words the search page
    shows: "地区：广东省（仅本级）", "层级：市级、县级", "日期：2020-01-01 至 2021-12-31（含未注明日期）".

    Args:
        documents: the library (a list, or doc_id → document), so a document filter names titles, not doc_ids.
    """
    if filters is None:
        return ()
    from indexer.filters import values

    def listed(field: str, labels: dict[str, str] | None = None) -> str:
        return "、".join(labels.get(v, v) if labels else v for v in values(field))

    known = documents if isinstance(documents, Mapping) else {d.doc_id: d for d in documents or ()}
    titles = [f"《{known[i].meta.title}》" if i in known and known[i].meta.title else i for i in filters.doc_ids]
    current = STATUS_LABELS[""]  # "current" (in force) is the empty status code
    statuses = "、".join(dict.fromkeys(current if v in ("current", "in_force", "现行") else STATUS_LABELS.get(v, v)
                                       for v in values(filters.status)))
    when = ""
    if filters.date_from or filters.date_to:
        if filters.date_from and filters.date_to:
            when = f"{filters.date_from} 至 {filters.date_to}"
        else:
            when = f"{filters.date_from} 起" if filters.date_from else f"至 {filters.date_to}"
        when += "（含未注明日期）" if filters.include_undated else ""
    region = f"{listed(filters.region)}（{SCOPE_LABELS.get(filters.region_scope, filters.region_scope)}）" \
        if filters.region else ""
    phrases = (("地区", region), ("省份", listed(filters.province)), ("层级", listed(filters.level, LEVEL_LABELS)),
               ("文件", "、".join(titles)), ("状态", statuses), ("日期", when), ("章节", listed(filters.section)))
    return tuple(f"{name}：{words}" for name, words in phrases if words)
