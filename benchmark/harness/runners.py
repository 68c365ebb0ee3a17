"""The running submission of each process where evaluation units run.

A batch unit needs its submission running (``SubmissionRunner``: the model in a child process,
so that a crash cannot take the worker down). Each process keeps the runners it started, keyed
by :class:`SubmissionKey`, and starts one on first use: locally that is the driver itself (one
runner, as ``bench evaluate`` always had), on a Dask cluster every worker that gets a batch.

Workers read the submission file and the files its model loads (``Model.files(task)``) at the
driver's paths (a shared filesystem). The key carries the SHA-256 of those bytes as the driver
hashed them; a worker hashes what it sees when it starts the runner and refuses other bytes
(a stale copy, a checkpoint rewritten mid-run), so one evaluation never mixes two models.
"""
from __future__ import annotations

import contextlib
import socket
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

from ..executor import Executor, refuse_daemonic_worker
from ..hashing import file_sha256
from .submission import SubmissionError, SubmissionRunner

KEEP = 2  # runners a process keeps (least recently used beyond: stopped)


@dataclass(frozen=True)
class SubmissionKey:
    """One submission running for one task: the file (absolute path), how it runs, and the
    SHA-256 of the file and the files it loads ('' before anyone hashed them)."""

    path: str
    task: str
    device: str
    timeout: float
    sha256: str = ""

    @property
    def runs(self) -> tuple[str, str, str, float]:
        return self.path, self.task, self.device, self.timeout


@dataclass
class _Running:
    runner: SubmissionRunner
    sha256: str
    lock: threading.Lock


_running: OrderedDict[tuple[str, str, str, float], _Running] = OrderedDict()
_guard = threading.Lock()


def _content_sha256(runner: SubmissionRunner) -> str:
    return file_sha256(runner.path, *runner.info.get("files", []))


def _start(key: SubmissionKey) -> _Running:
    """A new runner for ``key``; refuses bytes other than the key's (if it has a hash)."""
    refuse_daemonic_worker()
    runner = SubmissionRunner(key.path, key.task, key.device, key.timeout).__enter__()
    try:
        seen = "" if runner.not_applicable else _content_sha256(runner)
    except OSError as exc:
        runner.__exit__(None, None, None)
        raise SubmissionError(f"{key.path}: cannot read a file the model loads on {socket.gethostname()} "
                              f"({exc}); the workers must see the driver's files (a shared filesystem)") from None
    if key.sha256 and seen != key.sha256:
        runner.__exit__(None, None, None)
        raise _differs(key.path, socket.gethostname(), seen, key.sha256)
    return _Running(runner, seen, threading.Lock())


def _differs(path: str, host: str, seen: str, expected: str) -> SubmissionError:
    return SubmissionError(f"{path}: the worker on {host} sees other bytes of this file or of the files its model "
                           f"loads than the driver (sha256 {seen[:16]}, the driver's {expected[:16]}): the workers "
                           "must see the driver's files unchanged (a shared filesystem; README, 'Scaling out')")


def _stop(running: _Running) -> None:
    running.runner.__exit__(None, None, None)


@contextlib.contextmanager
def runner_for(key: SubmissionKey) -> Iterator[SubmissionRunner]:
    """This process's runner of ``key``, started on first use; one unit at a time uses it. A
    runner whose batch failed is stopped (its child may be dead or hung)."""
    with _guard:
        running = _running.get(key.runs)
        if running is not None and key.sha256 and running.sha256 != key.sha256:
            _stop(_running.pop(key.runs))  # the files changed since it started
            running = None
        if running is None:
            running = _running[key.runs] = _start(key)
        _running.move_to_end(key.runs)
        for runs in [r for r in _running if r != key.runs][:max(0, len(_running) - KEEP)]:
            if _running[runs].lock.acquire(blocking=False):  # not in use: stop it
                _stop(_running.pop(runs))
    with running.lock:
        try:
            yield running.runner
        except BaseException:
            with _guard:
                if _running.get(key.runs) is running:
                    del _running[key.runs]
            _stop(running)
            raise


def release(key: SubmissionKey) -> None:
    """Stop this process's runner of ``key``, if it has one (the end of an evaluation)."""
    with _guard:
        running = _running.pop(key.runs, None)
    if running is not None:
        _stop(running)


def _describe(key: SubmissionKey) -> dict[str, Any]:
    """Start the runner of ``key`` afresh where units run; what the driver needs to know of it."""
    release(key)
    with runner_for(key) as runner:
        return {"not_applicable": runner.not_applicable, "info": runner.info, "display_name": runner.display_name,
                "host": socket.gethostname(), "sha256": _running[key.runs].sha256}


@dataclass(frozen=True)
class RunningSubmission:
    """A submission started for an evaluation: ``not_applicable`` (a reason, or None), the
    model's ``info`` (rate, oracle, files, ...), its own ``display_name`` (or None) and the
    ``key`` its batch units use."""

    key: SubmissionKey
    not_applicable: str | None
    info: dict[str, Any]
    display_name: str | None = None


@contextlib.contextmanager
def running_submission(executor: Executor, path: str | Path, task: str, device: str = "cpu",
                       timeout: float = 600.0) -> Iterator[RunningSubmission]:
    """Start the submission where ``executor`` runs units (in this process, or on a worker),
    check that the driver sees the same bytes as that worker, and stop it everywhere on exit."""
    key = SubmissionKey(str(executor.shared_path(path)), task, device, timeout)
    try:
        described = executor.call(_describe, key, name=f"starting {key.path} for {task}")
        if described["not_applicable"]:
            yield RunningSubmission(key, described["not_applicable"], {}, described["display_name"])
            return
        key = replace(key, sha256=described["sha256"])
        ours = file_sha256(path, *described["info"]["files"])
        if ours != key.sha256:
            raise _differs(key.path, described["host"], key.sha256, ours)
        yield RunningSubmission(key, None, described["info"], described["display_name"])
    finally:
        executor.on_each_worker(release, key)
