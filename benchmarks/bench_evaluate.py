"""Wall time of the harness (run by hand: python benchmarks/bench_evaluate.py [--data data]).

``bench evaluate --submission baselines/passthrough.py`` on each task built in ``--data``, into a fresh
results folder, so nothing is reused: the submission's start-up in a child process, the
metrics of its outputs, and (once per task) the metrics of the distorted inputs.
"""
from __future__ import annotations

import argparse
import tempfile
import time

from benchmark.dataset.recipes import known_tasks
from benchmark.dataset.shards import built_tasks, load_manifest
from benchmark.harness.evaluate import evaluate
from benchmark.paths import baselines_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data", help="generated data (bench generate)")
    args = parser.parse_args()
    print("| task | examples | audio (s) | wall (s) | audio s per wall s |\n|---|---:|---:|---:|---:|")
    for task in built_tasks(args.data, known_tasks()):
        examples = load_manifest(f"{args.data}/{task}")["splits"]["test"]["examples"]
        with tempfile.TemporaryDirectory() as results:
            start = time.perf_counter()
            summary = evaluate(baselines_dir() / "passthrough.py", task, args.data, results, progress=False)
            wall = time.perf_counter() - start
        audio = summary["audio_seconds"]
        print(f"| {task} | {examples} | {audio:.0f} | {wall:.1f} | {audio / wall:.0f} |", flush=True)


if __name__ == "__main__":
    main()
