"""SearchFilters → a Milvus boolean expression, so filters run inside the engine (pure: no pymilvus needed)."""
from __future__ import annotations

from collections.abc import Sequence

from indexer.filters import SearchFilters, date_upper, section_terms, values

# Document metadata copied onto every clause row (Milvus filters rows, not joins): the scalar fields an
# expression may name. `section_path` is the clause's section labels joined as Clause.section_str does.
FILTER_FIELDS = ("doc_id", "region", "province", "doc_level", "status", "date", "section_path")
NOTHING = "pk < 0"  # rows are 0 … n-1; Milvus refuses a bare `false` as a filter
CURRENT_STATUS = ("current", "in_force", "现行")  # what SearchFilters reads as "no draft/trial/expired mark"


def literal(value: str) -> str:
    """A Milvus string literal: double quotes, with backslash and quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def like_contains(field: str, needle: str) -> str:
    """`field` contains `needle` as a substring: LIKE with %, _ and \\ of the needle escaped."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{field} like {literal('%' + escaped + '%')}"


def any_of(parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    if not parts:
        return NOTHING
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


def in_list(field: str, items: Sequence[str]) -> str:
    return f"{field} in [{', '.join(literal(v) for v in items)}]"


def contains(field: str, needle: str, known: dict[str, set[str]] | None) -> str:
    """`field` contains `needle`: an exact list of the field's known values that do (a fast scalar test in
    Milvus), or a LIKE scan when the values are not known."""
    if known is None or field not in known:
        return like_contains(field, needle)
    hits = sorted(v for v in known[field] if needle in v)
    return in_list(field, hits) if hits else NOTHING


def filter_expr(filters: SearchFilters | None, known: dict[str, set[str]] | None = None) -> str:
    """The expression admitting exactly the rows `filters.accepts_document` and `accepts_section` admit
    ("" for no filter). Each clause of SearchFilters' docstring maps to one conjunct.

    Args:
        known: every value the index holds of some fields (region, province: a few hundred at most), so a
            substring filter on them becomes an exact `in [...]` test instead of a LIKE over every row.
    """
    if filters is None or filters.is_empty():
        return ""
    parts: list[str] = []
    if filters.doc_ids:
        parts.append(in_list("doc_id", filters.doc_ids))
    if filters.region:
        own = filters.region_scope == "self"
        parts.append(any_of([contains("region", v, known) if own else
                             f"({contains('region', v, known)} or {contains('province', v, known)})"
                             for v in values(filters.region)]))
    if filters.province:
        parts.append(any_of([contains("province", v, known) for v in values(filters.province)]))
    if filters.level:
        parts.append(in_list("doc_level", values(filters.level)))
    if filters.status:
        wanted = dict.fromkeys("" if v in CURRENT_STATUS else v for v in values(filters.status))
        parts.append(in_list("status", list(wanted)))
    if filters.date_from or filters.date_to:
        dated = ['date != ""']
        if filters.date_from:
            dated.append(f"date >= {literal(filters.date_from)}")
        if filters.date_to:
            dated.append(f"date <= {literal(date_upper(filters.date_to))}")
        dated_expr = "(" + " and ".join(dated) + ")"
        parts.append(f'(date == "" or {dated_expr})' if filters.include_undated else dated_expr)
    if filters.section:
        parts.append(any_of([like_contains("section_path", w) for w in section_terms(filters.section)]))
    return " and ".join(parts)


def and_(*exprs: str) -> str:
    """The conjunction of the non-empty expressions ("" when none)."""
    kept = [e for e in exprs if e]
    return " and ".join(f"({e})" for e in kept) if len(kept) > 1 else (kept[0] if kept else "")


def pks_expr(pks: Sequence[int]) -> str:
    return f"pk in [{', '.join(str(int(p)) for p in pks)}]"
