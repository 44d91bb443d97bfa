"""Upper-law review (上位法审查): a local document against the law above it, as a filing reviewer reads it.

For each article of the local document: the upper articles it implements or restates (`review_basis`), and the
differences with the best aligned one (`review_diff`): amounts and time limits, 应当 ↔ 可以, powers set without
an upper article that sets them. Across the whole document: duties the same-subject upper law puts on local
governments that no local article takes up. Every finding says how sure it is and what it cannot know.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from indexer.compare.review_acts import LocalArticles
from indexer.compare.review_basis import (
    DOC_BASIS,
    NAMES_ARTICLE,
    SUBJECT,
    Article,
    Basis,
    Candidate,
    article_basis,
    article_units,
    candidates,
    cited_titles,
    doc_level,
    is_above,
    upper_layer,
)
from indexer.compare.review_diff import (
    DUTIES,
    DUTY_MISSING,
    KIND_LABELS,
    KINDS,
    NUMBERS,
    POWERS,
    TYPE_KIND,
    TYPE_LABELS,
    TYPE_ORDER,
    Difference,
    pair_differences,
)
from indexer.compare.review_powers import government_duties, power_differences
from indexer.compare.review_reach import outside_place
from indexer.errors import PolicyError
from indexer.models import Document
from indexer.text import later_date

# A duty the upper law puts on local governments is taken up when some local sentence shares this much wording
# with the duty's sentence (bigram TF-IDF cosine); set on the tune half of benchmarks/review_dev.
DUTY_TAKEN = 0.3
MAX_DUTY_DOCS = 3
# Duties come from the upper documents about as close in wording to the local document as the closest of those it
# names as its basis or shares its subject with: a framework law (环境保护法) beside the specific one (噪声污染防治法)
# gives a noise regulation no duties on 海洋 or 农业. Chosen by reading the candidates of the labelled duties'
# documents (benchmarks/review_dev/duties.json) and of four regulations outside it; see docs/benchmarks.md.
DUTY_DOC_SHARE = 0.85
# a pair restates the upper article (what one says and the other omits counts) from this wording on
CLOSE = 0.25
PAIRED = 0.15  # and its numbers and modal verbs are compared from this wording on (ALIGN_MIN / 2, as WORDING)
CAVEATS = {
    NUMBERS: "只比较同类数额（金额与金额、期限与期限，日与工作日视为期限）；对个人与对单位的罚款分开比较；条文改写较多时可能配错数额，请对照原文。",
    "modality": "按情态词后的措辞配对；一句多义或拆分改写时可能误判。",
    POWERS: "地方性法规可在法定权限内设定部分行政处罚、行政许可等；只比对了对应的上位法条文，未核对其他条文或授权规定。",
    DUTIES: "本地文件可能在其他文件中落实，或该职责不属于本级；只核对了同一主题的上位法。",
}
NO_UPPER = "文库中找不到与本条对应的上位法条文，上位法可能不在文库中。"


@dataclass(frozen=True)
class Finding:
    """One thing a reviewer must look at: a typed difference between a local article and its upper article."""

    type: str
    message: str
    confidence: float
    local: Article | None
    upper: Article | None
    upper_title: str = ""
    upper_level: str = ""
    local_spans: tuple[tuple[int, int], ...] = ()
    upper_spans: tuple[tuple[int, int], ...] = ()
    local_value: str = ""
    upper_value: str = ""
    caveat: str = ""
    priority: int = 1  # within a type, 0 first (a fine beyond the upper law's)

    @property
    def kind(self) -> str:
        return TYPE_KIND[self.type]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "kind_label": KIND_LABELS[self.kind], "type": self.type,
                "label": TYPE_LABELS[self.type], "message": self.message, "confidence": round(self.confidence, 3),
                "local": self.local.to_dict() if self.local else None,
                "upper": self.upper.to_dict() if self.upper else None, "upper_title": self.upper_title,
                "upper_level": self.upper_level, "local_spans": [list(s) for s in self.local_spans],
                "upper_spans": [list(s) for s in self.upper_spans], "local_value": self.local_value,
                "upper_value": self.upper_value, "caveat": self.caveat}


@dataclass(frozen=True)
class ArticleReview:
    article: Article
    basis: tuple[Basis, ...]

    def to_dict(self) -> dict:
        return {"article": self.article.to_dict(), "basis": [b.to_dict() for b in self.basis]}


@dataclass(frozen=True)
class Review:
    doc_id: str
    title: str
    level: str
    date: str
    doc_number: str
    candidates: tuple[Candidate, ...]
    missing: tuple[str, ...]  # law titles the local text names that the library lacks
    articles: tuple[ArticleReview, ...]
    findings: tuple[Finding, ...]
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        return {k: sum(f.kind == k for f in self.findings) for k in KINDS}

    def later(self, c: Candidate) -> bool:
        """The upper document's text (its last 通过 or 修订) came after this document's: where they differ, this
        document may be what has to change, not one that overstepped the law of its day."""
        return later_date(c.doc.meta.date, self.date)

    def upper_words(self) -> str:
        """The upper documents in one line, as every door shows them: 《title》（文号 or date[，晚于本文件]）."""
        return "；".join(f"《{c.doc.meta.title}》（{c.doc.meta.doc_number or c.doc.meta.date or '日期未知'}"
                        f"{'，晚于本文件' if self.later(c) else ''}）" for c in self.candidates)

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "level": self.level, "date": self.date,
                "doc_number": self.doc_number,
                "upper_documents": [{**c.to_dict(), "later_than_document": self.later(c)} for c in self.candidates],
                "missing_upper_laws": list(self.missing), "notes": list(self.notes), "counts": self.counts(),
                "findings": [f.to_dict() for f in self.findings], "articles": [a.to_dict() for a in self.articles],
                "seconds": round(self.seconds, 3)}


# ---------------------------------------------------------------- the review

def review_document(docs: Sequence[Document], local: Document, *, upper: Sequence[str] = (),
                    level: str | None = None) -> Review:
    """Review `local` against the upper documents of `docs` (or only those named in `upper`).

    Args:
        docs: the library (national laws and regulations, provincial and city regulations).
        upper: doc_ids of the upper documents to check against; empty: found in the library.
        level: the local document's level when its metadata lacks one (a pasted draft); default city.
    """
    t0 = time.perf_counter()
    # a draft or a file from outside the library is local unless its metadata says otherwise
    known = any(d.doc_id == local.doc_id for d in docs)
    level = level or local.meta.level or (doc_level(local) if known else "") or "city"
    if level == "national":
        raise PolicyError(f"《{local.meta.title or local.doc_id}》是国家法律或行政法规，文库中没有其上位法可供审查 / "
                          "a national law has no upper law in the library to review it against")
    layer = upper_layer(docs)
    cands, missing = candidates(layer, local, level, upper)
    arts = article_units(local)
    if not arts:
        raise PolicyError("文件中找不到条文，无法审查 / no articles found in the document")
    bases = article_basis(layer, arts, cands)
    findings: list[Finding] = []
    by_number = LocalArticles({a.number: a.text for a in arts if a.number})
    upper_numbers: dict[str, dict[int, str]] = {}

    def upper_articles(doc_id: str) -> Callable[[int], str | None]:
        if doc_id not in upper_numbers:
            upper_numbers[doc_id] = {a.number: a.text for a in layer.articles if a.doc_id == doc_id and a.number}
        return upper_numbers[doc_id].get

    for art, bs in zip(arts, bases, strict=True):
        findings += _article_findings(art, bs, by_number, upper_articles)
    findings += _duty_findings(layer, arts, cands, level)
    findings.sort(key=lambda f: (TYPE_ORDER.index(f.type), f.priority, -f.confidence))
    notes = [f"援引的《{t}》不在文库中，相关条文无法核对 / not in the library" for t in missing]
    notes += _repeal_notes(layer, local, cands)
    notes += [f"《{c.doc.meta.title}》是关于{place}的规定，其条文未提到本地，可能不适用于本地 / about {place}, "
              "which its text does not say reaches this place" for c in cands if (place := outside_place(c.doc, local))]
    gone = {c.doc.doc_id: layer.repealed[c.doc.doc_id] for c in cands if c.doc.doc_id in layer.repealed}
    if gone:  # chosen by the reviewer, or its successor is not above: findings against it say so
        by_doc = {d.doc_id: d for d in layer.docs}
        findings = [replace(f, caveat=f"《{f.upper_title}》已被《{by_doc[gone[f.upper.doc_id]].meta.title}》废止，"
                            "请以现行法律核对。" + f.caveat) if f.upper and f.upper.doc_id in gone else f
                    for f in findings]
    if not any(c.kind == "article" for c in local.clauses):
        notes.append("文件中没有“第X条”形式的条文，已按段落逐段审查 / no 第X条 articles: paragraphs reviewed instead")
    by_id = {d.doc_id: d for d in docs}
    notes += [f"所选的《{by_id[u].meta.title or u}》不在本文件之上（层级不高于本文件，或不管辖本地），未作对照 / "
              "not above this document" for u in dict.fromkeys(upper) if u in by_id
              and not is_above(by_id[u], local, level)]
    if not cands:
        notes.append("文库中找不到本文件的上位法，无法审查 / no upper document found in the library")
    elif not upper and not any(DOC_BASIS in c.reasons or SUBJECT in c.reasons for c in cands):
        notes.append("本文件未援引上位法，标题也未点明与上位法相同的主题：以下上位法只按条文措辞相近选出，可能并不适用，请核对 / "
                     "no upper law is cited or shares the title's subject: these were picked by wording alone")
    m = local.meta
    if any(later_date(c.doc.meta.date, m.date) for c in cands):
        notes.append("标“晚于本文件”的上位法在本文件之后通过或修订：与之不一致处，可能是本文件需要随之修改，而非制定时超越上位法 / "
                     "upper law made or amended after this document: a difference may call for amending this document")
    return Review(local.doc_id, m.title or local.doc_id, level, m.date, m.doc_number, tuple(cands),
                  tuple(missing), tuple(ArticleReview(a, tuple(b)) for a, b in zip(arts, bases, strict=True)),
                  tuple(findings), time.perf_counter() - t0, tuple(notes))


def _repeal_notes(layer, local: Document, cands: Sequence[Candidate]) -> list[str]:
    """A note for each upper law the document names that a later library law repealed (…同时废止)."""
    from indexer.compare.answering import _norm_title

    by_doc = {d.doc_id: d for d in layer.docs}
    chosen = {c.doc.doc_id for c in cands}
    out = []
    for title in dict.fromkeys(t for t, _, _, _ in cited_titles(local.text)):
        old = layer.by_title.get(title)
        new = by_doc.get(layer.repealed.get(old.doc_id, "")) if old is not None else None
        if new is not None and _norm_title(new.meta.title or "") != title:
            how = "已改以后者对照" if new.doc_id in chosen and old.doc_id not in chosen else "对照结果请以现行法律核对"
            out.append(f"本文件援引的《{old.meta.title}》已被《{new.meta.title}》废止（见后者附则“同时废止”），{how} / "
                       "the cited law was repealed")
    return out


def _finding(d: Difference, art: Article, b: Basis | None, confidence: float, caveat: str) -> Finding:
    return Finding(d.type, d.message, confidence, art, b.article if b else None, b.title if b else "",
                   b.level if b else "", d.local_spans, d.upper_spans, d.local_value, d.upper_value, caveat, d.priority)


def _article_findings(art: Article, basis: Sequence[Basis], articles: LocalArticles | None = None,
                      upper_articles: Callable[[str], Callable[[int], str | None]] | None = None) -> list[Finding]:
    """The differences of one local article with its best aligned upper article; `articles`: the local document's
    (what a 违反本条例第X条 penalty punishes); `upper_articles`: doc_id → that upper document's, for the same."""
    aligned = [b for b in basis if b.aligned]
    out = []
    main = aligned[0] if aligned else None
    # differences of wording are read only where the two articles share wording, not only a law's name
    if main is not None and (main.wording >= PAIRED or NAMES_ARTICLE in main.reasons):
        weight = min(1.0, 0.6 + main.score / 2)
        theirs = upper_articles(main.article.doc_id) if upper_articles else None
        for d in pair_differences(art.text, main.article.text, close=main.wording >= CLOSE, articles=articles,
                                  upper_articles=theirs):
            out.append(_finding(d, art, main, d.confidence * weight, CAVEATS[d.kind]))
    for d in power_differences(art.text, [b.article.text for b in aligned[:3]]):
        caveat = CAVEATS[POWERS] + ("" if aligned else NO_UPPER)
        out.append(_finding(d, art, aligned[0] if aligned else None, d.confidence, caveat))
    return out


def duty_sentences(text: str, level: str = "") -> list[tuple[int, int]]:
    """Each duty a text puts on local governments (that a document of `level` can take up): from the government's
    name to the end of its sentence."""
    out = []
    for a, b in government_duties(text, level):
        ends = [e for e in (text.find(p, b) for p in "。；\n") if e >= 0]
        out.append((a, min(ends) if ends else len(text)))
    return out


def duty_sources(cands: Sequence[Candidate]) -> list[Candidate]:
    """The upper documents whose duties on local governments the local document should take up (DUTY_DOC_SHARE)."""
    pool = [c for c in cands if SUBJECT in c.reasons or DOC_BASIS in c.reasons]
    if not pool:
        return []
    best = max(c.similarity for c in pool)
    return sorted((c for c in pool if c.similarity >= DUTY_DOC_SHARE * best),
                  key=lambda c: -c.similarity)[:MAX_DUTY_DOCS]


def _duty_findings(layer, arts: Sequence[Article], cands: Sequence[Candidate], level: str = "") -> list[Finding]:
    """Upper articles giving local governments a duty (县级以上地方人民政府应当 …) that no local sentence takes up."""
    main = duty_sources(cands)
    if not main or layer.article_vectors is None or not arts:
        return []
    import numpy as np

    ids = {c.doc.doc_id for c in main}
    duties = [(ua, spans) for ua in layer.articles if ua.doc_id in ids and (spans := duty_sentences(ua.text, level))]
    if not duties:
        return []
    local = layer.vectors([s for a in arts for s in _sentences(a.text)])
    title = {c.doc.doc_id: c.doc.meta.title or c.doc.doc_id for c in main}
    level = {c.doc.doc_id: doc_level(c.doc) for c in main}
    out = []
    for ua, spans in duties:
        sims = np.asarray((layer.vectors([ua.text[a:b] for a, b in spans]) @ local.T).todense())
        best = float(sims.max()) if sims.size else 0.0
        if best >= DUTY_TAKEN:
            continue
        a, b = spans[0]
        msg = f"《{title[ua.doc_id]}》{ua.marker}规定的地方政府职责（{ua.text[a:min(b, a + 40)]}…），本文件没有相应条文"
        out.append(Finding(DUTY_MISSING, msg, 0.35 + 0.4 * (1 - best / DUTY_TAKEN), None, ua, title[ua.doc_id],
                           level[ua.doc_id], (), tuple(spans), caveat=CAVEATS[DUTIES]))
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；\n])", text) if s.strip()] or [text]


def draft_document(text: str, title: str = "", level: str = "") -> Document:
    """A pasted draft as a Document (its articles read by the outline parser), for review."""
    from dataclasses import replace

    from indexer.ingest import metadata, outline

    text = text.strip()
    if not text:
        raise PolicyError("草案文本为空 / the draft text is empty")
    name = (title or "草案").strip()
    parsed = outline.parse(text, "draft")
    meta = metadata.extract(text, filename=f"{name}.txt")
    meta = replace(meta, title=title or meta.title or "草案", level=level or meta.level)
    return Document("draft", "", text, meta, parsed.clauses, skipped=parsed.skipped)


def review(docs: Sequence[Document], key: str, *, upper: Sequence[str] = (), level: str | None = None) -> Review:
    """Review the library document `key` (doc_id, path or file name); `upper` names the upper documents."""
    from indexer.models import find_document as find

    local = find(docs, key)
    return review_document(docs, local, upper=[find(docs, u).doc_id for u in upper], level=level)


# ---------------------------------------------------------------- the library a review reads

LIBRARY_ENV = "POLICY_REVIEW_LIBRARY"  # extra folders (national laws …) the review reads, os.pathsep-separated
_EXTRA: dict[tuple, list[Document]] = {}


def review_folders(folders: Sequence[str] = ()) -> list[str]:
    """The extra library folders: those given, else $POLICY_REVIEW_LIBRARY."""
    import os

    if folders:
        return list(folders)
    return [f for f in os.environ.get(LIBRARY_ENV, "").split(os.pathsep) if f.strip()]


def with_upper_law(docs: Sequence[Document], folders: Sequence[str] = ()) -> list[Document]:
    """The library plus the documents of the extra folders (read once per process), doc_ids kept unique."""
    from pathlib import Path

    from indexer.ingest.corpus import load_folders

    folders = review_folders(folders)
    if not folders:
        return list(docs)
    for f in folders:
        if not Path(f).is_dir():
            raise PolicyError(f"找不到上位法文件夹 / no such library folder: {f}")
    key = tuple(folders)
    if key not in _EXTRA:
        _EXTRA.clear()  # a folder is read with the folders under it (national/ holds laws/, administrative-regulations/)
        tree = [sub for f in folders for sub in [Path(f), *sorted(p for p in Path(f).rglob("*")
                                                               if p.is_dir() and not p.name.startswith("."))]]
        _EXTRA[key] = load_folders(tree, errors=[])
    known = {d.doc_id for d in docs}
    return list(docs) + [d for d in _EXTRA[key] if d.doc_id not in known]
