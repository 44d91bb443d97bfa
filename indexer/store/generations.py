"""Atomic generations of a folder index: temp folder → rename → CURRENT pointer; the writers' lock."""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.errors import IndexError_

CURRENT = "CURRENT"  # pointer file: name of the live generation folder, replaced atomically
LOCK = ".build.lock"


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when no index was ever built."""
    try:
        name = (Path(index_dir) / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, ValueError):  # missing, or damaged (non-UTF-8 bytes): no live generation
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    folder = Path(index_dir) / name
    return folder if name and (folder / "manifest.json").exists() else None


def pointer_problem(index_dir: Path) -> str:
    """Why CURRENT names no usable generation although the file exists ("" when it does, or when it is absent)."""
    index_dir = Path(index_dir)
    try:
        raw = (index_dir / CURRENT).read_bytes()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return f"{CURRENT}: {exc.strerror or exc}"
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return f"{CURRENT} 含非 UTF-8 字节 / {CURRENT} holds non-UTF-8 bytes"
    if not name or "/" in name or name.startswith("."):
        return f"{CURRENT} 未指向任何版本 / {CURRENT} names no generation: {name[:40]!r}"
    if not (index_dir / name / "manifest.json").exists():
        return f"{CURRENT} 指向的 {name[:60]} 不存在或不完整 / {CURRENT} names a missing or incomplete generation"
    return ""


def new_generation_dir(index_dir: Path) -> Path:
    """A fresh temporary folder inside index_dir (same file system, so the final rename is atomic)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    return index_dir / f".tmp-{os.getpid()}-{time.time_ns()}"


def publish(index_dir: Path, tmp: Path) -> Path:
    """Rename the written temp folder to a generation and switch CURRENT to it atomically."""
    name = time.strftime("gen-%Y%m%dT%H%M%S") + f"-{time.time_ns() % 10**9:09d}"
    final = index_dir / name
    previous = current_generation(index_dir)
    os.rename(tmp, final)
    pointer = index_dir / f".{CURRENT}.tmp"
    with open(pointer, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    # the previously live generation stays for readers that are opening it right now; anything else
    # (an orphan renamed by a build killed before it switched CURRENT) was never live and goes
    keep_names = {final.name} | ({previous.name} if previous is not None else set())
    for old in index_dir.glob("gen-*"):
        if old.is_dir() and old.name not in keep_names:
            shutil.rmtree(old, ignore_errors=True)
    return final


def remove_stale_temps(index_dir: Path) -> None:
    """Temp folders left by builds that crashed (call only while holding the lock)."""
    for p in Path(index_dir).glob(".tmp-*"):
        shutil.rmtree(p, ignore_errors=True)


@contextmanager
def build_lock(index_dir: Path, wait: bool = False) -> Iterator[None]:
    """Exclusive lock for writers; the OS drops it when the holder dies, so a killed build never blocks."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    f = open(index_dir / LOCK, "a+")
    try:
        try:
            import fcntl
            flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
            try:
                fcntl.flock(f.fileno(), flags)
            except BlockingIOError as exc:
                raise IndexError_("另一个构建正在进行 / another build is running on this index; try again later") from exc
        except ImportError:  # pragma: no cover - Windows
            import msvcrt
            try:
                msvcrt.locking(f.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
            except OSError as exc:
                raise IndexError_("另一个构建正在进行 / another build is running on this index") from exc
        yield
    finally:
        f.close()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    for p in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):
        if p.is_file():
            with open(p, "rb+") as f:
                os.fsync(f.fileno())
        else:
            _fsync_dir(p)
    _fsync_dir(folder)


