"""Wall and CPU time of ``bench run`` from scratch, in this checkout and at an earlier revision
(run by hand, on a machine with nothing else running; against c713b92, the last revision that
evaluated the whole synthetic tasks, about 16 minutes on 2 cores, as measured on 2026-12-05).

    python benchmarks/bench_run.py [--against e2b7bb4] [--workdir /tmp/bench-run] [--skip-earlier]

Each run starts from empty data, results and board folders and an empty numba cache
(``NUMBA_CACHE_DIR``) of its own, so nothing is reused: the kernels' compilation, generation, the
distorted inputs' scores, every baseline on every default task, the board. The
earlier revision runs from a git worktree of this repository (made in ``--workdir``, removed
after), with this checkout's Python environment, so both runs use the same packages. Printed: the
wall-clock seconds of each run, the CPU seconds of it and its child processes, and the ratio of
this checkout's to the earlier revision's. Since the submissions' processes are forked by fork
servers (b79e127), their CPU time is not among the children's: compare wall times.

The default ``--against`` is the revision of 2026-11-30 whose README gave ``bench run`` as 9 min
35 s (on the machine of that day), before the perceptual metrics (PEAQ, R_nonlin) joined the
harness: issue 13 asks that they cost ``bench run`` at most 50 % more than its time then.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def timed_run(checkout: Path, folder: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the run and its children) of ``bench run`` from ``checkout``'s
    code into empty folders below ``folder``; its output goes to ``folder/log.txt``."""
    folder.mkdir(parents=True)
    command = [sys.executable, "-m", "benchmark.cli", "run", "--data", str(folder / "data"),
               "--results", str(folder / "results"), "--out", str(folder / "board")]
    environment = dict(os.environ, NUMBA_CACHE_DIR=str(folder / "numba-cache"))  # compiled afresh
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(folder / "log.txt", "w") as log:  # python -m imports the package of the working folder
        subprocess.run(command, cwd=checkout, env=environment, stdout=log, stderr=subprocess.STDOUT, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="e2b7bb4", help="earlier revision to time (git)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-run"), help="scratch folder (must not exist)")
    parser.add_argument("--skip-earlier", action="store_true", help="time this checkout only")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True)
    rows, earlier = {}, None
    if not args.skip_earlier:
        worktree = args.workdir / "earlier"
        subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "add", "-q", "--detach", str(worktree), args.against],
                       check=True)
        try:
            rows[f"revision {args.against}"] = timed_run(worktree, args.workdir / "earlier-run")
        finally:
            subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "remove", "--force", str(worktree)], check=True)
        earlier = rows[f"revision {args.against}"][0]
        print(f"revision {args.against}: {earlier:.0f} s wall", flush=True)
    rows["this checkout"] = timed_run(REPOSITORY, args.workdir / "this-run")
    print("| bench run from scratch | wall | CPU (s) | wall / earlier revision's |\n|---|---:|---:|---:|")
    for name, (wall, cpu) in rows.items():
        ratio = f"{wall / earlier:.2f}" if earlier else ""
        print(f"| {name} | {wall // 60:.0f} min {wall % 60:.0f} s | {cpu:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
