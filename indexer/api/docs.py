"""The /docs (Swagger UI) and /redoc pages with their JavaScript and CSS served here, not from a CDN.

Offices that run the API often have no Internet access, and FastAPI's default pages load their assets from
cdn.jsdelivr.net: offline they stay blank. The assets come from the installed `fastapi-offline` package (its
static folder only; pinned in requirements.txt), served under /docs-assets/. Without it the default pages stay.
"""
from __future__ import annotations

import logging
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles

log = logging.getLogger("policy_api")

ASSETS = "/docs-assets"
PACKAGE = "fastapi_offline"  # pip install fastapi-offline: swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js


def asset_folder():
    """The installed folder holding the docs' JavaScript and CSS, or None when the package is missing."""
    try:
        folder = resources.files(PACKAGE) / "static"
    except ModuleNotFoundError:
        return None
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def docs_urls(folder) -> dict:
    """FastAPI's docs_url/redoc_url: None (the pages are ours) when the assets are installed."""
    return {"docs_url": None, "redoc_url": None} if folder is not None else {}


def install(app: FastAPI, folder) -> None:
    """Serve /docs, its OAuth2 redirect page and /redoc with local assets (nothing when `folder` is None)."""
    if folder is None:
        log.warning("%s is not installed: /docs and /redoc load their assets from a CDN "
                    "(pip install -r requirements.txt)", PACKAGE)
        return
    app.mount(ASSETS, StaticFiles(directory=str(folder)), name="docs-assets")

    def base(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/")  # behind a proxy that serves the API under a path

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request):
        root = base(request)
        return get_swagger_ui_html(openapi_url=root + app.openapi_url, title=f"{app.title} - Swagger UI",
                                   oauth2_redirect_url=root + app.swagger_ui_oauth2_redirect_url,
                                   swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None})  # no badge from swagger.io

    @app.get(app.swagger_ui_oauth2_redirect_url, include_in_schema=False)
    def swagger_redirect():
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request):
        root = base(request)
        return get_redoc_html(openapi_url=root + app.openapi_url, title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{ASSETS}/favicon.png", with_google_fonts=False)
