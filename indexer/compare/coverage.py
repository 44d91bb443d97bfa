"""List ↔ list coverage: which reference items a target list takes up, what it adds, which named gaps it leaves."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.compare.align import EmbeddingMemo, embedding_memo
from indexer.compare.coverage_model import (  # noqa: F401 — the model's names are part of this module's API
    _CONNECTIVES,
    ACCEPT,
    BODY_CHARS,
    COEF,
    Item,
    core_name,
    match_probability,
    pair_features,
)
from indexer.embedders import Embedder
from indexer.models import ListItem, NamedList

COVERED, MISSING = "covered", "missing"
ALIGNED, LOCAL_ADDITION = "aligned", "local_addition"

_REGION_SUFFIXES = ("特别行政区", "自治州", "自治县", "自治区", "地区", "新区", "省", "市", "区", "县", "州", "盟", "旗")
# Head words too general to tie two names by themselves (软件与信息服务 / 金融服务, 高端装备制造 / 家具制造).
_WEAK_HEADS = frozenset(("服务", "产业", "经济", "行业", "制造", "发展", "建设", "工业", "技术", "信息"))


@dataclass(frozen=True)
class Match:
    name: str
    score: float
    clause_id: str | None = None
    why: str = ""  # why an item counts for more than its best counterpart ("" for a best counterpart)

    def to_dict(self) -> dict:
        return {"name": self.name, "score": round(self.score, 4), "clause_id": self.clause_id, "why": self.why}


@dataclass(frozen=True)
class ReferenceResult:
    name: str
    clause_id: str | None
    matches: tuple[Match, ...]  # target items implementing it, best first
    status: str  # covered | missing
    names_target_region: bool  # the item's text names the target's region
    region_mentions: tuple[str, ...] = ()  # the region names found, e.g. ("东莞",)

    @property
    def named_gap(self) -> bool:
        """The reference names the target's region here, and the target's list does not take it up."""
        return self.names_target_region and self.status == MISSING

    def to_dict(self) -> dict:
        return {"name": self.name, "clause_id": self.clause_id, "matches": [m.to_dict() for m in self.matches],
                "status": self.status, "names_target_region": self.names_target_region,
                "region_mentions": list(self.region_mentions), "named_gap": self.named_gap}


@dataclass(frozen=True)
class TargetResult:
    name: str
    clause_id: str | None
    best: str | None  # the reference item it implements; None for a local addition
    score: float  # P(match) of the best reference item, 0–1
    status: str  # aligned | local_addition
    nearest: str  # the closest reference item even when below the acceptance level
    also: tuple[Match, ...] = ()  # further reference items it takes up (a merged item)

    def to_dict(self) -> dict:
        return {"name": self.name, "clause_id": self.clause_id, "best": self.best, "score": round(self.score, 4),
                "status": self.status, "nearest": self.nearest, "also": [m.to_dict() for m in self.also]}


@dataclass(frozen=True)
class Coverage:
    reference: str  # doc_id or a label
    target: str
    region: str  # the target's region as looked for in reference items ("" when unknown)
    reference_items: tuple[ReferenceResult, ...]
    target_items: tuple[TargetResult, ...]
    # P(match) for every target × reference pair, rows and columns in list order (for heat maps)
    matrix: np.ndarray | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict:
        ref, tgt = self.reference_items, self.target_items
        return {"reference": self.reference, "target": self.target, "region": self.region,
                "reference_items": [r.to_dict() for r in ref],
                "target_items": [t.to_dict() for t in tgt],
                "summary": {"reference_items": len(ref), "covered": sum(r.status == COVERED for r in ref),
                            "missing": sum(r.status == MISSING for r in ref),
                            "named_gaps": [r.name for r in ref if r.named_gap],
                            "target_items": len(tgt), "aligned": sum(t.status == ALIGNED for t in tgt),
                            "local_additions": [t.name for t in tgt if t.status == LOCAL_ADDITION]}}


# ---------------------------------------------------------------- names and regions

def parse_names(text: str) -> list[str]:
    """Names typed or pasted by a user: separated by commas, 、, semicolons or new lines; numbering dropped."""
    out = []
    for part in re.split(r"[,，、;；\n\r\t]+", text):
        p = re.sub(r"^\s*(?:[（(]?[0-9一二三四五六七八九十]+[)）.、．]\s*)", "", part).strip(" 　。.")
        if p:
            out.append(p)
    return out


def region_variants(region: str) -> list[str]:
    """东莞市 → [东莞市, 东莞]; a name whose stem would be one character keeps its suffix only."""
    region = region.strip()
    if not region:
        return []
    out = [region]
    for suffix in _REGION_SUFFIXES:
        if region.endswith(suffix) and len(region) - len(suffix) >= 2:
            out.append(region[: -len(suffix)])
            break
    return out


def region_mentions(text: str, region: str) -> tuple[str, ...]:
    found = [v for v in region_variants(region) if v in text]
    return tuple(found)


# ---------------------------------------------------------------- coverage

def support(t: Item, r: Item) -> str:
    """Why target item `t` may take up reference item `r` besides its best counterpart, in words ("" when its
    name gives no reason). Chinese compound names are head-final, so only these count: a part of a joined name
    (新能源和节能环保: 新能源, 节能环保) names `r` or a part of `r`'s name (环保 in 安全应急与环保), or is named in
    `r`'s own text (数控机床 in 高端装备制造's); or the two names end in the same head noun (新材料 in 前沿新材料,
    and 先进材料), unless that head is a word every industry name may end with (服务, 产业, 制造 …).
    A single name found somewhere in a long item text is no reason: 人工智能 is written into half the list."""
    rcore, tcore = core_name(r.name), core_name(t.name)
    tparts = [p for p in _CONNECTIVES.split(tcore) if len(p) >= 2]
    rparts = [q for q in _CONNECTIVES.split(rcore) if len(q) >= 2]
    if len(tparts) > 1:
        for p in tparts:
            if any(q in p or p in q for q in rparts):
                return f"名称中的「{p}」对应「{r.name}」"
        for p in tparts:
            if len(p) >= 3 and p in r.text:
                return f"名称中的「{p}」见于「{r.name}」的条目正文"
    elif len(tcore) >= 2 and tcore != rcore and (rcore.endswith(tcore) or tcore.endswith(rcore)):
        return f"名称「{tcore}」与「{rcore}」中心词相同"
    elif (head := tcore[-2:]) == rcore[-2:] and len(tcore) >= 3 and head not in _WEAK_HEADS:
        return f"名称「{tcore}」与「{rcore}」中心词同为「{head}」"  # 新材料 spans 先进材料 and 前沿新材料
    return ""


def _assignment(prob: np.ndarray, tgts: Sequence[Item], refs: Sequence[Item], accept: float) -> dict:
    """Which (target, reference) pairs carry coverage, with why: a target item covers its best counterpart
    when the match is confident; a further reference item only when it is confident too and the target's
    name supports it (`support`). Without this one item named 人工智能 covered 智能机器人, 智能家电 and
    软件与信息服务 at once, and every such item inflated the covered count."""
    out: dict[tuple[int, int], str] = {}
    for i, t in enumerate(tgts):
        if not len(refs):
            continue
        best = int(np.argmax(prob[i]))
        if prob[i, best] < accept:
            continue
        out[(i, best)] = ""
        for k in np.nonzero(prob[i] >= accept)[0]:
            if int(k) != best and (why := support(t, refs[int(k)])):
                out[(i, int(k))] = why
    return out


def _items(x: NamedList | Sequence[ListItem | Item | str]) -> list[Item]:
    seq = x.items if isinstance(x, NamedList) else x
    out = []
    for it in seq:
        if isinstance(it, Item):
            out.append(it)
        elif isinstance(it, ListItem):
            out.append(Item.of(it))
        else:
            out.append(Item(name=str(it)))
    return out


def coverage(reference: NamedList | Sequence[ListItem | Item | str],
             target: NamedList | Sequence[ListItem | Item | str], *, region: str = "",
             embedder: Embedder | EmbeddingMemo | None = None, reference_label: str = "",
             target_label: str = "", accept: float = ACCEPT, background: Sequence[str] = ()) -> Coverage:
    """Coverage of a target list against a reference list.

    Args:
        reference: the reference list (e.g. the provincial 20), as a NamedList or items or names.
        target: the target list: a NamedList from a document, or names typed by the user.
        region: the target's region (e.g. 东莞市); reference items whose text names it are flagged.
        accept: pair probability at which a target item counts as implementing a reference item.
        background: texts for word weights (IDF), e.g. every clause of the corpus; see `pair_features`.
    """
    refs, tgts = _items(reference), _items(target)
    ref_label = reference_label or (reference.doc_id if isinstance(reference, NamedList) else "reference")
    tgt_label = target_label or (target.doc_id if isinstance(target, NamedList) else "pasted list")
    if refs and tgts:
        prob = match_probability(pair_features(tgts, refs, embedding_memo(embedder), background))
    else:
        prob = np.zeros((len(tgts), len(refs)))
    carries = _assignment(prob, tgts, refs, accept)
    target_results = []
    for i, t in enumerate(tgts):
        if not refs:
            target_results.append(TargetResult(t.name, t.clause_id, None, 0.0, LOCAL_ADDITION, ""))
            continue
        j = int(np.argmax(prob[i]))
        ok = (i, j) in carries
        also = tuple(Match(refs[k].name, float(prob[i, k]), refs[k].clause_id, carries[(i, k)])
                     for k in np.argsort(-prob[i]) if k != j and (i, k) in carries)
        target_results.append(TargetResult(
            name=t.name, clause_id=t.clause_id, best=refs[j].name if ok else None, score=float(prob[i, j]),
            status=ALIGNED if ok else LOCAL_ADDITION, nearest=refs[j].name, also=also))
    ref_results = []
    for j, r in enumerate(refs):
        hits = sorted(((float(prob[i, j]), i) for i in range(len(tgts)) if (i, j) in carries), reverse=True)
        mentions = region_mentions(r.text, region) if region else ()
        ref_results.append(ReferenceResult(
            name=r.name, clause_id=r.clause_id,
            matches=tuple(Match(tgts[i].name, p, tgts[i].clause_id, carries[(i, j)]) for p, i in hits),
            status=COVERED if hits else MISSING, names_target_region=bool(mentions), region_mentions=mentions))
    return Coverage(reference=ref_label, target=tgt_label, region=region,
                    reference_items=tuple(ref_results), target_items=tuple(target_results), matrix=prob)
