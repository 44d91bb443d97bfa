"""The upper layer's fitted wording vectors kept on disk, so a new process reviews in seconds, not after a refit.

A folder per library state under $POLICY_REVIEW_CACHE (default: the model cache's `review/`): `vocabulary.json`,
`idf.npy` and `articles.npz` (the article rows), named by a digest of every upper document's id and content hash and
of LAYER_VERSION. Plain files, never pickles; written to a temporary folder and renamed into place.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.models import Document

CACHE_ENV = "POLICY_REVIEW_CACHE"
LAYER_VERSION = 1  # raise when the articles, their normalising or the vectoriser's settings change
KEEP = 4  # library states kept; the oldest go


def cache_dir() -> Path | None:
    """$POLICY_REVIEW_CACHE (`off`: no disk cache), else the model cache's review/ folder."""
    env = os.environ.get(CACHE_ENV, "")
    if env.lower() == "off":
        return None
    if env:
        return Path(env).expanduser()
    from indexer.embed.convert import cache_root

    return cache_root() / "review"


def digest(uppers: Sequence[Document]) -> str:
    """A name for this set of upper documents and their contents."""
    h = hashlib.sha256(f"v{LAYER_VERSION}".encode())
    for d in uppers:
        content = d.sha256 or hashlib.sha256(d.text.encode("utf-8", "surrogatepass")).hexdigest()
        h.update(f"\0{d.doc_id}\0{content}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def load(key: str, n_articles: int):
    """(vectorizer, article rows) kept for `key`, or None when absent, unreadable or of another size."""
    folder = cache_dir()
    if folder is None or not (folder / key / "articles.npz").is_file():
        return None
    try:
        from scipy.sparse import load_npz

        rows = load_npz(folder / key / "articles.npz").tocsr()
        vocabulary = json.loads((folder / key / "vocabulary.json").read_text(encoding="utf-8"))
        idf = np.load(folder / key / "idf.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError):
        return None
    if rows.shape[0] != n_articles or len(idf) != len(vocabulary):
        return None
    vec = vectorizer(vocabulary)
    vec.idf_ = idf
    return vec, rows


def save(key: str, vec, rows) -> None:
    """Keep a fitted layer; a cache that cannot be written is skipped (the review works without it)."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        from scipy.sparse import save_npz

        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder, prefix=".tmp-"))
        save_npz(tmp / "articles.npz", rows, compressed=False)
        vocab = {k: int(v) for k, v in vec.vocabulary_.items()}
        (tmp / "vocabulary.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / "idf.npy", vec.idf_.astype(np.float64))
        if (folder / key).exists():
            shutil.rmtree(tmp, ignore_errors=True)
            return
        os.replace(tmp, folder / key)
        _prune(folder)
    except OSError:
        return


def _prune(folder: Path) -> None:
    kept = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)


def vectorizer(vocabulary: dict | None = None):
    """The layer's wording vectoriser: character bigrams, sublinear TF-IDF (fitted, or fixed to `vocabulary`)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True, dtype=np.float32,
                           vocabulary=vocabulary)
