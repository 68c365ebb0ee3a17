"""Speed of benchmark.effects.ordered_sum against np.sum, and of clip_to_sdr, which calls it.

Run by hand: ``python benchmarks/bench_ordered_sum.py``. Prints the best of several timings
(microseconds) and the ratio to np.sum on 10 s of audio at 16 and 44.1 kHz; asserts nothing.
"""
from __future__ import annotations

import numpy as np

from benchmark.effects import clip_to_sdr, ordered_sum
from timing import best_of

REPEATS = 7
CALLS = 100


def main() -> None:
    rng = np.random.default_rng(0)
    for rate in (16000, 44100):
        x = 0.1 * rng.standard_normal(10 * rate)
        ordered_sum(x)  # compile (or load the cached kernel)
        ours = best_of(REPEATS, lambda: [ordered_sum(x) for _ in range(CALLS)]) / CALLS
        numpy = best_of(REPEATS, lambda: [np.sum(x) for _ in range(CALLS)]) / CALLS
        clip = best_of(3, lambda: clip_to_sdr(x, 3.0))
        print(f"{x.size} samples: ordered_sum {ours * 1e6:7.1f} us, np.sum {numpy * 1e6:7.1f} us "
              f"(ratio {ours / numpy:.2f}); clip_to_sdr to 3 dB {clip * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
