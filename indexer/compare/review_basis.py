"""Upper-law basis: the articles of higher-level library documents that a local article implements or restates.

Two steps, so a 60-article regulation is checked against a thousand upper documents in a second or two:
1. candidate upper documents: those the local document names (《中华人民共和国…法》), those of the same subject
   (物业管理条例 above 杭州市物业管理条例), then the most similar by wording of the whole document;
2. each local article against the articles of those candidates only, ranked by shared wording (character-bigram
   TF-IDF, IDF over the whole upper layer) and raised when the article names the law, or the law's article.
The upper layer (titles, article vectors) is prepared once per library and kept (`upper_layer`).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.compare.answering import LEVEL_RANK, _norm_title, in_jurisdiction, same_subject
from indexer.compare.review_reach import outside_place, repealed_by
from indexer.ingest.outline import cn_to_int
from indexer.models import Document

# Why an upper article is offered as a local article's basis.
NAMES_ARTICLE, NAMES_LAW, DOC_BASIS, SUBJECT, WORDING = ("names_article", "names_law", "document_basis",
                                                         "same_subject", "wording")
REASON_LABELS = {NAMES_ARTICLE: "条文援引该条", NAMES_LAW: "条文援引该法", DOC_BASIS: "本文件援引该法为依据",
                 SUBJECT: "同一主题", WORDING: "措辞相近"}
# Score raises for what the local text says, over the wording cosine (0–1). A named article is nearly certain;
# a law named in the article is strong; the document's basis and subject only break ties between similar wording.
BONUS = {NAMES_ARTICLE: 0.6, NAMES_LAW: 0.25, DOC_BASIS: 0.1, SUBJECT: 0.05}
SIMILAR_DOCS = 5  # candidates by whole-document wording, beside the cited and same-subject ones
MAX_CANDIDATES = 12
TOP_K = 5  # basis articles kept per local article
# An upper article is "aligned" with a local one (their differences are worth reading) from this score on; set
# on the tune half of benchmarks/review_dev (eval_review.py prints the evidence).
ALIGN_MIN = 0.3
_CITED = re.compile(r"《([^《》]{2,60})》((?:第[零〇一二两三四五六七八九十百千0-9]+条)(?:[、和及至]"
                    r"第[零〇一二两三四五六七八九十百千0-9]+条)*)?")
_LAW_TITLE = re.compile(r"(?:法|条例|规定|办法|细则|决定|规则|法典|编)$")
# a decision amending or repealing regulations (…关于修改〈浙江省消防条例〉的决定), named in a regulation's history, is no
# upper law it implements
_AMENDING = re.compile(r"关于(?:修改|废止|修订)")
_ARTICLE_NO = re.compile(r"第([零〇一二两三四五六七八九十百千0-9]+)条")


@dataclass(frozen=True)
class Article:
    """One article (第X条) with its paragraphs and items: `text` is `document.text[start:end]`."""

    doc_id: str
    clause_id: str
    marker: str
    number: int
    chapter: str
    text: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "clause_id": self.clause_id, "marker": self.marker, "chapter": self.chapter,
                "text": self.text, "start": self.start, "end": self.end}


def article_units(doc: Document) -> list[Article]:
    """The document's articles, each with the clauses under it (a document without 第X条: its clauses)."""
    from indexer.ingest.outline import subtree_end

    out = []
    arts = [k for k, c in enumerate(doc.clauses) if c.kind == "article"]
    for k in arts or range(len(doc.clauses)):
        c = doc.clauses[k]
        end = subtree_end(doc.clauses, k) if arts else c.end
        chapter = next((s for s in c.section[:-1] if s.startswith("第") and "章" in s[:6]), "")
        out.append(Article(doc.doc_id, c.clause_id, c.marker or c.clause_id.split(":", 1)[-1], c.number, chapter,
                           doc.text[c.start:end], c.start, end))
    return [a for a in out if a.text.strip()]


def doc_level(doc: Document) -> str:
    """The document's level; a national law or State Council regulation with no level read is national."""
    if doc.meta.level:
        return doc.meta.level
    title = doc.meta.title or ""
    return "national" if not re.search(r"^[\u4e00-\u9fff]{2,8}?(?:省|市|县|区|自治州)", title.replace(
        "中华人民共和国", "")) else ""


def cited_titles(text: str) -> list[tuple[str, str, int, int]]:
    """(normalised title, article marks as written, start, end) of every law-like title in 《》 in `text`."""
    out = []
    for m in _CITED.finditer(text):
        title = m.group(1)
        inner = re.match(r"^(?:[\u4e00-\u9fff]{2,8}?(?:省|市))?实施[〈<《]?(.+?)[〉>》]?(?:办法|细则|条例|规定)$", title)
        if inner:  # 浙江省实施〈中华人民共和国道路交通安全法〉办法 names the law it implements as well
            out.append((_norm_title(inner.group(1)), "", m.start(), m.end()))
        if _LAW_TITLE.search(title):
            out.append((_norm_title(title), m.group(2) or "", m.start(), m.end()))
    return out


# ---------------------------------------------------------------- the upper layer, prepared once

@dataclass
class UpperLayer:
    """The library's documents that can stand above another (national, provincial, city), ready to match."""

    docs: list[Document]
    by_title: dict[str, Document]  # normalised title → its latest version
    articles: list[Article]
    article_doc: np.ndarray  # index into docs of each article
    article_vectors: object  # sparse rows, unit length
    doc_vectors: object
    vectorizer: object
    subjects: dict[str, str]
    repealed: dict[str, str] = field(default_factory=dict)  # doc_id → doc_id of the law that says 同时废止 of it

    def vectors(self, texts: Sequence[str]):
        from indexer.compare.align import normalize

        return self.vectorizer.transform([normalize(t) for t in texts])


_LAYERS: dict[tuple, UpperLayer] = {}


def upper_layer(docs: Sequence[Document]) -> UpperLayer:
    """The upper layer of a library, kept for the process, its fitted vectors kept on disk (`review_cache`)."""
    uppers = [d for d in docs if doc_level(d) in ("national", "province", "city")]
    key = tuple((d.doc_id, d.sha256 or len(d.text)) for d in uppers)
    if key not in _LAYERS:
        if len(_LAYERS) > 4:
            _LAYERS.clear()
        _LAYERS[key] = _build_layer(uppers)
    return _LAYERS[key]


def _latest(uppers: list[Document]) -> tuple[list[Document], dict[str, Document]]:
    """The documents that stand for their law (the same law in several versions: the latest), and title → it."""
    latest: dict[str, Document] = {}
    for d in uppers:
        t = _norm_title(d.meta.title or "")
        if t and (t not in latest or (d.meta.date or "") > (latest[t].meta.date or "")):
            latest[t] = d
    return [d for d in uppers if latest.get(_norm_title(d.meta.title or "")) is d], latest


def _build_layer(uppers: list[Document]) -> UpperLayer:
    from sklearn.preprocessing import normalize as unit_rows

    from indexer.compare import review_cache
    from indexer.compare.align import normalize
    from indexer.compare.answering import title_subject

    keep, latest = _latest(uppers)
    arts, owner = [], []
    for k, d in enumerate(keep):
        for a in article_units(d):
            arts.append(a)
            owner.append(k)
    owner_arr = np.asarray(owner, dtype=np.int64)
    if not arts:
        return UpperLayer(keep, latest, arts, owner_arr, None, None, review_cache.vectorizer(), {})
    key = review_cache.digest(keep)
    kept = review_cache.load(key, len(arts))
    if kept is None:
        vec = review_cache.vectorizer()
        av = vec.fit_transform([normalize(a.text) for a in arts])
        review_cache.save(key, vec, av)
    else:
        vec, av = kept
    from scipy.sparse import csr_matrix

    onehot = csr_matrix((np.ones(len(owner_arr), np.float32), (owner_arr, np.arange(len(owner_arr)))),
                        shape=(len(keep), len(owner_arr)))
    dv = unit_rows(onehot @ av)
    return UpperLayer(keep, latest, arts, owner_arr, av, dv, vec, {d.doc_id: title_subject(d) for d in keep},
                      repealed_by(keep, latest))


# ---------------------------------------------------------------- candidate documents

@dataclass(frozen=True)
class Candidate:
    """An upper document the local one is checked against, with why it was picked."""

    doc: Document
    reasons: tuple[str, ...]  # DOC_BASIS, SUBJECT, WORDING
    similarity: float

    def to_dict(self) -> dict:
        m = self.doc.meta
        return {"doc_id": self.doc.doc_id, "title": m.title, "level": doc_level(self.doc), "date": m.date,
                "doc_number": m.doc_number, "reasons": list(self.reasons),
                "labels": [REASON_LABELS[r] for r in self.reasons], "similarity": round(self.similarity, 4)}


def is_above(upper: Document, local: Document, local_level: str | None = None) -> bool:
    """Whether `upper` stands above `local`: a higher level, and its jurisdiction holds the local document."""
    lv = LEVEL_RANK.get(local_level or doc_level(local) or "city", 2)
    up = LEVEL_RANK.get(doc_level(upper))
    if up is None or up >= lv or upper.doc_id == local.doc_id:
        return False
    return up == 0 or in_jurisdiction(upper, local) is not False


def is_law(doc: Document) -> bool:
    """A law, regulation or rules by its title (…法, …条例, …规定, …办法): an opinion or a plan is no upper law."""
    title = re.sub(r"[（(][^）)]*[）)]$", "", (doc.meta.title or "").strip())
    return bool(_LAW_TITLE.search(title))


def candidates(layer: UpperLayer, local: Document, local_level: str | None = None,
               only: Sequence[str] = ()) -> tuple[list[Candidate], list[str]]:
    """The upper documents to align against, and the law titles the local text names that the library lacks.

    Args:
        only: doc_ids the reviewer chose (--upper); the rest of the library is not searched.
    """
    above = [k for k, d in enumerate(layer.docs) if is_above(d, local, local_level)
             and (d.doc_id in only if only else is_law(d))]
    reasons: dict[int, list[str]] = {k: [] for k in above}
    index = {d.doc_id: k for k, d in enumerate(layer.docs)}
    missing = []
    for title, _, _, _ in cited_titles(local.text):
        d = layer.by_title.get(title)
        if d is not None and index.get(d.doc_id) in reasons:
            if DOC_BASIS not in reasons[index[d.doc_id]]:
                reasons[index[d.doc_id]].append(DOC_BASIS)
        elif (d is None and title not in missing and title != _norm_title(local.meta.title or "")
              and not _AMENDING.search(title)):
            missing.append(title)
    for k in above:  # a law about one place outside the local city shares a subject, not a territory
        if same_subject(layer.docs[k], local) and not outside_place(layer.docs[k], local):
            reasons[k].append(SUBJECT)
    for k in above:  # a repealed law is read through the law that repealed it (unless the reviewer chose it)
        new = index.get(layer.repealed.get(layer.docs[k].doc_id, ""))
        if new in reasons and not only:
            reasons[new] += [r for r in reasons[k] if r not in reasons[new]]
            reasons[k] = []
    sims = np.zeros(len(layer.docs), np.float32)
    if layer.doc_vectors is not None and above:
        sims = np.asarray((layer.doc_vectors @ layer.vectors([local.text]).T).todense()).ravel()
        current = [k for k in above if only or layer.docs[k].doc_id not in layer.repealed]
        for k in sorted(current, key=lambda k: -sims[k])[:SIMILAR_DOCS]:
            reasons[k].append(WORDING)
    picked = [k for k in above if reasons[k] or only]
    picked.sort(key=lambda k: (-(DOC_BASIS in reasons[k]) - (SUBJECT in reasons[k]), -sims[k]))
    out = [Candidate(layer.docs[k], tuple(reasons[k]), float(sims[k])) for k in picked[:MAX_CANDIDATES]]
    return out, missing


# ---------------------------------------------------------------- basis of each article

@dataclass(frozen=True)
class Basis:
    """One upper article offered as a local article's basis."""

    article: Article
    title: str
    level: str
    score: float
    wording: float  # the bigram cosine alone
    reasons: tuple[str, ...]

    @property
    def aligned(self) -> bool:
        return self.score >= ALIGN_MIN or NAMES_ARTICLE in self.reasons

    def to_dict(self) -> dict:
        return {"doc_id": self.article.doc_id, "title": self.title, "level": self.level,
                "clause_id": self.article.clause_id, "marker": self.article.marker, "text": self.article.text,
                "score": round(self.score, 4), "wording": round(self.wording, 4), "reasons": list(self.reasons),
                "labels": [REASON_LABELS[r] for r in self.reasons], "aligned": self.aligned}


def _named(text: str, layer: UpperLayer) -> dict[str, set[int]]:
    """doc_id → article numbers (empty: the whole law) that an article's own text names."""
    out: dict[str, set[int]] = {}
    for title, marks, _, _ in cited_titles(text):
        d = layer.by_title.get(title)
        if d is not None:
            nums = {n for x in _ARTICLE_NO.findall(marks) if (n := cn_to_int(x))}
            out.setdefault(d.doc_id, set()).update(nums)
    return out


def article_basis(layer: UpperLayer, local_articles: Sequence[Article], cands: Sequence[Candidate],
                  top_k: int = TOP_K) -> list[list[Basis]]:
    """For each local article, its best `top_k` upper articles among the candidates' articles, best first."""
    if not local_articles or not cands or layer.article_vectors is None:
        return [[] for _ in local_articles]
    index = {d.doc_id: k for k, d in enumerate(layer.docs)}
    cand_of = {index[c.doc.doc_id]: c for c in cands}
    rows = np.flatnonzero(np.isin(layer.article_doc, list(cand_of)))
    if not len(rows):
        return [[] for _ in local_articles]
    sub = layer.article_vectors[rows]
    sims = np.asarray((layer.vectors([a.text for a in local_articles]) @ sub.T).todense())
    doc_bonus = np.array([sum(BONUS[r] for r in cand_of[layer.article_doc[r_]].reasons if r in BONUS)
                          for r_ in rows], np.float32)
    out = []
    for i, la in enumerate(local_articles):
        named = _named(la.text, layer)
        score = sims[i] + doc_bonus
        for k, r_ in enumerate(rows):
            ua = layer.articles[r_]
            if ua.doc_id in named:
                score[k] += BONUS[NAMES_LAW] + (BONUS[NAMES_ARTICLE] if ua.number in named[ua.doc_id] else 0.0)
        best = np.argsort(-score)[:top_k]
        out.append([_basis(layer, rows[k], float(score[k]), float(sims[i, k]), cand_of, named) for k in best
                    if score[k] > 0])
    return out


def _basis(layer: UpperLayer, row: int, score: float, wording: float, cand_of, named) -> Basis:
    ua = layer.articles[row]
    doc = layer.docs[layer.article_doc[row]]
    why = []
    if ua.doc_id in named:
        why.append(NAMES_ARTICLE if ua.number in named[ua.doc_id] else NAMES_LAW)
    why += [r for r in cand_of[layer.article_doc[row]].reasons if r in (DOC_BASIS, SUBJECT)]
    if wording >= ALIGN_MIN / 2:
        why.append(WORDING)
    return Basis(ua, doc.meta.title or doc.doc_id, doc_level(doc), min(score, 1.0), wording, tuple(why))
