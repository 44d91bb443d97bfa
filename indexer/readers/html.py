"""HTML pages: the article's main text without portal menus, banners and footers."""
from __future__ import annotations

import hashlib
from pathlib import Path

from indexer import noise
from indexer.errors import IngestError
from indexer.readers.raw import RawText, ReadOptions


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
