"""Small cache files of arrays beside an index or a model: written whole or not at all, read back without pickles,
and a missing or damaged one is simply a miss (the caller measures or builds again)."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np


def cache_root() -> Path:
    """$POLICY_MODEL_CACHE, else $XDG_CACHE_HOME/policy-search, else ~/.cache/policy-search."""
    env = os.environ.get("POLICY_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "policy-search"


def save_arrays(path: Path, **arrays: np.ndarray) -> bool:
    """Write `path` (.npz) atomically: a temporary file renamed over it. False when it cannot be written (a
    read-only folder): the caller goes on without the cache."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # its folder could not be made either (a file stands where it should be)
            pass
        return False
    return True


def load_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a file `save_arrays` wrote, None when it is missing or damaged."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None
