"""Two regulations compared article by article: which of the reference's articles (with the clauses under
them) the target's articles carry, through the clause alignment confirmed by shared wording. The matrix's
article rows and the coverage of one regulation by another are both this answer."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexer.compare.align import align_documents, embedding_memo
from indexer.compare.coverage import (
    ALIGNED,
    COVERED,
    LOCAL_ADDITION,
    MISSING,
    Coverage,
    Match,
    ReferenceResult,
    TargetResult,
    region_mentions,
)
from indexer.compare.reference import (
    UNIT_ARTICLE,
    UNIT_LABELS,
    RefItem,
    articles,
    descendants,
    reference_items,
    subtree_text,
)
from indexer.ingest.places import document_region
from indexer.models import Clause, Document, ListItem, NamedList

# A clause pair found by the alignment carries a reference article only when the two articles also share this
# much wording (cosine of IDF-weighted character bigrams over both regulations' articles). Same-topic
# regulations pair many clauses on related but different duties (utilities vs collecting their fees); on the
# first 20-cell spot check of the Zhejiang matrices the wrong pairs had 0.06–0.10, the right ones 0.14–0.51 but
# one (0.05). Set on that check; `benchmarks/bench_provincial.py zhejiang --spot` prints a fresh one.
ARTICLE_CONFIRM = 0.1



@dataclass(frozen=True)
class Cell:
    status: str  # covered | missing
    confidence: float  # 0–1: the best pair's P(match) (list) or alignment score (articles)
    matches: tuple[str, ...]  # the target's items (names) or articles (markers) carrying it
    clause_ids: tuple[str, ...]  # the target clauses carrying it
    names_region: bool = False  # the reference item's text names the target's region

    @property
    def named_gap(self) -> bool:
        return self.names_region and self.status == MISSING

    def to_dict(self) -> dict:
        return {"status": self.status, "confidence": round(self.confidence, 4), "matches": list(self.matches),
                "clause_ids": list(self.clause_ids), "names_region": self.names_region,
                "named_gap": self.named_gap}


@dataclass(frozen=True)
class Addition:
    """A target item (or article) that takes up no reference item: a local addition."""

    name: str
    clause_id: str | None
    text: str
    nearest: str = ""  # the closest reference item, when the model names one
    score: float = 0.0

    def to_dict(self) -> dict:
        return {"name": self.name, "clause_id": self.clause_id, "text": self.text, "nearest": self.nearest,
                "score": round(self.score, 4)}


def _article_of(doc: Document) -> dict[str, Clause]:
    """clause id → the article it sits in (itself for an article; absent outside articles)."""
    by_id = {c.clause_id: c for c in doc.clauses}
    out = {}
    for c in doc.clauses:
        x: Clause | None = c
        while x is not None and x.kind != "article":
            x = by_id.get(x.parent_id) if x.parent_id else None
        if x is not None:
            out[c.clause_id] = x
    return out


def _article_similarity(ref: Document, items: Sequence[RefItem], tdoc: Document) -> dict[tuple[int, str], float]:
    """(item index, target article id) → cosine of their character-bigram TF-IDF, IDF over both documents'
    articles (so 物业服务企业 or 应当, which every article of both says, weighs nothing)."""
    from indexer.compare.align import bigram_tfidf, normalize

    tarts = articles(tdoc)
    texts = [normalize(it.text) for it in items] + [normalize(subtree_text(tdoc, descendants(tdoc, a.clause_id)))
                                                   for a in tarts]
    v = bigram_tfidf(texts)
    sims = v[: len(items)] @ v[len(items):].T
    return {(j, a.clause_id): float(sims[j, k]) for j in range(len(items)) for k, a in enumerate(tarts)}


@dataclass(frozen=True)
class ClauseCells:
    """A target document against a reference's items through the clause alignment."""

    cells: tuple[Cell, ...]
    additions: tuple[Addition, ...]
    carried: dict  # target article (or clause) id → (index of the reference item it carries best, score)
    # per reference item: (target article mark, its first paired clause id, best pair score), best first
    marks: tuple[tuple[tuple[str, str, float], ...], ...] = ()


def clause_cells(ref: Document, items: Sequence[RefItem], tdoc: Document, vectors, embedder,
                 unit: str = UNIT_ARTICLE) -> ClauseCells:
    """Cells from the clause alignment: an item is covered when one of its clauses is paired (for articles: with
    a clause of a target article that shares enough of the article's wording, see ARTICLE_CONFIRM)."""
    al = align_documents(ref, tdoc, vectors=vectors, embedder=embedder)
    art = _article_of(tdoc)
    sim = _article_similarity(ref, items, tdoc) if unit == UNIT_ARTICLE and articles(tdoc) else None
    region = document_region(tdoc)
    cells, per_item = [], []
    carried: dict[str, tuple[int, float]] = {}  # target articles (or clauses outside articles) carrying an item
    for j, it in enumerate(items):
        ids = set(it.clause_ids or ((it.clause_id,) if it.clause_id else ()))
        pairs = sorted((p for p in al.pairs if p.a.clause_id in ids), key=lambda p: -p.score)
        if sim is not None:
            pairs = [p for p in pairs if p.b.clause_id in art
                     and sim.get((j, art[p.b.clause_id].clause_id), 0.0) >= ARTICLE_CONFIRM]
        marks, cids, first = [], [], []
        for p in pairs:
            a = art.get(p.b.clause_id)
            mark = a.marker if a is not None else p.b.clause_id.split(":", 1)[-1]
            if mark not in marks:
                marks.append(mark)
                first.append((mark, p.b.clause_id, p.score))
            cids.append(p.b.clause_id)
            key = a.clause_id if a is not None else p.b.clause_id
            if key not in carried or carried[key][1] < p.score:
                carried[key] = (j, p.score)
        named = bool(region_mentions(it.text, region)) if region else False
        cells.append(Cell(COVERED if pairs else MISSING, pairs[0].score if pairs else 0.0, tuple(marks),
                          tuple(cids), named))
        per_item.append(tuple(first))
    adds = tuple(Addition(a.marker, a.clause_id, subtree_text(tdoc, descendants(tdoc, a.clause_id)))
                 for a in articles(tdoc) if a.clause_id not in carried)
    return ClauseCells(tuple(cells), adds, carried, tuple(per_item))


def article_coverage(ref: Document, tdoc: Document, *, vectors=None, embedder=None):
    """Coverage of one regulation by another, article by article, through the matrix's article cells: the
    coverage page and `coverage` answer for regulations exactly what the matrix's row says.

    Returns (Coverage, the reference's articles as a NamedList, the target's articles as a NamedList)."""
    items = reference_items(ref, UNIT_ARTICLE)
    cc = clause_cells(ref, items, tdoc, vectors, embedding_memo(embedder))
    region = document_region(tdoc)
    tarts = articles(tdoc) or [c for c in tdoc.clauses if c.clause_id in cc.carried]
    mark = {c.clause_id: c.marker or c.clause_id.split(":", 1)[-1] for c in tarts}
    refs = []
    for it, cell, marks in zip(items, cc.cells, cc.marks, strict=True):
        mentions = region_mentions(it.text, region) if region else ()
        refs.append(ReferenceResult(it.name, it.clause_id, tuple(Match(m, score, cid) for m, cid, score in marks),
                                    cell.status, bool(mentions), mentions))
    tgts = []
    for c in tarts:
        j, score = cc.carried.get(c.clause_id, (None, 0.0))
        best = items[j].name if j is not None else None
        tgts.append(TargetResult(mark[c.clause_id], c.clause_id, best, score, ALIGNED if best else LOCAL_ADDITION,
                                 best or ""))
    result = Coverage(ref.doc_id, tdoc.doc_id, region, tuple(refs), tuple(tgts))

    def as_list(doc: Document, arts) -> NamedList:
        return NamedList(doc.doc_id, UNIT_LABELS[UNIT_ARTICLE], None, tuple(
            ListItem(a.marker or a.clause_id, a.heading, a.clause_id,
                     subtree_text(doc, descendants(doc, a.clause_id))) for a in arts))

    return result, as_list(ref, articles(ref)), as_list(tdoc, tarts)
