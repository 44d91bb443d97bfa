"""Keyword side of search: jieba tokens with a policy-term dictionary, 文号 kept whole, BM25 (bm25s), phrase and fuzzy."""
from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

USER_DICT = Path(__file__).with_name("policy_terms.txt")
TOKENIZER_VERSION = 1

# 文号: issuer abbreviation, year in any bracket, serial number, 号 — e.g. 粤府函〔2020〕82号, 皖政办秘[2024]56号
DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*第?\d{1,5}号")
_BRACKETS = str.maketrans({"[": "〔", "［": "〔", "(": "〔", "（": "〔", "【": "〔",
                           "]": "〕", "］": "〕", ")": "〕", "）": "〕", "】": "〕"})
# words that often stand right before a 文号 and must not be glued to its issuer abbreviation
_LEADING = re.compile(r"^(?:根据|按照|依据|依照|参照|印发|转发|落实|贯彻|执行|关于|详见|见|和|及|与|的|按|据|经)+")
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
STOPWORDS = frozenset("""
的 了 和 与 及 以及 或 或者 等 等等 在 是 对 为 以 将 把 被 从 由 于 并 并且 而 其 之 也 都 要 有 这 那 该 此 各 个
我 我们 你 他 它 她 们 上 下 中 内 里 到 向 给 让 使 就 则 即 又 还 及其 以及其 通过 进行 关于 有关 如何 怎么 怎样
什么 哪些 哪个 哪里 为什么 是否 吗 呢 吧 啊 包括 内容 方面 相关 一些 一下 一 二 三 可以 能够 需要 应当 应该 如 若
the a an of in on at to for and or with by from is are be as that this which what how
""".split())


def normalise(text: str) -> str:
    """NFKC + lower case: full-width letters and digits become ASCII."""
    return unicodedata.normalize("NFKC", text).lower()


def fold_width(text: str, lower: bool = False) -> str:
    """normalise() one character at a time, offsets kept: ，→, （→( Ａ→A (→a with lower); a character whose
    normal form is longer (… → ...) stays as it is."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        if lower:
            n = n.lower()
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


def normalise_doc_number(s: str) -> str:
    """The one spelling of a 文号 (and of text that may hold one): 粤府函[2020] 第82号 → 粤府函〔2020〕82号.

    Full/half-width folded, spaces dropped, every bracket as 〔〕, 第 after the year bracket dropped.
    """
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", s).translate(_BRACKETS))
    return re.sub(r"〕第(?=\d)", "〕", s)


@dataclass(frozen=True)
class TokenizerConfig:
    """What the manifest records so a query is tokenised exactly as the clauses were."""

    mode: str = "search"  # jieba mode: "search" adds the sub-words of long words, "accurate" does not
    hmm: bool = True
    version: int = TOKENIZER_VERSION

    @cached_property
    def user_dict_sha(self) -> str:
        return hashlib.sha256(USER_DICT.read_bytes()).hexdigest()[:16]

    def to_dict(self) -> dict:
        import jieba
        return {"name": "jieba", "jieba_version": jieba.__version__, "mode": self.mode, "hmm": self.hmm,
                "version": self.version, "user_dict": USER_DICT.name, "user_dict_sha256": self.user_dict_sha,
                "doc_numbers": "kept whole", "stopwords": len(STOPWORDS)}


class Tokenizer:
    """jieba with the policy-term user dictionary; 文号 become single tokens; stopwords and punctuation dropped."""

    def __init__(self, config: TokenizerConfig | None = None):
        self.config = config or TokenizerConfig()
        self._lock = threading.Lock()

    @cached_property
    def _jieba(self):
        """jieba's dictionary with the user words, loaded on first use by one thread: from this project's cache of
        the finished dictionary (about 0.25 s) when there is one, else from jieba's own (about 1 s) and cached."""
        with self._lock:
            if "_jieba" in self.__dict__:  # another thread loaded it while this one waited
                return self.__dict__["_jieba"]
            import jieba
            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()  # private instance: never alter the global one others use
            path = _dictionary_cache(tok)
            if not _restore_dictionary(tok, path):
                for line in USER_DICT.read_text(encoding="utf-8").splitlines():
                    word = normalise(line.strip())  # tokens are normalised, so the dictionary must be too
                    if word and not word.startswith("#"):
                        tok.add_word(word)
                _save_dictionary(tok, path)
            return tok

    def load(self) -> Tokenizer:
        """Load the dictionary now (a warm-up), rather than on the first text."""
        _ = self._jieba
        return self

    def _words(self, chunk: str) -> list[str]:
        if self.config.mode == "search":
            return self._jieba.lcut_for_search(chunk, HMM=self.config.hmm)
        return self._jieba.lcut(chunk, HMM=self.config.hmm)

    def __call__(self, text: str) -> list[str]:
        """Tokens of a text (also used for queries)."""
        out: list[str] = []
        pos = 0
        for m in DOC_NUMBER_RE.finditer(text):
            lead = _LEADING.match(m.group())
            start = m.start() + (lead.end() if lead else 0)
            out.extend(self._plain(text[pos:start]))
            out.append(normalise_doc_number(text[start:m.end()]))
            pos = m.end()
        out.extend(self._plain(text[pos:]))
        return out

    def _plain(self, chunk: str) -> list[str]:
        if not chunk:
            return []
        words = (w.strip() for w in self._words(normalise(chunk)))
        return [w for w in words if w and _WORDLIKE.search(w) and w not in STOPWORDS]


def _dictionary_cache(tok) -> Path:
    """Where the finished dictionary (jieba's words and frequencies, then the user words) is kept: named by what
    makes it, so a new jieba, dictionary, user-word list or normalising (TOKENIZER_VERSION) never meets a stale one."""
    import jieba

    from indexer.cache_files import cache_root

    st = Path(tok.dictionary or Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)).stat()
    key = hashlib.blake2b(f"{TOKENIZER_VERSION}|{jieba.__version__}|{st.st_size}|{st.st_mtime_ns}|"
                          f"{USER_DICT.read_bytes().hex()}".encode(), digest_size=10).hexdigest()
    return cache_root() / "jieba" / f"dictionary-{key}.npz"


def _save_dictionary(tok, path: Path) -> None:
    """Keep tok's dictionary for the next process (best effort: a folder that cannot be written keeps nothing)."""
    from indexer.cache_files import save_arrays

    words = list(tok.FREQ)
    if any("\n" in w for w in words):  # the words are stored one per line
        return
    save_arrays(path, words=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
                freq=np.fromiter(tok.FREQ.values(), dtype=np.int64, count=len(words)), total=np.array(tok.total))


def _restore_dictionary(tok, path: Path) -> bool:
    """Fill tok from a cache _save_dictionary wrote; False when there is none (or it is damaged). The dictionary is
    built a piece at a time, letting other threads run between pieces (a page being served while this loads)."""
    from indexer.background import dict_of, split_joined
    from indexer.cache_files import load_arrays

    arrays = path.is_file() and load_arrays(path)
    if not arrays or {"words", "freq", "total"} - arrays.keys():
        return False
    try:
        table = dict_of(split_joined(arrays["words"], "\n"), arrays["freq"].tolist())
    except (UnicodeDecodeError, ValueError):
        return False
    tok.FREQ, tok.total, tok.initialized = table, int(arrays["total"]), True
    return True


_TOKENIZERS: dict[TokenizerConfig, Tokenizer] = {}


def get_tokenizer(config: TokenizerConfig | None = None) -> Tokenizer:
    """A shared tokenizer per configuration (loading jieba's dictionary takes about a second)."""
    config = config or TokenizerConfig()
    if config not in _TOKENIZERS:
        _TOKENIZERS[config] = Tokenizer(config)
    return _TOKENIZERS[config]


def highlight_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Merged (start, end) spans in `text` where any of the terms occurs (case- and width-insensitive)."""
    norm = normalise(text)
    if len(norm) != len(text):  # NFKC changed lengths (rare ligatures): fall back to lower case only
        norm = text.lower()
    spans = []
    for t in {t for t in terms if t}:
        if DOC_NUMBER_RE.fullmatch(t):
            pat = re.escape(t)
            for o, c in (("〔", "[〔\\[［(（【]"), ("〕", "[〕\\]］)）】]")):
                pat = pat.replace(re.escape(o), c)
            spans.extend(m.span() for m in re.finditer(pat, norm))
            continue
        if len(t) < 2 and not t.isascii():
            continue  # single Chinese characters would mark half the text
        start = norm.find(t)
        while start >= 0:
            spans.append((start, start + len(t)))
            start = norm.find(t, start + len(t))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def mark(text: str, spans: Sequence[tuple[int, int]], left: str = "【", right: str = "】") -> str:
    """The text with each span wrapped in brackets."""
    out, pos = [], 0
    for s, e in spans:
        out += [text[pos:s], left, text[s:e], right]
        pos = e
    out.append(text[pos:])
    return "".join(out)


BM25_K1, BM25_B = 1.5, 0.75  # BM25 (Lucene variant) for every backend: folder, memory, Milvus


def weighted_scores(tokens: Sequence[str], weights: dict[str, float], n_docs: int,
                    scores: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
    """BM25 when some tokens count less than 1 (thesaurus expansions): the tokens of each weight scored together
    by `scores`, scaled and summed (each distinct token once)."""
    groups: dict[float, list[str]] = {}
    for t in dict.fromkeys(tokens):
        groups.setdefault(float(weights.get(t, 1.0)), []).append(t)
    total = np.zeros(n_docs, dtype=np.float32)
    for w, group in groups.items():
        total += np.float32(w) * scores(group)
    return total


class KeywordIndex:
    """BM25 (bm25s) over clause tokens, saved as plain .npy/.json files."""

    def __init__(self, bm25, n_docs: int):
        self._bm25 = bm25
        self.n_docs = n_docs

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], k1: float = BM25_K1, b: float = BM25_B) -> KeywordIndex:
        import bm25s
        bm25 = bm25s.BM25(k1=k1, b=b)
        docs = [list(t) for t in token_lists]
        if docs:
            bm25.index(docs, show_progress=False)
        return cls(bm25, len(docs))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.n_docs:
            self._bm25.save(str(folder), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, n_docs: int) -> KeywordIndex:
        import bm25s
        if not n_docs:
            return cls(bm25s.BM25(), 0)
        return cls(bm25s.BM25.load(str(folder), mmap=False, allow_pickle=False), n_docs)

    def _ids(self, tokens: Sequence[str]) -> list[int]:
        if not self.n_docs:
            return []
        vocab = self._bm25.vocab_dict
        return [vocab[t] for t in dict.fromkeys(tokens) if t in vocab and t != ""]  # each term once

    def scores(self, tokens: Sequence[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 score of every clause for the query tokens (zeros where none match).

        Args:
            weights: token → weight for tokens that count less than 1 (e.g. thesaurus expansions).
        """
        if weights:
            return weighted_scores(tokens, weights, self.n_docs, self.scores)
        ids = self._ids(tokens)
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def document_frequency(self, tokens: Sequence[str]) -> dict[str, int]:
        """How many clauses hold each token (0 for tokens the index does not know)."""
        if not self.n_docs:
            return {t: 0 for t in tokens}
        vocab = self._bm25.vocab_dict
        indptr = self._bm25.scores["indptr"]
        return {t: (int(indptr[vocab[t] + 1] - indptr[vocab[t]]) if t in vocab else 0) for t in dict.fromkeys(tokens)}
