"""Signal primitives of the synthesizer: level conversions, filters, noise, and modal partials summed in blocks.

A note's partials are summed in blocks, using ``exp(s (b L + j)) = exp(s b L) exp(s j)``, so a
note costs one (blocks x partials) @ (partials x L) product, taken in float32 by ``np.einsum``,
which never calls BLAS: the bytes do not depend on the number of threads.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.fft


OUTPUT_PEAK = 0.5  # peak of every returned clip (the caller re-normalises anyway)


def n_samples(seconds: float, sample_rate: int) -> int:
    if seconds < 0 or sample_rate <= 0:
        raise ValueError(f"need seconds >= 0 and sample_rate > 0, got {seconds} s at {sample_rate} Hz")
    return int(round(seconds * sample_rate))


def db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def pick_one(rng: np.random.Generator, options: tuple) -> Any:
    """One element of ``options``, uniformly (keeps Python types, unlike ``rng.choice``)."""
    return options[int(rng.integers(len(options)))]


def normalise_peak(x: np.ndarray, peak: float = OUTPUT_PEAK) -> np.ndarray:
    largest = np.max(np.abs(x), initial=0.0)
    return x * (peak / largest) if largest > 0 else x


def normalise_rms(x: np.ndarray) -> np.ndarray:
    rms = math.sqrt(np.mean(x * x)) if len(x) else 0.0
    return x / rms if rms > 0 else x


def fade_edges(x: np.ndarray, sample_rate: int, fade_s: float = 0.002) -> np.ndarray:
    """``x`` with raised-cosine fade-in and fade-out of ``fade_s`` seconds (no boundary clicks)."""
    n_fade = min(int(fade_s * sample_rate), len(x) // 2)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n_fade) + 0.5) / n_fade)
    x = x.copy()
    x[:n_fade] *= ramp
    x[len(x) - n_fade:] *= ramp[::-1]
    return x


def add_at(out: np.ndarray, signal: np.ndarray, start: int) -> None:
    """``out[start:start+len(signal)] += signal``, dropping what falls outside ``out``."""
    skip = max(0, -start)
    stop = min(len(out), start + len(signal))
    if stop > start + skip:
        out[start + skip:stop] += signal[skip:stop - start]


def biquad(kind: str, freq_hz: float, sample_rate: int, q: float = math.sqrt(0.5),
            gain_db: float = 0.0) -> np.ndarray:
    """RBJ-cookbook "lowpass", "highpass" or "peaking" filter as one second-order section.

    freq_hz (clamped below 0.45 sample_rate): corner or centre; the default q is Butterworth.
    """
    w0 = 2.0 * math.pi * min(freq_hz, 0.45 * sample_rate) / sample_rate
    cos_w0, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    a = 10.0 ** (gain_db / 40.0)  # 1 unless peaking
    den = [1.0 + alpha / a, -2.0 * cos_w0, 1.0 - alpha / a]
    b = {
        "lowpass": [(1.0 - cos_w0) / 2.0, 1.0 - cos_w0, (1.0 - cos_w0) / 2.0],
        "highpass": [(1.0 + cos_w0) / 2.0, -(1.0 + cos_w0), (1.0 + cos_w0) / 2.0],
        "peaking": [1.0 + alpha * a, -2.0 * cos_w0, 1.0 - alpha * a],
    }[kind]
    return np.array([b + den]) / den[0]


def pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Gaussian noise with a 1/f power spectrum (-3 dB per octave)."""
    n_fft = scipy.fft.next_fast_len(n, real=True)
    spectrum = np.fft.rfft(rng.standard_normal(n_fft))
    spectrum[0] = 0.0
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
    return np.fft.irfft(spectrum, n_fft)[:n]


def _exp_table(steps: np.ndarray, count: int) -> np.ndarray:
    """``exp(steps[:, None] * arange(count))``, built as ``exp(s a m) * exp(s b)`` for
    ``j = a m + b``: about ``2 sqrt(count)`` complex exponentials per row instead of ``count``."""
    m = math.isqrt(max(count - 1, 0)) + 1
    fine = np.exp(np.outer(steps, np.arange(m)))
    coarse = np.exp(np.outer(steps, np.arange(0, count, m)))
    return (coarse[:, :, None] * fine[:, None, :]).reshape(len(steps), -1)[:, :count]


def render_partials(freqs_hz: np.ndarray, amps: np.ndarray, decays_per_s: np.ndarray,
                     n: int, sample_rate: int) -> np.ndarray:
    """``sum_k amps[k] exp(-decays[k] t) sin(2 pi freqs[k] t)`` at ``t = arange(n)/sample_rate``.

    Sample ``b*L + j`` of partial k is ``exp(s_k b L) * exp(s_k j)``, so the sum is a
    (blocks x 2K) @ (2K x L) real product. It runs in einsum, which (without ``optimize``)
    never calls BLAS, in float32, whose rounding (~1e-7) is far below 16-bit quantisation.
    """
    if n == 0 or len(freqs_hz) == 0:
        return np.zeros(n)
    block = math.isqrt(n - 1) + 1  # ~sqrt(n) keeps both tables small
    steps = (-decays_per_s + 2j * math.pi * freqs_hz) / sample_rate  # complex log-step per sample
    within = _exp_table(steps, block)  # (K, block)
    starts = _exp_table(steps * block, -(-n // block)).T * amps  # (blocks, K)
    # imag(starts @ within) with real arithmetic only
    lhs = np.concatenate([starts.real, starts.imag], axis=1, dtype=np.float32)
    rhs = np.concatenate([within.imag, within.real], axis=0, dtype=np.float32)
    return np.einsum("bk,kj->bj", lhs, rhs).ravel()[:n].astype(np.float64)


def vibrato(x: np.ndarray, n: int, sample_rate: int, depth_cents: float, rate_hz: float) -> np.ndarray:
    """``n`` samples of ``x`` read at a speed that raises the pitch by up to ``depth_cents``.

    The vibrato fades in after 150 ms, like a player's; ``x`` needs ``n * 2**(depth/1200)`` samples.
    """
    t = np.arange(n) / sample_rate
    depth = depth_cents * np.clip((t - 0.15) / 0.2, 0.0, 1.0)
    speed = 2.0 ** (depth * (0.5 - 0.5 * np.cos(2.0 * np.pi * rate_hz * t)) / 1200.0)
    read_at = np.cumsum(speed) - speed[0]
    return np.interp(read_at, np.arange(len(x)), x)
