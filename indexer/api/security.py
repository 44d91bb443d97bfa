"""Who may call the API: loopback without a token by default; any other address only with POLICY_API_TOKEN.

Also the request-size guard (uploads as large as the app allows, small JSON bodies otherwise) and a refusal of
state-changing requests sent by a web page of another origin (a browser adds Origin; OA systems and scripts
do not), since CORS alone does not stop a page from posting a form to 127.0.0.1. The API's own pages (/docs)
are of its origin, not another: their requests carry an Origin equal to the Host they were sent to.
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import os
from urllib.parse import urlsplit

from fastapi import HTTPException

from indexer.errors import PolicyError

TOKEN_ENV = "POLICY_API_TOKEN"
MIN_TOKEN_CHARS = 16
MAX_UPLOAD_FILES = 20  # files in one POST /v1/documents
JSON_BODY_BYTES = 1 << 20  # a search, coverage or align request; 300 pasted items fit many times over
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to start on a non-loopback address without a token, or with a token too short to be secret."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise PolicyError(f"{TOKEN_ENV} 过短（至少 {MIN_TOKEN_CHARS} 个字符）/ {TOKEN_ENV} is too short: at least "
                          f"{MIN_TOKEN_CHARS} characters (e.g. python -c \"import secrets; print(secrets.token_urlsafe())\")")
    if not is_loopback(host) and not token:
        raise PolicyError(f"监听 {host} 须先设置 {TOKEN_ENV}（Bearer 令牌）/ listening on {host} needs a token: set "
                          f"{TOKEN_ENV}; without one the API binds to 127.0.0.1 only")


def token_from_env() -> str | None:
    return os.environ.get(TOKEN_ENV) or None


def token_ok(header: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time."""
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _host_name(host: str) -> str:
    """The name of a Host header without its port: 127.0.0.1:8600 → 127.0.0.1, [::1]:8600 → ::1."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def same_origin(origin: str, host: str) -> bool:
    """Whether a browser's Origin is the server itself as this request reached it (scheme://Host): a page it
    served, such as /docs. The scheme is not compared: behind a TLS proxy the page is https, the request http."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    return (parts.scheme.lower() in ("http", "https") and bool(host) and parts.netloc.lower() == host.strip().lower()
            and not (parts.path or parts.query or parts.fragment or parts.username or parts.password))


async def _send_error(send, status: int, code: str, message: str, headers: tuple = ()) -> None:
    body = json.dumps({"error": code, "message": message}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(HTTPException):
    """Raised while reading a body that runs over its limit; FastAPI passes an HTTPException through unchanged."""

    def __init__(self, message: str):
        super().__init__(413, message)


class Guard:
    """ASGI middleware: token, origin and body-size checks before any route runs.

    Args:
        token: required as a bearer token on every /v1/ request when set.
        origins: web origins allowed to change things (those CORS is opened to), besides the server's own (the
            Host the request was sent to: /docs); others get 403.
        upload_mb: the per-file upload limit; an upload request may carry MAX_UPLOAD_FILES such files.
        hosts: Host header names accepted (None: any). On loopback, a web page that points its own domain name
            at 127.0.0.1 (DNS rebinding) sends that name and is refused.
    """

    def __init__(self, app, token: str | None, origins: tuple[str, ...], upload_mb: int,
                 hosts: tuple[str, ...] | None = None):
        self.app, self.token, self.origins = app, token, set(origins)
        self.hosts = {h.lower() for h in hosts} if hosts else None
        self.upload_bytes = MAX_UPLOAD_FILES * upload_mb * 2**20 + 2**20  # + multipart headers
        self.upload_mb = upload_mb

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope.get("path", ""), scope.get("method", "GET")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        if self.hosts is not None and _host_name(headers.get("host", "")) not in self.hosts:
            return await _send_error(send, 400, "bad_host", "不接受的 Host 请求头 / Host header not accepted: call "
                                     "http://127.0.0.1:PORT/ directly")
        if self.token and path.startswith("/v1/") and method != "OPTIONS" \
                and not token_ok(headers.get("authorization"), self.token):
            return await _send_error(send, 401, "unauthorized", "缺少或错误的访问令牌 / missing or wrong token: send "
                                     "Authorization: Bearer $POLICY_API_TOKEN", ((b"www-authenticate", b"Bearer"),))
        origin = headers.get("origin")
        if origin and method not in SAFE_METHODS and origin not in self.origins \
                and not same_origin(origin, headers.get("host", "")):
            return await _send_error(send, 403, "forbidden_origin", f"不接受来自网页 {origin} 的修改请求 / requests "
                                     "from a web page of another origin may not change anything")
        upload = path == "/v1/documents" and method == "POST"
        limit = self.upload_bytes if upload else JSON_BODY_BYTES
        what = (f"上传最多 {MAX_UPLOAD_FILES} 个文件、每个不超过 {self.upload_mb} MB / at most {MAX_UPLOAD_FILES} "
                f"files of {self.upload_mb} MB each" if upload else
                f"请求体不超过 {JSON_BODY_BYTES >> 20} MB / request body at most {JSON_BODY_BYTES >> 20} MB")
        try:
            declared = int(headers.get("content-length") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return await _send_error(send, 413, "too_large", f"请求过大 / request too large: {what}")

        received, started = 0, False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(f"请求过大 / request too large: {what}")
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:  # a body without Content-Length (chunked) that ran over: stopped while reading it
            if not started:
                await _send_error(send, 413, "too_large", f"请求过大 / request too large: {what}")
