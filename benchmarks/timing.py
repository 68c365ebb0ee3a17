"""Timing helper shared by the speed scripts in this folder."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf


def best_of(repeats: int, run: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    """The fastest of ``repeats`` timings of ``run()``, in seconds of ``clock`` (default wall-clock;
    ``time.process_time`` for this process's CPU time)."""
    times = []
    for _ in range(repeats):
        start = clock()
        run()
        times.append(clock() - start)
    return min(times)


def fastest_call(repeats: int, run: Callable[[], object]) -> tuple[object, float, float]:
    """(result, wall-clock seconds, CPU seconds of this process) of the fastest of ``repeats`` calls
    of ``run()`` by wall-clock: both clocks of the same call, and what it returned."""
    calls = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        calls.append((time.perf_counter() - wall, time.process_time() - cpu, result))
    wall, cpu, result = min(calls, key=lambda call: call[0])
    return result, wall, cpu


def timed_on_wavs(run: Callable[[Path, Path, Path], dict], reference: np.ndarray, estimate: np.ndarray,
                  sample_rate: int) -> tuple[dict, float]:
    """Write a pair as float64 WAVs (``sample_rate`` Hz) in a temporary folder and call
    ``run(reference_wav, estimate_wav, out_txt)`` (a reference tool's runner): (its result, wall seconds)."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        sf.write(folder / "ref.wav", reference, sample_rate, subtype="DOUBLE")
        sf.write(folder / "test.wav", estimate, sample_rate, subtype="DOUBLE")
        start = time.perf_counter()
        result = run(folder / "ref.wav", folder / "test.wav", folder / "out.txt")
        return result, time.perf_counter() - start
