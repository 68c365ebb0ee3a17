"""Speed of data generation (run by hand: python benchmarks/bench_generate.py).

1. ``sox_overdrive`` (numpy) against the ``sox`` binary through the ``sox`` Python package,
   on the same 60 s of audio in one run: time ratio and max abs difference; and its exact
   inverse (``invert_sox_overdrive``, the ``sox_inverse`` baseline's core) on the binary's
   output, timed against the binary and checked against the clean input.
2. Generation throughput (seconds of audio per second) with 1 and 2 workers for each
   benchmark task (the SoX-based default ones and the pedalboard ones), on the first
   ``--limit`` examples of each split, and the wall time of all of them with 2 workers
   (``--full``).
"""
from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import sox

from benchmark.effects import invert_sox_overdrive, sox_overdrive
from benchmark.dataset.generate import generate_task
from benchmark.dataset.recipes import BENCHMARK_TASKS
from benchmark.dataset.synth import synth_guitar
from timing import best_of



def overdrive_vs_sox(repeats: int = 5) -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([synth_guitar(rng, 10.0, 16000) for _ in range(6)])  # 60 s at 16 kHz
    print("sox_overdrive vs sox binary (sox Python package), 60 s at 16 kHz, best of", repeats)
    for gain_db in (20.0, 35.0, 50.0):
        tfm = sox.Transformer()
        tfm.overdrive(gain_db=gain_db, colour=0.0)
        ref = tfm.build_array(input_array=x, sample_rate_in=16000)
        ours = sox_overdrive(x, gain_db, 0.0)
        t_sox = best_of(repeats, lambda: tfm.build_array(input_array=x, sample_rate_in=16000))
        t_ours = best_of(repeats, lambda: sox_overdrive(x, gain_db, 0.0))
        t_inverse = best_of(repeats, lambda: invert_sox_overdrive(ref, gain_db, 0.0))
        print(f"  gain {gain_db:4.0f} dB: sox {t_sox * 1e3:7.1f} ms, numpy {t_ours * 1e3:7.1f} ms, "
              f"sox/numpy {t_sox / t_ours:5.2f}x, max |diff| {np.max(np.abs(ours - ref)):.1e}; "
              f"inverse {t_inverse * 1e3:7.1f} ms, sox/inverse {t_sox / t_inverse:5.2f}x, "
              f"max |inverse - input| {np.max(np.abs(invert_sox_overdrive(ref, gain_db, 0.0) - x)):.1e}")


def throughput(limit: int | None) -> None:
    print(f"generation throughput ({'full tasks' if limit is None else f'first {limit} examples per split'})")
    for task in BENCHMARK_TASKS:
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                manifest = generate_task(task, out, limit=limit, workers=workers, progress=False)
                seconds = time.perf_counter() - start
            audio = manifest["hours"] * 3600
            print(f"  {task:<10} workers {workers}: {audio:7.0f} s of audio in {seconds:6.1f} s "
                  f"= {audio / seconds:6.1f} s/s")


def full_benchmark() -> None:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        hours = sum(generate_task(t, out, workers=2, progress=False)["hours"] for t in BENCHMARK_TASKS)
        print(f"all benchmark tasks, 2 workers: {hours:.2f} h of audio in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=100, help="examples per split for the throughput runs")
    parser.add_argument("--full", action="store_true", help="also time the whole default benchmark")
    args = parser.parse_args()
    overdrive_vs_sox()
    throughput(args.limit)
    if args.full:
        full_benchmark()
