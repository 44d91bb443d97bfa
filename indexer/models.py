"""Frozen data types passed between the stages: file → Document → Clause → Hit / Alignment."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import PurePath

from indexer.errors import NotFoundError

# Progress of a long step, for bars and time-left estimates: (stage, done, total). Stages: "read", "page" (a PDF
# page), "ocr" (a scanned page recognised), "embed", "write".
ProgressFn = Callable[[str, int, int], None]
# The search modes, one list for every door (the engine, the CLI's --mode, the API's `mode`).
SEARCH_MODES = ("hybrid", "semantic", "keyword", "phrase", "fuzzy")
STAGE_LABELS = {"read": "读取文件", "page": "读取页面", "ocr": "识别扫描页", "embed": "计算向量", "write": "写入索引"}

# Chinese labels for the level and status codes (the codes stay in JSON; people read the labels).
LEVEL_LABELS = {"national": "国家级", "province": "省级", "city": "市级", "county": "县级",
                "news": "新闻报道", "other": "其他", "": "未标注"}
STATUS_LABELS = {"": "现行/未标注", "draft": "征求意见稿", "trial": "试行", "expired": "已失效"}


@dataclass(frozen=True)
class DocMeta:
    """Document metadata. A field is empty ("" / ()) when the text does not support a value."""

    title: str = ""
    issuer: str = ""
    doc_number: str = ""  # the document's own 文号, e.g. 粤府函〔2020〕82号
    cited_numbers: tuple[str, ...] = ()  # 文号 it cites, other than its own
    date: str = ""  # ISO date: 发布 date if known, else 成文 date
    date_written: str = ""  # 成文日期
    date_published: str = ""  # 发布日期
    region: str = ""  # most specific region name, e.g. 东莞市
    province: str = ""  # province of the region, e.g. 广东省
    level: str = ""  # national | province | city | county | news | other
    status: str = ""  # "" (in force / unknown) | draft | trial | expired
    # A regulation's legislative history (…会议通过 / 批准 / 修正). For a regulation `date` is the day its
    # current text became law: the last 批准, 修正 or 修订, else the 通过 (a provincial regulation needs no 批准).
    approver: str = ""  # the organ that approved it, e.g. 浙江省人民代表大会常务委员会 for a city's regulation
    date_passed: str = ""  # 通过: first adopted by its issuer
    date_approved: str = ""  # 批准: first approved by the approver
    date_amended: str = ""  # the last 修正 or 修订
    date_effective: str = ""  # 施行, when the history names it

    def to_dict(self) -> dict:
        d = asdict(self)
        d["cited_numbers"] = list(self.cited_numbers)
        return d


@dataclass(frozen=True)
class Clause:
    """One node of the outline: a numbered heading with its own body, or an unnumbered paragraph.

    `text` is exactly `document.text[start:end]`; sibling clauses never overlap, and children
    follow their parent (a parent's text stops where its first child starts).
    """

    clause_id: str
    doc_id: str
    level: int  # depth in the tree: 1 = top-level heading; paragraphs sit one below their section
    kind: str  # marker kind: part, chapter, section, article, cn, cn_paren, num, num_paren, circled, para, preamble
    marker: str  # the numbering as written, e.g. "（一）", "1.", "第十条"; "" for paragraphs
    number: int  # ordinal of the marker (0 for paragraphs)
    heading: str  # short title after the marker, "" when the clause has none
    text: str
    section: tuple[str, ...]  # path of "marker+heading" labels from the top down to this clause
    start: int
    end: int
    page: int | None = None
    parent_id: str | None = None

    @property
    def section_str(self) -> str:
        return " › ".join(self.section)

    @property
    def body(self) -> str:
        """The text without its marker."""
        return self.text[len(self.marker):].strip() if self.marker else self.text.strip()

    def to_dict(self) -> dict:
        return {
            "clause_id": self.clause_id,
            "doc_id": self.doc_id,
            "level": self.level,
            "kind": self.kind,
            "marker": self.marker,
            "heading": self.heading,
            "section": self.section_str,
            "section_path": list(self.section),
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "page": self.page,
            "parent_id": self.parent_id,
        }


@dataclass(frozen=True)
class ListItem:
    name: str  # short name, e.g. 新一代电子信息
    heading: str  # heading as written, e.g. 新一代电子信息产业集群
    clause_id: str
    text: str = ""  # the item's own body text (used for alignment)


@dataclass(frozen=True)
class NamedList:
    """A section that enumerates named items (the 20 clusters, the 六大工程 …)."""

    doc_id: str
    section: str  # path of the enumerating section
    clause_id: str | None  # the enumerating clause (None for a merged list of several sections)
    items: tuple[ListItem, ...]
    parts: tuple[str, ...] = ()  # for a merged list: the sections it merges

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "section": self.section,
            "clause_id": self.clause_id,
            "parts": list(self.parts),
            "items": [asdict(i) for i in self.items],
        }


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: str
    text: str  # cleaned text; all clause offsets point into it
    meta: DocMeta
    clauses: tuple[Clause, ...]
    format: str = "txt"  # txt | pdf | docx | doc | html | md
    page_starts: tuple[int, ...] = ()  # for PDFs: offset where page i+1 starts
    sha256: str = ""  # of the source bytes
    warnings: tuple[str, ...] = field(default=())
    # (kind, start, end) of the lines kept out of the clauses: salutation, issuer, doc_number, date, note, toc,
    # number (see outline.Outline); clauses and these spans together cover the text.
    skipped: tuple[tuple[str, int, int], ...] = ()

    def clause(self, clause_id: str) -> Clause:
        for c in self.clauses:
            if c.clause_id == clause_id:
                return c
        raise KeyError(clause_id)

    def summary(self) -> dict:
        d = {"doc_id": self.doc_id, **self.meta.to_dict(), "n_clauses": len(self.clauses),
             "path": self.path, "format": self.format}
        return d


@dataclass(frozen=True)
class IndexedDocument:
    """A document as the index holds it: metadata and counts, without its text or clauses."""

    doc_id: str
    path: str
    meta: DocMeta
    n_clauses: int = 0
    format: str = "txt"
    sha256: str = ""
    page_starts: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()

    def summary(self) -> dict:
        return {"doc_id": self.doc_id, **self.meta.to_dict(), "n_clauses": self.n_clauses, "path": self.path,
                "format": self.format}


@dataclass(frozen=True)
class Hit:
    """One clause found, with where it sits and why it was found."""

    rank: int
    score: float  # higher is better within one result list (hybrid: the learned fusion's linear score)
    doc_id: str
    title: str
    region: str
    province: str
    level: str
    date: str
    status: str
    clause_id: str
    section: str
    section_path: tuple[str, ...]
    text: str
    start: int
    end: int
    page: int | None
    highlights: tuple[tuple[int, int], ...] = ()  # spans of matched terms inside `text`
    signals: dict = field(default_factory=dict, hash=False)  # signal → {"rank": r, "score": s}
    doc_number: str = ""  # the document's own 文号
    low: bool = False  # under the relevance floor: the best of a result nothing really matches (相关度较低)

    @property
    def marked(self) -> str:
        """The text with matched terms in 【】 (the UI escapes the text and marks the spans itself)."""
        from indexer.keywords import mark

        return mark(self.text, self.highlights)

    def to_dict(self) -> dict:
        return {"rank": self.rank, "score": round(float(self.score), 6), "doc_id": self.doc_id,
                "title": self.title, "region": self.region, "province": self.province, "level": self.level,
                "date": self.date, "status": self.status, "clause_id": self.clause_id, "section": self.section,
                "section_path": list(self.section_path), "text": self.text, "marked": self.marked,
                "highlights": [list(s) for s in self.highlights], "start": self.start, "end": self.end,
                "page": self.page, "signals": self.signals, "doc_number": self.doc_number,
                "low_relevance": self.low}


def find_document(docs: Sequence[Document], key: str) -> Document:
    """A document by doc_id, file path or file name; else by its title when one document bears it (a regulation's
    title without its date). NotFoundError names the closest few otherwise, never the whole library."""
    for d in docs:
        if key in (d.doc_id, d.path) or PurePath(d.path).name == key:
            return d
    wanted = "".join(key.split())
    titled = [d for d in docs if wanted and "".join(d.meta.title.split()) == wanted]
    if len(titled) == 1:
        return titled[0]
    if titled:
        raise NotFoundError(f"有 {len(titled)} 份文件题为「{key}」，请用文件编号指明 / {len(titled)} documents are "
                            f"titled '{key}'; name one by its doc_id: {', '.join(d.doc_id for d in titled[:8])}")
    raise NotFoundError(f"找不到文件 / no document '{key}'{_closest(docs, key)}")


def _closest(docs: Sequence[Document], key: str, n: int = 5) -> str:
    """"; 最接近 / closest: a, b, c (N 份文件…)" — the doc_ids whose id or title read most like `key`."""
    if not docs:
        return "；文库为空 / the library is empty"
    from rapidfuzz import fuzz, process

    ids = [d.doc_id for d in docs]
    choices = {i: f"{d.doc_id} {d.meta.title}" for i, d in enumerate(docs)}
    best = process.extract(key, choices, scorer=fuzz.partial_ratio, limit=n)
    near = ", ".join(ids[i] for _, score, i in best if score >= 70)
    hint = f"；最接近 / closest: {near}" if near else ""
    return f"{hint}（共 {len(docs)} 份文件，可用 docs 命令列出 / {len(docs)} documents, listed by `docs`）"
