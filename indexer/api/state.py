"""What one API process holds: the engine over the live index (reopened once a build publishes) and the build jobs."""
from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path

from indexer import paths
from indexer.api.jobs import BuildJobs
from indexer.errors import PolicyError
from indexer.models import Document

log = logging.getLogger("policy_api")


class ApiState:
    """The index folder, the upload folder and the engine; safe to share between request threads."""

    def __init__(self, index_dir: str | Path | None = None, upload_dir: str | Path | None = None):
        self.index_dir = Path(index_dir or paths.INDEX_DIR)
        self.upload_dir = Path(upload_dir or paths.UPLOAD_DIR)
        self._engine = None
        self._lock = threading.Lock()
        self.jobs = BuildJobs(self._build)

    def engine(self):
        """The engine over the live generation; a newer published generation is opened on the next call.

        Raises IndexError_ (503) when there is no index yet.
        """
        from indexer.search import Engine

        eng = self._engine
        if eng is not None and not eng.is_stale():
            return eng
        with self._lock:  # one request reopens; the others wait a moment and share it
            if self._engine is None or self._engine.is_stale():
                self._engine = Engine.open(self.index_dir)
            return self._engine

    def has_index(self) -> bool:
        try:
            self.engine()
        except PolicyError:
            return False
        return True

    def documents(self) -> list[Document]:
        """The documents questions are answered on: the index's, else those read from disk (library.documents)."""
        try:
            return self.engine().documents
        except PolicyError:
            from indexer.corpus import load_folders

            return load_folders(self.folders(), errors=[])

    def folders(self) -> list[Path]:
        """What a build reads: the shipped corpus and this API's upload folder."""
        return [paths.CORPUS_DIR, self.upload_dir]

    def build_embedder(self):
        """$POLICY_EMBEDDER, else the index's own model (a rebuild never changes models by accident), run the
        fastest way that gives its vectors (embedders.embedder_for_index); None: the default model."""
        if os.environ.get("POLICY_EMBEDDER"):
            return os.environ["POLICY_EMBEDDER"]
        try:
            return self.engine().embedder
        except PolicyError:
            return None

    def _build(self, progress):
        from indexer.build import build_index

        report = build_index(self.folders(), self.index_dir, self.build_embedder(), progress=progress, wait=True)
        with contextlib.suppress(PolicyError):  # open and warm the new generation before searches reach it
            self.engine().search("产业集群", k=1)
        return report
