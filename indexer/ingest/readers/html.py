"""HTML pages: the article's main text without portal menus, banners and footers."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from indexer.errors import IngestError
from indexer.ingest import noise
from indexer.ingest.readers.raw import RawText, ReadOptions, strip_controls

BLOCK_CHARS = 100_000  # a "paragraph" longer than this is a page without paragraphs: it is split at sentence ends
_ESCAPE_BYTES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_SENTENCE_END = re.compile(r"([。！？!?])(?=[^\n])")


def read_html(path: Path, options: ReadOptions | None = None) -> RawText:
    """The main text of a web page (trafilatura), headings kept on their own lines, tables as rows."""
    try:
        import trafilatura
    except ImportError:
        raise IngestError(path, "读取 HTML 需要 trafilatura：pip install trafilatura lxml_html_clean / "
                                "trafilatura missing") from None
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(path, "文件为空（只有空白）/ empty file (whitespace only)")
    sha = hashlib.sha256(data).hexdigest()
    # the parser drops the ESC of a terminal escape sequence and keeps the rest ("[31m"): remove them whole
    data = _ESCAPE_BYTES.sub(b"", data) if b"\x1b" in data else data
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
    warnings: list[str] = []
    if not _has_text(text):
        whole = _whole_text(data)  # libxml2 drops a text node over 10 MB unless told to keep huge trees
        if len(whole) > 10 * max(len(tree.text_content()), 1) and _has_text(whole):
            text = whole
    if text and max(map(len, text.split("\n"))) > BLOCK_CHARS:
        n = max(map(len, text.split("\n")))
        warnings.append(f"网页正文是一整段约 {n / 10000:.0f} 万字的文字，没有分段，已按句分行 / the page's text is "
                        f"one block of {n / 1e6:.1f} M characters without paragraphs: split into sentences")
        text = _SENTENCE_END.sub("\\1\n", text)
    lines = []
    for line in (text or "").split("\n"):
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            s = " | ".join(c.strip() for c in s.strip("|").split("|"))  # table row
        lines.append(s)
    cleaned = noise.clean_text(strip_controls("\n".join(lines)))
    if not _has_text(cleaned.text):
        if len(tree.xpath("//a")) >= 2:
            raise IngestError(path, "未找到正文（页面只有导航或链接）/ no main text found")
        raise IngestError(path, "网页中没有正文文字 / no text in the page")
    return RawText(text=cleaned.text, format="html", sha256=sha,
                   warnings=tuple(warnings), fields=cleaned.fields)


def _has_text(text: str | None) -> bool:
    return bool(text) and len(text.replace("\n", "")) >= 20 and any(len(s) >= 20 for s in text.split("\n"))


def _whole_text(data: bytes) -> str:
    """All text of the page's body, parsed without libxml2's size limits; scripts and styles left out."""
    import lxml.html
    from trafilatura.utils import decode_file

    parser = lxml.html.HTMLParser(huge_tree=True)
    try:
        try:
            root = lxml.html.document_fromstring(decode_file(data), parser=parser)  # the page's own charset
        except ValueError:  # a str that declares its encoding
            root = lxml.html.document_fromstring(data, parser=parser)
    except Exception:  # lxml raises several types for junk; the page then simply has no text
        return ""
    for el in root.xpath("//script|//style|//noscript"):
        el.drop_tree()
    return "\n".join(s.strip() for s in root.text_content().split("\n") if s.strip())
