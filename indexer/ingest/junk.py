"""Lines that belong to a document's metadata, not to its searchable clauses: salutation, issuer, 文号, dates. Pure."""
from __future__ import annotations

import re

from indexer.ingest.dates import CN_DATE, CN_YEAR_DATE
from indexer.ingest.metadata import DOC_NUMBER, signature_line

_SPACE = " \t\u3000\u2002\u2003\xa0"
# One issuing body as it stands alone: 东莞市人民政府, 海南省农业农村厅, 中共中央. Matched one part at a time (parts are
# split at spaces and 、), so the lazy name never backtracks across parts.
ORG = re.compile(r"[\u4e00-\u9fff（）()]{1,30}?(?:人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|常委会|"
                 r"政府|厅|局|委|署|管委会|领导小组)|中共中央|国务院")
MAX_ORGS = 4  # 联合发文 by more bodies than this is rare; a longer run of names is a list in the body
_DATE = rf"(?:{CN_DATE.pattern}|{CN_YEAR_DATE.pattern})"
# 2016年11月23日, and the 版记 line "南宁市人民政府办公厅      2016年11月29日印发": the date ends the line
DATE_TAIL = re.compile(rf"[（(]?{_DATE}[）)]?[{_SPACE}]*(?:印发|发布|公布|签发)?$")
NUMBER = re.compile(rf"[{_SPACE}]*{DOC_NUMBER.pattern}[{_SPACE}]*")
# Addressees before the body: 各地级以上市人民政府，省政府各部门、各直属机构：. A sentence that introduces a list
# ("市政府各部门要做到：") has a verb; a salutation is names only.
SALUTATION = re.compile(r"[^。；;！？!?]{0,12}各[^。；;！？!?]{1,150}[：:]")
_ADDRESSEE = re.compile(r"政府|部门|单位|机构|委员会|办事处|局|厅|委")
_VERB = re.compile(r"要|应|将|请|须|的|是|为|按|对|把|做")
# 附注 and 版记: （此件公开发布）, （征求意见稿）, 公开方式：主动公开, 抄送：…
NOTE = re.compile(r"[（(]此件[\u4e00-\u9fff]{2,8}[）)]|[（(]征求意见稿[）)]|公开方式[：:].{0,20}|"
                  r"(?:抄送|抄报|主送|分送)[：:].{0,200}")
# Page numbers and other lines of nothing but digits and punctuation: "12", "- 3 -", "|---|---|", "第3页 共10页"
NUMBERS = re.compile(r"[\d\W_]+|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|[Pp]age\s*\d{1,4}")
MAX_JUNK = 200  # longer lines are text, whatever they start with
MAX_SIGNATURE = 80


def is_issuer(line: str) -> bool:
    """A line of nothing but one to four issuing bodies (联合发文 names are separated by spaces)."""
    parts = [p for p in re.split(rf"[{_SPACE}、，,]+", line) if p]
    return 0 < len(parts) <= MAX_ORGS and all(len(p) <= 32 and ORG.fullmatch(p) for p in parts)


def is_date_line(line: str) -> bool:
    """A bare date, or a signature or 版记 line: issuers, then the date (2016年11月29日印发)."""
    m = DATE_TAIL.search(line) if len(line) <= MAX_SIGNATURE else None
    if not m:
        return False
    head = line[: m.start()].strip(_SPACE)
    return not head or is_issuer(head)


def _masthead(line: str) -> bool:
    """发文机关标志: 南宁市人民政府办公厅文件, or its second line 办 公 厅 文 件."""
    s = re.sub(rf"[{_SPACE}]", "", line)
    if not s.endswith("文件") or len(s) > 34:
        return False
    head = s[:-2]
    return head in ("", "办公厅", "办公室") or bool(ORG.fullmatch(head))


def _names(line: str) -> bool:
    """A list of bodies, as a 抄送 line wraps onto the next: 市人大常委会办公厅，市政协办公厅，市中级法院。"""
    parts = [p for p in re.split(r"[，,、。；;\s]+", line) if p]
    return bool(parts) and all(len(p) <= 20 for p in parts) and not _VERB.search(line)


def junk_kind(line: str, *, opening: bool, before: str = "", after: str = "", in_note: bool = False) -> str | None:
    """The kind of metadata a stripped line holds, or None for searchable text.

    Args:
        line: one stripped line.
        opening: no numbered heading has opened yet (the cover note and title area).
        before, after: the neighbouring non-blank lines; a bare issuer in the body counts as a signature only
            next to a date line.
        in_note: the line before was a 抄送 note, which this line may continue.
    """
    if len(line) > MAX_JUNK:
        return None
    if NUMBERS.fullmatch(line):
        return "number"
    if NUMBER.fullmatch(line):
        return "doc_number"
    if is_date_line(line) or opening and signature_line(line)[1]:  # 二〇一一年十二月 under a plan's title
        return "date"
    if NOTE.fullmatch(line) or in_note and _names(line):
        return "note"
    if (SALUTATION.fullmatch(line) and _ADDRESSEE.search(line) and not _VERB.search(line)
            and "关于" not in line):
        return "salutation"
    if len(line) <= MAX_SIGNATURE and "关于" not in line:
        if opening and _masthead(line):
            return "issuer"
        if is_issuer(line) and (opening or is_date_line(after) or is_date_line(before)):
            return "issuer"
    return None
