"""Where the Milvus engine is: the URI (a server's, or a Milvus Lite file in the index folder) and the token from
the environment, and the URI as it may be shown (without credentials)."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from indexer.errors import IndexError_

URI_ENV, TOKEN_ENV, COLLECTION_ENV, ANALYZER_ENV = ("POLICY_MILVUS_URI", "POLICY_MILVUS_TOKEN",
                                                    "POLICY_MILVUS_COLLECTION", "POLICY_MILVUS_ANALYZER")
LITE_FILE = "milvus.db"  # the Milvus Lite file inside the index folder when no URI is set
SERVER_SCHEMES = ("http", "https", "tcp", "grpc", "unix")


def resolve_uri(index_dir: Path, recorded: str = "") -> str:
    """$POLICY_MILVUS_URI, else the URI the index was built with, else a Milvus Lite file in the index folder.

    milvus://host:port (how Milvus names its own endpoint) means the server at http://host:port; another
    scheme is refused rather than taken for a file path (which would create a folder named after it)."""
    uri = os.environ.get(URI_ENV, "").strip() or recorded
    if not uri:
        return str((Path(index_dir) / LITE_FILE).resolve())
    scheme = urlsplit(uri).scheme.lower() if "://" in uri else ""
    if scheme == "milvus":
        parts = urlsplit(uri)
        if not parts.hostname:
            raise IndexError_(f"Milvus 地址缺少主机名 / no host in the Milvus URI {public_uri(uri)}")
        return urlunsplit(("http", parts.netloc, parts.path, parts.query, parts.fragment))
    if is_server(uri):
        return uri
    if scheme:
        raise IndexError_(f"不支持的 Milvus 地址 / unsupported Milvus URI scheme {scheme}://: use http://host:19530, "
                          "https://…, milvus://host:19530 or a Milvus Lite file path ending in .db")
    return str(Path(uri).expanduser().resolve())


def is_server(uri: str) -> bool:
    return urlsplit(uri).scheme.lower() in SERVER_SCHEMES


def public_uri(uri: str) -> str:
    """The URI without user:password, for the manifest (credentials come from the environment, never files)."""
    if not is_server(uri) and not uri.lower().startswith("milvus://"):
        return uri
    parts = urlsplit(uri)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
