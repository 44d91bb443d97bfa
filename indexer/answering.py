"""Which library documents answer a reference document: they cite its 文号, name its list's items, or are of a
lower level in the same province on the same subject (a city's 物业管理条例 for the province's 物业管理条例)."""
from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.models import Document, NamedList

# Why a document is taken to answer the reference (several may hold).
CITES, SHARES, LOWER, SUBJECT, ADDED = "cites_number", "shares_items", "lower_level", "same_subject", "added"
REASON_LABELS = {CITES: "引用其文号", SHARES: "沿用其清单条目", LOWER: "同省下级", SUBJECT: "同一主题",
                 ADDED: "用户添加"}
LEVEL_RANK = {"national": 0, "province": 1, "city": 2, "county": 3}
# A document shares the reference's list when it names this many of its items word for word (a city picks a
# few of the province's 20; an unrelated plan names one or two by chance).
MIN_SHARED = 3
SUBJECT_SHARE = 0.7  # share of the shorter subject's bigrams found in the other (物业管理 ⊂ 住宅小区物业管理)
_DOC_TYPES = re.compile(r"(?:实施细则|实施办法|实施意见|实施方案|若干规定|若干措施|条例|规定|办法|意见|方案|通知|"
                        r"决定|规划|计划|细则)$")
# Words every regulation title carries; left out so that 物业管理条例 and 住宅物业管理条例 meet on 物业.
_GENERIC_TITLE_WORDS = ("管理", "促进", "保护", "关于", "印发", "进一步", "加快", "推进")


def title_subject(doc: Document) -> str:
    """What a title is about, without its place, document type and generic words: 杭州市物业管理条例 → 物业."""
    t = re.sub(r"[（(][^）)]*[）)]", "", doc.meta.title or "")
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


def _bigrams(s: str) -> set[str]:
    return {s[k:k + 2] for k in range(len(s) - 1)} or ({s} if s else set())


def same_subject(a: Document, b: Document) -> bool:
    sa, sb = _bigrams(title_subject(a)), _bigrams(title_subject(b))
    if not sa or not sb:
        return False
    small, big = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    return len(small & big) / len(small) >= SUBJECT_SHARE


def _norm_number(s: str) -> str:
    return re.sub(r"[〔〕\[\]（）()【】﹝﹞\s]", "", s)


def shared_items(ref_items: Sequence, doc: Document) -> int:
    """How many reference list items the document names word for word."""
    return sum(1 for it in ref_items if len(it.name) >= 2 and it.name in doc.text)


def answer_reasons(ref: Document, doc: Document, items: Sequence, unit: str) -> tuple[str, ...]:
    """Why `doc` answers `ref` (empty when nothing ties them); `items` are the reference's `matrix.RefItem`s."""
    out = []
    if ref.meta.doc_number and _norm_number(ref.meta.doc_number) in {_norm_number(n) for n in doc.meta.cited_numbers}:
        out.append(CITES)
    if unit == "list" and shared_items(items, doc) >= min(MIN_SHARED, len(items)):
        out.append(SHARES)
    rank_r, rank_d = LEVEL_RANK.get(ref.meta.level), LEVEL_RANK.get(doc.meta.level)
    province = ref.meta.province or ref.meta.region
    lower = (rank_r is not None and rank_d is not None and rank_d > rank_r and bool(province)
             and doc.meta.province == province)
    subject = same_subject(ref, doc)
    if lower and (out or subject):
        out.append(LOWER)
    if subject and (out or unit == "article"):
        out.append(SUBJECT)
    return tuple(out)


def answering_documents(docs: Sequence[Document], ref: Document, unit: str | None = None,
                        named: NamedList | None = None) -> list[tuple[Document, tuple[str, ...]]]:
    """The documents that answer `ref`: they cite its 文号, name its list items, or are of a lower level in the
    same province on the same subject. In library order."""
    from indexer.matrix import UNIT_ARTICLE, UNIT_LIST, reference_items, reference_unit

    unit = unit or reference_unit(ref)
    if unit == UNIT_LIST and named is None:
        from indexer.library import pick_list

        named = pick_list(ref)
    items = reference_items(ref, unit, named)
    out = []
    for d in docs:
        if d.doc_id == ref.doc_id:
            continue
        why = answer_reasons(ref, d, items, unit)
        if why and (unit == UNIT_ARTICLE and (LOWER in why or CITES in why) or unit == UNIT_LIST):
            out.append((d, why))
    return out


def unanswered_regions(docs: Sequence[Document], ref: Document, answered: Sequence[str]) -> list[str]:
    """Places of a lower level in the reference's province that the library knows (some document of theirs is in
    it) but among whose documents none answers the reference: the cities that have not answered at all."""
    province = ref.meta.province or ref.meta.region
    rank = LEVEL_RANK.get(ref.meta.level)
    if not province or rank is None:
        return []
    known = {d.meta.region for d in docs if d.meta.province == province and d.meta.region
             and LEVEL_RANK.get(d.meta.level, -1) > rank}
    return sorted(known - set(answered))
