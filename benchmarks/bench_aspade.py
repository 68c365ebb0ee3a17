"""Speed of the batched A-SPADE: against the frame-by-frame reference, and real-time factors.

On one clean synthetic guitar clip (``synth_guitar``, 16 kHz, peak 0.5):

1. clipped to ``--sdr`` dB input SDR (``clip_to_sdr``), declipped by the batched code (numba
   kernels, FFTW's FFTs when pyFFTW is installed) on one thread and on one thread per core, and once by the
   plain frame-by-frame reference (benchmark/models/aspade_reference.py, one thread): wall-clock
   and CPU time of each, the ratios and the largest sample difference;
2. the batched code alone at each input SDR of the survey (1 ... 20 dB): time, real-time
   factor (audio duration / compute time, as the harness reports it: above 1 is faster
   than real time) and ΔSDR (dB).

Times are wall-clock and CPU seconds of this process, after one warm-up call of the batched
code on the clip's first second; with ``--repeats N`` each run of the comparison (the reference's
too) is timed N times and the fastest counts. On a machine shared with other jobs the CPU time
is the steadier figure. The batched code iterates one slot set of frames per
core unless told otherwise; the reference runs on one thread.

    python benchmarks/bench_aspade.py [--seconds 10] [--sdr 7] [--window 1024] [--repeats 1] [--no-reference]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform

import numpy as np

from benchmark.dataset.synth import synth_guitar
from benchmark.effects import clip_to_sdr, plain_sdr
from benchmark.models.aspade import aspade, window_length
from benchmark.models.aspade_reference import SURVEY_SDRS, reference_declip
from timing import fastest_call

SAMPLE_RATE = 16000


def fft_library() -> str:
    """The FFTs the batched code runs on the CPU: FFTW's when pyFFTW is installed, else NumPy's."""
    return "FFTW (pyFFTW)" if importlib.util.find_spec("pyfftw") else "numpy.fft"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length in seconds")
    parser.add_argument("--sdr", type=float, default=7.0, help="input SDR (dB) of the comparison with the reference")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic clip")
    parser.add_argument("--window", type=int, default=window_length(SAMPLE_RATE), help="frame length in samples")
    parser.add_argument("--no-reference", action="store_true", help="skip the (slow) frame-by-frame reference")
    parser.add_argument("--repeats", type=int, default=1,
                        help="time each comparison run this many times, the fastest counting (the reference too)")
    args = parser.parse_args()

    clean = synth_guitar(np.random.default_rng(args.seed), args.seconds, SAMPLE_RATE)
    window = args.window
    print(f"{args.seconds:g} s synth_guitar clip (seed {args.seed}) at {SAMPLE_RATE} Hz, window {window}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")

    aspade(clip_to_sdr(clean[:SAMPLE_RATE], args.sdr)[0], SAMPLE_RATE, window=window)  # warm-up: FFT plans, threads
    if not args.no_reference:
        clipped = clip_to_sdr(clean, args.sdr)[0]
        batched = {threads: fastest_call(args.repeats, lambda t=threads: aspade(clipped, SAMPLE_RATE, window=window, threads=t))
                   for threads in sorted({1, os.cpu_count() or 1})}
        reference, *reference_seconds = fastest_call(args.repeats, lambda: reference_declip(clipped, window))
        difference = max(np.max(np.abs(restored - reference)) for restored, *_ in batched.values())
        print(f"\ninput SDR {args.sdr:g} dB, FFTs: {fft_library()}, "
              f"max |batched - frame by frame| = {difference:.1e}")
        print("| | wall (s) | CPU (s) | frame by frame / batched: wall | CPU |\n|---|---:|---:|---:|---:|")
        for threads, (_, *seconds) in batched.items():
            ratios = " | ".join(f"{theirs / ours:.1f}x" for ours, theirs in zip(seconds, reference_seconds))
            print(f"| batched, {threads} thread{'s' * (threads > 1)} | {seconds[0]:.1f} | {seconds[1]:.1f} | {ratios} |")
        print(f"| frame by frame, 1 thread | {reference_seconds[0]:.1f} | {reference_seconds[1]:.1f} | | |")

    print("\n| input SDR (dB) | wall (s) | CPU (s) | real-time factor: audio s per wall s, per CPU s | ΔSDR (dB) |")
    print("|---:|---:|---:|---:|---:|")
    for sdr_db in SURVEY_SDRS:
        clipped = clip_to_sdr(clean, sdr_db)[0]
        restored, wall, cpu = fastest_call(1, lambda: aspade(clipped, SAMPLE_RATE, window=window))
        gain = plain_sdr(clean, restored) - plain_sdr(clean, clipped)
        factors = f"{args.seconds / wall:.2f}x, {args.seconds / cpu:.2f}x"
        print(f"| {sdr_db} | {wall:.1f} | {cpu:.1f} | {factors} | {gain:.2f} |", flush=True)


if __name__ == "__main__":
    main()
