"""Endpoints that change the library: uploads, metadata corrections and removals (as the app's library page) and index builds as jobs."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from indexer.api import bodies, schemas
from indexer.api.errors import ApiError
from indexer.api.routes_read import NotFound, State
from indexer.api.security import MAX_UPLOAD_FILES

router = APIRouter(prefix="/v1")
Busy = {409: {"model": schemas.Error, "description": "a build is already running"}}


@router.post("/documents", response_model=schemas.UploadAnswer, status_code=201,
             responses={200: {"model": schemas.UploadAnswer, "description": "nothing new was added"},
                        413: {"model": schemas.Error, "description": "a file above the upload limit"},
                        415: {"model": schemas.Error, "description": "a file type no reader handles"}},
             summary="上传文件 / upload documents (multipart; the app's readers, size limit and duplicate checks)")
def upload(state: State, response: Response,
           files: Annotated[list[UploadFile], File(description="txt, md, pdf, docx, doc, html (one or more)")],
           build: Annotated[bool, Form(description="start (or join) a build that indexes the added files")] = True):
    from indexer.ingest.readers import supported_suffixes
    from indexer.uploads import safe_filename, upload_limit_mb

    limit = upload_limit_mb()
    if len(files) > MAX_UPLOAD_FILES:
        raise ApiError(413, "too_many_files", f"一次最多上传 {MAX_UPLOAD_FILES} 个文件 / at most {MAX_UPLOAD_FILES} "
                                              f"files per request (got {len(files)})")
    for f in files:  # everything is checked before anything is kept
        name = f.filename or "upload"
        if Path(safe_filename(name)).suffix.lower() not in supported_suffixes():
            kinds = "、".join(s.lstrip(".") for s in supported_suffixes())
            raise ApiError(415, "unsupported_type", f"{name}：不支持的文件类型，支持 {kinds} / unsupported file type")
        if (f.size or 0) > limit * 2**20:
            raise ApiError(413, "too_large", f"{name}：文件 {f.size / 2**20:.1f} MB，超过上限 {limit} MB / file too "
                                             f"large: at most {limit} MB")
    outcomes = [state.upload(f.filename or "upload", f.file.read()) for f in files]
    added = any(o.status == "added" for o in outcomes)
    job = state.jobs.start("upload", queue=True) if added and build else None
    response.status_code = 201 if added else 200
    return {"files": [o.to_dict() for o in outcomes], "job": job.to_dict() if job else None}


@router.delete("/documents/{doc_id}", response_model=schemas.Removed, status_code=202,
               responses={**NotFound, 403: {"model": schemas.Error, "description": "a shipped document"}},
               summary="删除上传的文件 / remove an uploaded document, indexed or still waiting (doc_id or saved_as): its "
                       "file, then the index by a build job")
def remove(state: State, doc_id: str):
    removed = state.remove(doc_id)  # a shipped document is refused (403), an unknown one is 404
    job = state.jobs.start("remove", queue=True)  # a build already running drops the file at publish
    return {"doc_id": removed, "removed": True, "job": job.to_dict()}


@router.patch("/documents/{doc_id}/metadata", response_model=schemas.Corrected, status_code=202,
               responses={**NotFound, 400: {"model": schemas.Error, "description": "an impossible value"},
                          403: {"model": schemas.Error, "description": "a shipped document"}},
               summary="更正元数据 / correct an uploaded document's metadata (as the app's library page; kept "
                       "across rebuilds), then re-index by a build job")
def correct(state: State, doc_id: str, body: bodies.MetadataCorrection):
    doc_id, overrides = state.correct(doc_id, body.model_dump(exclude_unset=True))
    job = state.jobs.start("correct", queue=True)
    return {"doc_id": doc_id, "overrides": overrides, "job": job.to_dict()}


@router.post("/index/build", response_model=schemas.Job, status_code=202, responses={**Busy},
             summary="更新索引 / start an incremental index build; poll GET /v1/jobs/{job_id}")
def start_build(state: State):
    return state.jobs.start("build").to_dict()


@router.get("/jobs", response_model=list[schemas.Job], summary="构建任务 / build jobs, newest first")
def jobs(state: State):
    return [j.to_dict() for j in state.jobs.jobs()]


@router.get("/jobs/{job_id}", response_model=schemas.Job, responses={**NotFound},
            summary="任务进度 / a build job's state and progress (stage, done/total, report once done)")
def job(state: State, job_id: str):
    return state.jobs.get(job_id).to_dict()
