"""Upper-law review endpoint: POST /v1/review answers with the same JSON as `python -m indexer review --json`."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from indexer.api import schemas
from indexer.api.errors import ApiError
from indexer.api.routes_read import Invalid, NotFound, State

router = APIRouter(prefix="/v1")
MAX_DRAFT_CHARS = 500_000


class ReviewRequest(schemas.Request):
    """A library document (`doc`) or a pasted draft (`text`), and optionally the upper documents to check against."""

    doc: str | None = Field(None, description="doc_id, path or file name of a library document")
    text: str | None = Field(None, description="a draft's text, when it is not in the library")
    title: str | None = Field(None, description="the draft's title")
    level: str | None = Field(None, description="province | city | county, when the document's level is unknown")
    upper: list[str] = Field(default_factory=list, description="only these upper documents (doc_ids)")


@router.post("/review", responses={**NotFound, **Invalid},
             summary="上位法审查 / review a local document against the upper law in the library (review --json)")
def review(state: State, body: ReviewRequest):
    has_text = bool(body.text and body.text.strip())
    if body.doc and has_text:
        raise ApiError(422, "invalid_input", "doc 与 text 只能给出其一 / give either doc or text, not both")
    if not body.doc and not has_text:
        raise ApiError(422, "invalid_input", "请给出 doc（文库文件）或非空的 text（草案文本）/ give a doc or a non-empty text")
    if body.level not in (None, "", "province", "city", "county"):
        raise ApiError(422, "invalid_input", "level 只能是 province、city 或 county / level: province, city or county")
    if body.text and len(body.text) > MAX_DRAFT_CHARS:
        raise ApiError(413, "too_large", f"草案过长（上限 {MAX_DRAFT_CHARS} 字）/ the draft is too long")
    return state.review(body.doc, body.text, title=body.title or "", level=body.level or None,
                        upper=body.upper).to_dict()
