"""CPU time of every default metric of the harness, per 10 s example (run by hand).

    OMP_NUM_THREADS=1 python benchmarks/bench_metrics.py [--examples 8]

A batch of synthetic guitar clips (16 kHz, 10 s), each hard-clipped to 1-20 dB input SDR, scored
by each default metric's function (``benchmark.metrics.scored()``) on the whole batch, as the
harness calls them: each metric's CPU seconds per example
(best of 3; CPU time, which other jobs on the machine change less than wall time), its share of
the total and its real-time factor. Where the reference implementation a test compares with is
installed, it runs on the same batch in the same run: museval for SDR, auraloss for the MR mel
distance (torch, float32, one example at a time, as ``mr_mel_distance``'s docstring describes it).
"""
from __future__ import annotations

import argparse
import importlib.util
import time
from typing import Callable

import numpy as np

from benchmark.dataset.synth import synth_guitar
from benchmark.effects import clip_to_sdr
from benchmark.metrics import scored
from timing import best_of

RATE = 16000
SECONDS = 10.0
SDRS = (1.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0)


def references(clean: np.ndarray, clipped: np.ndarray) -> dict[str, Callable[[], object]]:
    """The installed reference implementations, each a call scoring the whole batch."""
    calls = {}
    if importlib.util.find_spec("museval"):
        import museval

        calls["sdr"] = lambda: [museval.evaluate(c[None, :, None], y[None, :, None]) for c, y in zip(clean, clipped)]
    if importlib.util.find_spec("auraloss") and importlib.util.find_spec("torch"):
        import auraloss.freq
        import torch

        loss = auraloss.freq.MultiResolutionSTFTLoss(scale="mel", n_bins=128, sample_rate=RATE)
        pairs = [(torch.from_numpy(y[None, None]).float(), torch.from_numpy(c[None, None]).float())
                 for c, y in zip(clean, clipped)]
        calls["mr_mel_distance"] = lambda: [loss(y, c) for y, c in pairs]
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=8, help="examples in the batch")
    args = parser.parse_args()
    clean = np.stack([synth_guitar(np.random.default_rng(seed), SECONDS, RATE) for seed in range(args.examples)])
    clipped = np.stack([clip_to_sdr(x, SDRS[i % len(SDRS)])[0] for i, x in enumerate(clean)])
    for metric in scored():  # compile the numba kernels and plan the FFTs first
        metric.function(clean[:1, :RATE], clipped[:1, :RATE], RATE)
    ours = {m.name: best_of(3, lambda m=m: m.function(clean, clipped, RATE), time.process_time) / len(clean)
            for m in scored()}
    theirs = {name: best_of(1, run, time.process_time) / len(clean) for name, run in references(clean, clipped).items()}
    total = sum(ours.values())
    print(f"{len(clean)} synth_guitar clips of {SECONDS:g} s at {RATE} Hz, clipped to 1-20 dB input SDR; CPU time per example")
    print("| metric | CPU (ms) | share | real-time factor | reference | its CPU (ms) | reference / ours |")
    print("|---|---:|---:|---:|---|---:|---:|")
    names = {"sdr": "museval", "mr_mel_distance": "auraloss (float32)"}
    for name, seconds in ours.items():
        reference = (f"{names[name]} | {theirs[name] * 1e3:.1f} | {theirs[name] / seconds:.1f}x" if name in theirs
                     else " | | ")
        print(f"| {name} | {seconds * 1e3:.1f} | {seconds / total:.0%} | {SECONDS / seconds:.0f}x | {reference} |")
    print(f"| all | {total * 1e3:.1f} | 100% | {SECONDS / total:.0f}x | | | |")


if __name__ == "__main__":
    main()
