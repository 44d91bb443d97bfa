"""The provincial view: implementation matrix, diffusion timeline and policy-instrument facets (as the CLI's
`matrix`, `diffusion` and `instruments --facet` answer with --json)."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import Field

from indexer.api import schemas
from indexer.api.routes_read import Invalid, NotFound, State

router = APIRouter(prefix="/v1")


class MatrixRequest(schemas.Request):
    reference: str = Field(examples=["guangdong-2020-strategic-clusters"])
    docs: list[str] | None = Field(None, description="exactly these answering documents (default: found by rule)")
    add: list[str] = Field([], description="documents added by hand (counted whatever they are)")
    drop: list[str] = Field([], description="documents dropped from those found")
    section: str | None = Field(None, description="the reference's list (default: its primary list or articles)")
    unit: Literal["list", "article"] | None = None


class DiffusionRequest(schemas.Request):
    clause_id: str | None = Field(None, examples=["guangdong-2020-strategic-clusters:4.2.3"])
    item: str | None = Field(None, examples=["新能源"], description="an item name instead of a clause id")
    reference: str | None = None
    docs: list[str] | None = None
    add: list[str] = []
    drop: list[str] = []


@router.post("/matrix", responses={**NotFound, **Invalid},
             summary="实施矩阵 / which documents answer a reference and which of its items each takes up (the "
                     "CLI's matrix --json), with the related documents not counted and why")
def matrix(state: State, body: MatrixRequest) -> dict:
    return state.matrix(body.reference, body.docs, add=body.add, drop=body.drop, section=body.section,
                        unit=body.unit).to_dict()


@router.post("/diffusion", responses={**NotFound, **Invalid},
             summary="扩散时间线 / which documents carry one reference item, when and how (the CLI's diffusion --json)")
def diffusion(state: State, body: DiffusionRequest) -> dict:
    return state.diffusion(body.clause_id, body.item, reference=body.reference, targets=body.docs, add=body.add,
                           drop=body.drop).to_dict()


@router.get("/instruments", responses={**Invalid},
            summary="政策工具 / clauses per policy-instrument tag for each document, region, year or level (the "
                    "CLI's instruments --facet … --json)")
def instruments(state: State, facet: Literal["document", "region", "year", "level"] = "document",
                doc: str = "") -> dict:
    return state.instruments(facet, [d for d in doc.split(",") if d.strip()])
