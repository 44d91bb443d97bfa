"""How a document's place, level, date and lag read to people: what is missing is said in words (地区未标注,
日期未注明), never a bare 未标注 or None. The app, the CLI and the reports all label through here."""
from __future__ import annotations

from indexer.models import LEVEL_LABELS

NO_REGION = "地区未标注"
NO_LEVEL = "层级未标注"
NO_DATE = "日期未注明"
NO_LAG = "—"


def region_words(region: str, level: str = "") -> str:
    """The region; else the level's label where it stands for a place (新闻报道, 国家级); else 地区未标注."""
    return region or (LEVEL_LABELS.get(level, "") if level else "") or NO_REGION


def level_words(level: str) -> str:
    return LEVEL_LABELS.get(level, level) if level else NO_LEVEL


def date_words(date: str, *, year: bool = False) -> str:
    """The date (or its year), else 日期未注明."""
    return (date[:4] if year else date) if date else NO_DATE


def where_when(region: str, level: str, date: str, *, year: bool = False) -> str:
    """"东莞市 · 2021", "新闻报道 · 2021-04-14", "地区未标注 · 日期未注明"."""
    return f"{region_words(region, level)} · {date_words(date, year=year)}"


def lag_words(days: int | None) -> str:
    """Days after the reference: "+301 天", "-3 天", or "—" when either date is missing."""
    if days is None:
        return NO_LAG
    return f"+{days} 天" if days >= 0 else f"{days} 天"
