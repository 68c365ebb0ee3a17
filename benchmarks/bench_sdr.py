"""Speed of benchmark.metrics: our SDR against museval.evaluate, then the other metrics.

Run by hand (needs museval and ffmpeg on PATH): ``python benchmarks/bench_sdr.py``.
Prints timings (best of several runs for ours, one run for museval) and the largest
difference from museval; asserts nothing.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import museval
import numpy as np
import scipy.signal

from benchmark import metrics


def _best_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: FFT plans, filterbank cache, page faults
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _pairs(sample_rate: int, seconds: float, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(reference, estimate) pairs: additive noise, hard clipping, low-pass with a silent gap."""
    n = int(seconds * sample_rate)
    envelope = np.repeat(rng.uniform(0.05, 1.0, n // sample_rate + 1), sample_rate)[:n]
    s = 0.3 * envelope * scipy.signal.lfilter([1.0], [1.0, -0.9], rng.standard_normal(n)) / 2.3
    lowpassed = scipy.signal.lfilter(*scipy.signal.butter(4, 4000 / (sample_rate / 2)), s)
    lowpassed[5 * sample_rate : 8 * sample_rate] = 0.0
    return {
        "noise": (s, s + 0.02 * rng.standard_normal(n)),
        "clipped": (s, np.clip(s, -0.1, 0.1)),
        "lowpass+gap": (s, lowpassed),
    }


def compare_with_museval(seconds: float = 60.0) -> None:
    rng = np.random.default_rng(0)
    print(f"SDR on {seconds:g} s mono signals: museval.evaluate(win=hop=sample_rate) vs metrics.sdr")
    for sample_rate in (44100, 16000):
        for name, (reference, estimate) in _pairs(sample_rate, seconds, rng).items():
            start = time.perf_counter()
            frames = museval.evaluate(reference[None, :, None], estimate[None, :, None], win=sample_rate, hop=sample_rate)[0][0]
            t_museval = time.perf_counter() - start
            t_ours = _best_seconds(lambda: metrics.sdr(reference, estimate, sample_rate), repeats=20)
            ours = metrics.sdr_frames(reference, estimate, sample_rate)
            finite = np.isfinite(frames)  # NaN: silent window; inf: window copied exactly
            specials_agree = np.array_equal(ours[~finite], frames[~finite], equal_nan=True)
            frame_diff = np.max(np.abs(ours[finite] - frames[finite]), initial=0.0)
            median_diff = abs(metrics.sdr(reference, estimate, sample_rate) - np.nanmedian(frames))
            print(
                f"  {sample_rate:5d} Hz {name:12s} SDR {np.nanmedian(frames):7.3f} dB | museval {t_museval:6.3f} s"
                f" | ours {t_ours * 1e3:6.2f} ms | {t_museval / t_ours:7.0f}x"
                f" | max |diff| median {median_diff:.1e} dB, frames {frame_diff:.1e} dB"
                f" | NaN/inf windows {np.isnan(frames).sum()}/{np.isinf(frames).sum()}"
                f"{'' if specials_agree else ' (MISMATCH)'}"
            )


def time_batch_metrics(batch: int = 8, seconds: float = 10.0, sample_rate: int = 16000) -> None:
    rng = np.random.default_rng(1)
    reference = rng.standard_normal((batch, int(seconds * sample_rate))) * 0.1
    estimate = np.clip(reference, -0.1, 0.1) + 0.001 * rng.standard_normal(reference.shape)
    print(f"Batch of {batch} x {seconds:g} s at {sample_rate} Hz (best of 5)")
    for name, fn in (
        ("sdr", lambda: metrics.sdr(reference, estimate, sample_rate)),
        ("si_sdr", lambda: metrics.si_sdr(reference, estimate)),
        ("mel_distance", lambda: metrics.mel_distance(reference, estimate, sample_rate)),
        ("mr_mel_distance", lambda: metrics.mr_mel_distance(reference, estimate, sample_rate)),
    ):
        seconds_taken = _best_seconds(fn, repeats=5)
        print(f"  {name:16s} {seconds_taken * 1e3:8.1f} ms  ({batch * seconds / seconds_taken:7.0f}x real time)")


if __name__ == "__main__":
    compare_with_museval()
    time_batch_metrics()
