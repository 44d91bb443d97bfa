"""Vectors of a folder index: FAISS inner-product search, exact below ANN_THRESHOLD clauses, 8-bit IVF above."""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

# Above this many clauses the vector index is approximate (IVF of 8-bit codes); measured in bench_search.py and
# bench_scale.py: exact search over 200k×384 takes ~25 ms on 2 cores; at 1M the IVF, tuned to TUNE_TARGET and its
# lists split over the cores, gives recall@10 .993 on the real queries at hybrid p95 92 ms.
ANN_THRESHOLD = int(os.environ.get("POLICY_ANN_THRESHOLD", 200_000))
TUNE_TARGET = 0.995  # on perturbed stored vectors; real queries' recall@10 came out lower (.98 gave .973 at 1M)
IVF_THREADS = min(4, os.cpu_count() or 1)
REFINE = 40  # candidates an 8-bit IVF search scores again exactly (bench_scale.py: recall@10 1.0 at 1M)


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
    """FAISS: exact inner product (IndexFlatIP) for small corpora, 8-bit IVF above ANN_THRESHOLD."""

    SMALL_SUBSET = 20_000  # a filter leaving fewer rows than this is searched exactly over those rows

    def __init__(self, vectors: np.ndarray, index=None, meta: dict | None = None):
        import faiss
        self.vectors = vectors
        self.dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        self.meta = dict(meta or {"kind": "flat"})
        self.kind = self.meta["kind"]
        self._index = index
        if self.kind == "ivf":
            ivf = faiss.extract_index_ivf(index)
            ivf.nprobe = int(self.meta["nprobe"])
            ivf.parallel_mode = 1  # one query's lists shared among the threads (default: queries are)

    @property
    def index(self):
        """The FAISS index; an exact one is made on first search (a build that only saves it never needs it)."""
        if self._index is None:
            import faiss
            index = faiss.IndexFlatIP(self.dim)
            if len(self.vectors):
                index.add(np.ascontiguousarray(self.vectors, dtype=np.float32))
            self._index = index
        return self._index

    def __len__(self) -> int:
        return len(self.vectors)

    def info(self) -> dict:
        return dict(self.meta)

    @classmethod
    def build(cls, vectors: np.ndarray, approximate: bool | None = None, seed: int = 0) -> FaissStore:
        """An index for these vectors; approximate=None chooses IVF above ANN_THRESHOLD rows.

        The IVF lists hold 8-bit codes (a quarter of float32: 384 MB for a million 384-d clauses), and a search
        re-scores its REFINE best candidates with the float32 vectors read from the memory-mapped file, so the
        scores it returns are exact and quantisation only decides which candidates are looked at.
        """
        n = len(vectors)
        if approximate is None:
            approximate = n > ANN_THRESHOLD
        if not approximate or n < 1000:
            return cls(vectors)
        import faiss
        dim = vectors.shape[1]
        nlist = int(min(max(16, np.sqrt(n)), n // 39))
        index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        sample = vectors[np.sort(rng.choice(n, size=min(n, 40 * nlist), replace=False))]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        for i in range(0, n, 100_000):
            index.add(np.ascontiguousarray(vectors[i:i + 100_000], dtype=np.float32))
        store = cls(vectors, index, {"kind": "ivf", "codes": "sq8", "nlist": nlist, "nprobe": 8, "refine": REFINE})
        store.tune(seed=seed)
        return store

    def tune(self, target: float = TUNE_TARGET, k: int = 10, n_queries: int = 200, seed: int = 0) -> None:
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
        truth = exact_topk(self.vectors, q, k)
        ivf = faiss.extract_index_ivf(self.index)
        recall, nprobe = 0.0, 4
        while nprobe <= self.meta["nlist"]:
            ivf.nprobe = self.meta["nprobe"] = nprobe
            with _omp_threads(1):
                got = [self._search(x, k, None)[1] for x in q]
            recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(got, truth, strict=True)]))
            if recall >= target:
                break
            nprobe = (nprobe * 3 + 1) // 2  # steps of 1.5: doubling overshot (128 → 256 lists at 1M)
        ivf.nprobe = self.meta["nprobe"] = min(nprobe, self.meta["nlist"])
        self.meta.update(recall_at_10=round(recall, 4), recall_queries=len(q), recall_target=target)

    def search(self, query: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        # exact search of one query: threads only add start-up and contention (0.4 vs 3 ms at 10k); the IVF's
        # hundreds of lists split over the cores (1M, nprobe 365: 18.3 → 10.1 ms on 2 cores)
        with _omp_threads(1 if self.kind == "flat" else IVF_THREADS):
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
            d, i = self.index.search(q, self._depth(k), params=params)
            del bits
        else:
            d, i = self.index.search(q, min(self._depth(k), len(self)))
        keep = i[0] >= 0
        if "codes" in self.meta:
            return self._refine(q[0], i[0][keep].astype(np.int64), k)
        return d[0][keep], i[0][keep].astype(np.int64)

    def _depth(self, k: int) -> int:
        """How many candidates the index is asked for: more than k when their scores are computed again exactly."""
        return max(k, int(self.meta.get("refine", 0)))

    def _refine(self, q: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best of these candidates by exact inner product with the stored float32 vectors."""
        ids = np.sort(ids)  # ascending: the memory-mapped rows are read in file order
        scores = np.asarray(self.vectors[ids], dtype=np.float32) @ q
        top = _topk(scores, k)
        return scores[top], ids[top]

    def get(self, rows) -> np.ndarray:
        return np.asarray(self.vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def read_all(self) -> np.ndarray:
        """Every vector in memory: one sequential read of a memory-mapped file, not a page fault per page."""
        path = getattr(self.vectors, "filename", None)
        if path:
            vectors = np.load(path, allow_pickle=False)
            if vectors.shape == self.vectors.shape:
                return vectors.astype(np.float32, copy=False)
        return np.asarray(self.vectors, dtype=np.float32)

    def save(self, folder: Path) -> None:
        np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32), allow_pickle=False)
        if self.kind != "flat":
            import faiss
            faiss.write_index(self.index, str(folder / "vectors.faiss"))

    @classmethod
    def load(cls, folder: Path, meta: dict) -> FaissStore:
        if meta.get("kind", "flat") == "flat":  # every search reads every vector: mapped whole
            return cls(np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False), None, meta)
        import faiss  # the codes answer searches; a few float32 rows are read per search
        return cls(NpyRows(folder / "vectors.npy"), faiss.read_index(str(folder / "vectors.faiss")), meta)


class NpyRows:
    """Rows of a 2-d .npy file read with pread when asked (clause_table.RowFile): nothing of it is mapped."""

    def __init__(self, path: Path):
        from indexer.store.clause_table import RowFile
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            self.shape, fortran, self.dtype = read_header(f)
            self._start = f.tell()
        if len(self.shape) != 2 or fortran:
            raise ValueError(f"{path.name}: not a C-ordered 2-d array")
        self.ndim, self.filename = 2, str(path)
        self._row = self.shape[1] * self.dtype.itemsize
        self._file = RowFile(path)

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, a: int, b: int) -> np.ndarray:
        data = self._file.read(self._start + a * self._row, self._start + b * self._row)
        return np.frombuffer(data, dtype=self.dtype).reshape(b - a, self.shape[1])

    def __getitem__(self, idx) -> np.ndarray:
        if isinstance(idx, slice):
            a, b, step = idx.indices(len(self))
            return self._read(a, max(a, b))[::step]
        idx = np.asarray(idx, dtype=np.int64)
        if idx.ndim == 0:
            return self[int(idx):int(idx) + 1][0]
        if len(idx) and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError("row out of range")
        idx = np.where(idx < 0, idx + len(self), idx)
        out = np.empty((len(idx), self.shape[1]), dtype=self.dtype)
        order = np.argsort(idx, kind="stable")
        rows = idx[order]
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1  # runs of consecutive rows: one read each
        for part, pos in zip(np.split(rows, breaks), np.split(order, breaks), strict=True):
            if len(part):
                out[pos] = self._read(int(part[0]), int(part[-1]) + 1)
        return out


def exact_topk(vectors: np.ndarray, queries: np.ndarray, k: int, chunk: int = 100_000) -> list[np.ndarray]:
    """Each query's k best rows by exact inner product, read in chunks (no second copy of every vector)."""
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    for a in range(0, len(vectors), chunk):
        s = queries @ np.asarray(vectors[a:a + chunk], dtype=np.float32).T
        kk = min(k, s.shape[1])
        idx = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        all_s = np.concatenate([best_s, np.take_along_axis(s, idx, 1)], 1)
        all_i = np.concatenate([best_i, idx + a], 1)
        order = np.argsort(-all_s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(all_s, order, 1), np.take_along_axis(all_i, order, 1)
    return list(best_i)


@contextmanager
def _omp_threads(n: int) -> Iterator[None]:
    import faiss
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


