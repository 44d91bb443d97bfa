"""Comparison endpoints: coverage of a list, clause alignment of two documents, text reuse (as the CLI answers)."""
from __future__ import annotations

from fastapi import APIRouter

from indexer.api import bodies, schemas
from indexer.api.errors import ApiError
from indexer.api.routes_read import Invalid, NotFound, State, checked
from indexer.errors import NotFoundError, PolicyError
from indexer.limits import check_items

router = APIRouter(prefix="/v1")


@router.post("/coverage", response_model=schemas.Coverage, responses={**NotFound, **Invalid},
             summary="清单覆盖 / coverage of a target document's list, or pasted names, against a reference list")
def coverage(state: State, body: bodies.CoverageRequest):
    from indexer.compare.coverage import parse_names

    if body.target and body.items:
        raise ApiError(422, "invalid_input", "target 与 items 只能给出一个 / give either target or items, not both")
    items: tuple[str, ...] = ()
    if not body.target:
        raw = body.items if isinstance(body.items, list) else parse_names(body.items or "")
        items = tuple(n.strip() for n in raw if n.strip())
        if not items:
            raise ApiError(422, "invalid_input", "请给出 target 或至少一个条目名称 / give a target document or at "
                                                 "least one item name")
        checked(check_items, items)
    answer = state.coverage(body.reference, body.target, items, reference_section=body.reference_section,
                            target_section=body.target_section, region=body.region)
    return answer.result.to_dict()


@router.post("/align", response_model=schemas.Alignment, responses={**NotFound, **Invalid},
             summary="条款比对 / align the clauses of two documents (the CLI's align --json)")
def align(state: State, body: bodies.AlignRequest):
    a, b = state.find(body.doc_a), state.find(body.doc_b)
    if a.doc_id == b.doc_id:
        raise ApiError(422, "same_document", f"两次指定了同一文件 {a.doc_id}，请给出两个不同的文件 / doc_a and doc_b "
                                             "are the same document: give two different ones")
    return state.align(a.doc_id, b.doc_id).to_dict()


@router.post("/reuse", response_model=schemas.Reuse, responses={**NotFound, **Invalid},
             summary="文本复用 / passages reused near-verbatim across documents (the CLI's reuse --json)")
def reuse(state: State, body: bodies.ReuseRequest):
    try:
        min_chars, pairs = state.reuse(body.docs, body.min_chars)
    except NotFoundError:
        raise
    except PolicyError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from None
    return {"min_chars": min_chars, "pairs": [p.to_dict() for p in pairs]}
