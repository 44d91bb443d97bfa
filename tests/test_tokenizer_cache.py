"""The tokenizer's dictionary cache: a process that reads the cached dictionary cuts every text exactly as one
that built the dictionary from jieba's files, and a missing or damaged cache is rebuilt, never an error."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer import keywords
from indexer.keywords import Tokenizer, TokenizerConfig

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def texts() -> list[str]:
    """Real clauses of every kind of document: the shipped corpus, and Zhejiang regulations and national laws of
    ../shared/library when it is there."""
    files = sorted(p for p in (ROOT / "corpus").iterdir() if p.suffix in (".txt", ".md"))
    files += sorted((SHARED / "library" / "zhejiang").glob("*.md"))[:4]
    files += sorted((SHARED / "library" / "national").rglob("*.md"))[:2]
    out = []
    for f in files:
        raw = f.read_bytes()
        for enc in ("utf-8", "gb18030"):
            try:
                out += [line for line in raw.decode(enc).splitlines() if line.strip()][:80]
                break
            except UnicodeDecodeError:
                continue
    assert len(out) > 100
    return out


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("POLICY_MODEL_CACHE", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("mode", ["search", "accurate"])
def test_cached_dictionary_cuts_as_jieba_does(cache, mode):
    config = TokenizerConfig(mode=mode)
    first = Tokenizer(config)  # builds the dictionary from jieba's files, then keeps it
    sample = texts()
    built = [first(t) for t in sample]
    files = list((cache / "jieba").glob("dictionary-*.npz"))
    assert len(files) == 1
    second = Tokenizer(config)
    assert keywords._restore_dictionary(second._jieba.__class__(), files[0])  # the cache is readable
    assert [second(t) for t in sample] == built
    assert second._jieba.FREQ == first._jieba.FREQ and second._jieba.total == first._jieba.total
    assert "链长制" in second._jieba.FREQ  # a user word of policy_terms.txt is in the cached dictionary


def test_damaged_cache_is_rebuilt(cache):
    sample = texts()[:100]
    first = Tokenizer()
    expected = [first(t) for t in sample]
    (path,) = (cache / "jieba").glob("dictionary-*.npz")
    path.write_bytes(path.read_bytes()[:1000])  # cut short
    again = Tokenizer()
    assert [again(t) for t in sample] == expected
    assert keywords._restore_dictionary(Tokenizer()._jieba.__class__(), path)  # written whole again


def test_unwritable_cache_still_tokenises(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("POLICY_MODEL_CACHE", str(blocker))
    assert Tokenizer()("培育发展战略性产业集群") == Tokenizer()("培育发展战略性产业集群") != []
