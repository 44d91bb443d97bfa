"""Word .docx: paragraphs, tables and content controls in document order, with a zip-bomb guard."""
from __future__ import annotations

from pathlib import Path

from indexer.errors import IngestError
from indexer.ingest.readers.raw import RawText, ReadOptions, file_sha, finish

MAX_UNZIPPED = 256 * 1024 * 1024  # a .docx whose parts inflate beyond this is refused (zip bomb)


def read_docx(path: Path, options: ReadOptions | None = None) -> RawText:
    """Paragraphs and table rows of a .docx in document order (readers.word sends a Word 97 file to read_doc)."""
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:
        raise IngestError(path, "读取 .docx 需要 python-docx：pip install python-docx / python-docx missing") from None
    try:
        _check_unzipped_size(path)
        document = docx.Document(str(path))
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(path, f"DOCX 损坏或不是 Word 文件 / corrupt DOCX ({type(exc).__name__})") from None
    qn = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    lines: list[str] = []
    numbered = 0

    def walk(parent_el, parent):
        nonlocal numbered
        for el in parent_el.iterchildren():
            if el.tag == qn + "p":
                para = Paragraph(el, parent)
                if para.text.strip():
                    lines.append(para.text)
                    if el.pPr is not None and el.pPr.numPr is not None:
                        numbered += 1
            elif el.tag == qn + "tbl":
                for row in Table(el, parent).rows:
                    cells: list[str] = []
                    for cell in row.cells:
                        t = " ".join(cell.text.split())
                        if not cells or t != cells[-1]:  # a merged cell repeats in every column it spans
                            cells.append(t)
                    if any(cells):
                        lines.append(" | ".join(cells))
            elif el.tag == qn + "sdt":
                content = el.find(qn + "sdtContent")
                if content is not None:
                    walk(content, parent)

    walk(document.element.body, document)
    if not lines:
        raise IngestError(path, "DOCX 中没有文字 / no text in DOCX")
    warnings = ["部分段落使用 Word 自动编号，编号未读出 / auto-numbered paragraphs: numbers are not in the text"
                ] if numbered else []
    return finish("\n".join(lines), "docx", file_sha(path), warnings)


def _check_unzipped_size(path: Path) -> None:
    """Refuse a .docx whose parts inflate to more than MAX_UNZIPPED (python-docx would parse them all)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a readable zip: python-docx reports it as corrupt
    if total > MAX_UNZIPPED:
        raise IngestError(path, f"DOCX 解压后 {total / 2**20:.0f} MB，超过上限 {MAX_UNZIPPED // 2**20} MB / "
                                f"DOCX expands too large")
