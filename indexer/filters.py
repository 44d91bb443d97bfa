"""What a search may be restricted to: a value passed to the store, which evaluates it where the data is."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from indexer.models import LEVEL_LABELS, STATUS_LABELS, DocMeta


@dataclass(frozen=True)
class SearchFilters:
    """Restrict hits; each text field may list several values separated by commas (any of them matches).

    region matches the region or province by substring (东莞 → 东莞市; 广东 → the province and its cities), or with
    region_scope "self" the document's own region only (广东 → 广东省's own documents, not 东莞市's); level and status match exactly
    (status "current" means no draft/trial/expired mark); dates are ISO prefixes, inclusive; section
    matches any label of the clause's section path by substring (保障措施), or one of its usual synonyms.
    """

    region: str = ""
    province: str = ""
    level: str = ""
    doc_ids: tuple[str, ...] = ()
    status: str = ""
    date_from: str = ""
    date_to: str = ""
    section: str = ""
    region_scope: str = ""  # "" (含下辖: the region and the places under it) | "self" (仅本级)
    include_undated: bool = False  # a date filter keeps documents without a date too

    def __post_init__(self):
        # one vocabulary at every door: the codes (city) and the labels the app shows (市级) both work
        object.__setattr__(self, "level", _as_codes(self.level, LEVEL_LABELS))
        object.__setattr__(self, "status", _as_codes(self.status, STATUS_LABELS))

    def is_empty(self) -> bool:
        return not any((self.region, self.province, self.level, self.doc_ids, self.status, self.date_from,
                        self.date_to, self.section))

    def accepts_document(self, meta: DocMeta, doc_id: str) -> bool:
        if self.doc_ids and doc_id not in self.doc_ids:
            return False
        if self.region:
            own = self.region_scope == "self"
            if not any(v in meta.region or (not own and v in meta.province) for v in values(self.region)):
                return False
        if self.province and not any(v in meta.province for v in values(self.province)):
            return False
        if self.level and meta.level not in values(self.level):
            return False
        if self.status:
            wanted = {"" if v in ("current", "in_force", "现行") else v for v in values(self.status)}
            if meta.status not in wanted:
                return False
        if not meta.date and (self.date_from or self.date_to):
            return self.include_undated
        if self.date_from and meta.date < self.date_from:
            return False
        if self.date_to and meta.date > date_upper(self.date_to):
            return False
        return True

    def undated_left_out(self, documents) -> int:
        """How many documents (IndexedDocument or Document) a date filter leaves out only for having no date."""
        if not (self.date_from or self.date_to) or self.include_undated:
            return 0
        from dataclasses import replace

        keep = replace(self, include_undated=True)
        return sum(1 for d in documents if not d.meta.date and keep.accepts_document(d.meta, d.doc_id))

    def accepts_section(self, section: tuple[str, ...] | list[str]) -> bool:
        if not self.section:
            return True
        joined = " › ".join(section)
        return any(w in joined for w in section_terms(self.section))


def _as_codes(field: str, labels: dict[str, str]) -> str:
    """A comma-separated filter value with each label replaced by its code (市级 → city, 征求意见稿 → draft)."""
    codes = {label: code for code, label in labels.items() if code and label}
    return ",".join(codes.get(v, v) for v in values(field)) if field else field


def values(s: str) -> tuple[str, ...]:
    """The comma-separated values of a filter field (full- or half-width commas)."""
    return tuple(v.strip() for v in s.replace("，", ",").split(",") if v.strip())


def date_upper(d: str) -> str:
    """Inclusive upper bound for a date prefix: 2021 → 2021-12-31, 2021-06 → 2021-06-31."""
    return d + "-12-31"[len(d) - 4:] if len(d) in (4, 7) else d


# Section names that documents use for the same part: a filter on one finds the others (Dongguan calls its
# 保障措施 "四、保障机制").
SECTION_SYNONYMS = (
    ("保障措施", "保障机制", "保障体系", "组织保障", "组织实施", "实施保障", "政策保障", "支持政策", "配套政策"),
    ("主要任务", "重点任务", "重点工作", "工作任务", "主要举措", "重点举措", "发展重点"),
    ("发展目标", "主要目标", "总体目标", "工作目标"),
    ("基本原则", "主要原则", "工作原则"),
    ("指导思想", "总体思路", "总体要求"),
)


def section_terms(section: str) -> tuple[str, ...]:
    """The labels a section filter matches: what was typed (comma = any of), plus the usual synonyms."""
    out: list[str] = []
    for w in values(section):
        out.append(w)
        for group in SECTION_SYNONYMS:
            if w in group:
                out.extend(group)
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------- validation (pure: the CLI and the app share it)

LEVELS = ("national", "province", "city", "county", "news", "other")
STATUSES = ("current", "draft", "trial", "expired")
STATUS_ALIASES = ("in_force", "现行")  # also accepted for "current"
SHOWN = 12  # known values listed in a message before "…"


def date_problem(value: str) -> str:
    """Why a filter date is not a real YYYY, YYYY-MM or YYYY-MM-DD date ("" when it is)."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    if not m:
        return "格式应为 YYYY、YYYY-MM 或 YYYY-MM-DD / use YYYY, YYYY-MM or YYYY-MM-DD"
    year, month, day = (int(g) if g else 1 for g in m.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return "不是有效日期 / no such date (YYYY-MM-DD)"
    return ""


def _listing(known) -> str:
    known = sorted(set(known))
    return "、".join(known[:SHOWN]) + ("…" if len(known) > SHOWN else "") if known else "无 / none"


def validate(filters: SearchFilters, documents=()) -> list[str]:
    """One line per invalid filter value, naming what is valid; [] when every value can match.

    Args:
        documents: the indexed documents (anything with `.meta` and `.doc_id`): regions, provinces and
            doc_ids are checked against them. Empty: only the fixed vocabularies and dates are checked.
    """
    problems: list[str] = []
    for label, value in (("起始日期 / from date", filters.date_from), ("截止日期 / to date", filters.date_to)):
        why = date_problem(value) if value else ""
        if why:
            problems.append(f"{label} '{value}' 无效 / invalid: {why}")
    if filters.date_from and filters.date_to and not problems and filters.date_from > date_upper(filters.date_to):
        problems.append(f"起始日期晚于截止日期 / from date {filters.date_from} is after to date {filters.date_to}")
    bad = [v for v in values(filters.level) if v not in LEVELS]
    if bad:
        problems.append(f"未知层级 / unknown level {', '.join(bad)}: 可选 / one of {', '.join(LEVELS)}")
    bad = [v for v in values(filters.status) if v not in STATUSES + STATUS_ALIASES]
    if bad:
        problems.append(f"未知状态 / unknown status {', '.join(bad)}: 可选 / one of {', '.join(STATUSES)}")
    docs = list(documents)
    if docs:
        regions = {d.meta.region for d in docs if d.meta.region} | {d.meta.province for d in docs if d.meta.province}
        bad = [v for v in values(filters.region) if not any(v in r for r in regions)]
        if bad:
            problems.append(f"没有该地区的文件 / no document of region {', '.join(bad)}: "
                            f"已收录 / indexed: {_listing(regions)}")
        provinces = {d.meta.province for d in docs if d.meta.province}
        bad = [v for v in values(filters.province) if not any(v in p for p in provinces)]
        if bad:
            problems.append(f"没有该省份的文件 / no document of province {', '.join(bad)}: "
                            f"已收录 / indexed: {_listing(provinces)}")
        ids = {d.doc_id for d in docs}
        bad = [v for v in filters.doc_ids if v not in ids]
        if bad:
            problems.append(f"找不到文件 / no document {', '.join(bad)}: 已收录 / indexed: {_listing(ids)}")
    return problems
