"""A Milvus Lite file: its path checked, its lock probed, and its server process kept to one per file.

milvus-lite 3 keeps the "file" as a folder holding a `LOCK` (flock) and serves it from threads of the opening
process: only the path check and the lock probe apply. What follows is milvus-lite 2.5's case.

milvus-lite runs a `milvus` server per file, guarded by a lock on `.<name>.lock` beside it. Its failed start
(the file open in another process) deletes that lock file, which the owner still holds: the next opener then
locks a fresh file and starts a second server on the same data, and the first process's searches break. So
the lock is probed here first (a busy file is refused in one line, nothing touched), a failed start keeps the
owner's lock file, and a server left running on a file nobody holds (its parent was killed) is stopped before
a new one starts.
"""
from __future__ import annotations

import atexit
import fcntl
import functools
import os
import re
import signal
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from indexer.errors import IndexError_

NAME = re.compile(r"[A-Za-z0-9.\-_]{1,35}")  # what milvus-lite accepts as a file name
ORPHAN_WAIT = 5.0  # seconds to wait for a leftover server to exit after SIGKILL

_OPENED: set[str] = set()  # Lite files this process has started a server for


class LiteBusy(IndexError_):
    """The Lite file is open in another process (one process per file)."""


@functools.cache
def lite3() -> bool:
    """True with milvus-lite 3 (a folder per .db path, no server process)."""
    try:
        return int(version("milvus-lite").split(".")[0]) >= 3
    except (PackageNotFoundError, ValueError):
        return False


def path_problem(path: Path) -> str:
    """What is wrong with a Lite file path, in one bilingual phrase ("" when it can be opened)."""
    if lite3() and path.exists() and not path.is_dir():
        return (f"{path} 是 Milvus Lite 2.5 的文件，milvus-lite 3 需要文件夹；请换一个文件名重建 / {path} was written by "
                "Milvus Lite 2.5; milvus-lite 3 keeps a folder there: build with another .db name")
    if path.is_dir() and not lite3():
        return f"{path} 是文件夹，不是 Milvus Lite 文件 / {path} is a folder, not a Milvus Lite file (name a file ending in .db)"
    if path.suffix != ".db":
        return f"Milvus Lite 文件名须以 .db 结尾 / a Milvus Lite file name must end in .db: {path}"
    if not NAME.fullmatch(path.name):
        return (f"Milvus Lite 文件名只能含字母、数字和 . - _，至多 35 个字符 / a Milvus Lite file name may hold "
                f"letters, digits, '.', '-' and '_' only, 35 at most: {path.name}")
    if not path.parent.is_dir():
        return f"文件夹不存在 / no such folder {path.parent} (for the Milvus Lite file {path.name})"
    return ""


def lock_path(path: Path) -> Path:
    return path / "LOCK" if lite3() else path.parent / f".{path.name}.lock"


def holder(path: Path) -> int | None:
    """The pid of another process holding the Lite file's lock (0 when the pid is unknown); None when free."""
    if str(path) in _OPENED or not lock_path(path).exists():
        return None  # ours (probing our own lock and closing the probe would release it), or nobody's
    try:
        fd = os.open(lock_path(path), os.O_RDWR)
    except OSError:
        return None
    lock = fcntl.flock if lite3() else fcntl.lockf  # what each version takes (the two kinds do not see each other)
    try:
        lock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        if lite3():
            return _opener(lock_path(path))
        servers = _servers(path)
        return _parent(servers[0]) if servers else 0
    else:
        lock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def check_free(path: Path) -> None:
    """Refuse, in one line, a Lite file another process holds (`serve`, the app, another build)."""
    pid = holder(path)
    if pid is not None:
        zh, en = (f"（进程 {pid}）", f" (process {pid})") if pid else ("", "")
        raise LiteBusy(f"Milvus Lite 文件正被另一个进程使用{zh}，同一时间只能由一个进程打开；请先停止它（如 serve）或改用 "
                       f"Milvus 服务器 / the Milvus Lite file {path} is open in another process{en}: only one process "
                       "may open it; stop that one (serve?) or use a Milvus server")


def stop_orphans(path: Path) -> None:
    """Kill servers still running on a Lite file nobody holds (their parent died), and wait until they are gone."""
    if str(path) in _OPENED:
        return
    for pid in _servers(path):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
        end = time.monotonic() + ORPHAN_WAIT
        while _alive(pid) and time.monotonic() < end:
            time.sleep(0.05)


def started(path: Path) -> None:
    """Note that this process now runs the server of `path` (its lock is ours; never probe it again)."""
    _OPENED.add(str(path))


def _servers(path: Path) -> list[int]:
    """Pids of milvus-lite servers running on this file (from /proc; none on systems without it)."""
    out = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return out
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 1 and argv[0].endswith(b"milvus_lite/lib/milvus") and argv[1] == os.fsencode(str(path)):
            out.append(int(entry))
    return [p for p in out if _alive(p)]


def _opener(lock: Path) -> int:
    """The pid of another process with `lock` open (milvus-lite 3 serves from the process that opened it); 0
    when unknown."""
    target = os.path.realpath(lock)
    for entry in _pids():
        if entry == os.getpid():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{entry}/fd/{fd}") == target:
                    return entry
            except OSError:
                continue
    return 0


def _pids() -> list[int]:
    try:
        return [int(e) for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


_INSTALLED = False


def install() -> None:
    """Patch milvus-lite once (before the first Lite file is opened): a failed start leaves the owner's lock file
    alone, and this process's servers stop when it exits."""
    global _INSTALLED
    if _INSTALLED or lite3():
        return
    _INSTALLED = True
    from milvus_lite import server, server_manager

    class Server(server.Server):
        _owns_lock = False

        def start(self) -> bool:
            self._owns_lock = ok = super().start()
            return ok

        def stop(self) -> None:
            if self._owns_lock:
                super().stop()
            elif self._lock_fd:  # refused: the lock file belongs to the process serving the file
                self._lock_fd.close()
                self._lock_fd = None

    server_manager.Server = Server
    atexit.register(server_manager.server_manager_instance.release_all)
