"""PDF: text layer via pdfplumber, running headers and page numbers dropped, wrapped lines rejoined; OCR for scans."""
from __future__ import annotations

from pathlib import Path

from indexer.errors import IngestError
from indexer.ingest import noise, ocr, page_layout
from indexer.ingest.page_layout import Line
from indexer.ingest.readers.raw import ProgressFn, RawText, ReadOptions, file_sha, strip_controls

MIN_PAGE_TEXT = 10  # a PDF page with fewer characters (after noise) is treated as an image
_GUARDED = False


def _guard_reference_cycles() -> None:
    """Make pdfminer's resolve1 refuse an indirect object that leads back to itself.

    pdfminer follows a chain of references (8 0 R → … → 8 0 R) with `while isinstance(x, PDFObjRef)` and never
    stops on a cycle: a 2 KB damaged PDF (tests/data/pdf_reference_cycle.pdf, found by tests/test_fuzz.py) hung
    the reader, and with it a build or an upload, for good. The guarded copy raises instead, which `_pdf_error`
    reports as one line. It replaces the function where pdfminer and pdfplumber imported it by name.
    """
    global _GUARDED
    if _GUARDED:
        return
    import importlib

    from pdfminer import pdftypes
    from pdfminer.psexceptions import PSException

    class PDFReferenceCycle(PSException):
        pass

    def resolve1(x: object, default: object = None):
        seen: set[int] = set()
        while isinstance(x, pdftypes.PDFObjRef):
            if x.objid in seen:
                raise PDFReferenceCycle(f"object {x.objid} refers to itself")
            seen.add(x.objid)
            x = x.resolve(default=default)
        return x

    for name in ("pdfminer.pdftypes", "pdfminer.pdffont", "pdfminer.pdfinterp", "pdfminer.pdfpage",
                 "pdfminer.pdfdocument", "pdfplumber.structure"):
        module = importlib.import_module(name)
        if getattr(module, "resolve1", None) is not None:
            module.resolve1 = resolve1
    _GUARDED = True


def _pdf_error(path: Path, exc: BaseException) -> IngestError:
    names = set()
    e: BaseException | None = exc
    while e is not None:
        names.add(type(e).__name__)
        names.update(type(a).__name__ for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        e = e.__cause__ or e.__context__
    if "PDFReferenceCycle" in names:
        return IngestError(path, "PDF 损坏：对象循环引用 / corrupt PDF: an object refers back to itself")
    if names & {"PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning"}:
        return IngestError(path, "PDF 已加密，需要密码 / password-protected PDF")
    return IngestError(path, "PDF 损坏或不完整 / corrupt or truncated PDF")


def _pdf_pages(path: Path, progress: ProgressFn | None) -> tuple[list[list[Line]], list[bool]]:
    """Text lines of every page, and whether each page holds images."""
    import pdfplumber

    _guard_reference_cycles()
    pages, images = [], []
    try:
        with pdfplumber.open(path) as pdf:
            n = len(pdf.pages)
            for i, page in enumerate(pdf.pages):
                lines = [Line(d["text"], d["x0"], d["x1"], d["top"], d["bottom"])
                         for d in page.extract_text_lines(strip=True, return_chars=False) if d["text"].strip()]
                pages.append(lines)
                images.append(bool(page.images))
                page.close()
                if progress:
                    progress("page", i + 1, n)
    except Exception as exc:  # pdfminer raises many types for broken files; all mean the same to a user
        raise _pdf_error(path, exc) from None
    if not pages:
        raise IngestError(path, "PDF 损坏或不完整（没有页面）/ corrupt or truncated PDF (no pages)")
    return pages, images


def _truncated(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 16384))
        return b"%%EOF" not in f.read()


def read_pdf(path: Path, options: ReadOptions) -> RawText:
    """A PDF's text layer page by page; pages that are images are OCR'd when allowed."""
    use_ocr, progress = options.ocr, options.progress
    with path.open("rb") as f:
        if not f.read(1024).lstrip().startswith(b"%PDF"):
            raise IngestError(path, "PDF 损坏：不是 PDF 文件 / corrupt PDF: not a PDF file")
    if _truncated(path):
        raise IngestError(path, "PDF 损坏或不完整（缺少文件结尾 %%EOF）/ corrupt or truncated PDF")
    pages, images = _pdf_pages(path, progress)
    sha = file_sha(path)
    warnings: list[str] = []
    text_len = [sum(len(s) for s in (noise.clean_line(strip_controls(ln.text, " ")) for ln in lines) if s) for lines in pages]
    scanned = [i for i, n in enumerate(text_len) if n < MIN_PAGE_TEXT and (images[i] or n == 0)]
    fmt = "pdf"
    ocr_ran = False
    if scanned and len(scanned) == len(pages) or (scanned and sum(text_len) < MIN_PAGE_TEXT * len(pages)):
        scanned = list(range(len(pages)))
    if scanned:
        whole = len(scanned) == len(pages)
        if not use_ocr or not ocr.available():
            why = "未安装 OCR（" + ocr.INSTALL_HINT + "）" if use_ocr else "OCR 已关闭"
            if whole:
                raise IngestError(path, f"扫描件无文字层，且{why} / scanned PDF with no text layer and OCR "
                                        f"{'unavailable' if use_ocr else 'disabled'}")
            warnings.append(f"第 {', '.join(str(i + 1) for i in scanned)} 页是图像，{why}，未识别 / "
                            f"image-only pages not OCR'd")
        elif len(scanned) > options.max_ocr_pages:
            raise IngestError(path, f"扫描件有 {len(scanned)} 页需要 OCR，超过上限 {options.max_ocr_pages} 页（约 3 秒/页；"
                                    f"可设置 POLICY_MAX_OCR_PAGES）/ too many scanned pages to OCR")
        else:
            try:
                found = ocr.ocr_pdf_pages(path, scanned, progress, digest=sha)
            except Exception as exc:
                raise IngestError(path, f"OCR 失败 / OCR failed: {type(exc).__name__}: {exc}") from None
            for i, lines in found.items():
                pages[i] = lines
            ocr_ran = True
            fmt = "pdf-ocr" if whole else "pdf"
            warnings.append(f"{len(scanned)} 页经 OCR 识别，可能有错字 / {len(scanned)} pages OCR'd, may contain "
                            f"recognition errors")
    text, page_starts, fields = assemble_pages(pages)
    if not text.strip():
        if ocr_ran:
            raise IngestError(path, f"扫描件 {len(scanned)} 页经 OCR 未识别出任何文字（空白图像？）/ OCR found no text "
                                    f"on {len(scanned)} scanned pages: blank images?")
        raise IngestError(path, "PDF 中只有页眉、页码等版面文字，没有正文 / PDF holds only running headers and page "
                                "numbers, no body text")
    return RawText(text=text, format=fmt, page_starts=page_starts, warnings=tuple(warnings),
                   sha256=sha, fields=fields)


def assemble_pages(pages: list[list[Line]]) -> tuple[str, tuple[int, ...], tuple[tuple[str, str], ...]]:
    """Page lines → cleaned text, the offset where each page starts, removed header fields.

    Drops page numbers, running headers/footers and noise lines, then joins lines wrapped mid-sentence into
    one line per paragraph (across pages too); headings keep their own line.
    """
    pages = page_layout.strip_page_furniture(pages)
    doc_margins = page_layout.margins([ln for lines in pages for ln in lines])
    items: list[tuple[int, Line, page_layout.Margins | None]] = []
    for p, lines in enumerate(pages):
        m = page_layout.margins(lines, doc_margins)
        for ln in lines:
            s = noise.clean_line(strip_controls(ln.text, " "))
            if s:
                items.append((p, Line(s, ln.x0, ln.x1, ln.top, ln.bottom), m))
    flags = noise.block_drops([ln.text for _, ln, _ in items])
    fields = tuple(noise.header_fields([ln.text for _, ln, _ in items], flags))
    items = [it for it, d in zip(items, flags, strict=True) if not d]
    out: list[str] = []
    pos = 0
    starts: list[int | None] = [None] * len(pages)
    prev: tuple[int, Line, page_layout.Margins | None] | None = None
    for p, ln, m in items:
        if prev is not None:
            # the layout of the line that may wrap decides (its page's margins)
            sep = page_layout.join_text(prev[1].text, ln.text) if page_layout.continues(prev[1], ln, prev[2]) else "\n"
            out.append(sep)
            pos += len(sep)
        if starts[p] is None:
            starts[p] = pos
        out.append(ln.text)
        pos += len(ln.text)
        prev = (p, ln, m)
    nxt = pos
    for p in range(len(pages) - 1, -1, -1):
        if starts[p] is None:
            starts[p] = nxt
        nxt = starts[p]
    return "".join(out), tuple(s for s in starts if s is not None), fields
