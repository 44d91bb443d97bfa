"""Large tables built a piece at a time (indexer/background.py): the same strings and dicts as one big call, with a
pause between pieces, so that a warm-up thread never holds the interpreter while the app's server answers the
browser (the jieba dictionary and the model's vocabulary, 350,000 and 250,000 entries)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import background, keywords
from indexer.embed.tokenizer import _joined, _split

WORDS = st.lists(st.text(alphabet=st.characters(blacklist_characters="\n\x00", blacklist_categories=("Cs",)),
                         max_size=6), max_size=40)


def utf8(strings: list[str], sep: str) -> np.ndarray:
    return np.frombuffer(sep.join(strings).encode("utf-8"), dtype=np.uint8)


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(background, "PIECE", 3)  # many pieces from a short list: every boundary is crossed


@settings(max_examples=150, deadline=None)
@given(words=WORDS, sep=st.sampled_from(["\n", "\x00"]))
def test_split_joined_is_str_split(words, sep):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(background, "PIECE", 3)
        buf = utf8(words, sep)
        assert background.split_joined(buf, sep) == buf.tobytes().decode("utf-8").split(sep)


@settings(max_examples=100, deadline=None)
@given(words=WORDS)
def test_dict_of_is_dict_zip(words):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(background, "PIECE", 3)
        values = list(range(len(words)))
        assert background.dict_of(words, values) == dict(zip(words, values, strict=True))


def test_dict_of_refuses_lists_of_different_lengths(small_pieces):
    with pytest.raises(ValueError, match="4 keys, 3 values"):
        background.dict_of(["a", "b", "c", "d"], [1, 2, 3])


def test_model_vocabulary_tables_round_trip(small_pieces):
    pieces = ["▁中", "国", "", "▁the", "政策文件", "x"]
    assert _split(_joined(pieces), len(pieces)) == pieces
    with pytest.raises(ValueError, match="table length"):
        _split(_joined(pieces), len(pieces) + 1)


def test_the_jieba_dictionary_is_restored_in_pieces(tmp_path, monkeypatch):
    """The real dictionary cache: read back whole, with a pause at least every PIECE words."""
    monkeypatch.setenv("POLICY_MODEL_CACHE", str(tmp_path))
    built = keywords.Tokenizer()._jieba  # builds jieba's dictionary and writes the cache
    path = keywords._dictionary_cache(built)
    assert path.is_file()
    pauses = []
    monkeypatch.setattr(background, "_pause", lambda: pauses.append(1))
    restored = built.__class__()
    assert keywords._restore_dictionary(restored, path)
    assert restored.FREQ == built.FREQ and restored.total == built.total
    assert len(pauses) >= 2 * len(built.FREQ) // background.PIECE  # the words decoded, then the dict, in pieces
