"""Markdown files: markup removed so headings, articles and lists read as the plain lines the outline knows.

Collections of regulations are often Markdown (`# 标题`, `## 第一章　总则`, `### 第一节 …`, then `第一条 …`).
The conversion is line by line and keeps every line where it stands (a dropped line becomes blank), so a
paragraph never merges with its neighbour: soft-wrapped paragraphs stay on their lines, as in plain text.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from pathlib import Path

from indexer.errors import IngestError
from indexer.ingest.readers.raw import RawText, ReadOptions, file_sha, finish
from indexer.ingest.readers.text import check_text, decode_text_file

# YAML (---) or TOML (+++) front matter: only as the very first line, and only when it is closed.
_FRONT_OPEN = re.compile(r"(---|\+\+\+)[ \t]*")
_FRONT_TITLE = re.compile(r"title[ \t]*[:=][ \t]*(.+?)[ \t]*")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_RULE = re.compile(r" {0,3}(?:=+|-+|([-*_])(?:[ \t]*\1){2,})[ \t]*")  # setext underline or thematic break
_REF_DEF = re.compile(r" {0,3}\[[^\]\n]+\]:[ \t]*\S+.*")
_TABLE_SEP = re.compile(r"[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*(?::?-+:?)?[ \t]*")
_TABLE_ROW = re.compile(r"[ \t]*\|(.*)\|[ \t]*")
_QUOTE = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")
# "#标题" without the space is common in hand-written Chinese Markdown; "#1" or "#tag" stays text
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}(?=[ \t]|[^\x00-\x7f]|$)[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*")
_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+(?:\[[ xX]\][ \t]+)?")
_HARD_BREAK = re.compile(r"\\$")

# Backslash escapes are set aside first (as private-use characters) so an escaped * never opens emphasis.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_PRIVATE = 0xF0000
_RESTORE = re.compile("[\U000f0021-\U000f007e]")
_INLINE = (
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
    (re.compile(r"<(https?://[^<>\s]+|[\w.+-]+@[\w-]+\.[\w.-]+)>"), r"\1"),  # autolink
    (re.compile(r"<br[ \t]*/?>", re.I), " "),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:[ \t][^<>\n]*)?/?>"), ""),  # inline HTML tags
    (re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)|!\[[^\]\n]*\]\[[^\]\n]*\]"), ""),  # images: not text
    (re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)"), r"\1"),  # [text](url "title")
    (re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"\*\*(?=[^\s*])(.+?)(?<=[^\s*])\*\*"), r"\1"),
    (re.compile(r"(?<![A-Za-z0-9_])__(?=[^\s_])(.+?)(?<=[^\s_])__(?![A-Za-z0-9_])"), r"\1"),
    (re.compile(r"\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*"), r"\1"),
    # form blanks (姓名：______) and snake_case names are no emphasis
    (re.compile(r"(?<![A-Za-z0-9_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![A-Za-z0-9_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
)


@dataclass(frozen=True)
class Plain:
    text: str
    fields: tuple[tuple[str, str], ...] = ()  # ("标题", …) from the front matter


def to_plain(text: str) -> Plain:
    """Markdown → plain lines: headings lose their #, lists their bullets, links and emphasis their markup;
    front matter, HTML comments, rules, fences and reference definitions are dropped. Pure."""
    lines = text.split("\n")
    fields: list[tuple[str, str]] = []
    start = _front_matter_end(lines)
    if start:
        for ln in lines[1:start - 1]:
            m = _FRONT_TITLE.fullmatch(ln)
            if m and m.group(1).strip("\"'"):
                fields.append(("标题", m.group(1).strip("\"'")))
                break
    body = "\n".join(lines[start:])
    if "<!--" in body:
        body = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), body)  # lines stay where they stand
    out: list[str] = [""] * start
    fence = ""
    for ln in body.split("\n"):
        if fence:
            if ln.strip().startswith(fence) and not ln.strip().strip(fence[0]):
                fence, ln = "", ""
            out.append(ln)
            continue
        m = _FENCE.match(ln)
        if m:
            fence = m.group(1)
            out.append("")
        elif _RULE.fullmatch(ln) or _REF_DEF.fullmatch(ln) or ("-" in ln and "|" in ln and _TABLE_SEP.fullmatch(ln)):
            out.append("")
        else:
            out.append(_line(ln))
    return Plain("\n".join(out), tuple(fields))


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first line after a closed front matter block at the top, else 0."""
    m = _FRONT_OPEN.fullmatch(lines[0]) if lines else None
    if not m:
        return 0
    closers = ("---", "...") if m.group(1) == "---" else ("+++",)
    for i in range(1, len(lines)):
        if lines[i].rstrip() in closers:
            return i + 1
    return 0


def _line(ln: str) -> str:
    if ">" in ln:
        ln = _QUOTE.sub("", ln)
    m = _HEADING.fullmatch(ln)
    if m:
        ln = m.group(1)
    ln = _BULLET.sub("", ln)
    m = _TABLE_ROW.fullmatch(ln)
    if m:
        ln = " | ".join(c.strip() for c in re.split(r"(?<!\\)\|", m.group(1)))
    ln = _HARD_BREAK.sub("", ln)
    escaped = "\\" in ln
    if escaped:
        ln = _ESCAPE.sub(lambda e: chr(_PRIVATE + ord(e.group(1))), ln)
    for pattern, repl in _INLINE:
        ln = pattern.sub(repl, ln)
    if "&" in ln:
        ln = html.unescape(ln).replace("\r", " ").replace("\n", " ")  # &#10; must not split the line
    if escaped:
        ln = _RESTORE.sub(lambda e: chr(ord(e.group(0)) - _PRIVATE), ln)
    return ln


def read_markdown(path: Path, options: ReadOptions | None = None) -> RawText:
    """A Markdown file (any encoding the text reader knows) as plain text, format "md"."""
    text, _enc, warnings = decode_text_file(path)
    check_text(path, text)
    plain = to_plain(text)
    raw = finish(plain.text, "md", file_sha(path), warnings)
    if not raw.text.strip():
        raise IngestError(path, "Markdown 中没有正文（只有元数据或注释）/ no text in Markdown (only front matter or comments)")
    return replace(raw, fields=tuple(dict.fromkeys(plain.fields + raw.fields)))
