"""Noise removal on document text: portal banners, metadata headers, menus, tables of contents, artefacts. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.ingest.outline import match_marker

# Whitespace as it appears in these files: full-width, no-break, en/em spaces, zero-width, BOM.
# (one character class, explicit, so the regex engine can scan for it quickly in large texts)
_SP = r"[\t\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]"
_EDGE_SPACE = re.compile(rf"^{_SP}+|{_SP}+$", re.M)
_BLANK_RUN = re.compile(r"\n{3,}")

# Artefacts removed wherever they occur, leaving the rest of the line.
_ARTEFACT = r"\[bookmark:[^\]\n]*\]|\[pic\]|扫描全能王[^\S\n]*(?:扫描)?创建"
_INLINE = re.compile(_ARTEFACT + r"|(?<=条)\?(?=[ \u3000])")  # "第一条? 为" from a lossy conversion
_ARTEFACT_LINE = re.compile(rf"^(?:{_SP})*(?:(?:{_ARTEFACT})(?:{_SP})*)+$\n?", re.M)

# Patterns match within one line: `[^\S\n]` is white space other than a line break, so that two lines which
# are each kept do not together form a "line" of noise (cleaning must be idempotent).
_NAV_TOKEN = (r"(?:官方微信|官方微博|微信公众号|微信|微博|分享到|分享|登录|注册|网站首页|首页|打印本页|打印|"
              r"关闭窗口|关闭|加入收藏|收藏|设为首页|网站地图|联系我们|无障碍|长者模式|English|繁體|繁体|简体|"
              r"手机版|移动版|智能问答|搜索|RSS|字号[:：]?(?:[^\S\n]*[大中小])+|[大中小](?=[^\S\n]*[】\]]))")
_NAV_SEP = r"(?:[^\S\n]|[|｜丨/·•【】\[\]:：])"
_DATE = r"\d{4}[^\S\n]*[-年/.][^\S\n]*\d{1,2}[^\S\n]*[-月/.][^\S\n]*\d{1,2}[^\S\n]*日?"
_NOPUNCT = r"[^。，；！？\n]"

# Whole lines that are never document content (the line is already stripped when these are tried).
DROP_PATTERNS = (
    rf"今天是[:：]?[^\S\n]*{_DATE}{_NOPUNCT}{{0,30}}",  # date banner
    rf"(?:{_NAV_SEP}*{_NAV_TOKEN}){{2,}}{_NAV_SEP}*",  # share / login / print bars
    rf"(?:您的位置|您现在的位置|你的位置|当前位置|您当前的位置|所在位置)[^\S\n]*[:：]{_NOPUNCT}{{0,80}}",  # breadcrumb
    r"[^。，；>＞»›\n]{1,15}(?:[^\S\n]*[>＞»›][^\S\n]*[^。，；>＞»›\n]{1,15}){2,}",  # 首页 > 政策 > 文件
    rf"{_NOPUNCT}{{0,40}}来源[:：]{_NOPUNCT}{{0,40}}(?:点击|浏览|阅读|访问)(?:量|次数|数)?[:：]?[^\S\n]*\d+[^\S\n]*次?"
    rf"{_NOPUNCT}{{0,20}}",  # 2024-08-26 22:07:56来源:…点击:1215 次
    rf"(?:发布时间|发布日期)[:：][^\S\n]*{_DATE}(?:[^\S\n]*\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?"
    rf"(?:[^\S\n]*(?:来源|作者|编辑|责任编辑|浏览次数|点击数?)[:：]{_NOPUNCT}{{0,30}}?)*",  # 发布时间:…来源:
    rf"(?:信息)?来源[:：]{_NOPUNCT}{{0,40}}(?:网站?|报|新闻|日报|{_DATE}){_NOPUNCT}{{0,20}}",  # source banner
    r"扫一扫在手机(?:上)?打开当前页|扫一扫在手机上查看当前页面|分享到[:：]?",
    r"[—－\-–―]{1,2}[^\S\n]*\d{1,4}[^\S\n]*[—－\-–―]{1,2}",  # — 3 —
    r"(?:第[^\S\n]*\d{1,4}[^\S\n]*页[^\S\n]*[,，/]?[^\S\n]*(?:共[^\S\n]*\d{1,4}[^\S\n]*页)?"
    r"|共[^\S\n]*\d{1,4}[^\S\n]*页[^\S\n]*[,，]?[^\S\n]*第[^\S\n]*\d{1,4}[^\S\n]*页)",
)
_DROP_ONE = re.compile("(?:" + "|".join(DROP_PATTERNS) + ")")
_DROP_LINES = re.compile(r"^(?:" + "|".join(DROP_PATTERNS) + r")$\n?", re.M)

# Portal metadata header at the very top: 索引号：…, 文　　号：…, 发布日期：…, 链接：…, then 正文.
HEADER_LABELS = ("索引号", "分类", "主题分类", "体裁分类", "组配分类", "发布机构", "发文机关", "发文机构", "发布机关",
                 "发文单位", "成文日期", "发文日期", "标题", "名称", "文号", "发文字号", "政策文号", "发布日期",
                 "公布日期", "实施日期", "生效日期", "失效日期", "废止日期", "统一编号", "文件状态", "有效性",
                 "时效性", "牵头单位", "主题词", "关键词", "链接", "网址", "原文链接", "来源", "信息来源")
_HEADER_LINE = re.compile(
    r"(" + "|".join("[\\s\u3000]*".join(label) for label in HEADER_LABELS) + r")\s*[:：]\s*(.{0,200})")
_BODY_LABEL = re.compile(r"正\s*文[:：]?")

# Portal blocks at the end: 关联细则 / 关联指南 / 相关链接 … followed by nothing but short lines.
_TAIL_LABEL = re.compile(r"(?:关联细则|关联指南|关联解读|相关链接|相关文件|相关阅读|相关新闻|相关稿件|相关附件|"
                         r"相关政策|相关解读|附件下载)[:：]?")
TAIL_SHORT_CHARS = 40  # lines after such a label are at most this long, with no 。；
# A trailing site menu: many very short lines without punctuation or digits, some of them menu words.
MENU_MIN_LINES = 8
MENU_MAX_CHARS = 10
_MENU_LINE = re.compile(rf"[^\d\s。，、；：:;,.！？!?（）()“”\"'《》〔〕\[\]【】%％]{{1,{MENU_MAX_CHARS}}}")
_MENU_WORD = re.compile(r"关于我们|联系我们|联系信息|联系方式|加入我们|招贤纳士|人才招聘|微信公众号|新闻中心|网站地图|"
                        r"首页|版权所有|版权声明|免责声明|隐私政策|集团简介|公司简介|领导致辞|组织架构|企业文化|"
                        r"合作伙伴|友情链接|网站声明|帮助中心|意见反馈|官方微博|官方微信")

# Table of contents: 目录, then entries "title<tab, dot leaders or spaces>page", e.g. "第一章  发展基础\t2".
_TOC_TITLE = re.compile(r"目\s*录")
_TOC_ENTRY = re.compile(r"(?P<title>[^\t]{1,80}?)(?:\t+|[ \u3000]{2,}|[.·…．—\-]{3,}|[ \u3000])"
                        r"[（(]?\d{1,4}[）)]?.{0,2}")
BIG_TEXT = 5_000_000  # above this many characters only the first and last WINDOW_LINES lines are searched
WINDOW_LINES = 3000


_BANNER_DATE = re.compile(_DATE)
_BANNER_SOURCE = re.compile(r"来源[:：]\s*(.+?)\s*(?:(?:点击|浏览|阅读|访问|作者|编辑)|$)")


@dataclass(frozen=True)
class Cleaned:
    text: str
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) from removed portal headers and banners


def is_noise_line(line: str) -> bool:
    """Whether one stripped line is portal or page noise wherever it occurs."""
    return bool(_DROP_ONE.fullmatch(line))


def remove_artefacts(text: str) -> str:
    """Word bookmarks and scanner watermarks, removed where they stand (repeatedly: they may nest)."""
    text = _ARTEFACT_LINE.sub("", text)
    while _INLINE.search(text):
        text = _INLINE.sub("", text)
    return text


def clean_line(line: str) -> str | None:
    """One line with artefacts removed and edges stripped; None when the whole line is noise."""
    s = _EDGE_SPACE.sub("", remove_artefacts(line))
    if not s and line.strip() or s and is_noise_line(s):
        return None
    return s


def tidy(text: str) -> str:
    """Strip line edges, keep at most one blank line in a row, no blank lines at either end."""
    text = _EDGE_SPACE.sub("", text)
    return _BLANK_RUN.sub("\n\n", text).strip("\n")


def clean_local(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The line-by-line part of cleaning: safe on any run of whole lines, so a reader can apply it block by block.

    Returns:
        The text with line ends normalised, artefacts and noise lines removed, edges stripped and blank runs
        collapsed; and the fields (发布日期, 来源) of the removed banners.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _EDGE_SPACE.sub("", remove_artefacts(text))
    fields: list[tuple[str, str]] = []

    def drop(m: re.Match) -> str:
        if len(fields) < 20:
            fields.extend(banner_fields(m.group(0)))
        return ""

    return _BLANK_RUN.sub("\n\n", _DROP_LINES.sub(drop, text)), fields


def clean_text(text: str) -> Cleaned:
    """Remove noise from a whole document. Large texts are not copied more than once.

    Returns:
        The cleaned text (\\n line ends, no edge spaces, at most one blank line in a row) and the fields
        (发布日期, 来源, 文号 …) of the portal headers and banners removed from it.
    """
    text, fields = clean_local(text)
    text = text.strip("\n")
    a, b = _ends(text, WINDOW_LINES) if len(text) > BIG_TEXT else (len(text), len(text))
    if a == len(text):
        lines = text.split("\n")
        flags = block_drops(lines)
        fields[:0] = header_fields(lines, flags)
        if any(flags):
            text = "\n".join(s for s, d in zip(lines, flags, strict=True) if not d)
        return Cleaned(tidy(text), tuple(fields))
    head_lines, tail_lines = text[:a].split("\n"), text[b:].split("\n")
    hflags = block_drops(head_lines, tail=False)
    tflags = block_drops(tail_lines, head=False)
    fields[:0] = header_fields(head_lines, hflags)
    if any(hflags) or any(tflags):
        head = "\n".join(s for s, d in zip(head_lines, hflags, strict=True) if not d)
        tail = "\n".join(s for s, d in zip(tail_lines, tflags, strict=True) if not d)
        text = "".join((head, text[a:b], tail))
    return Cleaned(tidy(text), tuple(fields))


def clean(text: str) -> str:
    """Cleaned text only (see clean_text)."""
    return clean_text(text).text


def banner_fields(line: str) -> list[tuple[str, str]]:
    """发布日期 and 来源 from a removed banner line such as "2024-08-26 22:07:56来源:安徽省人民政府网点击:1215 次"."""
    out = []
    m = _BANNER_SOURCE.search(line)
    if m and m.group(1):
        out.append(("来源", m.group(1)))
    d = _BANNER_DATE.search(line)
    if d and not line.startswith("今天是"):
        y, mo, day = re.findall(r"\d+", d.group(0))[:3]
        out.append(("发布日期", f"{int(y):04d}-{int(mo):02d}-{int(day):02d}"))
    return out


def _ends(text: str, n_lines: int) -> tuple[int, int]:
    """Offsets a <= b: text[:a] holds the first n_lines lines, text[b:] the last ones (each without the "\\n"
    that separates it from the middle, which text[a:b] keeps at both ends)."""
    a = -1
    for _ in range(n_lines):
        a = text.find("\n", a + 1)
    b = len(text)
    for _ in range(n_lines):
        b = text.rfind("\n", 0, b)
    if a < 0 or b < 0 or b <= a:
        return len(text), len(text)
    return a, b + 1


def block_drops(lines: list[str], *, head: bool = True, tail: bool = True) -> list[bool]:
    """Which of these stripped lines form a portal header, a table of contents or a trailing portal block.

    Args:
        lines: stripped lines, blank ones allowed: a whole document, or its first or last lines.
        head: look for a metadata header at the start and tables of contents.
        tail: look for related-link blocks and site menus at the end.
    """
    flags = [False] * len(lines)
    nonblank = [i for i, s in enumerate(lines) if s]
    if head:
        for i in _header_block(lines, nonblank) + _toc_blocks(lines, nonblank):
            flags[i] = True
    if tail:
        for i in _tail_block(lines, [i for i in nonblank if not flags[i]]):
            flags[i] = True
    return flags


def header_fields(lines: list[str], flags: list[bool]) -> list[tuple[str, str]]:
    """(label, value) of the flagged metadata-header lines, spaces removed from the label."""
    out = []
    for s, d in zip(lines, flags, strict=True):
        m = _HEADER_LINE.fullmatch(s) if d else None
        if m and m.group(2).strip():
            out.append((re.sub(r"\s", "", m.group(1)), m.group(2).strip()))
    return out


def _header_block(lines: list[str], nonblank: list[int]) -> list[int]:
    run: list[int] = []
    labels = 0
    for i in nonblank:
        if _HEADER_LINE.fullmatch(lines[i]):
            run.append(i)
            labels += 1
        elif labels and _BODY_LABEL.fullmatch(lines[i]):
            run.append(i)
        else:
            break
    return run if labels >= 2 else []


def _toc_entry(s: str) -> bool:
    m = _TOC_ENTRY.fullmatch(s)
    if not m:
        return False
    title = m.group("title").rstrip(" \u3000.·…．—-")
    # a title, not a table row of figures
    return bool(title) and not title[-1].isdigit() and sum(c.isdigit() for c in title) <= 6


def _toc_blocks(lines: list[str], nonblank: list[int]) -> list[int]:
    out: list[int] = []
    for k, i in enumerate(nonblank):
        if not _TOC_TITLE.fullmatch(lines[i]):
            continue
        entries: list[int] = []
        gap: list[int] = []
        n = 0
        for j in nonblank[k + 1:]:
            if _toc_entry(lines[j]):
                entries += gap + [j]
                gap = []
                n += 1
            elif not gap and len(lines[j]) <= 40 and not _TOC_TITLE.fullmatch(lines[j]):
                gap.append(j)  # an entry wrapped onto two lines
            else:
                break
        if n >= 3:
            out += [i] + entries
    return out


def _tail_block(lines: list[str], nonblank: list[int]) -> list[int]:
    end = len(nonblank)
    while end:
        new_end = end
        k = end
        while k > 1 and _is_menu_line(lines[nonblank[k - 1]]):
            k -= 1
        menu = [lines[nonblank[j]] for j in range(k, end)]
        if len(menu) >= MENU_MIN_LINES and sum(1 for s in menu if _MENU_WORD.search(s)) >= 2:
            new_end = k
        r = new_end
        while r > 1 and len(lines[nonblank[r - 1]]) <= TAIL_SHORT_CHARS and not re.search(
                r"[。；]", lines[nonblank[r - 1]]):
            r -= 1
        labels = [j for j in range(r, new_end) if _TAIL_LABEL.fullmatch(lines[nonblank[j]])]
        if labels:
            new_end = labels[0]
        if new_end == end:
            break
        end = new_end
    return nonblank[end:]


def _is_menu_line(s: str) -> bool:
    return bool(_MENU_LINE.fullmatch(s)) and match_marker(s) is None
