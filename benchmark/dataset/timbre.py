"""Timbre within reach of a recording: a clean clip through a random three-band equaliser, back to its peak.

The sampled guitars are three of FluidR3's recordings; a real guitar, pickup and DI chain colour
the spectrum otherwise. :func:`equalised` draws a low shelf, a peak and a high shelf (RBJ
"Audio EQ Cookbook" biquads; scipy designs no shelving filters) with gains in [-depth_db,
depth_db] dB and filters the clip with them (``scipy.signal.sosfilt``); ``bench train
--timbre-db`` does this to training crops (:mod:`benchmark.models.augment`).
"""
from __future__ import annotations

import numpy as np
from scipy import signal

from .dynamics import at_peak

LOW_SHELF_HZ = (80.0, 400.0)  # corner frequency of the low shelf, drawn log-uniformly (Hz)
PEAK_HZ = (200.0, 5000.0)  # centre of the peak (Hz)
PEAK_Q = (0.5, 3.0)  # its quality factor
HIGH_SHELF_HZ = (1500.0, 6000.0)  # corner of the high shelf (Hz)
MAX_CORNER = 0.45  # highest corner or centre frequency, as a fraction of the sample rate


def _normalised(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.concatenate([b / a[0], a / a[0]])


def peak_section(frequency_hz: float, q: float, gain_db: float, sample_rate: int) -> np.ndarray:
    """One second-order section (b0, b1, b2, 1, a1, a2): ``gain_db`` at ``frequency_hz``, 0 dB far from it."""
    amplitude, w0 = 10.0 ** (gain_db / 40.0), 2.0 * np.pi * frequency_hz / sample_rate
    alpha, cos = np.sin(w0) / (2.0 * q), np.cos(w0)
    return _normalised(np.array([1.0 + alpha * amplitude, -2.0 * cos, 1.0 - alpha * amplitude]),
                       np.array([1.0 + alpha / amplitude, -2.0 * cos, 1.0 - alpha / amplitude]))


def shelf_section(frequency_hz: float, gain_db: float, sample_rate: int, high: bool) -> np.ndarray:
    """A shelf of slope 1: ``gain_db`` below ``frequency_hz`` (low shelf) or above it (``high``), 0 dB on the other side."""
    amplitude, w0 = 10.0 ** (gain_db / 40.0), 2.0 * np.pi * frequency_hz / sample_rate
    sign = -1.0 if high else 1.0  # the cookbook's high shelf is its low shelf with these signs flipped
    cos, root_alpha = np.cos(w0), 2.0 * np.sqrt(amplitude) * np.sin(w0) / np.sqrt(2.0)
    up, down = amplitude + 1.0, amplitude - 1.0
    b = amplitude * np.array([up - sign * down * cos + root_alpha, 2.0 * sign * (down - sign * up * cos),
                              up - sign * down * cos - root_alpha])
    a = np.array([up + sign * down * cos + root_alpha, -2.0 * sign * (down + sign * up * cos),
                  up + sign * down * cos - root_alpha])
    return _normalised(b, a)


def _log_uniform(rng: np.random.Generator, span: tuple[float, float], top: float = np.inf) -> float:
    low, high = np.log(span[0]), np.log(min(span[1], top))
    return float(np.exp(rng.uniform(low, high)))


def random_equaliser(rng: np.random.Generator, sample_rate: int, depth_db: float) -> np.ndarray:
    """Second-order sections (3, 6) of a low shelf, a peak and a high shelf, gains in [-depth_db, depth_db] dB."""
    top = MAX_CORNER * sample_rate
    gains = rng.uniform(-depth_db, depth_db, 3)
    return np.stack([shelf_section(_log_uniform(rng, LOW_SHELF_HZ, top), gains[0], sample_rate, high=False),
                     peak_section(_log_uniform(rng, PEAK_HZ, top), _log_uniform(rng, PEAK_Q), gains[1],
                                  sample_rate),
                     shelf_section(_log_uniform(rng, HIGH_SHELF_HZ, top), gains[2], sample_rate, high=True)])


def equalised(clean: np.ndarray, rng: np.random.Generator, sample_rate: int, depth_db: float) -> np.ndarray:
    """``clean`` through an equaliser of depth ``depth_db`` dB drawn from ``rng``, at its own peak, float32."""
    filtered = signal.sosfilt(random_equaliser(rng, sample_rate, depth_db), clean.astype(np.float64))
    return at_peak(filtered, float(np.max(np.abs(clean))))
