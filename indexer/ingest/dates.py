"""Dates in a document's text: one date in a line (2021年3月5日, 2021-03-05, 二〇二一年三月五日, OCR's 曰 for 日),
a year and month (plans print 二〇一一年十二月), labelled dates (成文日期：…) and the 版记's 印发 date. Pure functions."""
from __future__ import annotations

import re

HEAD_LINES = 40  # title, 文号 and portal headers live in the first lines
TAIL_LINES = 12  # signature and 成文日期 live in the last lines

# OCR reads 日 as 曰, and the 〇 of a Chinese year as the letter O or the digit 0
CN_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日曰]")
ISO_DATE = re.compile(r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})")
CN_YEAR_DATE = re.compile(r"([二〇一二三四五六七八九零○OoＯ0]{4})\s*年\s*([一二三四五六七八九十]{1,2})\s*月\s*"
                          r"([一二三四五六七八九十]{1,3})\s*[日曰]")
PUBLISHED_HINT = re.compile(r"(发布时间|发布日期|发文日期|来源)")
CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "Ｏ": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
            "九": 9}


def iso_date(y: str | int, m: str | int, d: str | int) -> str:
    y, m, d = int(y), int(m), int(d)
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return ""
    return f"{y:04d}-{m:02d}-{d:02d}"


def _cn_small(s: str) -> int:
    if s.startswith("十"):
        return 10 + (CN_DIGIT.get(s[1:], 0) if len(s) > 1 else 0)
    if "十" in s:
        a, _, b = s.partition("十")
        return CN_DIGIT[a] * 10 + (CN_DIGIT[b] if b else 0)
    return CN_DIGIT.get(s, 0)


def find_date(line: str) -> str:
    """The first date in a line as YYYY-MM-DD ("" if none)."""
    m = CN_DATE.search(line) or ISO_DATE.search(line)
    if m:
        return iso_date(*m.groups())
    m = CN_YEAR_DATE.search(line)
    if m:
        year = "".join(str(CN_DIGIT[c]) for c in m.group(1))
        return iso_date(year, _cn_small(m.group(2)), _cn_small(m.group(3)))
    return ""


def is_standalone_date(line: str) -> bool:
    d = find_date(line)
    if not d:
        return False
    rest = CN_DATE.sub("", ISO_DATE.sub("", CN_YEAR_DATE.sub("", line)))
    return len(re.sub(r"[\s（）()印发成文日期:：]", "", rest)) == 0


# A date of year and month only, as plans print it under the title (二〇一一年十二月, 2011年12月): "YYYY-MM",
# an ISO date of month precision, which date filters (ISO prefixes) and year charts read as they are.
MONTH_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月(?!\s*\d)")
CN_MONTH_DATE = re.compile(r"([二〇一二三四五六七八九零○OoＯ0]{4})\s*年\s*([一二三四五六七八九十]{1,2})\s*月(?!\s*[一二三四五六七八九十])")
def find_month(line: str) -> str:
    """The first year and month of a line as YYYY-MM ("" if none)."""
    m = MONTH_DATE.search(line)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    m = CN_MONTH_DATE.search(line)
    if m:
        month = _cn_small(m.group(2))
        return f"{''.join(str(CN_DIGIT[c]) for c in m.group(1))}-{month:02d}" if 1 <= month <= 12 else ""
    return ""


_LABELLED = re.compile(r"(成\s*文\s*日\s*期|印\s*发\s*日\s*期|发\s*布\s*日\s*期|发\s*文\s*日\s*期|发\s*布\s*时\s*间)"
                       r"\s*[:：]?\s*")
# a 版记 line: at most an office's name, then the date, then 印发
_PRINTED = tuple(re.compile(rf"^([^，。；,;：:]{{0,40}}?)\s*(?:{p.pattern})\s*印\s*发$")
                 for p in (CN_DATE, ISO_DATE, CN_YEAR_DATE))


def labelled_dates(line: str) -> dict[str, str]:
    """{label: date} for each "成文日期：…" / "发布日期：…" in a line (several may share one line)."""
    out: dict[str, str] = {}
    for m in _LABELLED.finditer(line):
        d = find_date(line[m.end():m.end() + 24])
        if d:
            out.setdefault(re.sub(r"\s", "", m.group(1)), d)
    return out


def printed_date(lines: list[str]) -> str:
    """The date of the 版记 at the very end, "农业农村部办公厅 2025年1月24日印发" (the print office and date)."""
    for ln in reversed(lines[-TAIL_LINES:]):
        for pattern in _PRINTED:
            m = pattern.search(ln)
            if m:
                return find_date(ln[len(m.group(1)):])
    return ""


def find_dates(lines: list[str]) -> tuple[str, str]:
    """(成文日期, 发布日期): a labelled 成文日期, else the date standing alone under the signature, else the
    印发 date of the 版记 at the end; the 发布日期 from a labelled or banner line."""
    labels: dict[str, str] = {}
    for ln in lines[:HEAD_LINES] + lines[-TAIL_LINES:]:
        if "今天" not in ln:
            for k, v in labelled_dates(ln).items():
                labels.setdefault(k, v)
    written = labels.get("成文日期", "")
    for ln in ([] if written else lines[-TAIL_LINES:] + lines[:HEAD_LINES]):
        if is_standalone_date(ln) and "今天" not in ln:
            written = find_date(ln)
            break
    written = written or labels.get("印发日期", "") or printed_date(lines)
    published = labels.get("发布日期") or labels.get("发布时间") or labels.get("发文日期") or ""
    for ln in ([] if published else lines[:HEAD_LINES] + lines[-TAIL_LINES:]):
        if PUBLISHED_HINT.search(ln) and "今天" not in ln:
            published = find_date(ln)
            if published:
                break
    return written, published
