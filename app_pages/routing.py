"""Addresses no page answers (/search, a mistyped or stale link) open a page, never an English "Page not found"."""
from __future__ import annotations

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
