"""build --ray: a local 2-worker Ray cluster produces the index a local build produces (same clause ids and
vectors), with the same progress, content-hash reuse and cache chunks as a local build."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ray", reason="ray not installed (requirements-scale.txt)")

from indexer.embedders import FakeEmbedder  # noqa: E402
from indexer.ingest.build import build_index  # noqa: E402
from indexer.ray_embed import embed_on_ray, shutdown, worker_spec  # noqa: E402
from indexer.store import VectorCache, open_store  # noqa: E402
from tests.test_store_contract import random_corpus  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    yield "auto"
    shutdown()


def library():
    return [d for seed in range(40) for d in random_corpus(seed)]


def test_a_ray_build_equals_a_local_build(tmp_path, cluster):
    docs = library()
    local = build_index(index_dir=tmp_path / "local", embedder=FakeEmbedder(64), documents=docs)
    seen: list[tuple[int, int]] = []
    remote = build_index(index_dir=tmp_path / "ray", embedder=FakeEmbedder(64), documents=docs, ray=cluster,
                         ray_workers=2, progress=lambda stage, done, total: seen.append((done, total))
                         if stage == "embed" else None)
    assert remote.embedded == local.embedded > 1000 and remote.clauses == local.clauses
    a, b = open_store(tmp_path / "local"), open_store(tmp_path / "ray")
    assert a.clause_keys() == b.clause_keys()
    np.testing.assert_allclose(a.vectors(range(len(a))), b.vectors(range(len(b))), atol=1e-6)
    assert seen[-1] == (remote.embedded, remote.embedded) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    again = build_index(index_dir=tmp_path / "ray", embedder=FakeEmbedder(64), documents=docs, ray=cluster)
    assert again.embedded == 0  # content hashes: nothing goes to Ray twice


def test_batches_come_back_whole_and_in_place(cluster):
    texts = [f"第{i}条 人才税收优惠" for i in range(600)]
    got = dict(embed_on_ray(FakeEmbedder(32), texts, cluster, workers=2, batch=128))
    assert sorted(got) == [0, 128, 256, 384, 512]
    vecs = np.concatenate([got[s] for s in sorted(got)])
    np.testing.assert_allclose(vecs, FakeEmbedder(32).embed_passages(texts), atol=1e-6)


def test_a_ray_build_reuses_the_cache_of_a_killed_one(tmp_path, cluster):
    """Vectors saved by an interrupted build (cache chunks) are not sent to Ray again."""
    from indexer.passages import passage_text, vector_key

    docs = library()[:30]
    emb = FakeEmbedder(64)
    pairs = [passage_text(c, d.meta.title, "section") for d in docs for c in d.clauses]
    keys = list(dict.fromkeys(vector_key(emb.name, p) for p in pairs))
    half = len(keys) // 2
    VectorCache(tmp_path, emb.name).add(keys[:half], emb.embed_passages([
        dict(zip((vector_key(emb.name, p) for p in pairs), pairs, strict=True))[k] for k in keys[:half]]))
    report = build_index(index_dir=tmp_path, embedder=emb, documents=docs, ray=cluster, ray_workers=2)
    assert report.embedded == len(keys) - half


def test_workers_rebuild_the_embedder_by_name():
    assert worker_spec(FakeEmbedder(64)) == "fake:64"
