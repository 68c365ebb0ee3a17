"""Throughput on a Dask cluster against the local pool (run by hand: python benchmarks/bench_cluster.py).

Same machine, same number of workers, measured in one run and interleaved (local, cluster,
local, cluster, ...) so that load from other processes hits both alike; the ratio is what counts:

1. ``bench generate``: a benchmark task at its default shard size (50 examples), the local pool
   of ``--workers`` processes against ``--scheduler local:N`` with as many workers: seconds of
   audio per wall second.
2. ``bench evaluate`` of ``baselines/passthrough.py`` (the metrics are the work: the outputs'
   and, once per results folder, the inputs'): the local run (one process, one submission
   child) against a LocalCluster of one worker, and of ``--workers`` workers.
3. The overhead per unit: an empty unit mapped over 200 jobs on each executor, and what that is
   against the mean length of a shard and of a batch.

The cluster is started once, before timing (its start-up is printed), and warmed up with one
untimed run of each job, as a cluster that serves many runs would be.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmark.dataset.generate import generate_task
from benchmark.dataset.recipes import get_recipe
from benchmark.executor import LocalExecutor, open_cluster
from benchmark.harness.evaluate import evaluate
from benchmark.paths import baselines_dir

PASSTHROUGH = baselines_dir() / "passthrough.py"


def _noop(job: int) -> int:
    return job


def per_unit_overhead(executor, jobs: int = 200) -> float:
    """Wall seconds per empty unit."""
    start = time.perf_counter()
    for _ in executor.map(_noop, list(range(jobs)), name="noop"):
        pass
    return (time.perf_counter() - start) / jobs


def timed_generation(task: str, limit: int | None, workers: int, cluster) -> tuple[float, float]:
    """(seconds of audio, wall seconds) of one fresh generation."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        manifest = generate_task(task, out, limit=limit, workers=workers, progress=False, executor=cluster)
        return manifest["hours"] * 3600, time.perf_counter() - start


def timed_evaluation(task: str, data: Path, executor) -> tuple[float, float]:
    """(seconds of test audio, wall seconds) of one evaluation into a fresh results folder."""
    with tempfile.TemporaryDirectory() as results:
        start = time.perf_counter()
        summary = evaluate(PASSTHROUGH, task, data, results, progress=False, executor=executor)
        return summary["audio_seconds"], time.perf_counter() - start


def report(name: str, runs: dict[str, list[tuple[float, float]]], reference: str) -> None:
    rates = {label: [audio / wall for audio, wall in timings] for label, timings in runs.items()}
    base = statistics.median(rates[reference])
    for label, values in rates.items():
        walls = ", ".join(f"{wall:.1f}" for _, wall in runs[label])
        print(f"  {name} {label:<22} {statistics.median(values):8.1f} s of audio per s "
              f"(median of {len(values)}; walls {walls} s)  ratio to {reference}: {statistics.median(values) / base:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="synth-od")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="examples per split generated (default 0: all)")
    parser.add_argument("--eval-limit", type=int, default=24, help="test examples evaluated (default 24: 3 batches)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    limit = args.limit or None

    start = time.perf_counter()
    with open_cluster(f"local:{args.workers}") as cluster, open_cluster("local:1") as single, \
            tempfile.TemporaryDirectory() as data:
        print(f"LocalClusters of {args.workers} and 1 worker(s) started in {time.perf_counter() - start:.1f} s")
        generate_task(args.task, data, limit=args.eval_limit, progress=False)
        timed_generation(args.task, 1, args.workers, cluster)  # warm-up: imports on the workers
        timed_evaluation(args.task, Path(data), cluster)
        timed_evaluation(args.task, Path(data), single)

        generation: dict[str, list] = {f"pool of {args.workers}": [], f"local:{args.workers}": []}
        evaluation: dict[str, list] = {"local (1 process)": [], "local:1": [], f"local:{args.workers}": []}
        for _ in range(args.rounds):
            generation[f"pool of {args.workers}"].append(timed_generation(args.task, limit, args.workers, None))
            generation[f"local:{args.workers}"].append(timed_generation(args.task, limit, args.workers, cluster))
        for _ in range(args.rounds):
            evaluation["local (1 process)"].append(timed_evaluation(args.task, Path(data), None))
            evaluation["local:1"].append(timed_evaluation(args.task, Path(data), single))
            evaluation[f"local:{args.workers}"].append(timed_evaluation(args.task, Path(data), cluster))

        overhead = {f"pool of {args.workers}": per_unit_overhead(LocalExecutor(args.workers)),
                    f"local:{args.workers}": per_unit_overhead(cluster)}

    print(f"\n{args.task}: generate {f'--limit {limit}' if limit else 'all'} (shards of 50 examples), evaluate passthrough on "
          f"{args.eval_limit} test examples (batches of 8); {args.rounds} interleaved rounds")
    report("generate", generation, f"pool of {args.workers}")
    report("evaluate", evaluation, "local (1 process)")
    recipe = get_recipe(args.task)
    shard_audio = recipe.shard_size * recipe.splits["train"].seconds
    per_worker = statistics.median(a / w for a, w in generation[f"local:{args.workers}"]) / args.workers
    mean_shard = shard_audio / per_worker
    mean_batch = statistics.median(wall for _, wall in evaluation["local:1"]) / -(-args.eval_limit // 8)
    print("\nper-unit overhead (an empty unit mapped over 200 jobs):")
    for label, seconds in overhead.items():
        print(f"  {label:<12} {seconds * 1e3:6.2f} ms per unit")
    dask = overhead[f"local:{args.workers}"]
    print(f"  Dask's against a default train shard ({recipe.shard_size} x {recipe.splits['train'].seconds:g} s of "
          f"audio: {mean_shard:.2f} s of one worker): {dask / mean_shard:.2%}; against a batch of 8 "
          f"({mean_batch:.2f} s): {dask / mean_batch:.2%}")

if __name__ == "__main__":
    main()
