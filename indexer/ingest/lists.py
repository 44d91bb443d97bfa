"""Clause tree → named lists (the 20 clusters, a city's 9, the 四大行动 …) with a short name per item. Pure."""
from __future__ import annotations

import os

from indexer.errors import NotFoundError
from indexer.ingest.outline import subtree_end
from indexer.models import Clause, Document, ListItem, NamedList

# Generic tails that name the kind of item rather than the item itself ("…产业集群").
GENERIC_SUFFIXES = ("战略性产业集群", "产业集群", "集群", "产业链", "产业")
MAX_NAME_HEADING = 30
MIN_ITEMS = 2


def _common_suffix(words: list[str]) -> str:
    return os.path.commonprefix([w[::-1] for w in words])[::-1]


# A verb phrase that every item repeats in front (实施集群培育“强核工程”, 实施集群创新发展行动): verbs, and the
# generic nouns that may follow them inside such a phrase.
_SHARED_VERBS = ("实施", "推进", "推动", "开展", "加快", "加强", "建设", "打造", "培育", "发展", "深化", "强化",
                 "完善", "实行", "落实")
_PHRASE_WORDS = _SHARED_VERBS + ("产业集群", "集群", "产业")


def _shared_verb_phrase(shared: str) -> int:
    """Length of the verb phrase that `shared` (the items' common prefix) opens with, cut at a word boundary:
    实施集群培育“强 → 7 (实施 集群 培育 “), 推进产 → 2 (推进; 产 starts 产业升级 and 产品创新 alike), 0 if none."""
    cut = 0
    while True:
        word = next((w for w in _PHRASE_WORDS if shared.startswith(w, cut)), None)
        if word is None or (cut == 0 and word not in _SHARED_VERBS):
            break
        cut += len(word)
    if cut and shared[cut:cut + 1] == "“":
        cut += 1
    return cut


def _strip_shared_verb(headings: list[str]) -> list[str]:
    cut = _shared_verb_phrase(os.path.commonprefix(headings)) if len(headings) > 1 else 0
    if not cut or any(len(h) - cut < 3 for h in headings):
        return headings
    out = []
    for h in headings:
        rest = h[cut:]
        if rest.count("”") > rest.count("“"):  # the opening quote went with the prefix: 强核工程” → 强核工程
            rest = rest.replace("”", "", 1)
        elif rest.startswith("“") and rest.endswith("”") and rest.count("“") == 1:
            rest = rest[1:-1]
        out.append(rest)
    return out


def short_names(headings: list[str]) -> list[str]:
    """Strip what all items repeat: the generic tail (新一代电子信息产业集群 → 新一代电子信息) and a leading
    verb phrase (实施集群培育“强核工程” → 强核工程, 实施集群创新发展行动 → 创新发展行动)."""
    headings = _strip_shared_verb(list(headings))
    shared = _common_suffix(headings)
    for suffix in GENERIC_SUFFIXES:
        if shared.endswith(suffix) and all(len(h) - len(suffix) >= 2 for h in headings):
            return [h[: -len(suffix)] for h in headings]
    return list(headings)


def _item_text(doc: Document, index: int) -> str:
    c = doc.clauses[index]
    return doc.text[c.start + len(c.marker): subtree_end(doc.clauses, index)].strip()


def _group(doc: Document, parent: Clause | None) -> list[int]:
    """Indexes of the numbered children of `parent` of its dominant marker kind."""
    pid = parent.clause_id if parent else None
    idx = [i for i, c in enumerate(doc.clauses) if c.parent_id == pid and c.marker]
    if not idx:
        return []
    kinds = [doc.clauses[i].kind for i in idx]
    kind = max(set(kinds), key=kinds.count)
    return [i for i in idx if doc.clauses[i].kind == kind]


def _is_named(doc: Document, idx: list[int]) -> bool:
    heads = [doc.clauses[i].heading for i in idx]
    good = sum(1 for h in heads if h and len(h) <= MAX_NAME_HEADING)
    return len(idx) >= MIN_ITEMS and good == len(heads)


def _make_list(doc: Document, section: str, clause_id: str | None, idx: list[int],
               parts: tuple[str, ...] = ()) -> NamedList:
    heads = [doc.clauses[i].heading for i in idx]
    names = short_names(heads)
    items = tuple(ListItem(name=n, heading=h, clause_id=doc.clauses[i].clause_id, text=_item_text(doc, i))
                  for n, h, i in zip(names, heads, idx, strict=True))
    return NamedList(doc_id=doc.doc_id, section=section, clause_id=clause_id, items=items, parts=parts)


def find_lists(doc: Document) -> list[NamedList]:
    """Every section whose numbered children are short named items, plus merged lists.

    A merged list joins the item lists of sibling sections that enumerate the same kind of thing
    (十大支柱 + 十大新兴 → the 20 clusters): their item headings share a generic tail.
    Top-level chapters (一、二、三、) are the document's outline, not a list, and are left out.
    """
    found: list[NamedList] = []
    by_parent: dict[str, list[int]] = {}
    for parent in doc.clauses:
        if not parent.marker and parent.kind != "plain":  # an unnumbered 总结 or 附件 can hold lists too
            continue
        idx = _group(doc, parent)
        if _is_named(doc, idx):
            by_parent[parent.clause_id] = idx
            found.append(_make_list(doc, parent.section_str, parent.clause_id, idx))
    for parent in doc.clauses:
        if not parent.marker and parent.kind != "plain":  # an unnumbered 总结 or 附件 can hold lists too
            continue
        subs = [c for c in (doc.clauses[i] for i in _group(doc, parent)) if c.clause_id in by_parent]
        if len(subs) < 2:
            continue
        idx = [i for s in subs for i in by_parent[s.clause_id]]
        heads = [doc.clauses[i].heading for i in idx]
        if any(_common_suffix(heads).endswith(s) for s in GENERIC_SUFFIXES):
            found = [nl for nl in found if nl.clause_id != parent.clause_id]
            found.append(_make_list(doc, parent.section_str, parent.clause_id, idx,
                                    parts=tuple(s.section_str for s in subs)))
    return found


def primary_list(doc: Document) -> NamedList | None:
    """The list a reviewer most likely means: the longest list of items sharing a generic tail."""
    candidates = find_lists(doc)
    if not candidates:
        return None

    def score(nl: NamedList) -> tuple:
        heads = [i.heading for i in nl.items]
        generic = any(_common_suffix(heads).endswith(s) for s in GENERIC_SUFFIXES)
        return (generic, len(nl.items))

    return max(candidates, key=score)


def pick_list(doc: Document, section: str | None = None) -> NamedList:
    """The document's list under a section (path, clause id or part of the path); default its primary list."""
    main = primary_list(doc)
    lists = ([main] if main else []) + [nl for nl in find_lists(doc) if nl is not main]
    if section:  # an exact section path or clause id first (a merged list shares its path with its parts)
        nl = next((x for x in lists if section in (x.section, x.clause_id)), None) or next(
            (x for x in lists if section in x.section), None)
    else:
        nl = main
    if nl is None or not nl.items:
        where = f" under '{section}'" if section else ""
        raise NotFoundError(f"{doc.doc_id} 中找不到清单 / no list found{where}; "
                            f"try `python -m indexer lists {doc.doc_id}`")
    return nl
