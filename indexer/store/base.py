"""The one interface search, similar, align, coverage and reuse talk to, and the registry of its backends."""
from __future__ import annotations

import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from indexer.errors import IndexError_
from indexer.filters import SearchFilters
from indexer.models import Clause, Document, IndexedDocument

Ranked = list[tuple[int, float]]  # (row, score), best first; a row is the store's handle of one clause
MISSING = "索引不存在，请先运行 python -m indexer build / no index: run `python -m indexer build` first"


class ClauseStore(ABC):
    """A published index: documents, clauses, their vectors and keyword index, queried with filter values.

    Rows are the store's integer handles of clauses (0 … len-1, in document order); clause ids are the stable,
    readable names. Filters are passed as `SearchFilters` values so a server engine can evaluate them where the
    data is; `None` or an empty filter means everything.
    """

    backend: str = "base"
    manifest: dict

    # ---- what is stored

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def documents(self) -> list[IndexedDocument]:
        """The indexed documents in index order."""

    @abstractmethod
    def document_text(self, doc_id: str) -> str:
        """The cleaned text every clause offset of that document points into ("" when unknown)."""

    @abstractmethod
    def clause(self, row: int) -> Clause: ...

    @abstractmethod
    def text(self, row: int) -> str:
        """A clause's text (cheaper than `clause(row).text` for a scan)."""

    @abstractmethod
    def document_of(self, row: int) -> IndexedDocument: ...

    @abstractmethod
    def row_of(self, clause_id: str) -> int | None: ...

    @abstractmethod
    def rows_of_document(self, doc_id: str) -> np.ndarray:
        """The rows of one document's clauses, in outline order."""

    @abstractmethod
    def vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The stored unit vectors of these rows, (len(rows), dim) float32."""

    @abstractmethod
    def clause_keys(self) -> list[tuple[str, str]]:
        """(clause id, vector key) of every row: what a build compares to know what changed."""

    @abstractmethod
    def vectors_for_keys(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by content key (keys not stored are left out), so nothing is embedded twice."""

    @abstractmethod
    def bare_rows(self) -> frozenset[int]:
        """Rows of numbered headings without a body of their own: they answer no query."""

    # ---- queries

    @abstractmethod
    def select(self, filters: SearchFilters | None) -> np.ndarray | None:
        """The rows a filter admits, ascending (None: no filter, every row)."""

    @abstractmethod
    def dense_topk(self, query: np.ndarray, k: int, filters: SearchFilters | None = None) -> Ranked:
        """The k rows whose vectors have the highest inner product with the query vector."""

    @abstractmethod
    def keyword_topk(self, tokens: Sequence[str], k: int, filters: SearchFilters | None = None,
                     weights: dict[str, float] | None = None) -> Ranked:
        """The k rows with the highest BM25 score (> 0) for these query tokens; ties by row.

        weights: token → weight below 1 for tokens that count less (thesaurus expansions); others weigh 1.
        """

    @abstractmethod
    def keyword_scores(self, tokens: Sequence[str], rows: Sequence[int]) -> np.ndarray:
        """BM25 scores of the given rows for these tokens."""

    @abstractmethod
    def document_frequency(self, tokens: Sequence[str]) -> dict[str, int]:
        """How many clauses hold each keyword token (what makes a matched word worth marking)."""

    @abstractmethod
    def phrase(self, needle: str, filters: SearchFilters | None = None) -> dict[int, int]:
        """Rows whose normalised text (keywords.normalise) contains the normalised needle → occurrences."""

    # ---- derived, the same for every backend

    @property
    def embedder_name(self) -> str:
        return self.manifest["embedder"]["name"]

    @property
    def embedder_dim(self) -> int:
        return int(self.manifest["embedder"]["dim"])

    @property
    def generation(self) -> str:
        """The name of the published build this store reads ("" for a backend without generations)."""
        return ""

    @property
    def location(self) -> str:
        """Where that build lives, for people to read ("" when it lives in memory)."""
        return ""

    def counts(self) -> dict:
        return {"documents": len(self.documents()), "clauses": len(self)}

    def info(self) -> dict:
        """What index status reports: backend, generation, counts, parser and embedder versions, vector index."""
        return {"backend": self.backend, "generation": self.generation, **self.counts(),
                "embedder": self.manifest.get("embedder", {}), "versions": self.manifest.get("versions", {}),
                "vector_index": self.manifest.get("vector_index", {})}

    def normalised_texts(self, rows: Sequence[int]) -> list[str]:
        """keywords.normalise of each row's text (what phrase and fuzzy matching compare)."""
        from indexer.keywords import normalise
        return [normalise(self.text(int(r))) for r in rows]

    def load_documents(self) -> list[Document]:
        """Full Document objects (text and clauses) rebuilt from the index, in index order."""
        out = []
        for d in self.documents():
            clauses = tuple(self.clause(int(r)) for r in self.rows_of_document(d.doc_id))
            out.append(Document(doc_id=d.doc_id, path=d.path, text=self.document_text(d.doc_id), meta=d.meta,
                                clauses=clauses, format=d.format, page_starts=d.page_starts, sha256=d.sha256,
                                warnings=d.warnings))
        return out

    def is_stale(self) -> bool:
        """True when a newer build was published since this store was opened."""
        return False


class StoreWriter(ABC):
    """Writes the next version of an index; nothing is visible to readers until `publish`."""

    def prepare(self) -> None:
        """Check that this writer can write (a busy or unreachable engine), before a build reads or embeds
        anything; raises a one-line IndexError_."""
        return None  # a local folder or memory needs no check

    @abstractmethod
    def add(self, documents: Sequence[Document], clauses: Sequence[tuple[Clause, str]], vectors: np.ndarray) -> None:
        """Documents and their clauses with vector keys, row-aligned with `vectors`."""

    @abstractmethod
    def remove(self, doc_ids: Sequence[str]) -> None:
        """Documents (and their clauses) that the next version no longer holds."""

    @abstractmethod
    def publish(self, manifest: dict) -> str:
        """Make the written version the live one atomically; returns its name."""

    def info(self) -> dict:
        """The vector index the writer built (kind, parameters), once published."""
        return {}


class CollectingWriter(StoreWriter):
    """A writer that collects the whole library in memory before `publish` (every backend here does)."""

    def __init__(self) -> None:
        self._docs: list[Document] = []
        self._clauses: list[tuple[Clause, str]] = []
        self._vectors: list[np.ndarray] = []  # one unit vector per clause, row-aligned with _clauses
        self._blocks: list[np.ndarray] = []  # the same rows as added (joining them beats stacking 40k rows)

    def add(self, documents, clauses, vectors) -> None:
        block = np.asarray(vectors, dtype=np.float32)
        self._docs.extend(documents)
        self._clauses.extend(clauses)
        self._vectors.extend(block)
        if len(block):
            self._blocks.append(block)

    def remove(self, doc_ids) -> None:
        gone = set(doc_ids)
        keep = [i for i, (c, _) in enumerate(self._clauses) if c.doc_id not in gone]
        self._docs = [d for d in self._docs if d.doc_id not in gone]
        self._clauses = [self._clauses[i] for i in keep]
        self._vectors = [self._vectors[i] for i in keep]
        self._blocks = [np.stack(self._vectors)] if self._vectors else []

    def stacked_vectors(self, dim: int) -> np.ndarray:
        return np.concatenate(self._blocks) if self._vectors else np.zeros((0, dim), np.float32)


# ---------------------------------------------------------------- registry

Backend = tuple[Callable[[Path], ClauseStore], Callable[..., StoreWriter]]
_BACKENDS: dict[str, str | Backend] = {
    # name → (opener, writer factory), or "module:attribute" of a backend imported only when chosen
    "folder": "indexer.store.folder:BACKEND",
    "memory": "indexer.store.memory:BACKEND",
    "milvus": "indexer.store.milvus:BACKEND",  # pymilvus (+ milvus-lite): requirements-scale.txt
}
_INSTALL = {"milvus": "pip install -r requirements-scale.txt"}
# backends whose live build is the index folder's generation pointer: a build by one of them reuses the vectors
# of whichever of them built the live index, so switching between them embeds nothing again
_GENERATIONS = {"folder", "milvus"}
DEFAULT_BACKEND = "folder"


def register_backend(name: str, backend: str | Backend, install: str = "", generations: bool = False) -> None:
    _BACKENDS[name] = backend
    if install:
        _INSTALL[name] = install
    if generations:
        _GENERATIONS.add(name)


def backends() -> tuple[str, ...]:
    """The names of every registered backend (what --store accepts)."""
    return tuple(sorted(_BACKENDS))


def previous_backend(index_dir: Path, name: str) -> str:
    """The backend whose live index a build by `name` reuses vectors from: the live one when both keep their
    builds as generations of the index folder, else `name` itself (it keeps its own state)."""
    return backend_of(index_dir) if name in _GENERATIONS else name


def backend(name: str) -> Backend:
    """The (open, writer) pair of a backend, importing it on first use."""
    entry = _BACKENDS.get(name)
    if entry is None:
        raise IndexError_(f"未知的索引后端 / unknown store backend {name!r}: one of {', '.join(sorted(_BACKENDS))}")
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        try:
            entry = getattr(importlib.import_module(module), attr)
        except ImportError as exc:
            hint = _INSTALL.get(name, f"pip install {exc.name}")
            raise IndexError_(f"索引后端 {name} 需要安装依赖 / store backend {name} needs {exc.name}: {hint}") from exc
        _BACKENDS[name] = entry
    return entry


def live_manifest(index_dir: str | Path) -> dict:
    """The manifest of a folder index's live generation, read alone ({} when there is none or it is unreadable)."""
    from indexer.store.generations import current_generation

    folder = current_generation(Path(index_dir))
    if folder is None:
        return {}
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def backend_of(index_dir: Path) -> str:
    """The backend named in the live manifest of a folder index ("folder" when it names none)."""
    return live_manifest(index_dir).get("backend", DEFAULT_BACKEND)


def recorded_sources(index_dir: str | Path) -> tuple[list[Path], list[Path]]:
    """The folders and extra files the live index was built from, as its manifest records them (empty lists for
    an index built from documents given directly, or by a version that did not record them)."""
    sources = live_manifest(index_dir).get("sources")
    if not isinstance(sources, dict):
        return [], []
    return ([Path(f) for f in sources.get("folders") or [] if isinstance(f, str)],
            [Path(f) for f in sources.get("extra_files") or [] if isinstance(f, str)])


def open_store(index_dir: str | Path, name: str | None = None) -> ClauseStore:
    """The live index of `index_dir`, opened by the backend its manifest names (or `name`)."""
    index_dir = Path(index_dir)
    opener, _ = backend(name or backend_of(index_dir))
    return opener(index_dir)


def store_writer(index_dir: str | Path, name: str = DEFAULT_BACKEND, **options) -> StoreWriter:
    _, writer = backend(name)
    return writer(Path(index_dir), **options)
