"""The alias `<prefix>` that names a server index's live collection, and the fallback where a server has none.

A build on a server fills a new collection, publishes its sidecar generation (the switch this project's
readers follow: it names the collection), then moves the alias (the switch anything else querying the
server follows). A server that answers alias calls with UNIMPLEMENTED (milvus-lite 2.5) is told in one
line; there the sidecar's recorded collection name, switched by an atomic rename, is the only switch.
"""
from __future__ import annotations

import sys

from indexer.store.milvus_errors import lacks_aliases, where

_TOLD: set[str] = set()  # URIs whose missing aliases this process has reported


def no_aliases_line(uri: str) -> str:
    zh, en = where(uri)
    return (f"{zh} 不支持别名（UNIMPLEMENTED），改为原子切换索引记录的集合名 / {en} has no aliases (UNIMPLEMENTED): "
            "the index's recorded collection name is switched atomically instead")


def has_aliases(client, alias: str, uri: str) -> bool:
    """Whether the server implements aliases (asked once per build; said in one line on stderr when not)."""
    try:
        client.describe_alias(alias)
    except Exception as exc:  # noqa: BLE001 - pymilvus raises MilvusException, grpc RpcError
        if lacks_aliases(exc):
            if uri not in _TOLD:
                _TOLD.add(uri)
                print(no_aliases_line(uri), file=sys.stderr)
            return False
        # any other answer ("alias not found") means the server knows aliases; a server that is down fails
        # on the next call with its own line
    return True


def switch_alias(client, alias: str, name: str) -> None:
    """Point `alias` at collection `name` (created on the first build)."""
    try:
        client.alter_alias(name, alias)
    except Exception:  # noqa: BLE001 - no such alias yet
        client.create_alias(name, alias)


def aliased(client, alias: str) -> str:
    """The collection `alias` names ("" when none)."""
    try:
        return str(client.describe_alias(alias).get("collection_name", ""))
    except Exception:  # noqa: BLE001 - no such alias
        return ""
