"""Texts embedded outside a build are kept on disk per embedder (embed/disk_memo.py): a new process reads them."""
from __future__ import annotations

import numpy as np

from indexer.compare.align import EmbeddingMemo
from indexer.embed import disk_memo
from indexer.embedders import get_embedder

ITEMS = ["新一代信息技术", "智能机器人", "生物医药与健康", "现代农业与食品"]


def test_a_new_memo_reads_what_an_earlier_one_embedded(tmp_path, monkeypatch):
    monkeypatch.setenv(disk_memo.ENV, str(tmp_path / "memo"))
    first = get_embedder("fake-recording")
    want_p, want_q = EmbeddingMemo(first).passages(ITEMS), EmbeddingMemo(first).queries(ITEMS[:2])
    assert first.texts == ITEMS
    again = get_embedder("fake-recording")  # as a new process would: nothing in memory
    memo = EmbeddingMemo(again)
    np.testing.assert_array_equal(memo.passages(ITEMS), want_p)
    np.testing.assert_array_equal(memo.queries(ITEMS[:2]), want_q)
    assert again.texts == []  # nothing embedded again
    memo.passages(ITEMS + ["区块链与量子信息"])
    assert again.texts == ["区块链与量子信息"]


def test_an_unreadable_chunk_is_a_miss_and_old_chunks_go_first(tmp_path, monkeypatch):
    monkeypatch.setenv(disk_memo.ENV, str(tmp_path / "memo"))
    emb = get_embedder("fake-recording")
    EmbeddingMemo(emb).passages(ITEMS)
    folder = disk_memo.memo_dir(emb.name, emb.dim)
    (chunk,) = folder.glob("*.npz")
    chunk.write_bytes(b"damaged")
    again = get_embedder("fake-recording")
    EmbeddingMemo(again).passages(ITEMS)
    assert again.texts == ITEMS
    good = max(folder.glob("*.npz"))
    monkeypatch.setattr(disk_memo, "MAX_BYTES", good.stat().st_size + 100)  # room for about one chunk
    EmbeddingMemo(get_embedder("fake-recording")).passages(["数字创意"])
    (left,) = folder.glob("*.npz")
    assert left.name > good.name  # the oldest went first, the newest stays
    last = get_embedder("fake-recording")
    EmbeddingMemo(last).passages(["数字创意"])
    assert last.texts == []


def test_off_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(disk_memo.ENV, "off")
    emb = get_embedder("fake-recording")
    EmbeddingMemo(emb).passages(ITEMS)
    assert disk_memo.memo_dir(emb.name, emb.dim) is None


def test_a_memo_folder_that_cannot_be_made_keeps_nothing_and_embeds_as_before(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(disk_memo.ENV, str(tmp_path / "a-file" / "memo"))  # a file stands where a folder should be
    emb = get_embedder("fake-recording")
    vecs = EmbeddingMemo(emb).passages(ITEMS)
    assert vecs.shape == (len(ITEMS), emb.dim) and emb.texts == ITEMS
    again = get_embedder("fake-recording")
    EmbeddingMemo(again).passages(ITEMS)
    assert again.texts == ITEMS  # nothing was kept
