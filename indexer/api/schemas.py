"""The API's JSON shapes as pydantic models: exactly what the CLI's --json prints (the to_dict() of indexer's types).

Every model forbids fields it does not declare, and tests/test_api_schemas.py validates real to_dict() output
through each one, so a key added to a to_dict() without its model here fails a test rather than drifting.
Document metadata fields are generated from `indexer.models.DocMeta` itself.
Request bodies (what a client sends) are in indexer/api/bodies.py, on the `Request` base defined here.
"""
from __future__ import annotations

import dataclasses
import typing
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic_core import PydanticCustomError

from indexer.errors import PolicyError
from indexer.limits import check_text
from indexer.models import SEARCH_MODES, DocMeta

Mode = Literal[SEARCH_MODES]


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- errors

class Error(Shape):
    """Every error: a stable code and one line in Chinese and English."""

    error: str = Field(examples=["not_found"])
    message: str = Field(examples=["找不到文件 / no document 'x'"])


# ---------------------------------------------------------------- hits and clauses (Hit.to_dict, Clause.to_dict)

class Signal(Shape):
    rank: int
    score: float


class Hit(Shape):
    rank: int
    score: float
    doc_id: str
    title: str
    region: str
    province: str
    level: str
    date: str
    status: str
    clause_id: str
    section: str
    section_path: list[str]
    text: str
    marked: str = Field(description="text with matched terms in 【】")
    highlights: list[list[int]] = Field(description="[start, end) of matched terms inside text")
    start: int
    end: int
    page: int | None
    signals: dict[str, Signal]
    doc_number: str
    low_relevance: bool = Field(description="under the relevance floor (相关度较低)")


class Clause(Shape):
    clause_id: str
    doc_id: str
    level: int
    kind: str
    marker: str
    heading: str
    section: str
    section_path: list[str]
    text: str
    start: int
    end: int
    page: int | None
    parent_id: str | None


# ---------------------------------------------------------------- documents (Document.summary, NamedList.to_dict)

def _meta_fields() -> dict:
    """DocMeta's fields as pydantic fields (tuples become lists, as to_dict writes them)."""
    hints = typing.get_type_hints(DocMeta)
    out = {}
    for f in dataclasses.fields(DocMeta):
        kind = hints[f.name]
        out[f.name] = (list[str] if typing.get_origin(kind) is tuple else kind, ...)
    return out


DocumentSummary = create_model(
    "DocumentSummary", __base__=Shape, doc_id=(str, ...), **_meta_fields(), n_clauses=(int, ...),
    path=(str, Field(description="the file name (the server's folders are not disclosed)")), format=(str, ...))


class ListItem(Shape):
    name: str
    heading: str
    clause_id: str
    text: str


class NamedList(Shape):
    doc_id: str
    section: str
    clause_id: str | None
    parts: list[str]
    items: list[ListItem]


# ---------------------------------------------------------------- coverage, align, reuse

class Match(Shape):
    name: str
    score: float
    clause_id: str | None
    why: str = Field("", description="why an item counts for more than its best counterpart (\"\" for that one)")


class ReferenceItem(Shape):
    name: str
    clause_id: str | None
    matches: list[Match]
    status: Literal["covered", "missing"]
    names_target_region: bool
    region_mentions: list[str]
    named_gap: bool


class TargetItem(Shape):
    name: str
    clause_id: str | None
    best: str | None
    score: float
    status: Literal["aligned", "local_addition"]
    nearest: str
    also: list[Match]


class CoverageSummary(Shape):
    reference_items: int
    covered: int
    missing: int
    named_gaps: list[str]
    target_items: int
    aligned: int
    local_additions: list[str]


class Coverage(Shape):
    reference: str
    target: str
    region: str
    reference_items: list[ReferenceItem]
    target_items: list[TargetItem]
    summary: CoverageSummary


class ClauseRef(Shape):
    doc_id: str
    clause_id: str
    section: str
    text: str


class ClausePair(Shape):
    a: ClauseRef
    b: ClauseRef
    score: float
    relation: str
    evidence: float
    surface: float


class Alignment(Shape):
    doc_a: str
    doc_b: str
    pairs: list[ClausePair]
    only_a: list[ClauseRef]
    only_b: list[ClauseRef]
    counts: dict[str, int] = Field(description="pairs, only_a, only_b and one count per relation")


class ReuseSide(Shape):
    doc_id: str
    clause_id: str | None
    start: int
    end: int
    text: str


class ReusePair(Shape):
    a: ReuseSide
    b: ReuseSide
    similarity: float
    chars: int


class Reuse(Shape):
    min_chars: int
    pairs: list[ReusePair]


# ---------------------------------------------------------------- requests

INVALID_TEXT = "invalid_text"  # the validation error type (and API error code) of limits.check_text's refusal


def checked_text(value, where: str = "") -> None:
    """Every string of a request body, keys too, through limits.check_text; `where` is its path (queries[1])."""
    if isinstance(value, str):
        check_text(value, where)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_text(str(k), where or "body")
            checked_text(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            checked_text(v, f"{where}[{i}]")


class Request(Shape):
    """A request body: its text is checked before any field is, so a lone surrogate is one clear 422."""

    @model_validator(mode="before")
    @classmethod
    def _valid_text(cls, data):
        try:
            checked_text(data)
        except PolicyError as exc:
            raise PydanticCustomError(INVALID_TEXT, "{line}", {"line": str(exc)}) from None
        return data


# ---------------------------------------------------------------- jobs, uploads, status

class BuildReport(Shape):
    documents: int
    clauses: int
    embedded: int
    reused: int
    removed: int
    added: int
    errors: list[str]
    failed_paths: list[str]
    problems: list[dict]
    error_kinds: list[str]
    repaired: str
    seconds: float
    embed_seconds: float
    index_dir: str
    generation: str
    embedder: str
    runtime: str = ""  # how the embedder ran (onnxruntime for the default e5-onnx)
    vector_index: dict


class Job(Shape):
    job_id: str
    reason: str
    state: Literal["queued", "running", "done", "failed"]
    stage: str
    stage_label: str
    done: int
    total: int
    progress: float = Field(description="0–1")
    created: str | None
    started: str | None
    finished: str | None
    report: BuildReport | None
    error: str


class UploadOutcome(Shape):
    file: str
    status: Literal["added", "already", "duplicate", "failed"]
    message: str
    saved_as: str
    title: str


class UploadAnswer(Shape):
    files: list[UploadOutcome]
    job: Job | None = Field(description="the build that indexes the added files (None when nothing was added)")


class Removed(Shape):
    doc_id: str
    removed: bool
    job: Job


class Corrected(Shape):
    doc_id: str
    overrides: dict[str, str] = Field(description="all corrections of the document now recorded")
    job: Job


class Problem(Shape):
    file: str
    kind: str
    message: str


class IndexStatus(Shape):
    ready: bool
    backend: str
    documents: int
    clauses: int
    generation: str
    created: str
    embedder: dict
    versions: dict
    vector_index: dict
    parser_version: int = Field(description="the parser of this program")
    parser_outdated: bool = Field(description="the index was built by an older parser: build again")
    problems: list[Problem]
    waiting_files: list[str] = Field(description="files on disk the index does not hold yet")
    build: Job | None = Field(description="the running or waiting build")


class Health(Shape):
    status: Literal["ok"]
    index: bool
    api_version: str
