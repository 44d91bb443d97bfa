"""What a reference document is compared by: its named list's items, or its articles (第X条) for a regulation."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexer.errors import PolicyError
from indexer.models import Clause, Document, NamedList

UNIT_LIST, UNIT_ARTICLE = "list", "article"
UNIT_LABELS = {UNIT_LIST: "清单条目 list items", UNIT_ARTICLE: "条 articles"}
MIN_ARTICLES = 5  # a reference with at least this many 第X条 is a regulation: its articles are the items


@dataclass(frozen=True)
class RefItem:
    """One column of the matrix: a list item, or an article with the clauses under it."""

    name: str  # 新一代电子信息, or 第五条
    clause_id: str | None
    group: str  # the sub-list or chapter it sits in ("" when none)
    text: str
    clause_ids: tuple[str, ...] = ()  # its clause and every clause below it

    def to_dict(self) -> dict:
        return {"name": self.name, "clause_id": self.clause_id, "group": self.group, "text": self.text}


# ---------------------------------------------------------------- reference items

def descendants(doc: Document, clause_id: str) -> tuple[str, ...]:
    """The clause and every clause below it, in outline order."""
    kids: dict[str, list[str]] = {}
    for c in doc.clauses:
        if c.parent_id:
            kids.setdefault(c.parent_id, []).append(c.clause_id)
    out, todo = [], [clause_id]
    while todo:
        cid = todo.pop()
        out.append(cid)
        todo.extend(reversed(kids.get(cid, [])))
    order = {c.clause_id: k for k, c in enumerate(doc.clauses)}
    return tuple(sorted(out, key=lambda x: order.get(x, -1)))


def articles(doc: Document) -> list[Clause]:
    return [c for c in doc.clauses if c.kind == "article"]


def reference_unit(doc: Document) -> str:
    """Articles for a regulation (≥ MIN_ARTICLES 第X条), else the named list."""
    return UNIT_ARTICLE if len(articles(doc)) >= MIN_ARTICLES else UNIT_LIST


def subtree_text(doc: Document, ids: Sequence[str]) -> str:
    want = set(ids)
    return "\n".join(c.text for c in doc.clauses if c.clause_id in want)


def reference_items(doc: Document, unit: str, named: NamedList | None = None) -> list[RefItem]:
    if unit == UNIT_LIST:
        if named is None:
            raise PolicyError("清单模式需要参照清单 / a list reference needs its list")
        parts = [p for p in named.parts] or [named.section]
        out = []
        for li in named.items:
            ids = descendants(doc, li.clause_id) if li.clause_id else ()
            sec = doc.clause(li.clause_id).section_str if li.clause_id else ""
            group = next((p for p in parts if sec.startswith(p) and p != named.section), "")
            out.append(RefItem(li.name, li.clause_id, group.split(" › ")[-1], li.text or li.heading, ids))
        return out
    out = []
    for c in articles(doc):
        ids = descendants(doc, c.clause_id)
        chapter = next((s for s in c.section[:-1] if s.startswith("第") and "章" in s[:6]), "")
        out.append(RefItem(c.marker, c.clause_id, chapter, subtree_text(doc, ids), ids))
    return out
