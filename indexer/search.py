"""Search over a built index: semantic (FAISS), keyword (BM25), phrase, fuzzy, and their rank fusion (hybrid)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer import paths
from indexer.build import passage_text, vector_key
from indexer.corpus import PARSER_VERSION
from indexer.embedders import Embedder, get_embedder
from indexer.errors import IndexError_, NotFoundError, PolicyError
from indexer.keywords import TokenizerConfig, fold_width, get_tokenizer, highlight_spans, mark, normalise
from indexer.metadata import normalise_number
from indexer.models import Clause, Document
from indexer.store import ClauseIndex, current_generation, open_index

MODES = ("hybrid", "semantic", "keyword", "phrase", "fuzzy")
RRF_K = 60  # reciprocal-rank-fusion constant (see evaluate.py: measured against alternatives)
DEPTH = 100  # candidates each signal contributes to fusion
FUZZY_CUTOFF = 60.0  # rapidfuzz partial_ratio (0-100) below which a clause is not a near-verbatim match
FUZZY_FULL_SCAN = 3_000  # up to this many rows fuzzy matching scans everything (~17 µs a clause)
FUZZY_CANDIDATES = 1_000  # above that, it rescores the best keyword matches


@dataclass(frozen=True)
class SearchFilters:
    """Restrict hits; each text field may list several values separated by commas (any of them matches).

    region matches the region or province by substring (东莞 → 东莞市); level and status match exactly
    (status "current" means no draft/trial/expired mark); dates are ISO prefixes, inclusive; section
    matches any label of the clause's section path by substring (保障措施).
    """

    region: str = ""
    province: str = ""
    level: str = ""
    doc_ids: tuple[str, ...] = ()
    status: str = ""
    date_from: str = ""
    date_to: str = ""
    section: str = ""

    def is_empty(self) -> bool:
        return not any((self.region, self.province, self.level, self.doc_ids, self.status, self.date_from,
                        self.date_to, self.section))

    def accepts_document(self, meta: dict, doc_id: str) -> bool:
        if self.doc_ids and doc_id not in self.doc_ids:
            return False
        if self.region and not any(v in meta.get("region", "") or v in meta.get("province", "")
                                   for v in _values(self.region)):
            return False
        if self.province and not any(v in meta.get("province", "") for v in _values(self.province)):
            return False
        if self.level and meta.get("level", "") not in _values(self.level):
            return False
        if self.status:
            wanted = {"" if v in ("current", "in_force", "现行") else v for v in _values(self.status)}
            if meta.get("status", "") not in wanted:
                return False
        date = meta.get("date", "")
        if self.date_from and (not date or date < self.date_from):
            return False
        if self.date_to and (not date or date > _date_upper(self.date_to)):
            return False
        return True


def _values(s: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in s.replace("，", ",").split(",") if v.strip())


def _date_upper(d: str) -> str:
    """Inclusive upper bound for a date prefix: 2021 → 2021-12-31, 2021-06 → 2021-06-31."""
    return d + "-12-31"[len(d) - 4:] if len(d) in (4, 7) else d


@dataclass(frozen=True)
class Hit:
    """One clause found, with where it sits and why it was found."""

    rank: int
    score: float
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

    @property
    def marked(self) -> str:
        """The text with matched terms in 【】 (the UI escapes the text and marks the spans itself)."""
        return mark(self.text, self.highlights)

    def to_dict(self) -> dict:
        return {"rank": self.rank, "score": round(float(self.score), 6), "doc_id": self.doc_id,
                "title": self.title, "region": self.region, "province": self.province, "level": self.level,
                "date": self.date, "status": self.status, "clause_id": self.clause_id, "section": self.section,
                "section_path": list(self.section_path), "text": self.text, "marked": self.marked,
                "highlights": [list(s) for s in self.highlights], "start": self.start, "end": self.end,
                "page": self.page, "signals": self.signals, "doc_number": self.doc_number}


Ranked = list[tuple[int, float]]  # (row, score), best first


@dataclass(frozen=True)
class Fusion:
    """How hybrid mode combines signals: "rrf" (Σ w/(k+rank)) or "minmax" (Σ w·min-max-normalised score)."""

    method: str = "rrf"
    k: int = RRF_K
    weights: tuple[tuple[str, float], ...] = ()

    def weight(self, name: str) -> float:
        return dict(self.weights).get(name, 1.0)


DEFAULT_FUSION = Fusion()


def fuse(rankings: dict[str, Ranked], fusion: Fusion | None = None) -> Ranked:
    """Combine per-signal rankings into one, best first (ties broken by row for determinism)."""
    fusion = fusion or DEFAULT_FUSION
    fused: dict[int, float] = {}
    for name, ranked in rankings.items():
        w = fusion.weight(name)
        if fusion.method == "minmax" and ranked:
            hi, lo = ranked[0][1], ranked[-1][1]
            for row, s in ranked:
                fused[row] = fused.get(row, 0.0) + w * ((s - lo) / (hi - lo) if hi > lo else 1.0)
        else:
            for r, (row, _) in enumerate(ranked, 1):
                fused[row] = fused.get(row, 0.0) + w / (fusion.k + r)
    return sorted(fused.items(), key=lambda x: (-x[1], x[0]))


class Engine:
    """A loaded index and (lazily) its embedder: cheap to query repeatedly, safe to share between threads."""

    def __init__(self, index: ClauseIndex, embedder: Embedder | None = None, index_dir: Path | None = None):
        self.index = index
        self.index_dir = index_dir
        self._embedder = embedder
        cfg = index.manifest.get("tokenizer", {})
        self.tokenizer = get_tokenizer(TokenizerConfig(mode=cfg.get("mode", "search"), hmm=cfg.get("hmm", True)))
        self.context = index.manifest.get("passage_context", "section")
        self._documents: list[Document] | None = None
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._row_cache: OrderedDict[SearchFilters, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._haystack: tuple[str, np.ndarray] | None = None
        self._sections: list[str] | None = None
        self._numbers: list[tuple[str, int]] | None = None
        parents = {r["parent_id"] for r in index.table.records if r["parent_id"]}
        self._bare = {i for i, r in enumerate(index.table.records) if r["clause_id"] in parents and _bare_heading(r)}

    @classmethod
    def open(cls, index_dir: str | Path = paths.INDEX_DIR, embedder: Embedder | str | None = None) -> Engine:
        """Load the live index of `index_dir`; an embedder other than the index's is refused."""
        index_dir = Path(index_dir)
        index = open_index(index_dir)
        built = index.manifest["embedder"]
        if isinstance(embedder, str):
            embedder = None if embedder == built["name"] else get_embedder(embedder)
        if embedder is not None:
            if embedder.name != built["name"] or embedder.dim != built["dim"]:
                _refuse(built["name"], f"{embedder.name} ({embedder.dim})")
        return cls(index, embedder, index_dir)

    # ---- what is indexed

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = get_embedder(self.index.embedder_name)
        return self._embedder

    @property
    def manifest(self) -> dict:
        return self.index.manifest

    @property
    def documents(self) -> list[Document]:
        """The indexed documents with their text and clauses (loaded on first use)."""
        if self._documents is None:
            self._documents = self.index.load_documents()
        return self._documents

    def document_summaries(self) -> list[dict]:
        return [{"doc_id": d["doc_id"], **d["meta"], "n_clauses": d["n_clauses"], "path": d["path"],
                 "format": d.get("format", "")} for d in self.index.documents]

    def is_stale(self) -> bool:
        """True when a newer build was published since this engine was opened."""
        return self.index_dir is not None and current_generation(self.index_dir) != self.index.folder

    def parser_outdated(self) -> bool:
        """True when the index was built by an older parser: clause trees may have changed since (run build)."""
        return self.index.manifest.get("versions", {}).get("parser") != PARSER_VERSION

    def clause(self, clause_id: str) -> Clause:
        row = self.index.row_of(clause_id)
        if row is None:
            raise NotFoundError(f"找不到条款 / no clause '{clause_id}'")
        return self.index.table.clause(row)

    # ---- vectors

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            v = self._qcache.get(text)
        if v is None:
            v = self.embedder.embed_query(text)
            with self._lock:
                self._qcache[text] = v
                while len(self._qcache) > 256:
                    self._qcache.popitem(last=False)
        return v

    def clause_vectors(self, clauses: Sequence[Clause], titles: dict[str, str] | None = None) -> np.ndarray:
        """Vectors of these clauses: from the index by content hash where present, else embedded now.

        Args:
            titles: doc_id → title, only needed for indexes built with context "title" and unindexed docs.
        """
        titles = dict(titles or {})
        for d in self.index.documents:
            titles.setdefault(d["doc_id"], d["meta"].get("title", ""))
        name = self.index.embedder_name
        passages = [passage_text(c, titles.get(c.doc_id, ""), self.context) for c in clauses]
        rows = [self.index.row_of_key(vector_key(name, p)) for p in passages]
        out = np.zeros((len(clauses), int(self.index.manifest["embedder"]["dim"])), dtype=np.float32)
        have = [i for i, r in enumerate(rows) if r is not None]
        if have:
            out[have] = self.index.vectors.get([rows[i] for i in have])
        missing = [i for i, r in enumerate(rows) if r is None]
        if missing:
            out[missing] = self.embedder.embed_passages([passages[i] for i in missing])
        return out

    # ---- search

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
               fuzzy: bool = False, fusion: Fusion | None = None) -> list[Hit]:
        """The k best clauses for a query.

        Args:
            mode: hybrid (semantic + keyword, fused by rank), semantic, keyword, phrase (exact wording) or fuzzy
                (near-verbatim wording despite small edits).
            fuzzy: in hybrid mode, also fuse the fuzzy signal.
            fusion: how hybrid mode combines the signals (reciprocal rank fusion by default).
        """
        if mode not in MODES:
            raise PolicyError(f"未知的检索方式 / unknown mode {mode!r}: one of {', '.join(MODES)}")
        query = (query or "").strip()
        if not query or k <= 0:
            return []
        rows = self._filter_rows(filters)
        if rows is not None and not len(rows):
            return []
        depth = max(DEPTH, 3 * k)
        tokens = self.tokenizer(query)
        rankings: dict[str, Ranked] = {}
        if mode in ("hybrid", "semantic"):
            rankings["semantic"] = self._semantic(self.embed_query(query), depth, rows)
        if mode in ("hybrid", "keyword"):
            rankings["keyword"] = self._keyword(tokens, depth, rows)
        if mode == "phrase":
            rankings["phrase"] = self._phrase(query, tokens, depth, rows)
        if mode == "fuzzy" or (mode == "hybrid" and fuzzy):
            rankings["fuzzy"] = self._fuzzy(query, tokens, depth, rows)
        if mode != "phrase" and self._bare:  # a heading without a body answers nothing: give its place away
            rankings = {name: [x for x in ranked if x[0] not in self._bare] for name, ranked in rankings.items()}
        fused = fuse(rankings, fusion) if mode == "hybrid" else rankings[mode]
        if mode in ("hybrid", "keyword", "phrase"):
            owners = self._doc_number_owners(query, rows, exact=mode == "phrase")
            if owners:  # a 文号 in the query: the document that carries it comes before those citing it
                rankings["doc_number"] = owners
                top = fused[0][1] if fused else 1.0
                pinned = {row for row, _ in owners}
                fused = [(row, top) for row, _ in owners] + [x for x in fused if x[0] not in pinned]
        phrase = normalise(query) if mode == "phrase" else None
        return [self._hit(i + 1, row, score, rankings, tokens, phrase, query if mode == "fuzzy" else None)
                for i, (row, score) in enumerate(fused[:k])]

    def search_many(self, queries: Sequence[str], **kw) -> list[list[Hit]]:
        return [self.search(q, **kw) for q in queries]

    def similar(self, clause_id: str, k: int = 10, filters: SearchFilters | None = None) -> list[Hit]:
        """Clauses closest in meaning to an indexed clause (itself excluded)."""
        row = self.index.row_of(clause_id)
        if row is None:
            raise NotFoundError(f"找不到条款 / no clause '{clause_id}'")
        rows = self._filter_rows(filters)
        ranked = [(r, s) for r, s in self._semantic(self.index.vectors.get([row])[0], k + 1 + len(self._bare), rows)
                  if r != row and r not in self._bare]
        rankings = {"semantic": ranked}
        return [self._hit(i + 1, r, s, rankings, (), None, None) for i, (r, s) in enumerate(ranked[:k])]

    # ---- signals

    def _doc_number_owners(self, query: str, rows: np.ndarray | None, exact: bool = False) -> Ranked:
        """The first clause of each document whose own 文号 appears in the query (within the filter).

        exact: the query must be the 文号 itself (phrase mode promises the wording, not the metadata).
        """
        if not any(ch.isdigit() for ch in query):
            return []
        q = normalise_number(query)
        owners = [first for number, first in self._numbered_documents() if (q == number if exact else number in q)]
        if owners and rows is not None:
            allowed = set(rows.tolist())
            owners = [r for r in owners if r in allowed]
        return [(r, 1.0) for r in owners]

    def _numbered_documents(self) -> list[tuple[str, int]]:
        """(normalised 文号, first answerable row) of every document that has a number of its own."""
        if self._numbers is None:
            answerable = np.ones(len(self.index), bool)
            answerable[list(self._bare)] = False
            rows = np.flatnonzero(answerable)
            docs, first = np.unique(np.asarray(self.index.table.doc_index)[rows], return_index=True)
            numbers = [self.index.documents[int(di)].get("meta", {}).get("doc_number", "") for di in docs]
            self._numbers = [(normalise_number(n), int(rows[f])) for n, f in zip(numbers, first, strict=True) if n]
        return self._numbers

    def _semantic(self, qvec: np.ndarray, depth: int, rows: np.ndarray | None) -> Ranked:
        scores, ids = self.index.vectors.search(qvec, depth, rows)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def _keyword(self, tokens: Sequence[str], depth: int, rows: np.ndarray | None) -> Ranked:
        scores = self.index.keywords.scores(tokens)
        if rows is not None:
            masked = np.zeros_like(scores)
            masked[rows] = scores[rows]
            scores = masked
        n_pos = int(np.count_nonzero(scores > 0))
        if not n_pos:
            return []
        top = np.argpartition(-scores, min(depth, n_pos) - 1)[:min(depth, n_pos)]
        top = top[np.lexsort((top, -scores[top]))]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def _haystack_rows(self) -> tuple[str, np.ndarray]:
        """All normalised clause texts joined by \\x00, and each row's start offset in it (built once)."""
        if self._haystack is None:
            texts = [normalise(r["text"]) for r in self.index.table.records]
            starts = np.cumsum([0] + [len(t) + 1 for t in texts])[:-1]
            self._haystack = ("\x00".join(texts), starts)
        return self._haystack

    def _phrase(self, query: str, tokens: Sequence[str], depth: int, rows: np.ndarray | None) -> Ranked:
        needle = normalise(query)
        hay, starts = self._haystack_rows()
        counts: dict[int, int] = {}
        pos = hay.find(needle)
        while pos >= 0:
            row = int(np.searchsorted(starts, pos, side="right") - 1)
            counts[row] = counts.get(row, 0) + 1
            pos = hay.find(needle, pos + 1)
        if rows is not None:
            allowed = set(rows.tolist())
            counts = {r: c for r, c in counts.items() if r in allowed}
        bm = self.index.keywords.scores(tokens) if counts else None
        # more occurrences first, then the keyword score (which prefers short, focused clauses)
        ranked = sorted(counts, key=lambda r: (-counts[r], -float(bm[r]), r))[:depth]
        return [(r, float(counts[r])) for r in ranked]

    def _fuzzy(self, query: str, tokens: Sequence[str], depth: int, rows: np.ndarray | None) -> Ranked:
        from rapidfuzz import fuzz, process
        n = len(self.index)
        if (n if rows is None else len(rows)) <= FUZZY_FULL_SCAN:
            cand = np.arange(n) if rows is None else rows
        else:  # near-verbatim wording shares most of its words: the keyword ranking finds the candidates
            cand = np.array([r for r, _ in self._keyword(tokens, FUZZY_CANDIDATES, rows)], dtype=np.int64)
        texts = [normalise(self.index.table.text(int(r))) for r in cand]
        found = process.extract(normalise(query), texts, scorer=fuzz.partial_ratio, limit=depth,
                                score_cutoff=FUZZY_CUTOFF)
        found.sort(key=lambda x: (-x[1], int(cand[x[2]])))
        return [(int(cand[i]), float(s) / 100) for _, s, i in found]

    # ---- filters and hits

    def _filter_rows(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        with self._lock:
            rows = self._row_cache.get(filters)
        if rows is None:
            rows = self._compute_rows(filters)
            with self._lock:
                self._row_cache[filters] = rows
                while len(self._row_cache) > 32:
                    self._row_cache.popitem(last=False)
        return rows

    def _compute_rows(self, filters: SearchFilters) -> np.ndarray:
        ok_docs = np.array([filters.accepts_document(d.get("meta", {}), d["doc_id"]) for d in self.index.documents],
                           dtype=bool)
        mask = ok_docs[self.index.table.doc_index] if len(ok_docs) else np.zeros(len(self.index), bool)
        if filters.section:
            if self._sections is None:
                self._sections = [" › ".join(r["section"]) for r in self.index.table.records]
            wanted = section_terms(filters.section)
            sec = np.fromiter((any(w in s for w in wanted) for s in self._sections), dtype=bool,
                              count=len(self._sections))
            mask &= sec
        return np.flatnonzero(mask)

    def _hit(self, rank: int, row: int, score: float, rankings: dict[str, Ranked], tokens: Sequence[str],
             phrase: str | None, fuzzy_query: str | None) -> Hit:
        r = self.index.table.records[row]
        d = self.index.documents[int(self.index.table.doc_index[row])]
        m = d.get("meta", {})
        signals = {}
        for name, ranked in rankings.items():
            for i, (rr, s) in enumerate(ranked, 1):
                if rr == row:
                    signals[name] = {"rank": i, "score": round(float(s), 6)}
                    break
        text = r["text"]
        if phrase is not None:
            spans = highlight_spans(text, [phrase])
        elif fuzzy_query is not None:
            span = fuzzy_span(fuzzy_query, text)
            spans = highlight_spans(text, [text[span[0]:span[1]]]) if span else []  # every occurrence
        else:
            spans = highlight_spans(text, tokens)
        return Hit(rank=rank, score=float(score), doc_id=r["doc_id"], title=m.get("title", ""),
                   region=m.get("region", ""), province=m.get("province", ""), level=m.get("level", ""),
                   date=m.get("date", ""), status=m.get("status", ""), clause_id=r["clause_id"],
                   section=" › ".join(r["section"]), section_path=tuple(r["section"]), text=text,
                   start=r["start"], end=r["end"], page=r["page"], highlights=tuple(spans), signals=signals,
                   doc_number=m.get("doc_number", ""))


# Section names that documents use for the same part: a filter on one finds the others (Dongguan calls its
# 保障措施 "四、保障机制").
SECTION_SYNONYMS = (
    ("保障措施", "保障机制", "保障体系", "组织保障", "组织实施", "实施保障", "政策保障", "支持政策", "配套政策"),
    ("主要任务", "重点任务", "重点工作", "工作任务", "主要举措", "重点举措", "发展重点"),
    ("发展目标", "主要目标", "总体目标", "工作目标"),
    ("基本原则", "主要原则", "工作原则"),
    ("指导思想", "总体思路", "总体要求"),
)


def section_terms(section: str) -> tuple[str, ...]:
    """The labels a section filter matches: what was typed (comma = any of), plus the usual synonyms."""
    out: list[str] = []
    for w in _values(section):
        out.append(w)
        for group in SECTION_SYNONYMS:
            if w in group:
                out.extend(group)
    return tuple(dict.fromkeys(out))


def fuzzy_span(query: str, text: str) -> tuple[int, int] | None:
    """Where in `text` the near-verbatim wording of `query` lies (character offsets into `text`).

    rapidfuzz's best window can be off by a character when the query has a typo (超高清视屏 against
    …的超高清视频…: 的超高清视 and 超高清视频 score alike); among windows shifted or widened by up to two
    characters, the one closest by edit distance (a typo is one substitution) that starts and ends like the
    query and is as long as it wins.
    """
    from rapidfuzz import fuzz
    from rapidfuzz.distance import Levenshtein

    q, t = fold_width(query.strip(), lower=True), fold_width(text, lower=True)
    if not q or not t:
        return None
    al = fuzz.partial_ratio_alignment(q, t)
    if not al or al.dest_end <= al.dest_start:
        return None
    best, best_key = (al.dest_start, al.dest_end), None
    for ds in range(-2, 3):
        for de in range(-2, 3):
            s, e = max(0, al.dest_start + ds), min(len(t), al.dest_end + de)
            if e - s < 1:
                continue
            key = (Levenshtein.normalized_similarity(q, t[s:e]), (t[s] == q[0]) + (t[e - 1] == q[-1]),
                   -abs(e - s - len(q)), -abs(ds) - abs(de))
            if best_key is None or key > best_key:
                best, best_key = (s, e), key
    return best


def _bare_heading(record: dict) -> bool:
    """A numbered clause holding nothing but its heading (call only for clauses with children)."""
    if record["kind"] in ("para", "preamble"):
        return False
    rest = record["text"][len(record["marker"]):].strip().strip("。．.:：")
    return len(rest) <= len(record["heading"].strip("。．.:：")) + 1


def _refuse(built: str, asked: str) -> None:
    raise IndexError_(f"索引由 {built} 构建，不能用 {asked} 查询；请用同一模型查询或重新构建 / index built with "
                      f"{built}, cannot be queried with {asked}: query with --embedder {built} or rebuild")


_ENGINES: dict[str, Engine] = {}


def search(query: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
           index_dir: str | Path = paths.INDEX_DIR, **kw) -> list[Hit]:
    """One-call search (the engine is opened once per index folder and reopened after a new build)."""
    key = str(Path(index_dir).resolve())
    eng = _ENGINES.get(key)
    if eng is None or eng.is_stale():
        eng = _ENGINES[key] = Engine.open(index_dir)
    return eng.search(query, k=k, mode=mode, filters=filters, **kw)
