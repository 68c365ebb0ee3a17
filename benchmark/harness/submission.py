"""The submission contract (:class:`Submission`), and running a submission file in a child
process, so that a bad one cannot take the harness down.

A submission is one Python file defining a class ``Model`` that follows :class:`Submission`.
Optional class attributes: ``oracle = True`` for methods that see the target (``__call__``
then also receives ``clean=``, same shape); ``supports(task) -> bool`` (a staticmethod) for
methods that do not apply to some tasks; ``files(task) -> list of paths`` (a staticmethod)
naming the files the model loads (checkpoints), which the harness hashes with the
submission so that a changed checkpoint is re-evaluated; an instance attribute
``num_parameters`` is shown on the leaderboard; ``clip_consistent = True`` (class or instance)
claims that the output keeps the input's unclipped samples and is at least the clipping level
where the input is clipped (the harness checks the claim on every output); ``display_name``
(a string on ``Model`` or in the module) is the method's name on the leaderboard.

``SubmissionRunner`` starts the child, which imports the file and builds the model, then
answers one batch at a time. Children are forked from a fork server (one per process that runs
submissions, started with its environment) that has imported numpy, torch and the checkpoint
loader: a network's child starts in 0.1 s instead of 2.3 (importing them again); where there is
no fork server (Windows), children are spawned. Errors inside the child (an exception, a wrong output, a
hang past the timeout, a crash) come back as ``SubmissionError`` naming what was wrong.
Each batch is timed in the child: wall seconds and CPU seconds of the child process (all its
threads), so that speed compares across machines with different loads and core counts.
"""
from __future__ import annotations

import importlib.util
import multiprocessing
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from ..errors import BenchmarkError


class Submission(Protocol):
    """What a submission file's ``Model`` class is (optional attributes: see the module docstring)."""

    sample_rate: int  # the rate the model works at, in Hz

    def __init__(self, task: str, device: str = "cpu") -> None: ...

    def __call__(self, distorted: np.ndarray) -> np.ndarray:
        """float32 (batch, samples) at ``sample_rate`` -> restored float32, same shape."""
        ...


class SubmissionError(BenchmarkError, RuntimeError):
    """A submission is invalid or failed; the message names the file, examples and cause."""


class NotApplicable(Exception):
    """The submission does not apply to this task (e.g. a declipper on overdrive)."""


def load_model_class(path: str | Path) -> type[Submission]:
    """Import a submission file and return its ``Model`` class, checking the contract's shape."""
    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"{path}: no such submission file")
    source = path.read_text()
    try:
        compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise SubmissionError(f"{path}: syntax error at line {exc.lineno}: {exc.msg}") from None
    spec = importlib.util.spec_from_file_location(f"submission_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise SubmissionError(f"{path}: importing it raised {type(exc).__name__}: {exc}") from None
    model = getattr(module, "Model", None)
    if not isinstance(model, type):
        raise SubmissionError(f"{path}: defines no class `Model` (see the submission contract in README.md)")
    rate = getattr(model, "sample_rate", None)
    if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
        raise SubmissionError(f"{path}: `Model.sample_rate` is missing or not a positive int (got {rate!r})")
    if not callable(getattr(model, "__call__", None)):
        raise SubmissionError(f"{path}: `Model` defines no `__call__(self, distorted)`")
    name = getattr(model, "display_name", getattr(module, "display_name", None))
    if name is not None and not (isinstance(name, str) and name.strip()):
        raise SubmissionError(f"{path}: `display_name` must be a non-empty string (got {name!r})")
    if name is not None:
        model.display_name = name  # the module's, when the class has none
    return model


class Timing(NamedTuple):
    """Compute time of one batch in the child: wall-clock and CPU seconds (all threads), and
    torch's CPU thread count after it (None while torch is not loaded)."""

    wall: float
    cpu: float
    torch_threads: int | None


# What the fork server imports before it forks submission processes (what is not installed is
# skipped): what every shipped network imports, torch (1.4 s) and the checkpoint loader (0.7 s).
PRELOADED = ("numpy", "torch", "benchmark.models.checkpoints")
FORK_SERVER = "forkserver" in multiprocessing.get_all_start_methods()  # not on Windows


def _start_context() -> multiprocessing.context.BaseContext:
    """How submission processes start: forked from this process's fork server, which holds
    ``PRELOADED``; spawned where there is none."""
    if not FORK_SERVER:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", *PRELOADED])
    return context


def _forget_inherited_fork_server() -> None:
    """In a process just forked from one whose fork server was running (a local pool's process):
    that server is not this process's child (multiprocessing would fail waiting on it), so forget
    it; this process starts a server of its own when it first needs one."""
    server = multiprocessing.forkserver._forkserver
    if getattr(server, "_forkserver_pid", None) is None:
        return
    if server._forkserver_alive_fd is not None:
        os.close(server._forkserver_alive_fd)  # the parent's end: its server stops with the parent alone
    server._forkserver_pid = server._forkserver_address = server._forkserver_alive_fd = None


if FORK_SERVER:
    import multiprocessing.forkserver

    os.register_at_fork(after_in_child=_forget_inherited_fork_server)


def _torch_threads() -> int | None:
    """torch's CPU thread count in this process, if torch is loaded (with the fork server, in
    every submission's process where torch is installed)."""
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else None


def _child(conn, path: str, task: str, device: str) -> None:
    """Child process: build the model, then answer batches until told to stop."""
    name = None
    try:
        model_class = load_model_class(path)
        name = getattr(model_class, "display_name", None)
        if hasattr(model_class, "supports") and not model_class.supports(task):
            conn.send(("not_applicable", f"{Path(path).name} does not apply to task {task}", name))
            return
        files = [str(Path(f).resolve()) for f in model_class.files(task)] if hasattr(model_class, "files") else []
        model = model_class(task, device)
        conn.send(("ready", {"sample_rate": model_class.sample_rate, "oracle": bool(getattr(model_class, "oracle", False)),
                             "files": files, "num_parameters": getattr(model, "num_parameters", None),
                             "clip_consistent": bool(getattr(model, "clip_consistent", False)),
                             "display_name": name, "torch_threads": _torch_threads()}))
    except NotApplicable as exc:
        conn.send(("not_applicable", str(exc), name))
        return
    except SubmissionError as exc:
        conn.send(("error", str(exc)))
        return
    except Exception:
        conn.send(("error", f"building Model({task!r}, {device!r}) raised:\n{traceback.format_exc()}"))
        return
    while (message := conn.recv()) is not None:
        distorted, clean = message
        try:
            start, cpu = time.perf_counter(), time.process_time()
            restored = model(distorted, clean=clean) if clean is not None else model(distorted)
            conn.send(("ok", restored, Timing(time.perf_counter() - start, time.process_time() - cpu, _torch_threads())))
        except Exception:
            conn.send(("error", f"Model.__call__ raised:\n{traceback.format_exc()}"))


def check_output(restored: Any, expected_shape: tuple[int, ...], ids: list[str]) -> np.ndarray:
    """The contract on a model's output: a finite float32 numpy array of the input's shape."""
    if not isinstance(restored, np.ndarray):
        raise SubmissionError(f"returned {type(restored).__module__}.{type(restored).__name__}, not a numpy array, "
                              f"for {_span(ids)}")
    wrong = ([f"dtype {restored.dtype}, not float32"] if restored.dtype != np.float32 else []) + (
        [f"shape {restored.shape}, expected {expected_shape}"] if restored.shape != expected_shape else [])
    if wrong:
        raise SubmissionError(f"returned {' and '.join(wrong)}, for {_span(ids)}")
    bad = ~np.isfinite(restored).all(axis=-1)
    if bad.any():
        kinds = "NaN" if np.isnan(restored[bad]).any() else "Inf"
        raise SubmissionError(f"returned {kinds} for {', '.join(i for i, b in zip(ids, bad) if b)}")
    return restored


def _span(ids: list[str]) -> str:
    return ids[0] if len(ids) == 1 else f"{ids[0]}..{ids[-1]}"


class SubmissionRunner:
    """One submission, one task, in a child process of its own; use as a context manager."""

    def __init__(self, path: str | Path, task: str, device: str = "cpu", timeout: float = 600.0):
        self.path, self.task, self.device, self.timeout = Path(path), task, device, timeout
        self.info: dict[str, Any] = {}
        self.not_applicable: str | None = None
        self.display_name: str | None = None  # the submission's own name for the board, if it gives one

    def __enter__(self) -> SubmissionRunner:
        context = _start_context()
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=_child, args=(child_conn, str(self.path), self.task, self.device),
                                        daemon=True)
        self._process.start()
        child_conn.close()
        kind, *payload = self._receive("while loading the model")
        if kind == "not_applicable":
            self.not_applicable, self.display_name = payload
        elif kind == "error":  # messages of load_model_class name the file already
            message = payload[0]
            raise SubmissionError(message if message.startswith(f"{self.path}:") else f"{self.path}: {message}")
        else:
            self.info = payload[0]
            self.display_name = self.info["display_name"]
        return self

    def __exit__(self, *exc_info) -> None:
        if self._process.is_alive():
            try:
                self._conn.send(None)
                self._process.join(timeout=5)
            except (BrokenPipeError, OSError):
                pass
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()

    def _receive(self, doing: str) -> tuple:
        if not self._conn.poll(self.timeout):
            self._process.kill()
            self._process.join()
            raise SubmissionError(f"{self.path}: timed out after {self.timeout:g} s {doing}")
        try:
            return self._conn.recv()
        except (EOFError, ConnectionResetError):
            self._process.join(timeout=5)
            code = self._process.exitcode
            cause = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
            raise SubmissionError(f"{self.path}: the submission process died ({cause}) {doing}; "
                                  "a crash in native code or running out of memory") from None

    def __call__(self, distorted: np.ndarray, ids: list[str], clean: np.ndarray | None = None) -> tuple[np.ndarray, Timing]:
        """Restore one batch; returns (restored, its compute time). ``clean`` goes to oracles only."""
        self._conn.send((distorted, clean if self.info.get("oracle") else None))
        kind, *payload = self._receive(f"on {_span(ids)}")
        if kind == "error":
            raise SubmissionError(f"{self.path} on {_span(ids)}: {payload[0]}")
        restored, timing = payload
        self.info["torch_threads"] = timing.torch_threads  # a model may import torch only when first called
        try:
            return check_output(restored, distorted.shape, ids), timing
        except SubmissionError as exc:
            raise SubmissionError(f"{self.path}: {exc}") from None
