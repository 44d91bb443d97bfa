"""Results the pages show, cached per corpus and index state: searches, similar clauses, alignments, coverage."""
from __future__ import annotations

import streamlit as st

from app_pages.backend import library
from indexer.errors import PolicyError

# ---------------------------------------------------------------- search

def filter_key(**kw) -> tuple:
    """Filters as a hashable, order-free key for the result cache."""
    return tuple(sorted((k, tuple(sorted(v)) if isinstance(v, list | tuple | set) else v) for k, v in kw.items()))


def search_filters(key: tuple):
    """The engine's SearchFilters from the page's choices (several values of a field: any matches); None when
    nothing is chosen."""
    from indexer.search import SearchFilters

    kw = dict(key)
    statuses = ["current" if s == "" else s for s in kw.get("statuses", ())]
    f = SearchFilters(region=",".join(kw.get("regions", ())), level=",".join(kw.get("levels", ())),
                      doc_ids=tuple(kw.get("doc_ids", ())), status=",".join(statuses),
                      date_from=kw.get("date_from", ""), date_to=kw.get("date_to", ""),
                      section=kw.get("section", ""), region_scope=kw.get("region_scope", ""),
                      include_undated=bool(kw.get("include_undated", False)))
    return None if f.is_empty() else f


def undated_left_out(filters: tuple, docs) -> int:
    """How many documents the date range leaves out only because they carry no date."""
    f = search_filters(filters)
    return f.undated_left_out(docs) if f is not None else 0


@st.cache_data(show_spinner="正在检索… / searching", max_entries=256)
def search(query: str, mode: str, k: int, filters: tuple, stamp: tuple) -> list:
    lib = library()  # the same limits and filter checks as the CLI and the API: refused alike
    f = search_filters(filters)
    return list(lib.search(query, k=k, mode=mode, filters=lib.check_filters(f) if f is not None else None))


@st.cache_data(show_spinner=False, max_entries=256)
def elsewhere(query: str, mode: str, k: int, filters: tuple, stamp: tuple):
    """The best hit outside the filters when it clearly outranks the best inside (None otherwise)."""
    f = search_filters(filters)
    return library().better_elsewhere(query, search(query, mode, k, filters, stamp), mode=mode, filters=f)


@st.cache_data(show_spinner=False, max_entries=256)
def translation(query: str, mode: str, filters: tuple, stamp: tuple) -> list[str]:
    """The Chinese words an English query is also searched with."""
    return library().translation(query, mode, search_filters(filters))


@st.cache_data(show_spinner="正在查找相似条款… / finding similar clauses", max_entries=64)
def similar(clause_id: str, k: int, other_documents: bool, stamp: tuple) -> list:
    return list(library().similar(clause_id, k=k, other_documents=other_documents))


# ---------------------------------------------------------------- alignment and coverage

@st.cache_data(show_spinner="正在逐条对照… / aligning clauses", max_entries=32)
def align(doc_a: str, doc_b: str, stamp: tuple):
    return library().align(doc_a, doc_b)


@st.cache_data(show_spinner="正在计算覆盖情况… / matching list items", max_entries=32)
def coverage(ref_doc: str, ref_section: str, target_doc: str | None, target_section: str | None,
             pasted: tuple[str, ...], region: str, stamp: tuple):
    """(Coverage, matrix targets × references, reference NamedList, target NamedList or None)."""
    if not target_doc and not pasted:
        raise PolicyError("请粘贴至少一个条目名称 / paste at least one item name")
    answer = library().coverage(ref_doc, target_doc or None, pasted, reference_section=ref_section,
                                target_section=target_section, region=region or None)
    return answer.result, answer.result.matrix, answer.reference, answer.target

