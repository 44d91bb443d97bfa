"""The Milvus side of the milvus backend: where the engine is (URI, token), one collection's schema, row records."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import warnings
from pathlib import Path

from indexer.errors import IndexError_
from indexer.keywords import BM25_B, BM25_K1, normalise
from indexer.models import Clause, Document
from indexer.store import milvus_local
from indexer.store.milvus_errors import explain
from indexer.store.milvus_uri import (  # noqa: F401 — where the engine is, read by the writer and the store
    ANALYZER_ENV,
    COLLECTION_ENV,
    LITE_FILE,
    TOKEN_ENV,
    URI_ENV,
    is_server,
    public_uri,
    resolve_uri,
)

# "tokens": BM25 over the project's own tokens (jieba + policy-term dictionary + 文号 kept whole), handed to
# Milvus space-separated and split by its whitespace analyzer: the same terms bm25s sees.
# "jieba": Milvus's own jieba analyzer over the raw clause text; it takes no user dictionary in Milvus 2.5
# ("tokenizer name should be string param"), so policy terms and 文号 fall apart as in plain jieba.
ANALYZERS = {"tokens": {"tokenizer": "whitespace"}, "jieba": {"tokenizer": "jieba"}}
# milvus-lite 3 knows only "standard" (\w+, lower-cased) and "jieba": there the tokens go escaped, each one
# \w-only and lower case, so its standard tokenizer keeps every token whole and apart
FALLBACK = {"tokens": {"tokenizer": "standard"}}
_WORD = re.compile(r"\w")
_ESCAPED = re.compile(r"_([0-9a-f]+)_")
DEFAULT_ANALYZER = "tokens"
MAX_VARCHAR = 65535  # bytes, Milvus's limit for one VARCHAR value
CLAUSE_OUT = ["pk", "clause_id", "doc_id", "level", "kind", "marker", "number", "heading", "text", "section",
              "start", "end", "page", "parent_id", "key"]

CONNECT_TIMEOUT = float(os.environ.get("POLICY_MILVUS_TIMEOUT", "") or 10)  # seconds to reach a server
_CLIENTS: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()


def collection_prefix(index_dir: Path) -> str:
    """$POLICY_MILVUS_COLLECTION, else one name per index folder, so several indexes share a cluster."""
    name = os.environ.get(COLLECTION_ENV, "").strip()
    if name:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,200}", name):
            raise IndexError_(f"Milvus 集合名只能含字母、数字和下划线 / {COLLECTION_ENV}={name!r}: letters, digits, "
                              "underscores only")
        return name
    return "policy_" + hashlib.sha1(str(Path(index_dir).resolve()).encode()).hexdigest()[:12]


def connect(uri: str):
    """One client per URI and process (Milvus Lite allows a single process per file: share it)."""
    token = os.environ.get(TOKEN_ENV, "") if is_server(uri) else ""
    key = (uri, hashlib.sha256(token.encode()).hexdigest())
    with _LOCK:
        client = _CLIENTS.get(key)
        if client is not None:
            return client
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # milvus-lite imports pkg_resources
            from pymilvus import MilvusClient
        logging.getLogger("pymilvus").setLevel(logging.CRITICAL)  # iterators warn on every Lite query, RPC errors are raised
        lite = None if is_server(uri) else Path(uri)
        if lite is not None:  # one process per file: refuse a busy file before pymilvus touches its lock
            if problem := milvus_local.path_problem(lite):
                raise IndexError_(f"无法打开 Milvus Lite 文件 / cannot open the Milvus Lite file: {problem}")
            milvus_local.install()
            milvus_local.check_free(lite)
            milvus_local.stop_orphans(lite)
            os.environ.setdefault("RUST_LOG", "warn")  # the Lite server logs every tantivy commit otherwise
        try:
            kwargs = {"timeout": CONNECT_TIMEOUT} if lite is None else {}
            client = MilvusClient(uri=uri, token=token, **kwargs) if token else MilvusClient(uri=uri, **kwargs)
            if lite is None:
                client.list_collections()  # a wrong token or a non-Milvus port answers here, not at the first search
        except Exception as exc:  # noqa: BLE001 - pymilvus raises its own exception types
            if lite is not None:
                milvus_local.check_free(lite)  # taken between the check and the start
                raise IndexError_(f"无法连接 Milvus / cannot open Milvus at {public_uri(uri)}: "
                                  f"{getattr(exc, 'message', exc)}") from exc
            raise explain(exc, uri) from exc
        if lite is not None:
            milvus_local.started(lite)
        _CLIENTS[key] = client
        return client


def create_collection(client, name: str, dim: int, analyzer: str, vector_index: dict) -> dict:
    """A collection holding clause fields, document metadata for filters, a dense vector and a BM25 field.

    Returns the analyzer parameters the server took: the tokens' whitespace tokenizer, else (milvus-lite 3
    knows no whitespace tokenizer) the standard one over escaped tokens."""
    params = ANALYZERS[analyzer]
    try:
        _create(client, name, dim, params, analyzer == "jieba", vector_index)
    except Exception as exc:  # noqa: BLE001 - pymilvus's MilvusException
        if analyzer not in FALLBACK or "tokenizer" not in str(exc).lower():
            raise
        params = FALLBACK[analyzer]
        _create(client, name, dim, params, False, vector_index)
    return params


def _create(client, name: str, dim: int, params: dict, raw_text: bool, vector_index: dict) -> None:
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("pk", DataType.INT64, is_primary=True)  # stable across builds; the sidecar maps rows to pks
    s.add_field("born", DataType.INT64)  # the build that wrote it: readers of build G see born <= G only
    for field, length in (("clause_id", 1024), ("doc_id", 512), ("kind", 32), ("marker", 128), ("heading", 2048),
                          ("section", 8192), ("parent_id", 1024), ("key", 128), ("region", 256),
                          ("province", 256), ("doc_level", 32), ("status", 32), ("date", 32),
                          ("section_path", 8192), ("norm", MAX_VARCHAR)):
        s.add_field(field, DataType.VARCHAR, max_length=length)
    for field in ("level", "number", "start", "end", "page"):
        s.add_field(field, DataType.INT64)
    s.add_field("bare", DataType.BOOL)
    bm25_source = "text" if raw_text else "tokens"
    for field in ("text", "tokens"):
        if field == bm25_source:
            s.add_field(field, DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True,
                        analyzer_params=params)
        else:
            s.add_field(field, DataType.VARCHAR, max_length=MAX_VARCHAR)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=[bm25_source],
                            output_field_names=["sparse"]))
    ip = client.prepare_index_params()
    params = {"nlist": vector_index["nlist"]} if vector_index["index_type"] == "IVF_FLAT" else {}
    ip.add_index("vector", index_type=vector_index["index_type"], metric_type="IP", params=params)
    ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                 params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})  # the folder backend's parameters
    client.create_collection(name, schema=s, index_params=ip, consistency_level="Strong")


def clause_row(c: Clause, key: str, doc: Document, bare: bool) -> dict:
    """One entity without pk, born, tokens and vector: the clause and its document's filter fields."""
    m = doc.meta
    rec = {"clause_id": c.clause_id, "doc_id": c.doc_id, "level": c.level, "kind": c.kind,
           "marker": c.marker, "number": c.number, "heading": c.heading, "text": c.text,
           "section": json.dumps(list(c.section), ensure_ascii=False), "start": c.start, "end": c.end,
           "page": -1 if c.page is None else c.page, "parent_id": c.parent_id or "", "key": key,
           "region": m.region, "province": m.province, "doc_level": m.level, "status": m.status, "date": m.date,
           "section_path": c.section_str, "norm": normalise(c.text), "bare": bare}
    for field in ("text", "norm"):
        if len(rec[field].encode("utf-8")) > MAX_VARCHAR:
            raise IndexError_(f"条款过长，Milvus 单个字段最多 {MAX_VARCHAR} 字节 / clause {c.clause_id} is longer "
                              f"than Milvus's {MAX_VARCHAR}-byte field limit")
    return rec


def tokens_field(tokens: list[str], clause_id: str, escaped: bool = False) -> str:
    """The project's tokens as the analyzer reads them: space-joined, padded (escaped for "standard")."""
    value = " " + " ".join(map(escape_token, tokens) if escaped else tokens) + " "
    if len(value.encode("utf-8")) > MAX_VARCHAR:
        raise IndexError_(f"条款过长，Milvus 单个字段最多 {MAX_VARCHAR} 字节 / clause {clause_id} is longer "
                          f"than Milvus's {MAX_VARCHAR}-byte field limit")
    return value


def row_digest(rec: dict, tokenizer: str) -> int:
    """A signed 64-bit hash of everything an entity holds but its vector (the key names the vector) and its
    tokens (the text and `tokenizer`, the tokenizer's settings, determine them): two builds that give a
    clause the same digest can share its entity."""
    blob = json.dumps([rec, tokenizer], ensure_ascii=False, sort_keys=True).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "little", signed=True)


def record_clause(r: dict) -> Clause:
    return Clause(clause_id=r["clause_id"], doc_id=r["doc_id"], level=int(r["level"]), kind=r["kind"],
                  marker=r["marker"], number=int(r["number"]), heading=r["heading"], text=r["text"],
                  section=tuple(json.loads(r["section"])), start=int(r["start"]), end=int(r["end"]),
                  page=None if int(r["page"]) < 0 else int(r["page"]), parent_id=r["parent_id"] or None)


def query_terms(tokens, weights: dict[str, float] | None, sep: str = " ", escaped: bool = False) -> tuple[str, int]:
    """The BM25 query text and its scale: Milvus counts a repeated query term that many times, so a weight
    w is a term repeated round(w·m) times in a query whose typed terms are repeated m times (÷ m after).

    sep: " " for the whitespace analyzer; "" for jieba, which would count a space as a term (and rank
        the clauses holding many spaces first).
    escaped: terms escaped for the standard tokenizer (see escape_token).

    Returns ("", 1) when no term is left.
    """
    terms = [t for t in dict.fromkeys(bare_token(t) for t in tokens) if t]
    if not terms:
        return "", 1
    w = {bare_token(t): v for t, v in (weights or {}).items()}
    scale = 1
    for m in (1, 2, 4, 10):  # the smallest repetition that expresses every weight exactly
        scale = m
        if all(abs(w.get(t, 1.0) * m - round(w.get(t, 1.0) * m)) < 1e-9 for t in terms):
            break
    words = [escape_token(t) if escaped else t for t in terms for _ in range(max(0, round(w.get(t, 1.0) * scale)))]
    return sep.join(words), scale


def escape_token(token: str) -> str:
    """A token as one \\w+ word that lower-casing leaves alone: any other character (and "_") becomes _hex_."""
    return "".join(c if c != "_" and _WORD.fullmatch(c) and c.lower() == c else f"_{ord(c):x}_" for c in token)


def unescape_token(word: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), word)


def escapes(analyzer_params: dict) -> bool:
    """True when the tokens field holds escaped tokens (the standard tokenizer of milvus-lite 3)."""
    return analyzer_params.get("tokenizer") == "standard"


def bare_token(token: str) -> str:
    """A token as the whitespace analyzer keeps it (a token never holds a space; jieba's rarely do)."""
    return "".join(token.split())
