"""Timing helper shared by the speed scripts in this folder."""
from __future__ import annotations

import time
from typing import Callable


def best_of(repeats: int, run: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    """The fastest of ``repeats`` timings of ``run()``, in seconds of ``clock`` (default wall-clock;
    ``time.process_time`` for this process's CPU time)."""
    times = []
    for _ in range(repeats):
        start = clock()
        run()
        times.append(clock() - start)
    return min(times)
