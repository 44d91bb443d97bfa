"""The FastAPI application: routes under /v1/, OpenAPI docs at /docs (offline), errors as JSON, guarded by security.Guard."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import Depends, FastAPI

from indexer.api import (
    docs,
    errors,
    routes_compare,
    routes_provincial,
    routes_read,
    routes_review,
    routes_write,
)
from indexer.api.security import Guard, token_from_env
from indexer.api.state import ApiState

DESCRIPTION = """政策文件语义检索与比对的 HTTP 接口：与应用和命令行调用同一服务层，JSON 与 `--json` 输出相同。

The same search, coverage and alignment as the app and the CLI (`python -m indexer … --json` gives the same JSON).
Errors are `{"error": code, "message": "中文 / English"}`. Bound to another address than 127.0.0.1, every /v1/
request needs `Authorization: Bearer $POLICY_API_TOKEN`."""


def create_app(index_dir: str | Path | None = None, upload_dir: str | Path | None = None, *,
               token: str | None = None, cors_origins: Sequence[str] = (),
               allowed_hosts: Sequence[str] | None = None) -> FastAPI:
    """The API over one index folder.

    Args:
        token: the bearer token every /v1/ request must carry; None reads $POLICY_API_TOKEN (unset: none needed).
        cors_origins: web origins allowed to call it from a browser (CORS is off when empty).
        allowed_hosts: Host header values accepted (serve sets the loopback names, against DNS rebinding).
    """
    from indexer.uploads import upload_limit_mb

    assets = docs.asset_folder()
    app = FastAPI(title="政策文件检索 API / Policy-document search API", version="1.0.0", description=DESCRIPTION,
                  openapi_tags=[{"name": "v1"}], **docs.docs_urls(assets))
    docs.install(app, assets)  # /docs and /redoc work offline: their JavaScript and CSS are served from here
    app.state.api = ApiState(index_dir, upload_dir)
    errors.install(app)
    for module in (routes_read, routes_compare, routes_provincial, routes_write, routes_review):
        app.include_router(module.router, tags=["v1"], dependencies=[Depends(routes_read.valid_text)])
    token = token if token is not None else token_from_env()
    # CORS, added last, is outermost: it answers a preflight before the guard and adds its headers to the guard's errors
    app.add_middleware(Guard, token=token, origins=tuple(cors_origins), upload_mb=upload_limit_mb(),
                       hosts=tuple(allowed_hosts) if allowed_hosts else None)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
    return app
