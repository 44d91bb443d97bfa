"""Which library documents answer a reference document, and which only relate to it, with reasons a reviewer
can read.

A document answers (is counted in the matrix) when it is of a lower level inside the reference's jurisdiction
and ties to it (cites its 文号, names it as its legal basis, takes up its list items, same subject), or when it
cites the reference's 文号 or names it as its basis from anywhere. Documents of the same or a higher level, of
another province, of unknown level or place, news and reprints are never counted: those that tie to the
reference are offered as related, each with the reason it was left out. The user may still add any by hand.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.compare.reference import UNIT_LIST, RefItem, reference_items, reference_unit
from indexer.ingest.lists import pick_list
from indexer.models import Document, NamedList
from indexer.text import bigrams, later_date

# Why a document ties to the reference (several may hold).
CITES, BASIS, SHARES, LOWER, SUBJECT, ADDED = ("cites_number", "cites_as_basis", "shares_items", "lower_level",
                                               "same_subject", "added")
# Said of a counted document first made before the reference (a city that legislated first): its coverage of the
# reference is still the reviewer's question, but it was not made to answer it and did not take its items up.
EARLIER = "made_earlier"
REASON_LABELS = {CITES: "引用其文号", BASIS: "以其为制定依据", SHARES: "沿用其清单条目", LOWER: "辖区内下级",
                 SUBJECT: "同一主题", ADDED: "用户添加", EARLIER: "早于参照文件制定（先行规定，非为落实它而制定）"}
# Why a tied document is not counted.
SAME_OR_HIGHER, OTHER_PLACE, UNKNOWN_PLACE, NEWS, REPRINT, DROPPED, REFERENCE_NEWS = (
    "same_or_higher_level", "outside_jurisdiction", "level_or_place_unknown", "news", "reprint", "dropped",
    "reference_is_news")
EXCLUSION_LABELS = {SAME_OR_HIGHER: "同级或上级文件，不是下级落实", OTHER_PLACE: "不在参照文件辖区内（外省或他市）",
                    UNKNOWN_PLACE: "层级或地区未知，无法确认是辖区内下级文件", NEWS: "新闻报道，不是政策文件",
                    REPRINT: "转载参照文件原文，不是落实文件", DROPPED: "用户移除",
                    REFERENCE_NEWS: "参照文件是新闻报道，不是政策文件，无从判断谁落实它（可改用它报道的政策文件作参照）"}
LEVEL_RANK = {"national": 0, "province": 1, "city": 2, "county": 3}
# A document takes up the reference's list when it names this many of its items word for word (a city picks a
# few of the province's 20; an unrelated plan names one or two by chance). Only a tie: it counts for a
# lower-level document of the jurisdiction, never on its own.
MIN_SHARED = 3
SUBJECT_SHARE = 0.7  # share of the shorter subject's bigrams found in the other (物业管理 ⊂ 住宅小区物业管理)
# A reprint repeats the reference: this share of the reference's text, or of its own, is the reference's words
# (reuse detector). Cities that implement a list quote a sentence per item (≤ 0.12 of the text on the seeds and
# the Zhejiang library); the seed news page repeats 0.52 of the provincial opinion.
REPRINT_OF_REFERENCE = 0.4
REPRINT_OF_ITSELF = 0.6
_REPRINT_TITLE = re.compile(r"转发|转载|全文|印发.*的通知$")
_DOC_TYPES = re.compile(r"(?:实施细则|实施办法|实施意见|实施方案|若干规定|若干措施|条例|规定|办法|意见|方案|通知|"
                        r"决定|规划|计划|细则)$")
# Words every regulation title carries; left out so that 物业管理条例 and 住宅物业管理条例 meet on 物业.
_GENERIC_TITLE_WORDS = ("管理", "促进", "保护", "关于", "印发", "进一步", "加快", "推进")
# The legal basis sentence: 根据《中华人民共和国…法》《浙江省…条例》…，结合本省实际，制定本条例.
_BASIS = re.compile(r"(?:根据|依据|依照|贯彻|落实)([^。；]{0,240}?)(?:结合|制定|，制定|的规定|精神|要求|。)")
_TITLE_IN_QUOTES = re.compile(r"《([^《》]{2,60})》")


@dataclass(frozen=True)
class Relation:
    """How one library document stands to the reference: counted as an answer, or related with the reason."""

    doc_id: str
    counted: bool
    reasons: tuple[str, ...]  # what ties it (CITES, BASIS, SHARES, LOWER, SUBJECT, ADDED)
    excluded: str = ""  # why it is not counted ("" when counted)
    copied: float = 0.0  # share of its own text that repeats the reference (reuse detector; 0 when not checked)

    @property
    def label(self) -> str:
        ties = "、".join(REASON_LABELS[r] for r in self.reasons)
        return ties if self.counted else f"{ties}；未计入：{EXCLUSION_LABELS[self.excluded]}"

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "counted": self.counted, "reasons": list(self.reasons),
                "excluded": self.excluded, "copied": round(self.copied, 3), "label": self.label}


# ---------------------------------------------------------------- subjects and citations

def title_subject(doc: Document) -> str:
    """What a title is about, without its place, document type and generic words: 杭州市物业管理条例 → 物业."""
    t = _norm_title(doc.meta.title or "")  # a law's subject: 中华人民共和国消防法 → 消防
    t = re.sub(r"^(?:[\u4e00-\u9fff]{2,8}?(?:省|市|县|区))?实施(.+?)(?:办法|细则|条例|规定)$", r"\1", t)
    t = re.sub(r"(?<=[\u4e00-\u9fff]{2})法$", "", t)
    for place in sorted({doc.meta.region, doc.meta.province} - {""}, key=len, reverse=True):
        t = t.replace(place, "")
    if not (doc.meta.region or doc.meta.province):  # 住宅小区物业 must keep its 小区 when the place is known
        t = re.sub(r"^[\u4e00-\u9fff]{2,4}?(?:省|市|县|区)(?:人民政府)?", "", t)
    t = t.replace("人民政府", "")
    for _ in range(2):
        t = _DOC_TYPES.sub("", t)
    for w in _GENERIC_TITLE_WORDS:
        t = t.replace(w, "")
    return t.strip("《》“”的 ")


def same_subject(a: Document, b: Document) -> bool:
    return subjects_meet(bigrams(title_subject(a)), bigrams(title_subject(b)))


def subjects_meet(sa: set[str], sb: set[str]) -> bool:
    """Two titles' subjects (their bigrams) are one: the shorter's bigrams are mostly in the longer's."""
    if not sa or not sb:
        return False
    small, big = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    return len(small & big) / len(small) >= SUBJECT_SHARE


def _norm_number(s: str) -> str:
    return re.sub(r"[〔〕\[\]（）()【】﹝﹞\s]", "", s)


def _norm_title(s: str) -> str:
    """A title as cited: 《中华人民共和国消防法》 and 消防法 meet, and 浙江省实施〈…〉办法 and 浙江省实施《…》办法;
    brackets, spaces and the state's name dropped."""
    s = re.sub(r"[（(][^）)]*[）)]|[\s《》〈〉<>＜＞]", "", s)
    return s.replace("中华人民共和国", "")


def cites_number(ref: Document, doc: Document) -> bool:
    return bool(ref.meta.doc_number) and _norm_number(ref.meta.doc_number) in {
        _norm_number(n) for n in doc.meta.cited_numbers}


def cites_as_basis(ref: Document, doc: Document) -> bool:
    """`doc` names the reference as its legal basis (根据《…》… 制定本条例) in its opening."""
    want = _norm_title(ref.meta.title or "")
    if len(want) < 3:  # 消防法 is a title; a two-character one would be a word
        return False
    opening = doc.text[:1500]
    for m in _BASIS.finditer(opening):
        if any(_norm_title(t) == want for t in _TITLE_IN_QUOTES.findall(m.group(0))):
            return True
    return False


def shared_items(ref_items: Sequence[RefItem], doc: Document) -> int:
    """How many reference list items the document names word for word."""
    return sum(1 for it in ref_items if len(it.name) >= 2 and it.name in doc.text)


def copied_shares(ref: Document, doc: Document) -> tuple[float, float]:
    """(share of the reference's text, share of the document's text) that the two repeat near-verbatim."""
    from indexer.compare.reuse import find_reuse, normalise

    pairs = find_reuse([ref, doc])
    n_ref, n_doc = len(normalise(ref).text) or 1, len(normalise(doc).text) or 1

    def covered(doc_id: str) -> int:
        spans = sorted((s.start, s.end) for p in pairs for s in (p.a, p.b) if s.doc_id == doc_id)
        total, last = 0, -1
        for a, b in spans:  # overlapping passages counted once
            a = max(a, last)
            total += max(0, b - a)
            last = max(last, b)
        return total

    # offsets are in the original text; the normalised length is close enough for a share
    return min(1.0, covered(ref.doc_id) / n_ref), min(1.0, covered(doc.doc_id) / n_doc)


# ---------------------------------------------------------------- where a document stands

def in_jurisdiction(ref: Document, doc: Document) -> bool | None:
    """Whether `doc` lies inside the reference's territory (None when either place is unknown)."""
    if ref.meta.level == "national":
        return True
    province = ref.meta.province or (ref.meta.region if ref.meta.level == "province" else "")
    if not province or not doc.meta.province:
        return None
    if doc.meta.province != province:
        return False
    if ref.meta.level in ("city", "county") and ref.meta.region:
        from indexer.ingest.places import resolve_region

        _, city, county = resolve_region(doc.meta.region or "")
        return ref.meta.region in (city, county, doc.meta.region)
    return True


def _ties(ref: Document, doc: Document, items: Sequence[RefItem], unit: str) -> list[str]:
    out = []
    if cites_number(ref, doc):
        out.append(CITES)
    if cites_as_basis(ref, doc):
        out.append(BASIS)
    if unit == UNIT_LIST and shared_items(items, doc) >= min(MIN_SHARED, len(items)):
        out.append(SHARES)
    if same_subject(ref, doc):
        out.append(SUBJECT)
    return out


def first_made(doc: Document) -> str:
    """When a document was first made: a regulation's first 通过 (or 批准), whatever its later amendments; else its
    date ("" when unknown)."""
    return doc.meta.date_passed or doc.meta.date_approved or doc.meta.date


def made_before(doc: Document, ref: Document) -> bool:
    """`doc` was first made before the reference was (both dates known): it cannot have been made to implement it.
    A 2019 city regulation amended in 2021 still came before a 2020 provincial one on the same subject."""
    return later_date(first_made(ref), first_made(doc))


def _is_reprint(ref: Document, doc: Document) -> tuple[bool, float]:
    of_ref, of_doc = copied_shares(ref, doc)
    copy = of_ref >= REPRINT_OF_REFERENCE or of_doc >= REPRINT_OF_ITSELF
    own = LEVEL_RANK.get(doc.meta.level) is not None and not _REPRINT_TITLE.search(doc.meta.title or "")
    # a city's regulation may repeat most of the province's words and still be the city's own law
    return copy and not (own and doc.meta.title != ref.meta.title), of_doc


def relate(ref: Document, doc: Document, items: Sequence[RefItem], unit: str) -> Relation | None:
    """How `doc` stands to `ref`: None when nothing ties them."""
    ties = _ties(ref, doc, items, unit)
    if not ties:
        return None
    rank_r, rank_d = LEVEL_RANK.get(ref.meta.level), LEVEL_RANK.get(doc.meta.level)
    cited = CITES in ties or BASIS in ties
    lower = rank_r is not None and rank_d is not None and rank_d > rank_r
    inside = in_jurisdiction(ref, doc)
    copied = 0.0
    if doc.meta.level == "news" or rank_d is None or cited or lower:  # only these could pass for answers
        reprint, copied = _is_reprint(ref, doc)
        if reprint:
            return Relation(doc.doc_id, False, tuple(ties), REPRINT, copied)
    if doc.meta.level == "news":
        why = NEWS
    elif ref.meta.level == "news" and not cited:
        why = REFERENCE_NEWS
    elif lower and inside:
        return Relation(doc.doc_id, True, (*ties, LOWER, *[EARLIER] * made_before(doc, ref)), "", copied)
    elif cited:
        return Relation(doc.doc_id, True, tuple(ties), "", copied)
    elif rank_r is None or rank_d is None:
        why = UNKNOWN_PLACE
    elif inside is False:
        why = OTHER_PLACE
    elif not lower:
        why = SAME_OR_HIGHER
    else:
        why = UNKNOWN_PLACE
    return Relation(doc.doc_id, False, tuple(ties), why, copied)


def answer_reasons(ref: Document, doc: Document, items: Sequence[RefItem], unit: str) -> tuple[str, ...]:
    """Why `doc` answers `ref` (empty when it does not: no tie, or not counted by the rules above)."""
    rel = relate(ref, doc, items, unit)
    return rel.reasons if rel is not None and rel.counted else ()


def relations(docs: Sequence[Document], ref: Document, unit: str | None = None,
              named: NamedList | None = None) -> list[Relation]:
    """Every library document tied to `ref`, counted or not, in library order."""
    unit = unit or reference_unit(ref)
    if unit == UNIT_LIST and named is None:
        named = pick_list(ref)
    items = reference_items(ref, unit, named)
    out = []
    for d in docs:
        if d.doc_id != ref.doc_id and (rel := relate(ref, d, items, unit)) is not None:
            out.append(rel)
    return out


def answering_documents(docs: Sequence[Document], ref: Document, unit: str | None = None,
                        named: NamedList | None = None) -> list[tuple[Document, tuple[str, ...]]]:
    """The documents counted as answering `ref`, with why, in library order."""
    by_id = {d.doc_id: d for d in docs}
    return [(by_id[r.doc_id], r.reasons) for r in relations(docs, ref, unit, named) if r.counted]


def unanswered_regions(docs: Sequence[Document], ref: Document, answered: Sequence[str]) -> list[str]:
    """Places inside the reference's jurisdiction and below it that the library knows (some document of theirs is
    in it) but among whose documents none answers the reference: the places that have not answered at all."""
    rank = LEVEL_RANK.get(ref.meta.level)
    if rank is None or (rank > 0 and not (ref.meta.province or ref.meta.region)):
        return []
    # a national reference is answered province by province; a province's or a city's by the places below it
    below = {"province"} if rank == 0 else {lv for lv, r in LEVEL_RANK.items() if r > rank}
    known = {d.meta.region for d in docs if d.meta.region and d.meta.level in below and in_jurisdiction(ref, d)}
    return sorted(known - set(answered))
