"""What one API process holds: the engine over the live index (reopened once a build publishes) and the build jobs."""
from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from indexer.api.jobs import BuildJobs
from indexer.errors import PolicyError
from indexer.library import Library

log = logging.getLogger("policy_api")


class ApiState(Library):
    """The API's library (index, uploads, engine; safe to share between request threads) and its build jobs."""

    def __init__(self, index_dir: str | Path | None = None, upload_dir: str | Path | None = None):
        super().__init__(index_dir, upload_dir)
        self.jobs = BuildJobs(self._build)

    def _build(self, progress):
        report = self.build(progress=progress, wait=True)
        with contextlib.suppress(PolicyError):  # open and warm the new generation before searches reach it
            self.engine().search("产业集群", k=1)
        return report
