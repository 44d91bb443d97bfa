"""Downloads: coverage, alignment and search reports as the CLI's --export writes them."""
from __future__ import annotations

import streamlit as st

from app_pages.backend import documents

MIME = {".csv": "text/csv", ".md": "text/markdown",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
FORMAT_LABELS = {".xlsx": "Excel", ".docx": "Word", ".csv": "CSV", ".md": "Markdown"}


def export_bytes(result, suffix: str, settings: tuple[str, ...] = ()) -> bytes:
    """A coverage or alignment report in the format named by its suffix, as bytes: documents named by title and
    文号 and the choices behind the result recorded, as the CLI's --export writes it."""
    from indexer.compare.coverage import Coverage
    from indexer.export import alignment_report, coverage_report, report_bytes

    docs = documents()
    rep = (coverage_report(result, docs, settings) if isinstance(result, Coverage)
           else alignment_report(result, docs, settings))
    return report_bytes(rep, suffix)


def export_buttons(result, stem: str, suffixes: tuple[str, ...], key: str, settings: tuple[str, ...] = ()) -> None:
    """One download button per format; each report is generated only when its button is clicked."""
    row = st.container(horizontal=True)
    for suffix in suffixes:
        row.download_button(f"导出 {FORMAT_LABELS[suffix]}", data=lambda s=suffix: export_bytes(result, s, settings),
                            file_name=f"{stem}{suffix}", mime=MIME[suffix], key=f"{key}_{suffix}",
                            icon=":material/download:", on_click="ignore")


def hits_bytes(hits, query: str, suffix: str, filters=None) -> bytes:
    """The hits as the report the CLI writes (.csv or .xlsx): the query and every filter in the page's words (a
    SearchFilters, or None), 文号, 发文机关 and 日期 per hit, scores as numbers, formula-like cells made inert."""
    from indexer.export import report_bytes, search_report

    return report_bytes(search_report(hits, query, filters, documents()), suffix)


def hits_buttons(columns, hits, query: str, filters=None) -> None:
    """CSV and Excel downloads of the hits, each written only when its button is clicked: the first results are
    drawn without loading the report writer."""
    for col, suffix in zip(columns, (".csv", ".xlsx"), strict=True):
        col.download_button(f"导出 {FORMAT_LABELS[suffix]}", data=lambda s=suffix: hits_bytes(hits, query, s, filters),
                            file_name=f"检索结果{suffix}", mime=MIME[suffix], key=f"export_{suffix.lstrip('.')}",
                            on_click="ignore")
