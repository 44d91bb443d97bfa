"""Reports a reviewer can file: a result as summary lines and tables (`report.py`, with the CSV, Excel, Word and
Markdown writers), coverage, alignment and search results as reports (`results.py`), the provincial matrix
(`matrix.py`) and the upper-law review (`review.py`). `from indexer.export import export` writes a coverage
or alignment result to a file."""
from indexer.export.report import (
    FORMATS,
    FORMULA_START,
    REDLINE_COLOURS,
    STATUS,
    Report,
    Table,
    by_id,
    clean_text,
    doc_label,
    report_bytes,
    spreadsheet_cell,
    to_markdown,
    write_report,
)
from indexer.export.results import alignment_report, coverage_report, export, search_report

__all__ = ["FORMATS", "FORMULA_START", "REDLINE_COLOURS", "STATUS", "Report", "Table", "alignment_report", "by_id",
           "clean_text", "coverage_report", "doc_label", "export", "report_bytes", "search_report",
           "spreadsheet_cell", "to_markdown", "write_report"]
