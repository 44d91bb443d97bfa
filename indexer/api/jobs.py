"""Index builds as background jobs: one runs at a time, at most one waits behind it, progress is readable.

Searches never wait for a build: the build writes a new generation and publishes it atomically, and the engine
reopens on the next request once it is stale. Nothing here imports FastAPI, so the app or the CLI can use it.
"""
from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from indexer.errors import NotFoundError, PolicyError
from indexer.models import STAGE_LABELS, ProgressFn

log = logging.getLogger("policy_api")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
KEEP = 100  # finished jobs remembered (older ones are forgotten: GET answers 404)


class BuildBusy(PolicyError):
    """A build was asked for while one runs (and queueing behind it was not)."""

    def __init__(self, job: BuildJob):
        self.job = job
        super().__init__(f"索引构建正在进行（任务 {job.job_id}）/ a build is already running (job {job.job_id}); "
                         "try again when it has finished")


@dataclass(frozen=True)
class BuildJob:
    """A snapshot of one build job (replaced, never changed, as it advances)."""

    job_id: str
    reason: str  # what asked for it: build, upload, remove
    state: str = QUEUED
    stage: str = ""  # read, page, ocr, embed, write (models.STAGE_LABELS)
    done: int = 0
    total: int = 0
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    report: dict | None = None  # BuildReport.to_dict() once done
    error: str = ""  # one line once failed

    @property
    def progress(self) -> float:
        """0–1: the embedding stage carries the weight (reading and writing are quick next to it)."""
        if self.state == DONE:
            return 1.0
        if self.state == QUEUED or not self.total:
            return 0.0
        part = min(1.0, self.done / self.total)
        return {"read": 0.05 * part, "page": 0.05 * part, "ocr": 0.05 * part, "embed": 0.05 + 0.9 * part,
                "write": 0.95 + 0.05 * part}.get(self.stage, 0.0)

    def to_dict(self) -> dict:
        return {"job_id": self.job_id, "reason": self.reason, "state": self.state, "stage": self.stage,
                "stage_label": STAGE_LABELS.get(self.stage, self.stage), "done": self.done, "total": self.total,
                "progress": round(self.progress, 4), "created": _iso(self.created), "started": _iso(self.started),
                "finished": _iso(self.finished), "report": self.report, "error": self.error}


def _iso(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t))


class BuildJobs:
    """Runs `build(progress)` in a background thread, one job at a time.

    Args:
        build: runs one build and returns its report (anything with to_dict()); raises to fail the job.
    """

    def __init__(self, build: Callable[[ProgressFn], object]):
        self._build = build
        self._jobs: OrderedDict[str, BuildJob] = OrderedDict()
        self._pending: list[str] = []
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._counter = itertools.count(1)

    def start(self, reason: str = "build", queue: bool = False) -> BuildJob:
        """A new job, run now or after the running one (queue=True; a job already waiting is shared).

        Raises:
            BuildBusy: a job is running or waiting and queue is False.
        """
        with self._lock:
            busy = self._busy()
            if busy is not None and not queue:
                raise BuildBusy(busy)
            if self._pending:  # the waiting job will read the folders after this request's change too
                return self._jobs[self._pending[0]]
            job = BuildJob(job_id=f"{next(self._counter)}-{uuid.uuid4().hex[:12]}", reason=reason,
                           created=time.time())
            self._jobs[job.job_id] = job
            self._pending.append(job.job_id)
            self._forget_old()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, daemon=True, name="index-build")
                self._worker.start()
            return job

    def get(self, job_id: str) -> BuildJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"找不到任务 / no job '{job_id}'")
        return job

    def jobs(self) -> list[BuildJob]:
        """All remembered jobs, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def current(self) -> BuildJob | None:
        """The running job, else the waiting one, else None."""
        with self._lock:
            return self._busy()

    def wait(self, job_id: str, timeout: float = 600.0) -> BuildJob:
        """Block until the job has finished (tests, scripts); returns its last snapshot."""
        deadline = time.monotonic() + timeout
        while (job := self.get(job_id)).state in (QUEUED, RUNNING):
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
            time.sleep(0.02)
        return job

    # ---- inside

    def _busy(self) -> BuildJob | None:
        running = [j for j in self._jobs.values() if j.state == RUNNING]
        return running[0] if running else (self._jobs[self._pending[0]] if self._pending else None)

    def _forget_old(self) -> None:
        done = [k for k, j in self._jobs.items() if j.state in (DONE, FAILED)]
        for k in done[:max(0, len(self._jobs) - KEEP)]:
            del self._jobs[k]

    def _set(self, job_id: str, **changes) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._worker = None
                    return
                job_id = self._pending.pop(0)
                self._jobs[job_id] = replace(self._jobs[job_id], state=RUNNING, started=time.time())

            def progress(stage: str, done: int, total: int, job_id=job_id) -> None:
                self._set(job_id, stage=stage, done=done, total=total)

            try:
                report = self._build(progress)
            except Exception as exc:  # noqa: BLE001 — the job says why in one line; the log keeps the traceback
                if not isinstance(exc, PolicyError):
                    log.exception("build job %s failed", job_id)
                line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                self._set(job_id, state=FAILED, finished=time.time(), error=line)
            else:
                self._set(job_id, state=DONE, finished=time.time(),
                          report=report.to_dict() if hasattr(report, "to_dict") else None)
