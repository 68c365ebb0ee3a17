"""Speed of benchmark.metrics.rnonlin against the Octave reference on a 10 s clip at 16 kHz.

Run by hand (needs octave-cli and Slaney's Auditory Toolbox, see tests/rnonlin_octave.py):

    python benchmarks/bench_rnonlin.py --auditory-toolbox DIR

The reference is tests/rnonlin_reference.m (Slaney's filterbank, lag-by-lag correlation); the
Octave time is its own ``tic``/``toc`` (start-up and file reading excluded) and the wall time of
the whole call. Ours is the best of several runs on one signal (wall and CPU time: on a loaded
machine the CPU time is the cost on one core), then a batch of 8. Run it with OMP_NUM_THREADS=1.
Prints the ratio and the difference; asserts nothing.
"""
from __future__ import annotations

import argparse
import runpy
import time
from pathlib import Path

import numpy as np

from benchmark.dataset.synth import synth_guitar
from benchmark.effects import clip_to_sdr
from benchmark.metrics import rnonlin
from timing import best_of, timed_on_wavs

# the Octave runner lives beside its driver, tests/rnonlin_reference.m
run_octave = runpy.run_path(str(Path(__file__).resolve().parents[1] / "tests" / "rnonlin_octave.py"))["run_octave"]

RATE = 16000
SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--auditory-toolbox", required=True, type=Path, help="folder with MakeERBFilters.m")
    args = parser.parse_args()
    clean = synth_guitar(np.random.default_rng(13), SECONDS, RATE)
    clipped, _ = clip_to_sdr(clean, 5.0)

    ours = float(rnonlin(clean, clipped, RATE))
    t_ours = best_of(5, lambda: rnonlin(clean, clipped, RATE))
    cpu_ours = best_of(5, lambda: rnonlin(clean, clipped, RATE), time.process_time)
    batch_ref, batch_est = np.stack([clean] * 8), np.stack([clipped] * 8)
    t_batch = best_of(3, lambda: rnonlin(batch_ref, batch_est, RATE))

    toolbox = args.auditory_toolbox.resolve()
    octave, t_octave_wall = timed_on_wavs(lambda ref, test, out: run_octave(toolbox, ref, test, out), clean, clipped, RATE)

    print(f"R_nonlin of a {SECONDS:g} s guitar clip at {RATE} Hz clipped to 5 dB SDR: ours {ours:.12f}, "
          f"Octave {octave['R']:.12f}, |diff| {abs(ours - octave['R']):.1e}")
    print(f"  ours (best of 5)      {t_ours:8.3f} s  ({SECONDS / t_ours:6.1f}x real time; CPU {cpu_ours:.3f} s)")
    print(f"  ours, batch of 8      {t_batch:8.3f} s  ({t_batch / 8:.3f} s per clip)")
    print(f"  Octave reference      {octave['elapsed']:8.3f} s  (wall {t_octave_wall:.3f} s with start-up)")
    print(f"  ratio Octave / ours   {octave['elapsed'] / t_ours:8.1f}x  (wall {t_octave_wall / t_ours:.1f}x)")


if __name__ == "__main__":
    main()
