"""Scanned PDF pages → text lines with positions, by rapidocr-onnxruntime (PP-OCR, CPU, no download)."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from indexer.ingest.page_layout import Line
from indexer.models import ProgressFn

OCR_DPI = 150  # 200 dpi was not more accurate on the sample scan, and slower
INSTALL_HINT = "pip install rapidocr-onnxruntime==1.4.4"

_engine = None
# OCR results by (file content hash, page): a document read twice in one process (the app reads an upload to
# show its outline, then indexes it) is recognised once. A few hundred pages of lines is a few MB.
_CACHE: OrderedDict[tuple[str, int], list[Line]] = OrderedDict()
_CACHE_PAGES = 500
_cache_lock = threading.Lock()


def available() -> bool:
    """Whether the OCR engine can be imported."""
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except Exception:  # an import failing inside onnxruntime counts as unavailable too
        return False
    return True


def _get_engine():
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR

        _engine = RapidOCR()
    return _engine


def boxes_to_lines(result) -> list[Line]:
    """rapidocr's [(box, text, score)] → lines in reading order; boxes on one baseline are merged.

    Args:
        result: the engine's first return value (None when nothing was found). A box is four (x, y) points.
    """
    boxes = []
    for box, text, _score in result or []:
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        text = text.strip()
        if text:
            boxes.append(Line(text, min(xs), max(xs), min(ys), max(ys)))
    boxes.sort(key=lambda b: ((b.top + b.bottom) / 2, b.x0))
    lines: list[list[Line]] = []
    for b in boxes:
        if lines:
            cur = lines[-1]
            mid = (b.top + b.bottom) / 2
            ref = cur[0]
            height = ref.bottom - ref.top
            if abs(mid - (ref.top + ref.bottom) / 2) < height / 2:
                cur.append(b)
                continue
        lines.append([b])
    out = []
    for parts in lines:
        parts.sort(key=lambda b: b.x0)
        text = parts[0].text
        for prev, b in zip(parts, parts[1:], strict=False):
            char_w = (prev.x1 - prev.x0) / max(len(prev.text), 1)
            text += (" " if b.x0 - prev.x1 > char_w else "") + b.text
        out.append(Line(text, parts[0].x0, max(p.x1 for p in parts), min(p.top for p in parts),
                        max(p.bottom for p in parts)))
    return out


def ocr_pdf_pages(path: str | Path, pages: list[int], progress: ProgressFn | None = None,
                  digest: str | None = None) -> dict[int, list[Line]]:
    """OCR the given pages (0-based) of a PDF.

    Renders each page with pypdfium2 at OCR_DPI and runs PP-OCR without the angle classifier: with it,
    long lines were flipped and dropped on the sample scan.

    Args:
        digest: the file's sha256 when the caller has it (the cache key).

    Returns:
        Lines per page index, coordinates in pixels.
    """
    import pypdfium2 as pdfium

    digest = digest or hashlib.sha256(Path(path).read_bytes()).hexdigest()  # readers pass the one they have
    out: dict[int, list[Line]] = {}
    with _cache_lock:
        for i in pages:
            if (digest, i) in _CACHE:
                out[i] = _CACHE[(digest, i)]
    todo = [i for i in pages if i not in out]
    if not todo:
        if progress:
            progress("ocr", len(pages), len(pages))
        return out
    engine = _get_engine()
    doc = pdfium.PdfDocument(str(path))
    try:
        for k, i in enumerate(todo):
            if progress:
                progress("ocr", k, len(todo))
            page = doc[i]
            bitmap = page.render(scale=OCR_DPI / 72)
            image = bitmap.to_numpy()
            result, _elapsed = engine(image, use_cls=False)
            out[i] = boxes_to_lines(result)
            bitmap.close()
            page.close()
            with _cache_lock:
                _CACHE[(digest, i)] = out[i]
                while len(_CACHE) > _CACHE_PAGES:
                    _CACHE.popitem(last=False)
        if progress:
            progress("ocr", len(todo), len(todo))
    finally:
        doc.close()
    return out
