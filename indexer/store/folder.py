"""The embedded default backend: a folder of generations, each a clause table, FAISS vectors and BM25 segments."""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.errors import IndexError_
from indexer.filters import SearchFilters
from indexer.keywords import KeywordIndex, TokenizerConfig, get_tokenizer, normalise
from indexer.models import Clause, Document, IndexedDocument
from indexer.store.base import MISSING, ClauseStore, CollectingWriter, Ranked
from indexer.store.clause_table import ClauseTable, open_table, write_table
from indexer.store.damage import broken, read_texts
from indexer.store.generations import (
    current_generation,
    fsync_tree,
    new_generation_dir,
    pointer_problem,
    publish,
)
from indexer.store.keyword_build import KeywordPlan, plan_keywords
from indexer.store.keyword_segments import SegmentedKeywords, load_keywords
from indexer.store.known import write_checked
from indexer.store.records import document_record, indexed_document
from indexer.store.vectors import FaissStore, VectorStore

FORMAT_VERSION = 1
CLAUSE_FIELDS = ("clause_id", "doc_id", "level", "kind", "marker", "number", "heading", "text", "section",
                 "start", "end", "page", "parent_id")
ROW_CACHE = 32  # filters whose admitted rows are kept (a page of results is usually re-filtered alike)


# ---------------------------------------------------------------- on-disk records (this backend's format)

def clause_record(c: Clause, key: str) -> dict:
    return {"clause_id": c.clause_id, "doc_id": c.doc_id, "level": c.level, "kind": c.kind, "marker": c.marker,
            "number": c.number, "heading": c.heading, "text": c.text, "section": list(c.section),
            "start": c.start, "end": c.end, "page": c.page, "parent_id": c.parent_id, "key": key}


def record_clause(r: dict) -> Clause:
    return Clause(**{k: (tuple(r[k]) if k == "section" else r[k]) for k in CLAUSE_FIELDS})


# ---------------------------------------------------------------- a loaded generation

class FolderStore(ClauseStore):
    """One generation of a folder index, opened: clause rows read from disk when asked (clause_table.py), vectors
    memory-mapped (exact search) or read by row (IVF), the table's small columns and the BM25 postings in memory."""

    backend = "folder"

    def __init__(self, folder: Path, manifest: dict, documents: list[dict], table: ClauseTable,
                 vectors: VectorStore, keywords: KeywordIndex | SegmentedKeywords, index_dir: Path | None = None):
        self.folder = folder
        self.index_dir = index_dir
        self.manifest = manifest
        self._doc_records = documents
        self._docs = [indexed_document(d) for d in documents]
        self.table = table
        self.doc_index = table.doc_index
        self.vector_index = vectors
        self.keywords = keywords
        self._lock = threading.Lock()
        self._texts: dict[str, str] | None = None
        self._rows: OrderedDict[SearchFilters, np.ndarray] = OrderedDict()
        self._bare = frozenset(table.bare.tolist())
        self._doc_pos = {d.doc_id: j for j, d in enumerate(self._docs)}
        self._doc_starts: np.ndarray | None = None
        texts = folder / "texts.jsonl"
        if texts.exists() and texts.stat().st_size < 64 * 2**20:
            self._doc_texts()  # read now while small: a later build may delete this generation

    # ---- what is stored

    @property
    def generation(self) -> str:
        return self.folder.name

    @property
    def location(self) -> str:
        return str(self.folder)

    def __len__(self) -> int:
        return len(self.table)

    def documents(self) -> list[IndexedDocument]:
        return list(self._docs)

    def _doc_texts(self) -> dict[str, str]:
        if self._texts is None:
            self._texts = read_texts(self.folder, [d.doc_id for d in self._docs])
        return self._texts

    def document_text(self, doc_id: str) -> str:
        return self._doc_texts().get(doc_id, "")

    def clause(self, row: int) -> Clause:
        return record_clause(self.table.record(row))

    def text(self, row: int) -> str:
        return self.table.record(row)["text"]

    def key(self, row: int) -> str:
        return self.table.record(row)["key"]

    def document_of(self, row: int) -> IndexedDocument:
        return self._docs[int(self.doc_index[row])]

    def row_of(self, clause_id: str) -> int | None:
        return self.table.row_of("clause_id", clause_id)

    def row_of_key(self, key: str) -> int | None:
        return self.table.row_of("key", key)

    def rows_of_document(self, doc_id: str) -> np.ndarray:
        j = self._doc_pos.get(doc_id)
        if j is None:
            return np.zeros(0, np.int64)
        if self._doc_starts is None:  # rows in document order (as builds write them): each document is one run
            ordered = bool(np.all(np.diff(self.doc_index) >= 0))
            self._doc_starts = np.searchsorted(self.doc_index, np.arange(len(self._docs) + 1)) if ordered else \
                np.zeros(0, np.int64)
        if not len(self._doc_starts):
            return np.flatnonzero(self.doc_index == j)
        return np.arange(self._doc_starts[j], self._doc_starts[j + 1], dtype=np.int64)

    def vectors(self, rows) -> np.ndarray:
        return self.vector_index.get(rows)

    def clause_keys(self) -> list[tuple[str, str]]:
        return [(r["clause_id"], r["key"]) for r in self.table.records()]

    def vectors_for_keys(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        rows = [(k, self.row_of_key(k)) for k in keys]
        rows = [(k, r) for k, r in rows if r is not None]
        if not rows:
            return {}
        vecs = self.vector_index.get([r for _, r in rows])
        return dict(zip((k for k, _ in rows), vecs, strict=True))

    def bare_rows(self) -> frozenset[int]:
        return self._bare

    def load_documents(self) -> list[Document]:
        texts = self._doc_texts()
        rows: dict[int, list[Clause]] = {}
        for i, r in enumerate(self.table.records()):
            rows.setdefault(int(self.doc_index[i]), []).append(record_clause(r))
        return [Document(doc_id=d.doc_id, path=d.path, text=texts.get(d.doc_id, ""), meta=d.meta,
                         clauses=tuple(rows.get(j, ())), format=d.format, page_starts=d.page_starts,
                         sha256=d.sha256, warnings=d.warnings,
                         skipped=tuple(tuple(s) for s in self._doc_records[j].get("skipped") or ()))
                for j, d in enumerate(self._docs)]

    def is_stale(self) -> bool:
        return self.index_dir is not None and current_generation(self.index_dir) != self.folder

    # ---- filters: evaluated over the in-memory table, cached per filter value

    def select(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        with self._lock:
            rows = self._rows.get(filters)
        if rows is None:
            rows = self._compute_rows(filters)
            with self._lock:
                self._rows[filters] = rows
                while len(self._rows) > ROW_CACHE:
                    self._rows.popitem(last=False)
        return rows

    def _compute_rows(self, filters: SearchFilters) -> np.ndarray:
        ok_docs = np.array([filters.accepts_document(d.meta, d.doc_id) for d in self._docs], dtype=bool)
        mask = ok_docs[self.doc_index] if len(ok_docs) else np.zeros(len(self), bool)
        if filters.section:  # each distinct section path is asked once
            ok = np.fromiter((filters.accepts_section(s) for s in self.table.sections), dtype=bool,
                             count=len(self.table.sections))
            mask &= ok[self.table.section_code] if len(ok) else False
        return np.flatnonzero(mask)

    # ---- signals

    def dense_topk(self, query: np.ndarray, k: int, filters: SearchFilters | None = None) -> Ranked:
        rows = self.select(filters)
        if rows is not None and not len(rows):
            return []
        scores, ids = self.vector_index.search(query, k, rows)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def keyword_topk(self, tokens: Sequence[str], k: int, filters: SearchFilters | None = None,
                     weights: dict[str, float] | None = None) -> Ranked:
        rows = self.select(filters)
        scores = self.keywords.scores(tokens, weights)
        if rows is not None:
            masked = np.zeros_like(scores)
            masked[rows] = scores[rows]
            scores = masked
        pos = np.flatnonzero(scores > 0)  # a few rows of many: rank only those
        if not len(pos) or k <= 0:
            return []
        kk, vals = min(k, len(pos)), scores[pos]
        kth = np.partition(vals, len(vals) - kk)[len(vals) - kk]  # the k-th best score
        tied = pos[vals == kth]  # ascending: ties at the k-th place go to the lower rows
        top = np.concatenate([pos[vals > kth], tied[:kk - int(np.count_nonzero(vals > kth))]])
        top = top[np.lexsort((top, -scores[top]))]
        return [(int(i), float(scores[i])) for i in top]

    def keyword_scores(self, tokens: Sequence[str], rows: Sequence[int]) -> np.ndarray:
        if isinstance(self.keywords, SegmentedKeywords):
            return self.keywords.scores_at(tokens, rows)
        return self.keywords.scores(tokens)[np.asarray(rows, dtype=np.int64)]

    def document_frequency(self, tokens: Sequence[str]) -> dict[str, int]:
        return self.keywords.document_frequency(tokens)

    def normalised_texts(self, rows: Sequence[int]) -> list[str]:
        return self.table.normalised_texts(rows)

    def phrase(self, needle: str, filters: SearchFilters | None = None) -> dict[int, int]:
        needle = normalise(needle)
        if not needle or "\x00" in needle:  # the separator itself matches between every pair of clauses
            return {}
        counts = self.table.phrase_rows(needle)
        rows = self.select(filters)
        if rows is not None:
            allowed = set(rows.tolist())
            counts = {r: c for r, c in counts.items() if r in allowed}
        return counts

    # ---- persistence

    @staticmethod
    def write(folder: Path, manifest: dict, documents: Sequence[Document], records: list[dict],
              vectors: FaissStore, keywords: KeywordPlan, previous: Path | None = None) -> None:
        """Write every file of a generation into `folder` (which must be new) and fsync them (`previous`: the live
        generation, whose derived texts are reused for unchanged rows)."""
        folder.mkdir(parents=True)
        sums = {
            "clauses.jsonl": write_table(folder, records, [d.doc_id for d in documents], previous),
            "texts.jsonl": write_checked(folder / "texts.jsonl", "".join(
                json.dumps({"doc_id": d.doc_id, "text": d.text}, ensure_ascii=False) + "\n" for d in documents)),
            "documents.json": write_checked(folder / "documents.json", json.dumps(
                [document_record(d) for d in documents], ensure_ascii=False, indent=1)),
            "keys.json": write_checked(folder / "keys.json", json.dumps(
                [[r["clause_id"], r["key"]] for r in records], ensure_ascii=False)),
        }
        vectors.save(folder)
        manifest = {**manifest, "keywords": keywords.save(folder), "checksums": sums}
        # the manifest goes last: a folder without one is never a valid generation
        (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        fsync_tree(folder)

    @classmethod
    def load(cls, folder: Path, index_dir: Path | None = None) -> FolderStore:
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise broken(folder, f"manifest.json: {type(exc).__name__}: {exc}") from exc
        if not isinstance(manifest, dict):
            raise broken(folder, f"manifest.json holds {type(manifest).__name__}, not an object")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexError_(f"索引格式版本不符，请重新运行 python -m indexer build / index format "
                              f"{manifest.get('format_version')} ≠ {FORMAT_VERSION}: run `python -m indexer build`")
        emb = manifest.get("embedder")
        if not isinstance(emb, dict) or "name" not in emb or "dim" not in emb:
            raise broken(folder, "manifest.json names no embedder")
        try:
            documents = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
            table = open_table(folder, manifest, [d["doc_id"] for d in documents])
            vectors = FaissStore.load(folder, manifest.get("vector_index") or {"kind": "flat"})
            keywords = load_keywords(folder, manifest, len(table))
            store = cls(folder, manifest, documents, table, vectors, keywords, index_dir)
        except IndexError_:
            raise
        except Exception as exc:  # a file damaged or edited by hand: one clear line, and how to recover
            raise broken(folder, f"{type(exc).__name__}: {exc}") from exc
        if len(vectors) != len(table):
            raise broken(folder, f"{len(vectors)} vectors, {len(table)} clauses")
        if len(table) and vectors.dim != int(emb["dim"]):
            raise broken(folder, f"vectors of dimension {vectors.dim}, the embedder gives {emb['dim']}")
        return store


def open_folder(index_dir: Path) -> FolderStore:
    folder = current_generation(Path(index_dir))
    if folder is None:
        problem = pointer_problem(Path(index_dir))  # CURRENT there but unusable: damaged, not missing
        raise broken(Path(index_dir), problem) if problem else IndexError_(MISSING)
    return FolderStore.load(folder, Path(index_dir))


# ---------------------------------------------------------------- writing the next generation

class FolderWriter(CollectingWriter):
    """Collects a whole library, then writes it as a new generation and switches CURRENT to it.

    The clause table and vectors are rewritten whole on every build (vectors come from the content-hash cache, so
    only new texts are embedded); the keyword segments of the live generation are kept and only new texts
    tokenised (store/keyword_build.py). `remove` therefore only drops documents added earlier to this writer.
    """

    def __init__(self, index_dir: Path, approximate: bool | None = None,
                 tokenizer: TokenizerConfig | None = None):
        super().__init__()
        self.index_dir = Path(index_dir)
        self.approximate = approximate
        self.tokenizer = tokenizer or TokenizerConfig()
        self._info: dict = {}

    def vector_info(self, dim: int) -> dict:
        """Build the vector index now (its kind and parameters go into the manifest written by publish)."""
        vecs = self.stacked_vectors(dim)
        self._store = FaissStore.build(vecs, approximate=self.approximate)
        self._info = self._store.info()
        return dict(self._info)

    def publish(self, manifest: dict) -> str:
        if not hasattr(self, "_store"):
            self.vector_info(int(manifest["embedder"]["dim"]))
        tokenizer = self.tokenizer.to_dict()
        previous = current_generation(self.index_dir)
        keywords = plan_keywords([c.text for c, _ in self._clauses], previous, tokenizer,
                                 lambda text: get_tokenizer(self.tokenizer)(text))
        self.keyword_counts = keywords.counts
        records = [clause_record(c, k) for c, k in self._clauses]
        manifest = {**manifest, "backend": FolderStore.backend, "format_version": FORMAT_VERSION,
                    "vector_index": self._info, "tokenizer": tokenizer,
                    "bm25": {**manifest.get("bm25", {}), "implementation": "segments"}}
        tmp = new_generation_dir(self.index_dir)
        FolderStore.write(tmp, manifest, self._docs, records, self._store, keywords, previous)
        return publish(self.index_dir, tmp).name

    def info(self) -> dict:
        return dict(self._info)


BACKEND = (open_folder, FolderWriter)
