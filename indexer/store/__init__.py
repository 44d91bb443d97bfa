"""The index store: one `ClauseStore` interface, a registry of backends, and the folder backend's parts."""
from indexer.store.base import (
    DEFAULT_BACKEND,
    MISSING,
    ClauseStore,
    Ranked,
    StoreWriter,
    backend,
    backend_of,
    backends,
    live_manifest,
    open_store,
    previous_backend,
    recorded_sources,
    register_backend,
    store_writer,
)
from indexer.store.cache import CACHE, VectorCache
from indexer.store.folder import (
    CLAUSE_FIELDS,
    FORMAT_VERSION,
    FolderStore,
    FolderWriter,
    clause_record,
    open_folder,
)
from indexer.store.generations import (
    CURRENT,
    LOCK,
    build_lock,
    current_generation,
    new_generation_dir,
    publish,
    remove_stale_temps,
)
from indexer.store.records import doc_meta, document_record
from indexer.store.vectors import ANN_THRESHOLD, FaissStore, VectorStore

open_index = open_folder  # the folder backend's opener, under its old name

__all__ = [
    "ANN_THRESHOLD", "CACHE", "CLAUSE_FIELDS", "CURRENT", "DEFAULT_BACKEND", "FORMAT_VERSION", "LOCK", "MISSING",
    "ClauseStore", "FaissStore", "FolderStore", "FolderWriter", "Ranked", "StoreWriter",
    "VectorCache", "VectorStore", "backend", "backend_of", "backends", "build_lock", "clause_record", "current_generation",
    "doc_meta", "document_record", "live_manifest", "new_generation_dir", "open_folder", "open_index", "open_store", "previous_backend", "publish",
    "recorded_sources", "register_backend", "remove_stale_temps", "store_writer",
]
