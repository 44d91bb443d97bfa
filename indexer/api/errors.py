"""Every failure as JSON {"error": code, "message": "中文 / English"} with its status code, never a traceback."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.api.jobs import BuildBusy
from indexer.api.schemas import INVALID_TEXT
from indexer.errors import IndexError_, IngestError, NotFoundError, PolicyError, ShippedDocumentError
from indexer.limits import LimitError

log = logging.getLogger("policy_api")


class ApiError(Exception):
    """An error the API answers with this status and code; the message is the one line a person reads."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    # a message that echoes a lone surrogate from the request could not be encoded: the answer would be lost
    message = message.encode("utf-8", "replace").decode("utf-8")
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def policy_status(exc: PolicyError) -> tuple[int, str]:
    """The status and code of one of indexer's own errors (their messages are already one bilingual line)."""
    if isinstance(exc, NotFoundError):
        return 404, "not_found"
    if isinstance(exc, ShippedDocumentError):
        return 403, "shipped_document"
    if isinstance(exc, BuildBusy):
        return 409, "build_running"
    if isinstance(exc, IngestError):
        return 422, "unreadable_file"
    if isinstance(exc, IndexError_):
        return 503, "index_unavailable"
    if isinstance(exc, LimitError):
        return 422, exc.code
    return 400, "bad_request"


_HTTP = {  # what Starlette itself refuses: unknown paths, methods, oversize bodies, unparsable bodies
    400: ("bad_request", "请求无法解析 / the request could not be parsed"),
    404: ("not_found", "没有这个接口地址 / no such endpoint (see /docs)"),
    405: ("method_not_allowed", "该地址不支持此方法 / method not allowed here (see /docs)"),
    413: ("too_large", "请求过大 / request too large"),
}


def _first_line(text: str) -> str:
    return (str(text).strip().splitlines() or [""])[0]


# pydantic's error types a client meets most, in Chinese beside pydantic's own English
_PROBLEMS = {"missing": "缺少此项", "json_invalid": "请求体不是有效的 JSON", "string_pattern_mismatch": "取值不在可选范围内",
             "literal_error": "取值不在可选范围内", "int_parsing": "应为整数", "int_type": "应为整数",
             "bool_parsing": "应为 true 或 false", "string_type": "应为文字", "list_type": "应为列表",
             "float_parsing": "应为数字", "model_attributes_type": "应为 JSON 对象", "dict_type": "应为 JSON 对象"}


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for e in exc.errors()[:3]:
        loc = [p for p in e.get("loc", ()) if p not in ("body", "query", "path", "form")]
        kind, msg = e.get("type", ""), str(e.get("msg", ""))
        if kind == "json_invalid" and loc:  # the place is a character offset, not a field
            problems.append(f"{_PROBLEMS[kind]}（第 {loc[0]} 个字符附近）/ the body is not valid JSON near character "
                            f"{loc[0]}")
            continue
        where = ".".join(str(p) for p in loc)
        said = f"{_PROBLEMS[kind]} / {msg}" if kind in _PROBLEMS else msg
        problems.append(f"{where}：{said}" if where else said)
    return "参数无效 / invalid input: " + "; ".join(problems)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into the JSON error shape."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(PolicyError)
    async def _policy(request: Request, exc: PolicyError):
        status, code = policy_status(exc)
        return error_response(status, code, _first_line(str(exc)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        bad_text = next((e for e in exc.errors() if e.get("type") == INVALID_TEXT), None)
        if bad_text is not None:  # limits.check_text's own line, as the CLI says it
            return error_response(422, INVALID_TEXT, _first_line(bad_text.get("msg", "")))
        return error_response(422, "invalid_input", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code, message = _HTTP.get(exc.status_code, ("http_error", f"请求失败 / request failed ({exc.status_code})"))
        if exc.status_code == 413 and isinstance(exc.detail, str) and " / " in exc.detail:
            message = exc.detail  # the body limit says which limit
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, "internal_error", f"内部错误 / internal error ({type(exc).__name__}); "
                                                     "详情见服务器日志 / see the server log")
