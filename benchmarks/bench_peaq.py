"""Speed of benchmark.metrics.peaq against P. Kabal's PQevalAudio (GNU Octave) on a 10 s clip.

Run by hand (needs octave-cli and PQevalAudio with its driver, see tests/peaq_octave.py):

    OMP_NUM_THREADS=1 python benchmarks/bench_peaq.py --pqevalaudio DIR

A synthetic guitar clip at 16 kHz, hard-clipped to 5 dB input SDR, scored as the harness scores
it (``peaq_basic`` at 16 kHz, which resamples to 48 kHz); PQevalAudio reads the same pair
resampled to 48 kHz by ``scipy.signal.resample_poly`` (as tests/peaq_octave.py writes its 16 kHz
cases). The Octave time is PQevalAudio's own ``tic``/``toc`` (start-up and file reading
excluded) and the wall time of the whole call; ours is the best of 5 runs, wall and CPU time.
Prints both ODGs, their difference and the ratios; asserts nothing.
"""
from __future__ import annotations

import argparse
import runpy
import time
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from benchmark.dataset.synth import synth_guitar
from benchmark.effects import clip_to_sdr
from benchmark.metrics.peaq import peaq_basic
from timing import best_of, timed_on_wavs

# the Octave runner of the recorded reference values (tests/peaq_octave.py)
run_octave = runpy.run_path(str(Path(__file__).resolve().parents[1] / "tests" / "peaq_octave.py"))["run_octave"]

RATE = 16000
SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pqevalaudio", required=True, type=Path, help="PQevalAudio's folder, with run_pq.m")
    args = parser.parse_args()
    clean = synth_guitar(np.random.default_rng(13), SECONDS, RATE)
    clipped, _ = clip_to_sdr(clean, 5.0)

    ours = peaq_basic(clean, clipped, RATE).odg
    wall = best_of(5, lambda: peaq_basic(clean, clipped, RATE))
    cpu = best_of(5, lambda: peaq_basic(clean, clipped, RATE), time.process_time)

    pqevalaudio = args.pqevalaudio.resolve()
    octave, octave_wall = timed_on_wavs(lambda ref, test, out: run_octave(pqevalaudio, ref, test, out),
                                        resample_poly(clean, 3, 1), resample_poly(clipped, 3, 1), 3 * RATE)

    print(f"PEAQ (basic) of a {SECONDS:g} s guitar clip at {RATE} Hz clipped to 5 dB SDR: ODG ours {ours:+.10f}, "
          f"PQevalAudio {octave['ODG']:+.10f}, |diff| {abs(ours - octave['ODG']):.1e}")
    print(f"  ours (best of 5)        {wall:8.3f} s wall, {cpu:.3f} s CPU ({SECONDS / wall:.0f}x real time)")
    print(f"  PQevalAudio (Octave)    {octave['elapsed']:8.3f} s  (wall {octave_wall:.3f} s with start-up)")
    print(f"  ratio PQevalAudio / ours {octave['elapsed'] / wall:7.0f}x  (wall {octave_wall / wall:.0f}x)")


if __name__ == "__main__":
    main()
