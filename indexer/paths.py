"""Where things live: shipped corpus, user uploads, the index folder (each overridable by env var)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(os.environ.get("POLICY_CORPUS", ROOT / "corpus"))
UPLOAD_DIR = Path(os.environ.get("POLICY_UPLOADS", ROOT / "data" / "uploads"))
INDEX_DIR = Path(os.environ.get("POLICY_INDEX", ROOT / "embeddings"))


def corpus_dirs() -> list[Path]:
    """Folders the default corpus is read from: the shipped documents, then uploads."""
    return [CORPUS_DIR, UPLOAD_DIR]
