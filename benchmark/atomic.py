"""Safe writes: atomic files (a hidden temporary file beside the target, then a rename), and
one writer at a time per folder (a lock)."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Any, Iterator

from .errors import BenchmarkError
from .executor import abandoned

# Temporary files are named .NAME.tmp-PID@HOST: the writer's process id and machine (cluster
# workers on several machines write into one shared folder; their pids may coincide).
TEMP_MARK = ".tmp-"
LOCK_FILE = ".lock"


class FolderLockedError(BenchmarkError, RuntimeError):
    """Another process is writing the folder; the message names it and the holder's pid."""


class AbandonedError(BenchmarkError, RuntimeError):
    """A cluster unit's run was given up before the unit wrote its file (nothing was written)."""


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one rename.

    On any error (or Ctrl-C) the temporary file is removed and ``path`` is untouched; so too
    when the writer is a cluster unit whose run was given up meanwhile (a dead or stopped
    driver: see ``executor.abandoned``), which then raises AbandonedError.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}@{socket.gethostname()}")
    try:
        yield temp
        if abandoned():
            raise AbandonedError(f"{path}: not written, its run was given up")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON (sorted keys, indented) atomically."""
    with atomic_path(path) as temp:
        temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold ``folder/.lock`` (``fcntl.flock``, released by the kernel even if the holder is
    killed) while writing the folder; a second writer is refused with the holder's pid."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise FolderLockedError(f"{folder} is being written by another process (pid {holder}); "
                                    "wait for it to finish, or stop it, then run again") from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _owner_alive(temp: Path) -> bool:
    """Whether the process whose pid a temporary file's name carries still runs (a writer on
    another machine is taken to run: only that machine can tell)."""
    pid, _, host = temp.name.rsplit(TEMP_MARK, 1)[1].partition("@")
    if host and host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (ValueError, PermissionError):  # not our naming, or another user's live process
        return True
    return True


def remove_stale_temps(folder: str | Path) -> int:
    """Delete temporary files under ``folder`` left by writers on this machine that are no
    longer running (a killed run or worker); those of live writers stay. Returns how many were deleted."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    stale = [p for p in folder.rglob(f".*{TEMP_MARK}*") if p.is_file() and not _owner_alive(p)]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
