"""Read-only endpoints: health, index status, search, similar clauses, documents with their outline and lists."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from indexer.api import bodies, schemas
from indexer.api.errors import ApiError
from indexer.api.state import ApiState
from indexer.errors import PolicyError
from indexer.filters import SearchFilters
from indexer.limits import (
    MAX_K,
    MAX_QUERY_CHARS,
    check_k,
    check_nonempty_query,
    check_queries,
    check_query,
    check_text,
)

API_VERSION = "1"
router = APIRouter(prefix="/v1")


def get_state(request: Request) -> ApiState:
    return request.app.state.api


State = Annotated[ApiState, Depends(get_state)]
NotFound = {404: {"model": schemas.Error, "description": "unknown document or clause"}}
Invalid = {422: {"model": schemas.Error, "description": "bad input: wrong type, too long, unknown filter value"}}


def checked(fn, *args, code: str = "invalid_input"):
    """Run one of indexer.limits' checks, its refusal answered 422 with the check's own message and code."""
    try:
        return fn(*args)
    except PolicyError as exc:
        raise ApiError(422, getattr(exc, "code", code), str(exc)) from None


def valid_text(request: Request) -> None:
    """Every query and path parameter through limits.check_text, as request bodies are (schemas.Request); Starlette
    decodes URLs with replacement characters today, so this guards the day that changes."""
    for name, value in [*request.query_params.multi_items(), *request.path_params.items()]:
        checked(check_text, str(value), name)


def checked_filters(f: SearchFilters, state: ApiState) -> SearchFilters:
    """The library's filter check (Library.check_filters), its refusal answered 422 invalid_filter."""
    return checked(state.check_filters, f, code="invalid_filter")


def generation(engine, response: Response) -> None:
    """Name the generation that answered (a client can tell answers before and after a build apart)."""
    if engine.store.generation:
        response.headers["X-Index-Generation"] = engine.store.generation


def public_summary(summary: dict) -> dict:
    return {**summary, "path": Path(summary.get("path") or "").name}


# ---------------------------------------------------------------- health and status

@router.get("/health", response_model=schemas.Health, summary="存活检查 / liveness and whether an index exists")
def health(state: State):
    return {"status": "ok", "index": state.has_index(), "api_version": API_VERSION}


@router.get("/index", response_model=schemas.IndexStatus,
            summary="索引状态 / index status: counts, parser and embedder versions, problems, running build")
def index_status(state: State):
    job = state.jobs.current()
    return {**state.status(), "build": job.to_dict() if job else None}


# ---------------------------------------------------------------- search

def _filters(region: Annotated[str, Query(description="地区 / region (substring; comma = any of)",
                                             examples=["东莞"])] = "",
             province: str = "",
             level: Annotated[str, Query(description="national, province, city, county, news, other")] = "",
             doc: Annotated[list[str], Query(description="只搜某文件 / only this doc_id (repeatable)")] = (),
             status: Annotated[str, Query(description="current, draft, trial, expired")] = "",
             date_from: Annotated[str, Query(alias="from", description="YYYY[-MM[-DD]]")] = "",
             date_to: Annotated[str, Query(alias="to", description="inclusive")] = "",
             section: Annotated[str, Query(examples=["保障措施"])] = "",
             region_scope: Annotated[str, Query(pattern="^(self|all)?$", description='"self": 仅本级 (own documents only); "all" or empty: 含下辖 (the CLI\'s --scope)')] = "",
             include_undated: bool = False) -> SearchFilters:
    return SearchFilters(region=region, province=province, level=level, doc_ids=tuple(doc), status=status,
                         date_from=date_from, date_to=date_to, section=section, region_scope=region_scope,
                         include_undated=include_undated)


Filters = Annotated[SearchFilters, Depends(_filters)]
K = Annotated[int, Query(description=f"结果数 / hits, 1–{MAX_K}")]


def _search(state: ApiState, response: Response, queries: list[str], k: int, mode: str, fuzzy: bool,
            filters: SearchFilters, batch: bool = False) -> list[list[dict]]:
    checked(check_k, k, "k")
    if batch:
        checked(check_queries, queries)  # count, each query and the characters of them all
    else:
        checked(check_query, queries[0])
        checked(check_nonempty_query, queries[0])
    engine = state.engine()  # one generation answers every query of the request, and the header names it
    f = checked_filters(filters, state)
    generation(engine, response)
    return [[h.to_dict() for h in state.search(q, k=k, mode=mode, filters=f, fuzzy=fuzzy, engine=engine)]
            if q.strip() else [] for q in queries]


@router.get("/search", response_model=list[schemas.Hit], responses={**Invalid},
            summary="检索条款 / search clauses (the CLI's search --json)")
def search_get(state: State, response: Response, filters: Filters,
               q: Annotated[str, Query(description=f"查询 / query, at most {MAX_QUERY_CHARS} characters",
                                       examples=["人才个税优惠"])],
               k: K = 10, mode: schemas.Mode = "hybrid", fuzzy: bool = False):
    return _search(state, response, [q], k, mode, fuzzy, filters)[0]


@router.post("/search", response_model=list[schemas.Hit], responses={**Invalid},
             summary="检索条款（JSON 请求体）/ search clauses, the request as a JSON body")
def search_post(state: State, response: Response, body: bodies.SearchRequest):
    return _search(state, response, [body.query], body.k, body.mode, body.fuzzy, body.to_filters())[0]


@router.get("/search/elsewhere", response_model=schemas.Hit | None, responses={**Invalid},
            summary="筛选范围外的最佳条款 / the best clause outside a search's filters (the app's and the CLI's note)")
def search_elsewhere(state: State, response: Response, filters: Filters,
                     q: Annotated[str, Query(description="查询 / query", examples=["养狗要办证吗"])],
                     k: K = 10, mode: schemas.Mode = "hybrid"):
    """The best clause when the filters are lifted, if it clearly outranks the best the filtered search finds (养狗要办证吗
    filtered to 杭州: 丽水's 养犬登记 article); null when the filtered search holds it, or there are no filters."""
    checked(check_k, k, "k")
    checked(check_query, q)
    checked(check_nonempty_query, q)
    engine = state.engine()
    f = checked_filters(filters, state)
    generation(engine, response)
    best = state.better_elsewhere(q, state.search(q, k=k, mode=mode, filters=f, engine=engine), mode=mode, filters=f)
    return best.to_dict() if best is not None else None


@router.post("/search/batch", response_model=list[list[schemas.Hit]], responses={**Invalid},
             summary="批量检索 / several queries, one result list each (the CLI's search --queries)")
def search_batch(state: State, response: Response, body: bodies.BatchSearchRequest):
    return _search(state, response, body.queries, body.k, body.mode, body.fuzzy, body.to_filters(), batch=True)


@router.get("/clauses/{clause_id}", response_model=schemas.Clause, responses={**NotFound},
            summary="一个条款 / one clause")
def clause(state: State, clause_id: str):
    return state.clause(clause_id).to_dict()


@router.get("/clauses/{clause_id}/similar", response_model=list[schemas.Hit], responses={**NotFound, **Invalid},
            summary="相似条款 / clauses similar to a clause (the CLI's similar --json)")
def similar(state: State, response: Response, clause_id: str, filters: Filters, k: K = 10,
            other_documents: bool = True):
    checked(check_k, k, "k")
    engine = state.engine()
    f = checked_filters(filters, state)
    generation(engine, response)
    return [h.to_dict() for h in state.similar(clause_id, k=k, filters=f, other_documents=other_documents,
                                               engine=engine)]


# ---------------------------------------------------------------- documents

@router.get("/documents", response_model=list[schemas.DocumentSummary],
            summary="文库中的文件 / documents of the library with their metadata (the CLI's docs --json)")
def documents(state: State):
    return [public_summary(d.summary()) for d in state.records()]


def _document(state: ApiState, key: str):
    from indexer.library import find

    return find(state.documents(), key)


@router.get("/documents/{doc_id}", response_model=schemas.DocumentSummary, responses={**NotFound},
            summary="一个文件的元数据 / one document's metadata (doc_id or file name)")
def document(state: State, doc_id: str):
    return public_summary(_document(state, doc_id).summary())


@router.get("/documents/{doc_id}/outline", response_model=list[schemas.Clause], responses={**NotFound},
            summary="条款树 / the document's clauses in order (the CLI's outline --json)")
def outline(state: State, doc_id: str):
    return [c.to_dict() for c in state.outline(doc_id)]


@router.get("/documents/{doc_id}/lists", response_model=list[schemas.NamedList], responses={**NotFound},
            summary="列举清单 / the document's named lists (the CLI's lists --json)")
def lists(state: State, doc_id: str):
    return [nl.to_dict() for nl in state.lists(doc_id)]
