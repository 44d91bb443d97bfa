"""Text → document metadata (title, issuer, 文号, dates, region, level, status). Pure functions.

Wrong metadata is worse than none: every field stays empty unless the text supports it.
"""
from __future__ import annotations

import re
from dataclasses import replace

from indexer.ingest import legislation
from indexer.ingest.dates import (
    CN_DATE,
    CN_MONTH_DATE,
    CN_YEAR_DATE,
    HEAD_LINES,
    ISO_DATE,
    MONTH_DATE,
    TAIL_LINES,
    find_date,
    find_dates,
    find_month,
    is_standalone_date,
    iso_date,
)
from indexer.ingest.places import NATIONAL_TITLE, place, resolve_region, title_place, zone_level, zone_place
from indexer.models import DocMeta

DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,10}[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*(?:第\s*)?\d{1,5}\s*号")
DOC_TYPES = ("实施意见", "指导意见", "意见", "通知", "办法", "方案", "规划", "措施", "决定", "细则", "规定",
             "条例", "计划", "纲要", "通告", "公告", "批复", "函", "决议", "若干政策", "行动计划", "政策")
ORG_SUFFIX = re.compile(r"(人民政府|人民政府办公厅|人民政府办公室|办公厅|办公室|委员会|政府|厅|局|委|部|院|署|"
                        r"中心|管委会|工作领导小组|领导小组|中共中央|党中央)$")
def normalise_number(s: str) -> str:
    """Unify brackets and spacing of a 文号: 粤府函[2020] 82号 → 粤府函〔2020〕82号 (the one rule, in keywords)."""
    from indexer.keywords import normalise_doc_number

    return normalise_doc_number(s)


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


HEADER_FIELD = re.compile(r"^(标\s*题|文\s*号|政策文号|发文字号|发布机关|发布机构|发文机关|成文日期|发布日期|"
                          r"实施日期|失效日期|文件状态|索引号|分\s*类|主题分类|统一编号|牵头单位)\s*[:：]\s*(.*)$")


def header_fields(lines: list[str]) -> dict[str, str]:
    """Portal metadata headers ("文　　号：穗市监规字〔2025〕1号") as {field: value}, spaces removed from names."""
    out: dict[str, str] = {}
    for ln in lines[:HEAD_LINES]:
        m = HEADER_FIELD.match(ln)
        if m and m.group(2).strip():
            out.setdefault(re.sub(r"\s", "", m.group(1)), m.group(2).strip())
    return out


def _titleish(ln: str) -> bool:
    return (6 <= len(ln) <= 80 and not re.search(r"[。；;：:，,]$", ln) and not HEADER_FIELD.match(ln)
            and not DOC_NUMBER.fullmatch(ln.strip()) and "。" not in ln)


# A law's title names no document type: 中华人民共和国大气污染防治法 (its chapters were taken for the title).
_LAW_TITLE = re.compile(r"(?:中华人民共和国)?[\u4e00-\u9fff、]{1,30}法|[\u4e00-\u9fff]{2,8}编")


def _ends_with_type(ln: str) -> bool:
    core = re.sub(r"[（(](征求意见稿|试行|暂行|草案|送审稿|修正|修订)[^）)]{0,12}[）)]$", "", ln)
    return any(core.endswith(t) for t in DOC_TYPES) or bool(_LAW_TITLE.fullmatch(core))


def is_organ_line(ln: str) -> bool:
    """A line of nothing but issuing bodies (海南省农业农村厅  海南省财政厅): a signature or masthead, no title."""
    parts = [p for p in re.split(r"[\s\u3000、，,]+", ln) if p]
    return bool(parts) and len(parts) <= 4 and all(len(p) <= 32 and (ORG_SUFFIX.search(p) or p in NATIONAL_ORGANS)
                                                   for p in parts)


NATIONAL_ORGANS = ("中共中央", "国务院", "党中央", "全国人大常委会", "全国人民代表大会常务委员会")
MAX_TITLE_LINES = 3  # a long title wraps onto two lines, rarely three


def title_lines(lines: list[str], i: int) -> int:
    """How many lines from lines[i] make one title (1 for a title on one line, 2 or 3 for one wrapped, ending in
    a document type: 关于印发2024-2026年海南省农机 / 购置与应用补贴实施方案的通知); 0 when lines[i] opens none."""
    ln = lines[i].strip() if i < len(lines) else ""
    if not _titleish(ln):
        return 0
    if _ends_with_type(ln):
        return 1
    if len(ln) < 8 or find_date(ln) or re.search("[:：]", ln) or is_organ_line(ln):
        return 0
    joined = ln
    for k in range(i + 1, min(i + MAX_TITLE_LINES, len(lines))):
        nxt = lines[k].strip()
        if not nxt or len(nxt) > 40 or not _titleish(joined + nxt):
            return 0
        joined += nxt
        if _ends_with_type(nxt):
            return k - i + 1
        if find_date(nxt) or re.search("[:：]", nxt):
            return 0
    return 0


def find_title(lines: list[str]) -> str:
    """The title: a line (or two or three wrapped lines) near the top ending in a document type, else a cover
    note's 《》."""
    head = lines[:HEAD_LINES]
    for i in range(len(head)):
        n = title_lines(head, i)
        if n:
            return "".join(head[i:i + n])
    for ln in head:
        m = re.search(r"《([^《》]{6,60})》", ln)
        if m and ("现将" in ln or "印发给" in ln):
            return m.group(1)
    first = lines[0] if lines else ""
    return first if _titleish(first) and len(first) <= 60 else ""


_SIGNATURE_SPACE = re.compile(r"[\s\u3000]+")


def signature_line(line: str) -> tuple[str, str]:
    """(issuer, date) of a line under a title that holds issuing bodies, a date, or both (（北海市人民政府
    2012年3月5日）); ("", "") for any other line."""
    s = line.strip().strip("（()）").strip()
    date = find_date(s) or find_month(s)
    if date:
        for pattern in (CN_DATE, ISO_DATE, CN_YEAR_DATE, MONTH_DATE, CN_MONTH_DATE):
            m = pattern.search(s)
            if m:
                if s[m.end():].strip(" \u3000"):
                    return "", ""  # the date is not at the end: a sentence
                s = s[:m.start()].strip()
                break
    if not s:
        return "", date
    return (_SIGNATURE_SPACE.sub(" ", s), date) if is_organ_line(s) else ("", "")


def head_signature(lines: list[str], title: str) -> tuple[str, str]:
    """(issuer, date) printed in the lines right under the title: an issuer line and a date line (the Guangxi /
    Beibu Gulf style), or both on one line; ("", "") when the line under the title is neither."""
    for i in range(min(HEAD_LINES, len(lines))):
        n = title_lines(lines, i)
        if n and "".join(lines[i:i + n]) == title:
            break
    else:
        return "", ""
    issuers, date = [], ""
    for ln in lines[i + n:i + n + 2 + MAX_SIGNATURE_ORGANS]:
        organ, when = signature_line(ln)
        if not organ and not when or date:
            break  # the body begins, or something follows the date
        issuers += [organ] if organ else []
        date = when
    return " ".join(issuers), date


MAX_SIGNATURE_ORGANS = 4  # bodies issuing jointly may stand one to a line


def find_issuer(lines: list[str], title: str) -> str:
    """The issuing body: the signature line above the 成文日期, else the organ that opens the title."""
    for i, ln in enumerate(lines):
        if is_standalone_date(ln) and i > 0:
            prev = lines[i - 1]
            if len(prev) <= 40 and ORG_SUFFIX.search(prev) and "：" not in prev and ":" not in prev:
                return re.sub(r"\s+", " ", prev)
    m = re.match(r"^(.{2,30}?)(?:关于|印发|转发)", title)
    if m and ORG_SUFFIX.search(m.group(1)):
        return m.group(1)
    return ""


# A news agency's release of a central document: "新华社北京2月3日电 中共中央、国务院近日印发了《…》", or
# "中央一号文件 2 月 3 日由新华社受权发布". The dateline gives the day it was published.
_RELEASE = re.compile(r"新华社[\u4e00-\u9fff]{0,4}?(?:((?:19|20)\d{2})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日电"
                      r"|(?:((?:19|20)\d{2})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:由|经)?\s*新华社\s*(?:受权)?"
                      r"\s*(?:播发|发布)")
_CENTRAL = "中共中央办公厅|国务院办公厅|中共中央|国务院|全国人大常委会"
_RELEASED_BY = re.compile(rf"((?:{_CENTRAL})(?:\s*[、和]?\s*(?:{_CENTRAL}))*)\s*(?:近日|日前|今天|今日)?\s*"
                          r"(?:印发|发布|发出|公布)")
# documents whose name says who issues them: every 中央一号文件 since 2004 is the 中共中央 国务院's
NAMED_ISSUERS = {"中央一号文件": "中共中央 国务院"}
_LEADING_YEAR = re.compile(r"^\s*((?:19|20)\d{2})\s*年")


def news_release(lines: list[str], title: str) -> tuple[str, str]:
    """(issuer, 发布日期) of a document as a news agency released it, ("", "") when no release line opens the
    text. The date needs a year: the dateline's, else the one the title opens with (2026年中央一号文件)."""
    for ln in lines[:HEAD_LINES]:
        m = _RELEASE.search(ln)
        if not m:
            continue
        year, month, day = m.group(1, 2, 3) if m.group(2) else m.group(4, 5, 6)
        lead = _LEADING_YEAR.match(title)
        year = year or (lead.group(1) if lead else "")
        date = iso_date(year, month, day) if year else ""
        by = _RELEASED_BY.search(ln)
        issuer = " ".join(re.findall(_CENTRAL, by.group(1))) if by else ""
        issuer = issuer or next((v for k, v in NAMED_ISSUERS.items() if k in title or k in ln), "")
        return issuer, date
    return "", ""


def find_numbers(text: str, lines: list[str]) -> tuple[str, tuple[str, ...]]:
    """(own 文号, cited 文号): own is one standing on its own line or in a 文号 header near the top."""
    own = ""
    for ln in lines[:HEAD_LINES] + lines[-TAIL_LINES:]:
        m = DOC_NUMBER.search(ln)
        if not m:
            continue
        rest = ln.replace(m.group(0), "")
        if len(re.sub(r"[\s（）()]|文号|发文字号|[:：]", "", rest)) == 0:
            own = normalise_number(m.group(0))
            break
    cited: list[str] = []
    for m in DOC_NUMBER.finditer(text):
        n = normalise_number(m.group(0))
        if n != own and n not in cited:
            cited.append(n)
    return own, tuple(cited)


def find_status(lines: list[str], title: str, fields: dict[str, str], today: str | None = None) -> str:
    """draft | trial | expired | "" (in force or unknown). Expiry needs an explicit status or a past 失效日期."""
    head = " ".join(lines[:6]) + title
    if "征求意见稿" in head or "草案" in title or "送审稿" in head:
        return "draft"
    state = fields.get("文件状态", "")
    if re.search(r"失效|废止", state):
        return "expired"
    expiry = find_date(fields.get("失效日期", ""))
    today = today or __import__("datetime").date.today().isoformat()
    if not state and expiry and expiry < today:
        return "expired"
    if re.search(r"^(本文件)?已(失效|废止)", head):
        return "expired"
    if "试行" in title or "暂行" in title:
        return "trial"
    return ""


def _full_place(place: str, events: tuple[legislation.Event, ...], title: str) -> str:
    """A bare 省 / 市 / 县 ("市十四届人大常委会") named in full: by another event of the same kind of place
    ("宁波市人民代表大会常务委员会公告"), else by the place the title names; "" when neither tells."""
    if len(place) > 1 or not place:
        return place
    for e in events:
        if len(e.place) > 1 and e.place.endswith(place) and e.place != "全国":
            return e.place
    prov, city, county = resolve_region(title)
    return {"省": prov, "市": city}.get(place, county)


def regulation_fields(lines: list[str], title: str) -> dict[str, str]:
    """Issuer, approver and dates of a regulation from its legislative history; {} for other documents."""
    events = legislation.parse(lines)
    if not events:
        return {}

    def organ(e: legislation.Event) -> str:
        if e.body == "国务院":  # the State Council has no place of its own (中华人民共和国国务院令)
            return "国务院"
        place = _full_place(e.place, events, title)
        return place + e.body if place else ""

    def first(*actions: str) -> legislation.Event | None:
        return next((e for e in events if e.action in actions and e.body), None)

    enacted = first("passed") or first("approved", "amended", "revised", "published")
    approved = first("approved")
    dated = lambda *actions: [e.date for e in events if e.action in actions and e.date]  # noqa: E731
    passed, approvals, changes = dated("passed"), dated("approved"), dated("amended", "revised")
    law = max(approvals + changes, default="") or max(passed, default="") or max(dated("published"), default="")
    out = {"issuer": organ(enacted) if enacted else "", "approver": organ(approved) if approved else "",
           "date_passed": passed[0] if passed else "", "date_approved": approvals[0] if approvals else "",
           "date_amended": max(changes, default=""), "date_effective": max(dated("effective"), default=""),
           "date_published": max(dated("published"), default=""), "date": law}
    if out["approver"] == out["issuer"]:
        out["approver"] = ""
    return out


def extract(text: str, filename: str = "", fields: tuple[tuple[str, str], ...] = ()) -> DocMeta:
    """Metadata supported by the text itself.

    Args:
        text: the cleaned document text.
        filename: the source file name (unused for now: names are too unreliable to trust).
        fields: (label, value) pairs the reader took out of portal headers and banners (文号, 发布日期 …).
    """
    lines = _lines(text)
    fields = {**header_fields(lines), **{re.sub(r"\s", "", k): v for k, v in reversed(fields) if v}}
    title = re.sub(r"\s", "", fields.get("标题", "")) or find_title(lines)
    body_title = find_title([ln for ln in lines if not HEADER_FIELD.match(ln)])
    if body_title.startswith(title) and len(body_title) > len(title):  # the 标题 field may be cut short
        title = body_title
    reg = regulation_fields(lines, title)
    issuer = (fields.get("发布机关") or fields.get("发布机构") or fields.get("发文机关") or reg.get("issuer")
              or find_issuer(lines, title))
    own, cited = find_numbers(text, lines)
    number_field = next((fields[k] for k in ("文号", "政策文号", "发文字号") if k in fields), "")
    if DOC_NUMBER.search(number_field):
        own = normalise_number(DOC_NUMBER.search(number_field).group(0))
        cited = tuple(n for n in cited if n != own)
    written, published = find_dates(lines)
    written = find_date(fields.get("成文日期", "")) or written
    released_by, released = news_release(lines, title)
    signed_by, signed = head_signature(lines, title)
    issuer = issuer or signed_by or released_by
    written = written or signed
    published = find_date(fields.get("发布日期", "")) or published or released
    meta = DocMeta(title=title, issuer=issuer, doc_number=own, cited_numbers=cited,
                   date=reg.get("date", ""), date_written=written,
                   date_published=published or reg.get("date_published", ""),
                   status=find_status(lines, title, fields), approver=reg.get("approver", ""),
                   date_passed=reg.get("date_passed", ""), date_approved=reg.get("date_approved", ""),
                   date_amended=reg.get("date_amended", ""), date_effective=reg.get("date_effective", ""))
    return complete(meta)


def complete(meta: DocMeta) -> DocMeta:
    """Fill the fields that follow from others (region from issuer, level from region, date)."""
    region, province, level = meta.region, meta.province, meta.level
    if not region:
        region, province2, level2 = place(meta.issuer) if meta.issuer else ("", "", "")
        m = re.match(r"^(.{2,30}?)(?:关于|印发|转发)", meta.title)
        if not region and m:
            region, province2, level2 = place(m.group(1))
        if not region:
            region, province2, level2 = title_place(meta.title)
        if not region and NATIONAL_TITLE.match(meta.title):  # 国务院2024年度立法工作计划
            region, province2, level2 = "全国", "", "national"
        zone = zone_place(meta.title)
        if zone[0] and region in ("", zone[0], zone[1]):
            level2 = level2 if meta.issuer else zone_level(meta.title, zone)
            region, province2 = zone[0], zone[1]
        province = province or province2
        level = level or level2
    elif not province:
        _, province, level2 = place(region)
        level = level or level2
    date = meta.date or meta.date_written or meta.date_published
    return replace(meta, region=region, province=province, level=level, date=date)
