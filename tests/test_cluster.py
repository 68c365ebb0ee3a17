"""Generation and evaluation on a Dask cluster (issue 14): the same bytes and numbers as the
local run, and the faults of a cluster: a worker killed mid-unit, bad input on a worker, an
interrupted driver. All on LocalClusters on the loopback interface."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.atomic import TEMP_MARK
from benchmark.cli import main as bench
from benchmark.dataset.generate import GenerateError, Options, generate_task
from benchmark.dataset.shards import record_path
from benchmark.dataset.verify import verify_task
from benchmark.executor import ClusterError, LocalExecutor, open_cluster
from benchmark.harness.evaluate import evaluate
from benchmark.harness.runners import SubmissionKey, runner_for
from benchmark.harness.submission import SubmissionError
from benchmark.hashing import file_sha256
from conftest import REPO_ROOT, require_module, small_recipe
from test_integrity import folder_with_a_nan_file

TIMING = re.compile(r"(^|_)seconds($|_)")  # compute-time columns, the only ones that may differ
TEST_SPLIT = {"train": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
              "val": {"clips": 1, "seconds": 1.0, "levels": "uniform"},
              "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}}  # 7 test examples of 1 s


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of two worker processes, as `--scheduler local:2` starts it."""
    require_module("distributed")
    with open_cluster("local:2") as executor:
        yield executor


@pytest.fixture
def executor(cluster):
    cluster.client.wait_for_workers(2, timeout=60)  # a test before may have killed one
    return cluster


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A tiny hard-clipping task, built locally: 7 test examples of 1 s."""
    root = tmp_path_factory.mktemp("data")
    generate_task(small_recipe(root, "synth-hc", name="tiny-hc", splits=TEST_SPLIT), root, progress=False)
    return root


def submission(folder: Path, body: str, name: str = "model.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body))
    return path


def metrics(results: Path, name: str, task: str = "tiny-hc") -> pd.DataFrame:
    table = pd.read_parquet(results / name / task / "metrics.parquet")
    return table[[c for c in table if not TIMING.search(c)]]


def temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(f".*{TEMP_MARK}*")]


def executing(executor) -> dict[str, list[str]]:
    """Keys of the units each worker is running now, per worker."""
    return executor.client.run(lambda dask_worker: [str(task.key) for task in dask_worker.state.executing])


def times_started(executor, key: str) -> int:
    """How often the scheduler sent a unit to a worker."""
    story = executor.client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.story(key))
    return sum(1 for entry in story if entry[2] == "processing")


def kill_worker_running(executor, prefix: str, ready=lambda pid: True, timeout: float = 60) -> str:
    """kill -9 the first worker process found running a unit whose key starts with ``prefix``
    (and for which ``ready(worker pid)``); returns the unit's key."""
    pids = executor.client.run(os.getpid)
    deadline = time.time() + timeout
    while time.time() < deadline:
        for address, keys in executing(executor).items():
            for key in keys:
                if key.startswith(prefix) and ready(pids[address]):
                    os.kill(pids[address], signal.SIGKILL)
                    return key
        time.sleep(0.01)
    pytest.fail(f"no worker ran a unit '{prefix}...' within {timeout} s")


def in_thread(fn, *args, **kwargs) -> tuple[threading.Thread, list]:
    """Run ``fn`` in a thread (the driver, while the test kills workers); its result or exception."""
    outcome: list = []

    def target():
        try:
            outcome.append(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def finish(thread: threading.Thread, outcome: list, timeout: float = 120):
    thread.join(timeout)
    assert not thread.is_alive(), f"the run did not finish within {timeout} s"
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


# --- equality: the same bytes and numbers as the local run ------------------------------------

def test_generation_on_a_cluster_gives_the_same_files(executor, tmp_path):
    recipe = small_recipe(tmp_path)
    local = generate_task(recipe, tmp_path / "local", progress=False)
    remote = generate_task(recipe, tmp_path / "cluster", progress=False, executor=executor)
    assert remote["fingerprint"] == local["fingerprint"]
    for record in sorted((tmp_path / "local" / "tiny-od" / ".records").rglob("*.json")):
        twin = tmp_path / "cluster" / record.relative_to(tmp_path / "local")
        assert json.loads(twin.read_text())["files"] == json.loads(record.read_text())["files"]  # every file's SHA-256


class ToyEmbedder:
    """A stand-in FAD embedding model (the real ones need weights): per 0.1 s frame, the log
    energy of four sample-rate-independent bands of the frame's spectrum."""

    name, dim, weights_sha256 = "toy", 4, "0" * 64

    def __call__(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        hop = sample_rate // 10
        frames = audio[:, : audio.shape[-1] // hop * hop].reshape(audio.shape[0], -1, hop)
        power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2
        return np.log10(1e-9 + np.stack([band.sum(-1) for band in np.array_split(power, 4, axis=-1)], -1))


def test_evaluation_on_a_cluster_gives_the_same_metrics(executor, data, tmp_path):
    model = REPO_ROOT / "baselines" / "oracle_irm.py"
    fad = ToyEmbedder()
    local = evaluate(model, "tiny-hc", data, tmp_path / "local", batch_size=2, progress=False, fad=fad)
    remote = evaluate(model, "tiny-hc", data, tmp_path / "cluster", batch_size=2, progress=False, fad=fad,
                      executor=executor)
    pd.testing.assert_frame_equal(metrics(tmp_path / "cluster", "oracle_irm"), metrics(tmp_path / "local", "oracle_irm"),
                                  check_exact=True)
    assert len(metrics(tmp_path / "cluster", "oracle_irm")) == 7
    assert remote["metrics"] == local["metrics"] and remote["by_level"] == local["by_level"]
    assert remote["fad"] == local["fad"] and remote["submission_sha256"] == local["submission_sha256"]
    assert not temps(tmp_path / "cluster")


# --- faults ------------------------------------------------------------------------------------

def test_a_worker_killed_mid_shard_has_its_shard_made_again_elsewhere(executor, tmp_path):
    recipe = small_recipe(tmp_path, name="slow-od", shard_size=2,
                          splits={"train": {"clips": 6, "seconds": 40.0, "levels": "uniform"},
                                  "val": {"clips": 1, "seconds": 1.0, "levels": "uniform"},
                                  "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}})
    thread, outcome = in_thread(generate_task, recipe, tmp_path / "cluster", progress=False, executor=executor)
    killed = kill_worker_running(executor, "generate slow-od-train/")
    remote = finish(thread, outcome)
    assert times_started(executor, killed) == 2, "the killed worker's shard was not run again"
    local = generate_task(recipe, tmp_path / "local", progress=False)
    assert remote["fingerprint"] == local["fingerprint"]
    assert verify_task(tmp_path / "cluster" / "slow-od", sample=0, progress=False).ok  # every file as recorded
    assert not temps(tmp_path / "cluster")


SLOW_PASSTHROUGH = """
    import hashlib, os, time
    from pathlib import Path

    def worker():  # the process that runs this submission: the parent of the fork server it came from
        parent = os.getppid()
        if b"forkserver" not in Path(f"/proc/{{parent}}/cmdline").read_bytes():
            return parent
        return int(Path(f"/proc/{{parent}}/stat").read_text().rsplit(")", 1)[1].split()[1])

    class Model:
        sample_rate = 16000
        def __init__(self, task, device="cpu"): pass
        def __call__(self, x):
            call = f"{{hashlib.sha256(x.tobytes()).hexdigest()[:12]}} {{os.getpid()}} {{worker()}}"
            with Path({log!r}).open("a") as log:  # which batch, in which child of which worker
                log.write(f"{{call}} start\\n")
            time.sleep({seconds})
            with Path({log!r}).open("a") as log:
                log.write(f"{{call}} end\\n")
            return x.copy()
"""


def log_lines(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def calls(log: Path) -> list[tuple[str, int, int]]:
    """(batch, child pid, worker pid) of every call of the model, in order."""
    return [(batch, int(pid), int(ppid)) for batch, pid, ppid, what in log_lines(log) if what == "start"]


def in_call(log: Path, worker: int) -> bool:
    """Whether the model of a worker (pid) is inside a call now."""
    mine = [what for _, _, ppid, what in log_lines(log) if int(ppid) == worker]
    return bool(mine) and mine[-1] == "start"


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_killed_mid_batch_has_its_batch_scored_again_elsewhere(executor, data, tmp_path):
    log = tmp_path / "calls.txt"
    model = submission(tmp_path, SLOW_PASSTHROUGH.format(log=str(log), seconds=1.5))
    thread, outcome = in_thread(evaluate, model, "tiny-hc", data, tmp_path / "r", batch_size=2, progress=False,
                                executor=executor)
    killed = kill_worker_running(executor, "evaluate model on tiny-hc-batch-",
                                 ready=lambda worker: in_call(log, worker))
    summary = finish(thread, outcome)
    assert times_started(executor, killed) == 2, "the killed worker's batch was not run again"
    batches = [batch for batch, _, _ in calls(log)]
    # 4 batches, the killed one twice; a batch that had finished on the killed worker, its result not yet
    # gathered, is run again too (Dask recomputes results lost with a worker)
    assert len(set(batches)) == 4 and len(batches) >= 5
    table = metrics(tmp_path / "r", "model")
    assert summary["examples"] == 7 and sorted(table["id"]) == [f"test-{i:06d}" for i in range(7)]
    for name in ("sdr", "si_sdr", "mel_distance", "peaq_odg"):  # a passthrough scores exactly as its input
        np.testing.assert_array_equal(table[name], table[f"{name}_input"])
    assert not temps(tmp_path / "r")
    orphans = {pid for _, pid, ppid in calls(log) if ppid not in executor.client.run(os.getpid).values()}
    deadline = time.time() + 10
    while time.time() < deadline and any(alive(pid) for pid in orphans):
        time.sleep(0.1)
    assert not [pid for pid in orphans if alive(pid)], "the killed worker's submission process lives on"


def test_bad_audio_on_a_worker_fails_the_run_as_locally(executor, tmp_path):
    root, nan_file, recipe = folder_with_a_nan_file(tmp_path)
    errors = []
    for where, run_on in (("local", None), ("cluster", executor)):
        with pytest.raises(GenerateError) as error:  # one example per split: train-000000 alone is bad
            generate_task(recipe, tmp_path / where, limit=1, options=Options(str(root)), progress=False,
                          executor=run_on)
        errors.append(str(error.value))
    assert errors[1] == errors[0]
    assert errors[0].startswith(f"train-000000: {nan_file}: holds") and "--skip-bad" in errors[0]
    assert not (tmp_path / "cluster" / "tiny-ceg" / "manifest.json").exists()


def test_a_bad_output_on_a_worker_fails_the_run_as_locally(executor, data, tmp_path):
    model = submission(tmp_path, """
        import numpy as np

        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x):  # NaN for the last batch: test-000006 alone
                return x * np.float32(np.nan) if len(x) == 1 else x.copy()
    """)
    errors = []
    for where, run_on in (("local", None), ("cluster", executor)):
        with pytest.raises(SubmissionError) as error:
            evaluate(model, "tiny-hc", data, tmp_path / where, batch_size=2, progress=False, executor=run_on)
        errors.append(str(error.value))
        assert not (tmp_path / where / "model" / "tiny-hc" / "summary.json").exists()
    assert errors[1] == errors[0] == f"{model}: returned NaN for test-000006"


def running_states(executor) -> list[str]:
    return [state for states in executor.client.run(
        lambda dask_worker: [task.state for task in dask_worker.state.executing]).values() for state in states]


def wait_abandoned(executor, timeout: float = 60) -> int:
    """Until the scheduler has told the workers that the units of a killed driver are abandoned
    (they run on: a running task cannot be stopped); how many were running then (one snapshot:
    a cancelled unit may finish at any moment)."""
    deadline = time.time() + timeout
    states = running_states(executor)
    while any(state != "cancelled" for state in states) and time.time() < deadline:
        time.sleep(0.01)
        states = running_states(executor)
    return len(states)


def wait_idle(executor, timeout: float = 60) -> None:
    """Until no worker runs a unit."""
    deadline = time.time() + timeout
    while time.time() < deadline and running_states(executor):
        time.sleep(0.05)


def kill_driver_after(executor, command: list[str], finished, count: int) -> dict[Path, int]:
    """Start a `bench` driver on the cluster and kill -9 it once ``finished()`` lists ``count``
    files; check that its abandoned units write nothing more. Returns the files finished then."""
    driver = subprocess.Popen([sys.executable, "-m", "benchmark.cli", *command, "--scheduler",
                               executor.client.scheduler.address], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(finished()) < count and driver.poll() is None:
        time.sleep(0.02)
    assert driver.poll() is None, "the driver finished before it could be killed"
    assert len(finished()) >= count, f"fewer than {count} files finished in 120 s"
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    assert wait_abandoned(executor), ("the units running when the driver was killed all finished before the "
                                      "scheduler abandoned them: nothing to check; the units are too short")
    at_kill = stamps(finished())
    wait_idle(executor)
    assert stamps(finished()) == at_kill, "units of the killed driver wrote on"
    return at_kill


def stamps(paths) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in paths}


def test_an_interrupted_driver_resumes_without_redoing_finished_shards(executor, tmp_path):
    recipe = small_recipe(tmp_path, name="slow-od", shard_size=4,  # a train unit: 2 min of audio, about 0.75 s
                          splits={"train": {"clips": 16, "seconds": 30.0, "levels": "uniform"},
                                  "val": {"clips": 1, "seconds": 1.0, "levels": "uniform"},
                                  "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}})
    out = tmp_path / "out"
    finished = lambda: [*(out / "slow-od" / ".records").rglob("part-*.json"), *out.rglob("part-*.parquet")]
    at_kill = kill_driver_after(executor, ["generate", "--task", recipe, "--out", str(out)], finished, 4)
    # A shard is finished once its record is written; an abandoned unit may have renamed its
    # Parquet file into place and then been refused the record: that shard is made again.
    recorded = {path: stamp for path, stamp in at_kill.items()
                if path.suffix == ".json" or record_path(out / "slow-od", path.parent.name, path.stem) in at_kill}
    assert any(path.suffix == ".parquet" for path in recorded)
    resumed = generate_task(recipe, out, progress=False, executor=executor)
    assert resumed["rebuilt"] == []
    assert stamps(recorded) == recorded  # finished shards were not made again
    assert resumed["fingerprint"] == generate_task(recipe, tmp_path / "local", progress=False)["fingerprint"]
    assert not temps(out)


def test_an_interrupted_driver_resumes_without_redoing_finished_batches(executor, data, tmp_path):
    log = tmp_path / "calls.txt"
    model = submission(tmp_path, SLOW_PASSTHROUGH.format(log=str(log), seconds=0.5))
    results = tmp_path / "r"
    finished = lambda: list((results / "model" / "tiny-hc").glob(".partial-*/batch-*.parquet"))
    at_kill = kill_driver_after(executor, ["evaluate", "--submission", str(model), "--task", "tiny-hc", "--data",
                                           str(data), "--results", str(results), "--batch-size", "1"], finished, 2)
    before = len(calls(log))
    summary = evaluate(model, "tiny-hc", data, results, batch_size=1, progress=False, executor=executor)
    assert summary["examples"] == 7
    assert len(calls(log)) - before == 7 - len(at_kill)  # only the batches not yet written
    assert len({batch for batch, _, _ in calls(log)}) == 7


def test_bench_run_runs_generation_and_evaluation_on_the_cluster(executor, tmp_path, monkeypatch, capsys):
    from benchmark import pipeline

    monkeypatch.setattr(pipeline, "BASELINES", {"passthrough": pipeline.BASELINES["passthrough"]})
    recipe = small_recipe(tmp_path, "synth-hc", name="tiny-hc", splits=TEST_SPLIT)
    started = executor.client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.transition_log))
    assert bench(["run", "--task", recipe, "--data", str(tmp_path / "data"), "--results", str(tmp_path / "results"),
                  "--out", str(tmp_path / "board"), "--scheduler", executor.client.scheduler.address]) == 0
    units = executor.client.run_on_scheduler(
        lambda dask_scheduler, since=started: {str(entry[0]).rsplit("-", 1)[0].split(" ")[0]
                                                for entry in list(dask_scheduler.transition_log)[since:]})
    assert {"generate", "evaluate", "score"} <= units  # shards, batches and the inputs' scores ran there
    assert (tmp_path / "board" / "index.html").is_file()
    assert json.loads((tmp_path / "results" / "passthrough" / "tiny-hc" / "summary.json").read_text())["examples"] == 7


# --- set-up errors ----------------------------------------------------------------------------

def test_scheduler_addresses_are_checked(tmp_path, capsys):
    recipe = small_recipe(tmp_path)
    for address in ("local:0", "localhost", "local:two"):
        assert bench(["generate", "--task", recipe, "--out", str(tmp_path), "--scheduler", address]) == 2
        assert f"--scheduler {address}: expected local:N" in capsys.readouterr().err
    assert not (tmp_path / "tiny-od").exists()


def test_a_missing_dask_is_named_with_the_extra_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    assert bench(["generate", "--task", small_recipe(tmp_path), "--out", str(tmp_path), "--scheduler", "local:1"]) == 2
    assert "--scheduler needs Dask: pip install 'distortion-benchmark[cluster]'" in capsys.readouterr().err


def test_a_worker_seeing_other_bytes_refuses_to_run_them(tmp_path):
    """A worker starts the submission only if it sees the bytes the driver hashed (here the file
    changed after the driver read it: another checkout, a checkpoint rewritten mid-run)."""
    model = submission(tmp_path, """
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x): return x
    """)
    key = SubmissionKey(str(model), "tiny-hc", "cpu", 60.0, file_sha256(model))
    model.write_text(model.read_text() + "# edited\n")
    with pytest.raises(SubmissionError, match=rf"{model}: the worker on {socket.gethostname()} sees other bytes"):
        with runner_for(key):
            pass


def test_a_daemonic_worker_is_refused_with_the_setting_to_change(data, tmp_path, monkeypatch):
    """Dask's default workers are daemonic processes, which cannot start the submission's child."""
    import multiprocessing

    class Daemonic:
        daemon = True

    monkeypatch.setattr(multiprocessing, "current_process", lambda: Daemonic())
    with pytest.raises(ClusterError, match="DASK_DISTRIBUTED__WORKER__DAEMON=False"):
        evaluate(REPO_ROOT / "baselines" / "passthrough.py", "tiny-hc", data, tmp_path, progress=False,
                 executor=LocalExecutor())


def test_the_readme_slurm_example_makes_a_valid_job_script(monkeypatch):
    """The SLURM example of README.md ("Scaling out"), run as written up to submitting jobs."""
    require_module("dask_jobqueue")
    import dask

    readme = (REPO_ROOT / "README.md").read_text()
    code = re.search(r"<!-- slurm-example -->\s*```python\n(.*?)```", readme, re.S).group(1)
    setup = code.split("cluster.scale(")[0]
    with dask.config.set({"jobqueue.slurm.scheduler-options": {"host": "127.0.0.1"}}):  # loopback only
        namespace: dict = {}
        exec(compile(setup, "README.md (SLURM example)", "exec"), namespace)
        cluster = namespace["cluster"]
        try:
            script = cluster.job_script()
        finally:
            cluster.close()
    assert "export DASK_DISTRIBUTED__WORKER__DAEMON=False" in script
    assert "--nthreads 1" in script and "#SBATCH" in script
