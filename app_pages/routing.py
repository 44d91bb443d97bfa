"""Addresses no page answers (/search, a mistyped or stale link) open a page, never an English "Page not found"."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

log = logging.getLogger("policy_app")


def route(requested: str, url_paths: Iterable[str]) -> str:
    """The url path of the page to run for the path the browser asked for; "" is the default page.

    Streamlit matches the path exactly against each page's url_path, and the default page's url_path is ""
    (it answers only the root), so "/search" finds nothing although the search page is url_path "search".
    A path that differs from a page's only in case or surrounding slashes (a retyped link) opens that page;
    anything else opens the default page.
    """
    paths = [p for p in url_paths if p]
    if requested in paths:
        return requested
    wanted = requested.strip("/").casefold()
    return next((p for p in paths if p.casefold() == wanted), "")


def land_unknown_paths(pages) -> None:
    """Call before st.navigation(pages): a path no page answers becomes a request for the page route() picks.

    Left alone, Streamlit runs the default page but first shows its English "Page not found" dialog. With the
    request rewritten, st.navigation finds the page itself, and the browser then rewrites its address (to the
    root for the default page), keeping the query string (?q=…&mode=…), so a shared search link still restores
    its search. A rerun that names its page by hash (every click inside the app) is left alone: an unknown hash
    already falls back silently.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    manager = getattr(get_script_run_ctx(), "pages_manager", None)
    if manager is None or getattr(manager, "intended_page_script_hash", None):
        return
    requested = getattr(manager, "intended_page_name", None) or ""
    target = route(requested, (p.url_path for p in pages))
    if target == requested:
        return
    try:
        manager.set_script_intent("", target)
    except (AttributeError, TypeError):  # a Streamlit whose internals moved: its own dialog is the fallback
        log.warning("cannot route page path %r on this Streamlit version", requested)


# ---------------------------------------------------------------- a shared link's filter values

def link_values(values: Iterable[str], options: Iterable[str], labels: dict[str, str] | None = None
                ) -> tuple[list[str], list[str]]:
    """A link's filter values as a multiselect's options, in the words the CLI and the API take: a label for its
    code (市级 → city, with `labels` code → label), a place for the offered places that contain it (杭州 → 杭州市,
    as the CLI's region filter matches by substring). Returns (options chosen, values not understood)."""
    options = list(options)
    codes = {label: code for code, label in (labels or {}).items() if label}
    chosen, unknown = [], []
    for v in values:
        v = codes.get(v, v)
        found = [v] if v in options else [o for o in options if v and v in o] if labels is None else []
        chosen += [o for o in found if o not in chosen]
        unknown += [] if found else [v]
    return chosen, unknown


def link_date(value: str, upper: bool = False) -> dt.date | None:
    """A link's from/to date as the CLI takes it: 2021, 2021-06 or 2021-06-30 (the first or, for `upper`, the last
    day of a year or month); None when it is not a date."""
    parts = value.strip().split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    nums = [int(p) for p in parts]
    try:
        if len(nums) == 1:
            return dt.date(nums[0], 12, 31) if upper else dt.date(nums[0], 1, 1)
        if len(nums) == 2:
            first = dt.date(nums[0], nums[1], 1)
            if not upper:
                return first
            return dt.date(nums[0], 12, 31) if nums[1] == 12 else dt.date(nums[0], nums[1] + 1, 1) - dt.timedelta(days=1)
        return dt.date(*nums)
    except (ValueError, OverflowError):  # 2021-13, or 9999-12's last day computed past the calendar
        return None
