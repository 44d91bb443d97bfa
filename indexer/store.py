"""The index folder: manifest, clause table, vectors (FAISS behind a small interface), BM25; atomic generations."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.errors import IndexError_
from indexer.keywords import KeywordIndex
from indexer.models import Clause, DocMeta, Document

FORMAT_VERSION = 1
CURRENT = "CURRENT"  # pointer file: name of the live generation folder, replaced atomically
LOCK = ".build.lock"
CACHE = "cache"
# Above this many clauses the vector index is approximate (IVF); measured in benchmarks/bench_search.py:
# exact search over 200k×384 takes ~25 ms on 2 cores, an IVF probe of the same corpus ~3 ms at recall ≥ 0.95.
ANN_THRESHOLD = int(os.environ.get("POLICY_ANN_THRESHOLD", 200_000))
MISSING = "索引不存在，请先运行 python -m indexer build / no index: run `python -m indexer build` first"

CLAUSE_FIELDS = ("clause_id", "doc_id", "level", "kind", "marker", "number", "heading", "text", "section",
                 "start", "end", "page", "parent_id")


# ---------------------------------------------------------------- vector store interface and FAISS backend

class VectorStore:
    """Inner-product search over unit vectors; row i is clause i. Other backends (Milvus) implement this."""

    dim: int
    kind: str = "base"

    def __len__(self) -> int:
        raise NotImplementedError

    def search(self, query: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, rows) for one query vector, optionally restricted to the given rows."""
        raise NotImplementedError

    def get(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The stored vectors of these rows."""
        raise NotImplementedError

    def info(self) -> dict:
        return {"kind": self.kind}


def _topk(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return idx[np.argsort(-scores[idx], kind="stable")]


class FaissStore(VectorStore):
    """FAISS: exact inner product (IndexFlatIP) for small corpora, IVF above ANN_THRESHOLD."""

    SMALL_SUBSET = 20_000  # a filter leaving fewer rows than this is searched exactly over those rows

    def __init__(self, vectors: np.ndarray, index=None, meta: dict | None = None):
        import faiss
        self.vectors = vectors
        self.dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        self.meta = dict(meta or {"kind": "flat"})
        self.kind = self.meta["kind"]
        if index is None:
            index = faiss.IndexFlatIP(self.dim)
            if len(vectors):
                index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.index = index
        if self.kind == "ivf":
            faiss.extract_index_ivf(index).nprobe = int(self.meta["nprobe"])

    def __len__(self) -> int:
        return len(self.vectors)

    def info(self) -> dict:
        return dict(self.meta)

    @classmethod
    def build(cls, vectors: np.ndarray, approximate: bool | None = None, seed: int = 0) -> FaissStore:
        """An index for these vectors; approximate=None chooses IVF above ANN_THRESHOLD rows."""
        n = len(vectors)
        if approximate is None:
            approximate = n > ANN_THRESHOLD
        if not approximate or n < 1000:
            return cls(vectors)
        import faiss
        dim = vectors.shape[1]
        nlist = int(min(max(16, 4 * np.sqrt(n)), n // 39))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        sample = vectors[np.sort(rng.choice(n, size=min(n, 64 * nlist), replace=False))]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        for i in range(0, n, 100_000):
            index.add(np.ascontiguousarray(vectors[i:i + 100_000], dtype=np.float32))
        store = cls(vectors, index, {"kind": "ivf", "nlist": nlist, "nprobe": 8})
        store.tune(seed=seed)
        return store

    def tune(self, target: float = 0.95, k: int = 10, n_queries: int = 200, seed: int = 0) -> None:
        """Raise nprobe until recall@k against exact search reaches the target on perturbed stored vectors.

        The perturbation is strong (cosine ≈ 0.75 to the stored vector) because real queries sit that far from
        their passages: with mild noise (cosine 0.9) nprobe came out too small and real-query recall was 0.88.
        """
        import faiss
        rng = np.random.default_rng(seed + 1)
        rows = rng.choice(len(self), size=min(n_queries, len(self)), replace=False)
        q = np.asarray(self.vectors[np.sort(rows)], dtype=np.float32)
        q = q + rng.normal(scale=0.9 / np.sqrt(self.dim), size=q.shape).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        exact = faiss.IndexFlatIP(self.dim)
        exact.add(np.ascontiguousarray(self.vectors, dtype=np.float32))
        _, truth = exact.search(q, k)
        ivf = faiss.extract_index_ivf(self.index)
        recall, nprobe = 0.0, 4
        while nprobe <= self.meta["nlist"]:
            ivf.nprobe = nprobe
            _, got = self.index.search(q, k)
            recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(got, truth, strict=True)]))
            if recall >= target:
                break
            nprobe *= 2
        self.meta.update(nprobe=min(nprobe, self.meta["nlist"]), recall_at_10=round(recall, 4),
                         recall_queries=len(q), recall_target=target)

    def search(self, query: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        with _omp_threads(1):  # one query: threads only add start-up and contention (0.4 vs 3 ms at 10k)
            return self._search(query, k, rows)

    def _search(self, query: np.ndarray, k: int, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(query, dtype=np.float32).reshape(1, -1)
        if not len(self) or k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64)
            if len(rows) <= self.SMALL_SUBSET or self.kind == "flat":
                scores = np.asarray(self.vectors[rows] if len(rows) < len(self) else self.vectors) @ q[0]
                top = _topk(scores, k)
                return scores[top].astype(np.float32), (rows[top] if len(rows) < len(self) else top)
            import faiss
            mask = np.zeros(len(self), dtype=bool)
            mask[rows] = True
            bits = np.packbits(mask, bitorder="little")  # a bitmap is O(n/8) to build, a batch set is not
            sel = faiss.IDSelectorBitmap(len(self), faiss.swig_ptr(bits))
            params = faiss.SearchParametersIVF(sel=sel, nprobe=self.meta["nprobe"])
            d, i = self.index.search(q, k, params=params)
            del bits
        else:
            d, i = self.index.search(q, min(k, len(self)))
        keep = i[0] >= 0
        return d[0][keep], i[0][keep].astype(np.int64)

    def get(self, rows) -> np.ndarray:
        return np.asarray(self.vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def save(self, folder: Path) -> None:
        np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32), allow_pickle=False)
        if self.kind != "flat":
            import faiss
            faiss.write_index(self.index, str(folder / "vectors.faiss"))

    @classmethod
    def load(cls, folder: Path, meta: dict) -> FaissStore:
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        if meta.get("kind", "flat") == "flat":
            return cls(vectors, None, meta)
        import faiss
        return cls(vectors, faiss.read_index(str(folder / "vectors.faiss")), meta)


@contextmanager
def _omp_threads(n: int) -> Iterator[None]:
    import faiss
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


# ---------------------------------------------------------------- the clause table

@dataclass
class ClauseTable:
    """Row-aligned clause columns (compact for large corpora); `clause(i)` rebuilds a Clause."""

    records: list[dict]
    doc_index: np.ndarray  # row → position in the documents list

    def __len__(self) -> int:
        return len(self.records)

    def clause(self, row: int) -> Clause:
        r = self.records[row]
        return Clause(**{k: (tuple(r[k]) if k == "section" else r[k]) for k in CLAUSE_FIELDS})

    def key(self, row: int) -> str:
        return self.records[row]["key"]

    def text(self, row: int) -> str:
        return self.records[row]["text"]


def clause_record(c: Clause, key: str) -> dict:
    return {"clause_id": c.clause_id, "doc_id": c.doc_id, "level": c.level, "kind": c.kind, "marker": c.marker,
            "number": c.number, "heading": c.heading, "text": c.text, "section": list(c.section),
            "start": c.start, "end": c.end, "page": c.page, "parent_id": c.parent_id, "key": key}


def document_record(d: Document) -> dict:
    return {"doc_id": d.doc_id, "path": d.path, "format": d.format, "sha256": d.sha256,
            "meta": d.meta.to_dict(), "page_starts": list(d.page_starts), "warnings": list(d.warnings),
            "n_clauses": len(d.clauses)}


def doc_meta(record: dict) -> DocMeta:
    m = dict(record.get("meta") or {})
    m["cited_numbers"] = tuple(m.get("cited_numbers") or ())
    known = DocMeta.__dataclass_fields__
    return DocMeta(**{k: v for k, v in m.items() if k in known})


# ---------------------------------------------------------------- the whole index

class ClauseIndex:
    """A loaded index generation: manifest, documents, clause table, vector store, keyword index."""

    def __init__(self, folder: Path, manifest: dict, documents: list[dict], table: ClauseTable,
                 vectors: VectorStore, keywords: KeywordIndex):
        self.folder = folder
        self.manifest = manifest
        self.documents = documents
        self.table = table
        self.vectors = vectors
        self.keywords = keywords
        self._by_id: dict[str, int] | None = None
        self._by_key: dict[str, int] | None = None
        self._texts: dict[str, str] | None = None
        texts = folder / "texts.jsonl"
        if texts.exists() and texts.stat().st_size < 64 * 2**20:
            self.doc_texts()  # read now while small: a later build may delete this generation

    def __len__(self) -> int:
        return len(self.table)

    @property
    def embedder_name(self) -> str:
        return self.manifest["embedder"]["name"]

    def row_of(self, clause_id: str) -> int | None:
        if self._by_id is None:
            self._by_id = {r["clause_id"]: i for i, r in enumerate(self.table.records)}
        return self._by_id.get(clause_id)

    def row_of_key(self, key: str) -> int | None:
        if self._by_key is None:
            self._by_key = {r["key"]: i for i, r in enumerate(self.table.records)}
        return self._by_key.get(key)

    def doc_texts(self) -> dict[str, str]:
        if self._texts is None:
            with open(self.folder / "texts.jsonl", encoding="utf-8") as f:
                self._texts = {d["doc_id"]: d["text"] for d in map(json.loads, f)}
        return self._texts

    def load_documents(self) -> list[Document]:
        """Full Document objects (text and clauses) rebuilt from the index, in index order."""
        texts = self.doc_texts()
        rows: dict[int, list[Clause]] = {}
        for i in range(len(self.table)):
            rows.setdefault(int(self.table.doc_index[i]), []).append(self.table.clause(i))
        return [Document(doc_id=d["doc_id"], path=d["path"], text=texts.get(d["doc_id"], ""), meta=doc_meta(d),
                         clauses=tuple(rows.get(j, ())), format=d.get("format", "txt"),
                         page_starts=tuple(d.get("page_starts") or ()), sha256=d.get("sha256", ""),
                         warnings=tuple(d.get("warnings") or ()))
                for j, d in enumerate(self.documents)]

    # ---- persistence

    @staticmethod
    def write(folder: Path, manifest: dict, documents: Sequence[Document], records: list[dict],
              vectors: FaissStore, keywords: KeywordIndex) -> None:
        """Write every file of a generation into `folder` (which must be new) and fsync them."""
        folder.mkdir(parents=True)
        with open(folder / "clauses.jsonl", "w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        with open(folder / "texts.jsonl", "w", encoding="utf-8") as f:
            for d in documents:
                f.write(json.dumps({"doc_id": d.doc_id, "text": d.text}, ensure_ascii=False) + "\n")
        (folder / "documents.json").write_text(
            json.dumps([document_record(d) for d in documents], ensure_ascii=False, indent=1), encoding="utf-8")
        vectors.save(folder)
        keywords.save(folder / "bm25")
        # the manifest goes last: a folder without one is never a valid generation
        (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(folder)

    @classmethod
    def load(cls, folder: Path) -> ClauseIndex:
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexError_(f"索引损坏 / broken index at {folder}: {exc}") from exc
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexError_(f"索引格式版本不符，请重新运行 python -m indexer build / index format "
                              f"{manifest.get('format_version')} ≠ {FORMAT_VERSION}: run `python -m indexer build`")
        try:
            documents = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
            with open(folder / "clauses.jsonl", encoding="utf-8") as f:
                records = [json.loads(line) for line in f]
            pos = {d["doc_id"]: j for j, d in enumerate(documents)}
            doc_index = np.fromiter((pos[r["doc_id"]] for r in records), dtype=np.int32, count=len(records))
            vectors = FaissStore.load(folder, manifest.get("vector_index") or {"kind": "flat"})
            keywords = KeywordIndex.load(folder / "bm25", len(records))
        except IndexError_:
            raise
        except Exception as exc:  # a file damaged or edited by hand: one clear line, and how to recover
            raise IndexError_(f"索引损坏，请重新运行 python -m indexer build / broken index at {folder}: "
                              f"{type(exc).__name__}: {exc}") from exc
        if len(vectors) != len(records):
            raise IndexError_(f"索引损坏 / broken index at {folder}: {len(vectors)} vectors, {len(records)} clauses")
        return cls(folder, manifest, documents, ClauseTable(records, doc_index), vectors, keywords)


# ---------------------------------------------------------------- generations, pointer, lock

def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when no index was ever built."""
    try:
        name = (Path(index_dir) / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    folder = Path(index_dir) / name
    return folder if name and (folder / "manifest.json").exists() else None


def open_index(index_dir: Path) -> ClauseIndex:
    folder = current_generation(Path(index_dir))
    if folder is None:
        raise IndexError_(MISSING)
    return ClauseIndex.load(folder)


def new_generation_dir(index_dir: Path) -> Path:
    """A fresh temporary folder inside index_dir (same file system, so the final rename is atomic)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    return index_dir / f".tmp-{os.getpid()}-{time.time_ns()}"


def publish(index_dir: Path, tmp: Path) -> Path:
    """Rename the written temp folder to a generation and switch CURRENT to it atomically."""
    name = time.strftime("gen-%Y%m%dT%H%M%S") + f"-{time.time_ns() % 10**9:09d}"
    final = index_dir / name
    previous = current_generation(index_dir)
    os.rename(tmp, final)
    pointer = index_dir / f".{CURRENT}.tmp"
    with open(pointer, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    # the previously live generation stays for readers that are opening it right now; anything else
    # (an orphan renamed by a build killed before it switched CURRENT) was never live and goes
    keep_names = {final.name} | ({previous.name} if previous is not None else set())
    for old in index_dir.glob("gen-*"):
        if old.is_dir() and old.name not in keep_names:
            shutil.rmtree(old, ignore_errors=True)
    return final


def remove_stale_temps(index_dir: Path) -> None:
    """Temp folders left by builds that crashed (call only while holding the lock)."""
    for p in Path(index_dir).glob(".tmp-*"):
        shutil.rmtree(p, ignore_errors=True)


@contextmanager
def build_lock(index_dir: Path, wait: bool = False) -> Iterator[None]:
    """Exclusive lock for writers; the OS drops it when the holder dies, so a killed build never blocks."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    f = open(index_dir / LOCK, "a+")
    try:
        try:
            import fcntl
            flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
            try:
                fcntl.flock(f.fileno(), flags)
            except BlockingIOError as exc:
                raise IndexError_("另一个构建正在进行 / another build is running on this index; try again later") from exc
        except ImportError:  # pragma: no cover - Windows
            import msvcrt
            try:
                msvcrt.locking(f.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
            except OSError as exc:
                raise IndexError_("另一个构建正在进行 / another build is running on this index") from exc
        yield
    finally:
        f.close()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for p in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):
        if p.is_file():
            with open(p, "rb+") as f:
                os.fsync(f.fileno())
        else:
            _fsync_dir(p)
    _fsync_dir(folder)


# ---------------------------------------------------------------- vector cache of an unfinished build

_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


class VectorCache:
    """Vectors embedded by a build, saved in chunks as it goes, so a killed build loses little work."""

    def __init__(self, index_dir: Path, embedder_name: str):
        self.folder = Path(index_dir) / CACHE
        self.prefix = _SLUG.sub("_", embedder_name)[-80:]
        self._seq = 0

    def load(self, dim: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for keys_file in sorted(self.folder.glob(f"{self.prefix}--*.keys.json")):
            vec_file = keys_file.with_name(keys_file.name[:-len(".keys.json")] + ".npy")
            try:
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                vecs = np.load(vec_file, allow_pickle=False)
            except (OSError, ValueError):
                continue
            if vecs.ndim == 2 and vecs.shape == (len(keys), dim):
                out.update(zip(keys, vecs, strict=True))
        return out

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        if not keys:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{self.prefix}--{os.getpid()}-{time.time_ns()}-{self._seq}"
        self._seq += 1
        tmp = self.folder / f".{stem}.npy"
        np.save(tmp, np.asarray(vectors, dtype=np.float32), allow_pickle=False)
        os.replace(tmp, self.folder / f"{stem}.npy")
        tmpk = self.folder / f".{stem}.keys.json"
        tmpk.write_text(json.dumps(keys), encoding="utf-8")
        os.replace(tmpk, self.folder / f"{stem}.keys.json")  # keys last: a chunk counts only when complete

    def clear(self) -> None:
        for p in self.folder.glob(f"*{self.prefix}--*"):
            p.unlink(missing_ok=True)
