"""Where work units run: the local process pool (the default) or a Dask cluster (``--scheduler``).

Generation and evaluation cut their work into units (a shard of examples; a batch of test
examples for one submission). A unit is a picklable function of its job and some shared
arguments; it writes its own result atomically and returns only metadata, which the driver
collects to write the manifest or summary. An executor runs the units and yields ``(job,
metadata)`` as each one completes, so progress bars count finished units.

- :class:`LocalExecutor`: in this process (one worker) or a process pool whose workers die
  with it (Linux, even on ``kill -9``), each told to use its share of the cores.
- :class:`DaskExecutor`: a ``distributed.Client``: ``open_cluster("local:N")`` starts a
  LocalCluster of N single-threaded worker processes on the loopback interface,
  ``open_cluster("tcp://HOST:8786")`` joins a running scheduler. A worker that dies mid-unit has
  its unit run again on another worker (Dask's ``distributed.scheduler.allowed-failures``,
  3 by default); a unit that raises fails the run with its own exception and message.

Dask is an optional extra (``pip install -e ".[cluster]"``), imported only when a cluster is used.
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import re
import signal
import socket
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, TypeVar

from .errors import BenchmarkError
from .versions import usable_cpus

Job = TypeVar("Job")
# Dask workers must be able to start processes (the submission's child): not daemonic. Those of
# local:N run in the environment of the local pool's processes: Dask's default caps BLAS and
# OpenMP to one thread per worker (a thread count changes the rounding of some sums: PEAQ's ODG
# by 1e-15) and sets MALLOC_TRIM_THRESHOLD_, which makes glibc map and unmap every large array.
WORKER_CONFIG = {"distributed.worker.daemon": False}
LOCAL_WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ": {},
                        # Ctrl-C in a terminal reaches the whole process group: the driver stops the cluster
                        "distributed.worker.preload": ["import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)"]}
_LOCAL_CLUSTER = re.compile(r"local:(\d+)")


class ClusterError(BenchmarkError, RuntimeError):
    """The cluster cannot run the work (bad address, missing Dask, workers dying); the message says why."""


class Executor(Protocol):
    """What generation and evaluation need from where their units run."""

    def map(self, fn: Callable[..., Any], jobs: list[Job], *shared: Any, name: str = "unit",
            label: Callable[[Job], str] = str) -> Iterator[tuple[Job, Any]]:
        """Run ``fn(job, *shared)`` for every job; yield ``(job, result)`` in completion order.
        ``name`` and ``label(job)`` name a unit in errors (e.g. 'generate synth-od', 'test/part-00001')."""
        ...

    def call(self, fn: Callable[..., Any], *args: Any, name: str = "call") -> Any:
        """``fn(*args)`` once, in a process where the units run; its result (``name`` names it in errors)."""
        ...

    def shared_path(self, path: str | Path) -> Path:
        """A driver's file or folder as the units see it (they read and write it: a shared filesystem)."""
        ...

    def on_each_worker(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` in every process where units ran or run (to release what they keep)."""
        ...

    def on_each_machine(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` once on every machine where units run (to clean up after killed ones)."""
        ...


def _start_worker(parent: int, threads: int) -> None:
    """Initializer of a pool process. The kernel kills it when the process that started it dies,
    even by kill -9 (Linux: prctl PR_SET_PDEATHSIG), so no orphan writes on. Unless set already,
    ``OMP_NUM_THREADS`` becomes its share of the cores, ``threads``: torch, BLAS and A-SPADE in it
    and in the submission processes it starts read it. Without it each took every core, and the
    pool's processes spun in each other's way: 2 processes on 2 cores scoring the paper's demo
    clips took 242 s and 478 CPU s, against 175 s and 342 CPU s with it."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))


class LocalExecutor:
    """Units in this process (``workers`` 1) or in a pool of ``workers`` processes."""

    def __init__(self, workers: int = 1):
        self.workers = workers

    def map(self, fn: Callable[..., Any], jobs: list[Job], *shared: Any, name: str = "unit",
            label: Callable[[Job], str] = str) -> Iterator[tuple[Job, Any]]:
        if self.workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield job, fn(job, *shared)
            return
        with ProcessPoolExecutor(max_workers=self.workers, initializer=_start_worker,
                                 initargs=(os.getpid(), max(1, usable_cpus() // self.workers))) as pool:
            futures = {pool.submit(fn, job, *shared): job for job in jobs}
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            except BaseException:  # a failed unit, Ctrl-C, or the caller stopped reading
                pool.shutdown(cancel_futures=True)
                raise

    def call(self, fn: Callable[..., Any], *args: Any, name: str = "call") -> Any:
        return fn(*args)

    def shared_path(self, path: str | Path) -> Path:
        return Path(path)  # as given: the units run in this folder (so messages name paths as the user did)

    def on_each_worker(self, fn: Callable[..., Any], *args: Any) -> None:
        fn(*args)  # the pool's processes keep nothing between maps

    def on_each_machine(self, fn: Callable[..., Any], *args: Any) -> None:
        fn(*args)


class DaskExecutor:
    """Units on the workers of a ``distributed.Client``."""

    def __init__(self, client: Any):
        self.client = client
        self._shared: dict[int, tuple[Any, Any]] = {}  # id(obj) -> (obj, its future on the cluster)

    def share(self, obj: Any) -> Any:
        """``obj`` as a future on the cluster, sent once per executor (an embedding model is
        large), which workers fetch from each other when a unit needs it. A task that returns
        it, not scattered data: if every worker holding it dies, the scheduler makes it again."""
        if obj is None or isinstance(obj, (str, int, float, bool, Path)):
            return obj
        if id(obj) not in self._shared:
            future = self.client.submit(_itself, obj, key=f"shared-{type(obj).__name__}-{uuid.uuid4().hex}")
            self._shared[id(obj)] = (obj, future)
        return self._shared[id(obj)][1]

    def map(self, fn: Callable[..., Any], jobs: list[Job], *shared: Any, name: str = "unit",
            label: Callable[[Job], str] = str) -> Iterator[tuple[Job, Any]]:
        from distributed import as_completed as completed

        if not jobs:
            return
        args = [self.share(obj) for obj in shared]
        run = uuid.uuid4().hex[:8]
        futures = {self.client.submit(fn, job, *args, key=f"{name}-{label(job)}-{run}", pure=False): job
                   for job in jobs}
        try:
            for future in completed(futures, loop=self.client.loop):
                yield futures[future], _result(future, f"{name} {label(futures[future])}")
        except BaseException:  # a failed unit, Ctrl-C, or the caller stopped reading: stop the rest
            self.client.cancel(list(futures))
            raise

    def call(self, fn: Callable[..., Any], *args: Any, name: str = "call") -> Any:
        return _result(self.client.submit(fn, *args, pure=False), name)

    def shared_path(self, path: str | Path) -> Path:
        return Path(path).absolute()  # a worker's working folder may be another

    def on_each_worker(self, fn: Callable[..., Any], *args: Any) -> None:
        self.client.run(fn, *args, on_error="ignore")

    def on_each_machine(self, fn: Callable[..., Any], *args: Any) -> None:
        hosts = {host: address for address, host in self.client.run(socket.gethostname).items()}
        self.client.run(fn, *args, workers=list(hosts.values()), on_error="ignore")

    def close(self) -> None:
        self._shared.clear()


def _result(future: Any, unit: str) -> Any:
    """A Dask future's result; a unit that killed every worker it ran on, named."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as exc:
        raise ClusterError(f"{unit}: {exc.allowed_failures + 1} Dask worker(s) died running it (more than "
                           "distributed.scheduler.allowed-failures): a crash in native code or running out of memory; "
                           "see the workers' logs") from None


def _itself(obj: Any) -> Any:
    return obj


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError("--scheduler needs Dask: pip install 'distortion-benchmark[cluster]' "
                           "(or -e \".[cluster]\" in a clone)") from None
    return distributed


@contextlib.contextmanager
def open_cluster(scheduler: str | None) -> Iterator[DaskExecutor | None]:
    """The executor of ``--scheduler``: None (the local default), ``local:N`` (a LocalCluster of
    N worker processes on 127.0.0.1, closed on exit) or a scheduler address ``tcp://HOST:PORT``."""
    if scheduler is None:
        yield None
        return
    local = _LOCAL_CLUSTER.fullmatch(scheduler)
    if not (local and int(local.group(1)) >= 1) and "://" not in scheduler:
        raise ClusterError(f"--scheduler {scheduler}: expected local:N (N >= 1 worker processes on this machine) "
                           "or a Dask scheduler address such as tcp://HOST:8786")
    distributed = _dask()
    import dask

    with contextlib.ExitStack() as stack:
        if local:
            # for the cluster's lifetime: its nannies read the setting whenever they (re)start a worker
            stack.enter_context(dask.config.set({**WORKER_CONFIG, **LOCAL_WORKER_ENVIRON}))
            address = stack.enter_context(distributed.LocalCluster(
                n_workers=int(local.group(1)), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=":0", memory_limit=0, silence_logs=logging.ERROR))  # no memory cap, as the pool
        else:
            address = scheduler
        try:
            client = stack.enter_context(distributed.Client(address, set_as_default=False))
        except OSError as exc:
            raise ClusterError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})") from None
        executor = DaskExecutor(client)
        try:
            yield executor
        finally:
            executor.close()


def abandoned() -> bool:
    """Inside a unit: whether its driver gave it up (a failed unit, Ctrl-C, the driver died).
    A running Dask task cannot be stopped, so ``atomic_path`` asks before each rename, and
    writes nothing then: a resumed run never races a dead run's units. False outside a Dask task."""
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker
    from distributed.worker import thread_state

    key = getattr(thread_state, "key", None)
    if key is None:  # not in a task
        return False
    try:
        task = get_worker().state.tasks.get(key)
    except ValueError:  # not on a worker
        return False
    return task is None or task.state == "cancelled"


def refuse_daemonic_worker() -> None:
    """On a Dask worker: fail clearly when the worker cannot start child processes."""
    if multiprocessing.current_process().daemon:
        raise ClusterError("this Dask worker is a daemonic process, which cannot start the submission's child "
                           "process: start the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False "
                           "(README, 'Scaling out')")
