"""What went wrong with Milvus, in one bilingual line naming the URI (never the token): down, refused, gone.

pymilvus raises its own exception types (and grpc's) with long multi-line messages; the doors show these
lines instead, and the HTTP API answers them with 503 (they are `IndexError_`s).
"""
from __future__ import annotations

import os
from contextlib import contextmanager

from indexer.errors import IndexError_

NO_ALIASES = ("unimplemented", "not implemented", "not supported", "unknown method")
_DOWN = ("unavailable", "fail connecting", "failed to connect", "connection refused", "connect timeout",
         "deadline", "timed out", "timeout", "name resolution", "dns", "connection reset", "socket closed",
         "illegal connection")
_AUTH = ("unauthenticated", "authenticat", "credential", "permission denied", "password", "invalid token")
_GONE = ("collection not found", "can't find collection", "not exist", "collection not exist", "no such collection")


class MilvusDown(IndexError_):
    """The Milvus server cannot be reached (down, wrong host or port, not a Milvus server)."""


class MilvusRefused(IndexError_):
    """The server refused the token."""


class MilvusGone(IndexError_):
    """The collection the index names is not on the server (dropped behind the index's back)."""


def _text(exc: BaseException) -> str:
    """The messages and status code names of the exception and its causes, lower-cased (pymilvus wraps the
    grpc error that says UNAUTHENTICATED in one that says "fail connecting")."""
    parts, seen = [], 0
    while exc is not None and seen < 5:
        parts.append(str(getattr(exc, "message", "") or exc))
        code = getattr(exc, "code", None)
        if callable(code):  # grpc.RpcError
            try:
                parts.append(str(code()))
            except Exception:  # noqa: BLE001 - a half-built RpcError
                pass
        elif code is not None:
            parts.append(str(code))
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return " ".join(parts).lower()


def lacks_aliases(exc: BaseException) -> bool:
    """True when the server answered an alias call with UNIMPLEMENTED (milvus-lite 2.5 does)."""
    return any(w in _text(exc) for w in NO_ALIASES)


def where(uri: str) -> tuple[str, str]:
    """('Milvus 服务器 …', 'the Milvus server at …') or the Lite file's words."""
    from indexer.store.milvus_uri import is_server, public_uri
    if is_server(uri):
        return f"Milvus 服务器 {public_uri(uri)}", f"the Milvus server at {public_uri(uri)}"
    return f"Milvus Lite 文件 {uri}", f"the Milvus Lite file {uri}"


def explain(exc: BaseException, uri: str, collection: str = "") -> IndexError_:
    """The one line for a failed Milvus call (an IndexError_ passes through unchanged)."""
    if isinstance(exc, IndexError_):
        return exc
    from indexer.store.milvus_uri import is_server
    zh, en = where(uri)
    text = _text(exc)
    if is_server(uri) and any(w in text for w in _AUTH):  # a Lite file has no token ("permission denied": a file)
        return MilvusRefused(f"{zh} 拒绝了访问令牌（检查 POLICY_MILVUS_TOKEN）/ {en} refused the token: check "
                             "POLICY_MILVUS_TOKEN")
    if collection and any(w in text for w in _GONE):
        return gone(uri, collection)
    if any(w in text for w in _DOWN):
        return MilvusDown(f"无法连接 {zh}（服务器是否在运行？地址是否正确？）/ cannot reach {en}: is it running, is "
                          "the URI right?")
    return IndexError_(f"{zh} 出错 / {en} failed: {_scrub(first_line(str(getattr(exc, 'message', '') or exc)))}")


def gone(uri: str, collection: str) -> MilvusGone:
    zh, en = where(uri)
    return MilvusGone(f"{zh} 上已没有集合 {collection}（被删除？），请重新运行 python -m indexer build / the "
                      f"collection {collection} is gone from {en} (dropped?): run python -m indexer build")


def wrong_dim(uri: str, collection: str, index_dim: int, collection_dim: int) -> IndexError_:
    zh, en = where(uri)
    return IndexError_(f"索引的模型维度 {index_dim} 与 {zh} 上集合 {collection} 的维度 {collection_dim} 不一致，请重新运行 "
                       f"python -m indexer build / the index's model dimension {index_dim} is not the collection "
                       f"{collection}'s {collection_dim} on {en}: run python -m indexer build")


def first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:300]


def _scrub(text: str) -> str:
    """Never echo the token, whatever a server puts in its message."""
    from indexer.store.milvus_uri import TOKEN_ENV
    token = os.environ.get(TOKEN_ENV, "")
    return text.replace(token, "***") if token else text


@contextmanager
def translated(uri: str, collection: str = ""):
    """Run Milvus calls; a failure becomes its one line."""
    try:
        yield
    except IndexError_:
        raise
    except Exception as exc:  # noqa: BLE001 - pymilvus and grpc raise many types
        raise explain(exc, uri, collection) from exc
