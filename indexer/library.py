"""The service layer every door opens: `Library` (one per process) and the functions under it.

The app, the HTTP API and the CLI ask the same questions of one `Library`, so the same question gets the same
answer through each: the documents and the engine of one index, its embedder and clause vectors, filters read
in one vocabulary (codes and the Chinese labels the app shows), the same limits, and the verbs (search,
similar, coverage, align, reuse, matrix, diffusion, instruments, uploads, metadata corrections, freshness).
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from indexer import paths
from indexer.background import WarmUp, serialise_ast_parsing
from indexer.errors import PolicyError
from indexer.models import Document
from indexer.uploads import (
    UploadOutcome,
    correct_metadata,
    import_upload,
    is_upload,
    remove_upload,
    remove_waiting_upload,
)

if TYPE_CHECKING:  # the comparisons load on first use: a search never waits for them
    from indexer.compare.pairs import CoverageAnswer

log = logging.getLogger("policy_library")

# ---------------------------------------------------------------- the one object every door opens

def _or_none(filters):
    """None for filters that choose nothing (the engine's fast path)."""
    return None if filters is None or filters.is_empty() else filters


class Library:
    """One index (its folder), one upload folder, and every question the doors ask of them.

    The engine over the live generation is opened on first use and reopened once a build publishes a newer one;
    safe to share between request threads (the API) and reruns (the app)."""

    def __init__(self, index_dir: str | Path | None = None, upload_dir: str | Path | None = None,
                 embedder: str | None = None):
        """embedder: a model name to query with instead of the index's own (one of another name or size is
        refused when the engine opens); None: the index's."""
        self.index_dir = Path(index_dir or paths.INDEX_DIR)
        self.upload_dir = Path(upload_dir or paths.UPLOAD_DIR)
        self.embedder_name = embedder
        self._engine = None
        self._lock = threading.Lock()
        self._warm = WarmUp(lambda: self.search("产业集群", k=1), "library-warm-up")
        serialise_ast_parsing()  # its threads (a warm-up, API requests) read .npy headers while others parse too

    # ---- what it is made of

    def engine(self):
        """The engine over the live generation (IndexError_ when there is no index yet)."""
        from indexer.search import Engine

        eng = self._engine
        if eng is not None and not eng.is_stale():
            return eng
        with self._lock:  # one caller reopens; the others wait a moment and share it
            if self._engine is None or self._engine.is_stale():
                self._engine = Engine.open(self.index_dir, self.embedder_name)
            return self._engine

    def warm_up(self) -> None:
        """Open the engine and load the tokenizer dictionary and the embedding model in a background thread,
        once, while the user is still typing (best effort: the real search reports its own errors)."""
        self._warm.start()

    def warmed(self, timeout: float | None = None) -> bool:
        """Wait for the warm-up (at most `timeout` seconds); True when it searched (the engine, the tokenizer
        dictionary and the model are loaded), False while it runs or when it failed (e.g. no index yet)."""
        return self._warm.wait(timeout)

    def has_index(self) -> bool:
        try:
            self.engine()
        except PolicyError:
            return False
        return True

    def folders(self) -> list[Path]:
        """What a build reads: the folders the index was built from (as its manifest records them), else the shipped
        corpus; and this library's upload folder."""
        from indexer.store import recorded_sources

        recorded = recorded_sources(self.index_dir)[0] or [paths.CORPUS_DIR]
        uploads = Path(self.upload_dir).resolve()
        return recorded + [self.upload_dir] * all(Path(f).resolve() != uploads for f in recorded)

    def documents(self) -> list[Document]:
        """The documents questions are answered on: the index's, else those read from its folders."""
        try:
            return self.engine().documents
        except PolicyError:
            from indexer.ingest.corpus import load_folders

            return load_folders(self.folders(), errors=[])

    def records(self) -> list:
        """The documents' light records (metadata, no text): the index's, else those of the documents on disk."""
        try:
            return self.engine().store.documents()
        except PolicyError:
            return self.documents()

    def find(self, key: str) -> Document:
        from indexer.ingest.corpus import find_document

        return find_document(self.documents(), key)

    def clause(self, clause_id: str):
        """One indexed clause by id (NotFoundError naming it otherwise)."""
        return self.engine().clause(clause_id)

    def parser_outdated(self) -> bool:
        """True when the index was built by an older parser (clause trees may have moved: build again)."""
        return self.engine().parser_outdated()

    def embedder(self):
        """The index's embedder (item and query vectors must match the index's), else the default one."""
        try:
            return self.engine().embedder
        except PolicyError:
            from indexer.embedders import get_embedder

            return get_embedder(os.environ.get("POLICY_EMBEDDER") or None)

    def vectors(self):
        """The index's clause-vector lookup (nothing embedded twice), or None without an index."""
        try:
            return self.engine().clause_vectors
        except PolicyError:
            return None

    def filters(self, *, region: str = "", province: str = "", level: str = "", doc_ids: Sequence[str] = (),
                status: str = "", date_from: str = "", date_to: str = "", section: str = "",
                region_scope: str = "", include_undated: bool = False):
        """SearchFilters from a door's values (levels and statuses as codes or labels), checked against the
        library: a value no document has is refused in one line naming what is there."""
        from indexer.filters import SearchFilters

        return self.check_filters(SearchFilters(
            region=region, province=province, level=level, doc_ids=tuple(doc_ids), status=status,
            date_from=date_from, date_to=date_to, section=section,
            region_scope="self" if region and region_scope == "self" else "", include_undated=include_undated))

    def check_filters(self, filters):
        """The filters, refused in one line (PolicyError) when a value cannot match: an unknown level or status,
        an impossible date, a region or document the library does not hold."""
        from indexer.filters import validate

        problems = validate(filters, self.records())
        if problems:
            raise PolicyError("；".join(problems))
        return filters

    def outline(self, key: str):
        """A document's clauses in order (its clause tree, flattened)."""
        return list(self.find(key).clauses)

    def lists(self, key: str):
        """A document's named lists (the 20 clusters, a city's 9 …)."""
        from indexer.ingest.lists import find_lists

        return find_lists(self.find(key))

    def status(self) -> dict:
        """The index in numbers (backend, generation, counts, versions), what its last build left out and the
        files it does not hold yet (the API's /v1/index without the running build)."""
        from indexer.freshness import build_problems, waiting_files
        from indexer.versions import PARSER_VERSION

        try:
            engine = self.engine()
        except PolicyError:
            return {"ready": False, "backend": "", "documents": 0, "clauses": 0, "generation": "", "created": "",
                    "embedder": {}, "versions": {}, "vector_index": {}, "parser_version": PARSER_VERSION,
                    "parser_outdated": False, "problems": [],
                    "waiting_files": [p.name for p in waiting_files([], folders=self.folders())]}
        info, manifest, docs = engine.store.info(), engine.manifest, engine.store.documents()
        return {"ready": True, **{k: info[k] for k in ("backend", "documents", "clauses", "generation", "embedder",
                                                        "versions", "vector_index")},
                "created": manifest.get("created", ""), "parser_version": PARSER_VERSION,
                "parser_outdated": engine.parser_outdated(),
                "problems": [{"file": p.file, "kind": p.kind, "message": p.message}
                             for p in build_problems(manifest, docs)],
                "waiting_files": [p.name for p in waiting_files(docs, manifest.get("failed_paths") or [],
                                                                 folders=self.folders())]}

    # ---- uploads, corrections and builds (the index catches up with the folders by a build)

    def upload(self, name: str, data: bytes, progress=None) -> UploadOutcome:
        """Keep an uploaded file in the upload folder, unless its text is already in the library (said in the
        outcome, as a file that cannot be read is). progress: (stage, done, total) while it is read (OCR)."""
        return import_upload(name, data, self.documents(), self.upload_dir, progress=progress)

    def remove(self, key: str) -> str:
        """Remove an uploaded document, indexed or still waiting for a build (doc_id or saved file name): its file
        goes now, its clauses at the next build. Returns its doc_id (or the file's name while waiting)."""
        from indexer.errors import NotFoundError, ShippedDocumentError

        try:
            doc = self.find(key)
        except NotFoundError:  # uploaded, not indexed yet (its build may be running): its file is all there is
            removed = remove_waiting_upload(key, self.upload_dir)
            if removed is None:
                raise
            return removed
        if not is_upload(doc, self.upload_dir):
            raise ShippedDocumentError("只能删除上传的文件，内置文库文件不可删除 / only uploaded files can be removed")
        remove_upload(doc, self.upload_dir)
        return doc.doc_id

    def correct(self, key: str, fields: dict) -> tuple[str, dict[str, str]]:
        """Record corrections of an uploaded document's metadata (kept across rebuilds; "" removes one), checked as
        everywhere (real dates, levels and statuses as codes or labels). Returns (doc_id, all its corrections)."""
        from indexer.errors import ShippedDocumentError

        doc = self.find(key)
        if not is_upload(doc, self.upload_dir):
            raise ShippedDocumentError("只能更正上传文件的元数据；内置文件请编辑 corpus/manifest.json / only uploads "
                                       "can be corrected here")
        return doc.doc_id, correct_metadata(doc, fields, self.upload_dir)

    def build_embedder(self):
        """$POLICY_EMBEDDER, else the index's own model (a rebuild never changes models by accident), run the
        fastest way that gives its vectors; None: the default model."""
        if os.environ.get("POLICY_EMBEDDER"):
            return os.environ["POLICY_EMBEDDER"]
        try:
            return self.engine().embedder
        except PolicyError:
            return None

    def build(self, progress=None, wait: bool = False):
        """Bring the index up to date with the folders (only new clause texts are embedded); the engine reopens
        on the new generation at the next question. wait: queue behind a build already running."""
        from indexer.ingest.build import build_index
        from indexer.store import recorded_sources

        folders, extra = recorded_sources(self.index_dir)
        self.require_folders(folders)
        return build_index(self.folders(), self.index_dir, self.build_embedder(), progress=progress, wait=wait,
                           extra_files=extra)

    def require_folders(self, folders: Sequence[Path]) -> None:
        """Refuse a rebuild when a recorded folder is gone while the index holds documents from it (an unmounted drive,
        a moved library: its documents stay); an upload folder never made holds none, and reads as empty."""
        gone = [f for f in folders if not f.is_dir()]
        try:
            held = [Path(d.path).resolve() for d in self.records()] if gone else []
        except PolicyError:
            held = []
        if gone := [f for f in gone if any(p.is_relative_to(f.resolve()) for p in held)]:
            raise PolicyError(f"建立索引时的文件夹不存在：{'、'.join(map(str, gone[:3]))}（已移动或未挂载？），索引未更新；"
                              f"命令行可用 --corpus 指明现在的文件夹 / the folders the index was built from are missing: "
                              f"{', '.join(map(str, gone[:3]))}; the index is unchanged (name the folders with --corpus)")

    # ---- search

    def search(self, query: str, *, k: int = 10, mode: str = "hybrid", filters=None, fuzzy: bool = False,
               engine=None):
        """Clauses answering `query`, best first. engine: one snapshot of the index to ask (a door that reports
        which generation answered), default the live one."""
        from indexer.limits import check_k, check_nonempty_query, check_query

        check_nonempty_query(check_query(query))
        check_k(k)
        return (engine or self.engine()).search(query, k=k, mode=mode, filters=_or_none(filters), fuzzy=fuzzy)

    def better_elsewhere(self, query: str, hits, *, mode: str = "hybrid", filters=None):
        """The best hit outside the filters when it clearly outranks the best inside (search/elsewhere.py)."""
        from indexer.search.elsewhere import better_elsewhere

        return better_elsewhere(self.search, query, hits, mode, _or_none(filters))

    def translation(self, query: str, mode: str = "hybrid", filters=None) -> list[str]:
        """The Chinese words an English query is also searched with."""
        return self.engine().translation(query, mode, _or_none(filters))

    def similar(self, clause_id: str, *, k: int = 10, filters=None, other_documents: bool = True, engine=None):
        from indexer.limits import check_k

        check_k(k)
        return (engine or self.engine()).similar(clause_id, k=k, filters=_or_none(filters),
                                                 other_documents=other_documents)

    # ---- comparison

    def coverage(self, reference: str, target: str | None = None, items: Sequence[str] = (), **kw) -> CoverageAnswer:
        from indexer.compare import pairs

        return pairs.coverage_between(self.documents(), reference, target, items, embedder=self.embedder(),
                                      vectors=self.vectors(), **kw)

    def align(self, doc_a: str, doc_b: str):
        from indexer.compare.pairs import align_pair

        vectors = self.vectors()
        return align_pair(self.documents(), doc_a, doc_b, vectors=vectors,
                          embedder=self.embedder() if vectors is None else None)

    def reuse(self, keys: Sequence[str] = (), min_chars: int | None = None):
        from indexer.compare.reuse import reuse_among

        return reuse_among(self.documents(), keys, min_chars)

    def matrix(self, reference: str, targets: Sequence[str] | None = None, *, add: Sequence[str] = (),
               drop: Sequence[str] = (), section: str | None = None, unit: str | None = None):
        from indexer.compare.matrix import implementation_matrix

        return implementation_matrix(self.documents(), reference, targets, add=add, drop=drop,
                                     reference_section=section, unit=unit, embedder=self.embedder(),
                                     vectors=self.vectors())

    def diffusion(self, clause_id: str | None = None, item: str | None = None, *, reference: str | None = None,
                  targets: Sequence[str] | None = None, add: Sequence[str] = (), drop: Sequence[str] = ()):
        from indexer.compare.diffusion import diffusion

        if not clause_id and not item:
            raise PolicyError("请给出条款编号或条目名称 / give a clause id or an item name")
        return diffusion(self.documents(), clause_id, item, reference=reference, targets=targets, add=add,
                         drop=drop, embedder=self.embedder(), vectors=self.vectors())

    def instruments(self, by: str = "document", doc_ids: Sequence[str] = ()) -> dict:
        """Clauses per policy-instrument tag for each document, region, year or level (the JSON of the CLI's
        `instruments --facet BY --json` and of /v1/instruments)."""
        from indexer.compare.instruments import default_codebook, facet_counts

        docs = self.documents()
        if doc_ids:
            docs = [find(docs, k) for k in doc_ids]
        tags = default_codebook().tags
        counts = facet_counts(docs, by)
        return {"facet": by, "tags": list(tags),
                "counts": {k: {t: c[t] for t in tags if c[t]} for k, c in counts.items()}}

    def review(self, doc: str | None = None, text: str | None = None, *, title: str = "", level: str | None = None,
               upper: Sequence[str] = ()):
        """Upper-law review of a library document (`doc`) or a pasted draft (`text`) against the higher-level
        documents of the library (and of $POLICY_REVIEW_LIBRARY's folders)."""
        from indexer.compare.review import draft_document, review_document, with_upper_law

        docs = with_upper_law(self.documents())
        local = find(docs, doc) if doc else draft_document(text or "", title, level or "")
        return review_document(docs, local, upper=[find(docs, u).doc_id for u in upper], level=level)


# ---------------------------------------------------------------- one question, without keeping a Library

def documents(index_dir: str | Path | None = None) -> list[Document]:
    """The documents a question is answered on: the index's when one exists, else those read from disk."""
    return Library(index_dir).documents()


def find(docs: Sequence[Document], key: str) -> Document:
    """A document by doc_id, path or file name (NotFoundError naming the key otherwise)."""
    from indexer.ingest.corpus import find_document

    return find_document(list(docs), key)


def index_embedder(index_dir: str | Path | None = None):
    """The embedder the index was built with (so item vectors match it), else the default one."""
    return Library(index_dir).embedder()


def index_vectors(index_dir: str | Path | None = None):
    """The index's clause-vector lookup (nothing embedded twice), or None when there is no index."""
    return Library(index_dir).vectors()


def coverage_between(docs: Sequence[Document], reference: str, target: str | None = None,
                     items: Sequence[str] = (), *, embedder=None, **kw) -> CoverageAnswer:
    """`pairs.coverage_between` over these documents, with the index's embedder by default."""
    from indexer.compare import pairs

    return pairs.coverage_between(docs, reference, target, items,
                                  embedder=embedder if embedder is not None else index_embedder(), **kw)
