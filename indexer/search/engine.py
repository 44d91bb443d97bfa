"""Search over a published index through `ClauseStore`: semantic, keyword, phrase, fuzzy and their fusion."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from indexer import paths
from indexer.embedders import Embedder, embedder_for_index, get_embedder
from indexer.errors import IndexError_, NotFoundError, PolicyError
from indexer.filters import SearchFilters
from indexer.keywords import TokenizerConfig, get_tokenizer, normalise
from indexer.models import SEARCH_MODES, Clause, Document, Hit
from indexer.search import features
from indexer.search import rerank as learned_fusion
from indexer.search.english import EnglishReader
from indexer.search.floor import Floor
from indexer.search.fusion import Fusion, fuse
from indexer.search.hits import make_hit
from indexer.search.query import QueryReader
from indexer.search.relevance import Relevance
from indexer.search.rerank import Reranker
from indexer.search.signals import (  # noqa: F401 (FUZZY_* are part of indexer.search's interface)
    FUZZY_CANDIDATES,
    FUZZY_CUTOFF,
    FUZZY_FULL_SCAN,
    fuzzy_ranking,
    phrase_ranking,
)
from indexer.search.similar import similar
from indexer.search.tables import rows_after_prose
from indexer.search.vectors import clause_vectors
from indexer.store.base import ClauseStore, Ranked, open_store
from indexer.versions import PARSER_VERSION

MODES = SEARCH_MODES
DEPTH = 100  # candidates each signal contributes to fusion
# A thesaurus term counts this much of a word the user typed (it may be the wrong sense: 发钱 → 奖励 or 补贴).
EXPANSION_WEIGHT = 0.5
# Hybrid fusion: the semantic ranking counts this much, the keyword ranking as much as its best hits explain the
# query (keyword_coverage). Measured on the library dev set's tuning half (benchmarks/eval_library.py).
SEMANTIC_WEIGHT = 1.0
QUERY_CACHE = 256  # query vectors kept (the app re-runs a search on every widget change)
WEAK_SHOWN = 3  # a result under the relevance floor shows only its best few, marked 相关度较低


class Engine:
    """A store and (lazily) its embedder: cheap to query repeatedly, safe to share between threads."""

    def __init__(self, store: ClauseStore, embedder: Embedder | None = None, index_dir: Path | None = None):
        self.store = store
        self.index_dir = index_dir
        self._embedder = embedder
        cfg = store.manifest.get("tokenizer", {})
        self.tokenizer = get_tokenizer(TokenizerConfig(mode=cfg.get("mode", "search"), hmm=cfg.get("hmm", True)))
        self.context = store.manifest.get("passage_context", "section")
        self._documents: list[Document] | None = None
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._bare = store.bare_rows()
        self.query = QueryReader(store, self.tokenizer, self._bare)
        self.english = EnglishReader(store, self.embed_query, self._bare, self.query)
        self.relevance = Relevance(store, self.embed_query, self._bare, self.query,
                                   cache_dir=index_dir / "floor" if index_dir is not None else None)
        self.folded = features.FoldedTexts(store)  # clause texts as the rerank features compare them, kept
        self.use_thesaurus = True  # benchmarks switch these off to measure what they add
        self.use_places = True
        self.adaptive = True
        self.use_reranker = True
        self.use_translation = True

    @classmethod
    def open(cls, index_dir: str | Path | None = None, embedder: Embedder | str | None = None,
             backend: str | None = None) -> Engine:
        """Open the live index of `index_dir`; an embedder other than the index's is refused."""
        index_dir = Path(index_dir or paths.INDEX_DIR)
        store = open_store(index_dir, backend)
        built = store.manifest["embedder"]
        if isinstance(embedder, str):
            embedder = None if embedder == built["name"] else get_embedder(embedder)
        if embedder is not None:
            if embedder.name != built["name"] or embedder.dim != built["dim"]:
                _refuse(built["name"], f"{embedder.name} ({embedder.dim})")
        return cls(store, embedder, index_dir)

    # ---- what is indexed

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = embedder_for_index(self.store.embedder_name)
        return self._embedder

    @property
    def manifest(self) -> dict:
        return self.store.manifest

    @property
    def documents(self) -> list[Document]:
        """The indexed documents with their text and clauses (loaded on first use)."""
        if self._documents is None:
            self._documents = self.store.load_documents()
        return self._documents

    def document_summaries(self) -> list[dict]:
        return [d.summary() for d in self.store.documents()]

    def is_stale(self) -> bool:
        """True when a newer build was published since this engine was opened."""
        return self.store.is_stale()

    def parser_outdated(self) -> bool:
        """True when the index was built by an older parser: clause trees may have changed since (run build)."""
        return self.store.manifest.get("versions", {}).get("parser") != PARSER_VERSION

    def clause(self, clause_id: str) -> Clause:
        return self.store.clause(self._row(clause_id))

    def _row(self, clause_id: str) -> int:
        row = self.store.row_of(clause_id)
        if row is None:
            raise NotFoundError(f"找不到条款 / no clause '{clause_id}'")
        return row

    # ---- vectors

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            v = self._qcache.get(text)
        if v is None:
            v = self.embedder.embed_query(text)
            with self._lock:
                self._qcache[text] = v
                while len(self._qcache) > QUERY_CACHE:
                    self._qcache.popitem(last=False)
        return v

    def clause_vectors(self, clauses: Sequence[Clause], titles: dict[str, str] | None = None) -> np.ndarray:
        """Vectors of these clauses: from the index by content hash where present, else embedded now.

        Args:
            titles: doc_id → title, only needed for indexes built with context "title" and unindexed docs.
        """
        return clause_vectors(self.store, lambda: self.embedder, self.context, clauses, titles)

    # ---- search

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
               fuzzy: bool = False, fusion: Fusion | None = None, floor: bool = True) -> list[Hit]:
        """The k best clauses for a query.

        Args:
            mode: hybrid (the semantic, keyword and place rankings' candidates, ordered by the learned fusion of
                rerank.py, or fused by rank), semantic, keyword, phrase (exact wording) or fuzzy (near-verbatim
                wording despite small edits).
            fuzzy: in hybrid mode, also fuse the fuzzy signal (by rank, with the learned order or the others).
            fusion: how hybrid mode combines the signals; by default the learned reranker (rerank.py) where its
                weights suit the index's embedder, else rank fusion; a Fusion given here forces rank fusion.
            floor: in hybrid and semantic mode, when nothing reaches the index's relevance floor (see floor.py),
                return only the best WEAK_SHOWN hits, each with `low=True`.
        """
        if mode not in MODES:
            raise PolicyError(f"未知的检索方式 / unknown mode {mode!r}: one of {', '.join(MODES)}")
        query = (query or "").strip()
        if not query or k <= 0:
            return []
        if filters is not None and filters.is_empty():
            filters = None
        rows = self.store.select(filters)
        if rows is not None and not len(rows):
            return []
        typed, query = query, self.read_english(query, mode, filters)
        depth = max(DEPTH, 3 * k)
        tokens, expanded, rankings = self._rankings(query, mode, depth, filters, fuzzy, rows)
        fused = self._order(query, mode, tokens, expanded, rankings, fusion)
        if mode == "hybrid":  # a table row answers questions about that row, not general ones (tables.py)
            fused = rows_after_prose(self.store, fused, tokens, depth)
        fused = self._owners_first(query, mode, rows, fused, rankings)
        phrase = normalise(query) if mode == "phrase" else None
        terms = self.query.marked_terms(expanded)
        low = (floor and mode in ("hybrid", "semantic") and "doc_number" not in rankings
               and self._weak_typed(typed, query, rankings.get("semantic", []), tokens, filters))
        hits = [make_hit(self.store, i + 1, row, score, rankings, terms, phrase, query if mode == "fuzzy" else None)
                for i, (row, score) in enumerate(fused[:min(k, WEAK_SHOWN) if low else k])]
        return [replace(h, low=True) for h in hits] if low else hits

    def _order(self, query: str, mode: str, tokens: Sequence[str], expanded: Sequence[str],
               rankings: dict[str, Ranked], fusion: Fusion | None) -> Ranked:
        """The signals' rankings as one: hybrid's candidates in the learned order (the fuzzy signal fused in by
        rank), rank fusion, or a single-signal mode's own ranking."""
        learned = self.reranker if mode == "hybrid" and fusion is None else None
        if learned is not None:  # the fused candidates, ordered by the learned score (rerank.py)
            pool = self._pool(rankings)
            fused = learned_fusion.rerank(pool, learned.score(self._features(query, tokens, expanded, rankings,
                                                                              pool)))
            if rankings.get("fuzzy"):  # counts as much as the query is near-verbatim wording of its best match
                best = rankings["fuzzy"][0][1] * 100
                weight = max(0.0, (best - FUZZY_CUTOFF) / (100 - FUZZY_CUTOFF))
                fused = fuse({"learned": fused, "fuzzy": rankings["fuzzy"]}, Fusion(weights=(("fuzzy", weight),)))
            return fused
        if mode == "hybrid" and fusion is None and self.adaptive and rankings.get("keyword"):
            fusion = Fusion(weights=(("semantic", SEMANTIC_WEIGHT),
                                     ("keyword", self.query.keyword_coverage(expanded, rankings["keyword"]))))
        return fuse(rankings, fusion) if mode == "hybrid" else rankings[mode]

    def _owners_first(self, query: str, mode: str, rows: np.ndarray | None, fused: Ranked,
                      rankings: dict[str, Ranked]) -> Ranked:
        """A 文号 in the query: the document that carries it comes before those citing it (and its ranking,
        doc_number, joins `rankings`)."""
        if mode not in ("hybrid", "keyword", "phrase"):
            return fused
        owners = self.query.doc_number_owners(query, rows, exact=mode == "phrase")
        if not owners:
            return fused
        rankings["doc_number"] = owners
        top = fused[0][1] if fused else 1.0
        pinned = {row for row, _ in owners}
        return [(row, top) for row, _ in owners] + [x for x in fused if x[0] not in pinned]

    def _rankings(self, query: str, mode: str, depth: int, filters: SearchFilters | None, fuzzy: bool,
                  rows: np.ndarray | None) -> tuple[list[str], list[str], dict[str, Ranked]]:
        """(query tokens, tokens with thesaurus words, each signal's ranking) for one search."""
        tokens = self.tokenizer(query)
        expanded = (self.query.expand(query, tokens) if mode in ("hybrid", "keyword") and self.use_thesaurus
                    else list(tokens))
        weights = {t: EXPANSION_WEIGHT for t in expanded[len(tokens):] if t not in tokens}
        rankings: dict[str, Ranked] = {}
        if mode in ("hybrid", "semantic"):
            rankings["semantic"] = self.store.dense_topk(self.embed_query(query), depth, filters)
        if mode in ("hybrid", "keyword"):
            rankings["keyword"] = self.store.keyword_topk(expanded, depth, filters, weights)
        if mode == "phrase":
            rankings["phrase"] = phrase_ranking(self.store, query, tokens, depth, filters)
        if mode == "hybrid" and self.use_places and not (filters and (filters.region or filters.doc_ids)):
            place = self.query.places_named(query)
            if place:  # the query names a place: that place's own answers are a signal of their own
                # within the user's other filters (level, dates, section …): only the region is the place's
                local = replace(filters or SearchFilters(), region=",".join(place), region_scope="self")
                rankings["place"] = fuse({"semantic": self.store.dense_topk(self.embed_query(query), depth, local),
                                          "keyword": self.store.keyword_topk(expanded, depth, local, weights)})
        if mode == "fuzzy" or (mode == "hybrid" and fuzzy):
            rankings["fuzzy"] = fuzzy_ranking(self.store, query, tokens, depth, filters, rows)
        if mode != "phrase" and self._bare:  # a heading without a body answers nothing: give its place away
            rankings = {name: [x for x in ranked if x[0] not in self._bare] for name, ranked in rankings.items()}
        return tokens, expanded, rankings

    # ---- English queries

    def translation(self, query: str, mode: str = "hybrid", filters: SearchFilters | None = None) -> list[str]:
        """The Chinese words an English query is also searched with (bilingual.py), in the modes that read
        words (hybrid, keyword); none for any other query or mode."""
        return self.english.translation(query, mode, filters) if self.use_translation else []

    def read_english(self, query: str, mode: str = "hybrid", filters: SearchFilters | None = None) -> str:
        """The query as the signals read it: an English one with its Chinese words added."""
        words = self.translation(query, mode, filters)
        return f"{query} {' '.join(words)}" if words else query

    # ---- learned fusion

    @property
    def reranker(self) -> Reranker | None:
        """The learned fusion of hybrid mode; None (rank fusion alone) when switched off, not shipped, or fitted
        with another embedder than this index's."""
        model = learned_fusion.load() if self.use_reranker else None
        return model if model is not None and model.suits(self.store.embedder_name) else None

    def candidates(self, query: str, filters: SearchFilters | None = None) -> tuple[list[int], np.ndarray]:
        """Hybrid mode's candidate rows and their reranking features (what benchmarks/fit_rerank.py fits on)."""
        query = self.read_english(query, "hybrid", filters)
        tokens, expanded, rankings = self._rankings(query, "hybrid", DEPTH, filters, False, self.store.select(filters))
        rows = self._pool(rankings)
        return rows, self._features(query, tokens, expanded, rankings, rows)

    @staticmethod
    def _pool(rankings: dict[str, Ranked]) -> list[int]:
        """The candidates the learned fusion orders: every row a signal but fuzzy found, in rank-fusion order."""
        return [r for r, _ in fuse({n: r for n, r in rankings.items() if n != "fuzzy"})]

    def _features(self, query: str, tokens: Sequence[str], expanded: Sequence[str], rankings: dict[str, Ranked],
                  rows: Sequence[int]) -> np.ndarray:
        places = tuple(self.query.places_named(query)) if self.use_places else ()
        evidence = features.QueryEvidence(query, tuple(tokens), self.embed_query(query),
                                          rankings.get("semantic", []), rankings.get("keyword", []),
                                          tuple(expanded), places)
        return features.candidate_features(self.store, evidence, rows, self.folded)

    # ---- relevance

    def relevance_floor(self) -> Floor:
        """Known non-answers and what they reach in this index (measured on first use, see relevance.py)."""
        return self.relevance.floor()

    def _weak_typed(self, typed: str, query: str, semantic: Ranked, tokens: Sequence[str],
                    filters: SearchFilters | None) -> bool:
        """is_weak for the query the user typed: the Chinese words added to an English one are guesses (bitcoin
        price → 价格 alone), so they vouch for nothing; the English query is judged by its meaning."""
        if typed == query:
            return self.relevance.is_weak(query, semantic, tokens)
        return self.relevance.is_weak(typed, self.english.typed_semantic(typed, filters), self.tokenizer(typed))

    # ---- similar clauses

    def similar(self, clause_id: str, k: int = 10, filters: SearchFilters | None = None, *,
                other_documents: bool = True) -> list[Hit]:
        """Clauses closest to an indexed clause (itself excluded): meaning first, and shared wording on top of it,
        so the near-verbatim source of a city clause (its provincial model) comes before mere look-alikes.

        other_documents: only clauses of other documents (a drafter wants other places' wording; a document's
        own neighbouring clauses otherwise fill the list)."""
        row = self._row(clause_id)
        if k <= 0:
            return []
        if filters is not None and filters.is_empty():
            filters = None
        return similar(self.store, row, k, filters, self._bare, other_documents)


def _refuse(built: str, asked: str) -> None:
    raise IndexError_(f"索引由 {built} 构建，不能用 {asked} 查询；请用同一模型查询或重新构建 / index built with "
                      f"{built}, cannot be queried with {asked}: query with --embedder {built} or rebuild")


_ENGINES: dict[str, Engine] = {}


def search(query: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
           index_dir: str | Path | None = None, **kw) -> list[Hit]:
    """One-call search (the engine is opened once per index folder and reopened after a new build)."""
    index_dir = Path(index_dir or paths.INDEX_DIR)
    key = str(index_dir.resolve())
    eng = _ENGINES.get(key)
    if eng is None or eng.is_stale():
        eng = _ENGINES[key] = Engine.open(index_dir)
    return eng.search(query, k=k, mode=mode, filters=filters, **kw)
