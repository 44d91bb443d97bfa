"""Word .docx: paragraphs, tables and content controls in document order, with a zip-bomb guard."""
from __future__ import annotations

import time
from pathlib import Path

from indexer import limits
from indexer.errors import IngestError
from indexer.ingest.readers.raw import RawText, ReadOptions, file_sha, finish

MAX_UNZIPPED = 256 * 1024 * 1024  # a .docx whose parts (images included) inflate beyond this is refused
CHECK_EVERY = 256  # body elements walked between two looks at the clock


def read_docx(path: Path, options: ReadOptions | None = None) -> RawText:
    """Paragraphs and table rows of a .docx in document order (readers.word sends a Word 97 file to read_doc)."""
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:
        raise IngestError(path, "读取 .docx 需要 python-docx：pip install python-docx / python-docx missing") from None
    deadline = time.monotonic() + limits.MAX_READ_SECONDS
    try:
        _check_unzipped_size(path)
        document = docx.Document(str(path))
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(path, f"DOCX 损坏或不是 Word 文件 / corrupt DOCX ({type(exc).__name__})") from None
    qn = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    lines: list[str] = []
    numbered = walked = 0

    def walk(parent_el, parent):
        nonlocal numbered, walked
        for el in parent_el.iterchildren():
            walked += 1
            if walked % CHECK_EVERY == 1 and time.monotonic() > deadline:
                raise IngestError(path, f"读取超时，超过 {limits.MAX_READ_SECONDS} 秒 / reading took longer than "
                                        f"{limits.MAX_READ_SECONDS} s: the document is too large or too complex")
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
    """Refuse a .docx whose parts inflate too far before python-docx parses them: an XML part beyond
    MAX_DOCX_PART, its XML parts together beyond MAX_DOCX_XML, all parts beyond MAX_UNZIPPED. The sizes are the
    zip's own; Python's zipfile never inflates a part past the size it declares (a lie fails its CRC)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a readable zip: python-docx reports it as corrupt
    xml = [i for i in infos if i.filename.lower().endswith((".xml", ".rels"))]
    mb = 2**20
    for i in xml:
        if i.file_size > limits.MAX_DOCX_PART:
            raise IngestError(path, f"DOCX 部件 {i.filename} 解压后 {i.file_size / mb:.0f} MB，超过上限 "
                                    f"{limits.MAX_DOCX_PART // mb} MB / DOCX part {i.filename} inflates to "
                                    f"{i.file_size / mb:.0f} MB, more than {limits.MAX_DOCX_PART // mb} MB")
    total = sum(i.file_size for i in xml)
    if total > limits.MAX_DOCX_XML:
        raise IngestError(path, f"DOCX 的 XML 部件解压后共 {total / mb:.0f} MB，超过上限 {limits.MAX_DOCX_XML // mb} MB "
                                f"/ DOCX XML parts inflate to {total / mb:.0f} MB in all, more than "
                                f"{limits.MAX_DOCX_XML // mb} MB")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        raise IngestError(path, f"DOCX 解压后 {total / mb:.0f} MB，超过上限 {MAX_UNZIPPED // mb} MB / "
                                "DOCX expands too large")
