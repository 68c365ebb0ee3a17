"""Dynamics within a clip: a clean clip under a smooth random gain curve, brought back to its peak.

Generated clips are peak-normalised as a whole and one level (gain in dB, or input SDR) drives
all of each, so every part of a clip is driven about equally hard; in a real recording notes ring
out and players play soft and loud, and the same effect drives the quiet passages less. A recipe
with ``dynamics_db = D`` shapes every clean clip by :func:`gain_curve` (depth ``D`` dB) before its
effect; ``bench train --dynamics-db`` does the same to training crops
(:mod:`benchmark.models.dynamics`).
"""
from __future__ import annotations

import numpy as np

BREAKPOINTS = 4  # points of the gain curve, evenly spaced over the signal (first and last at its ends)


def gain_curve(rng: np.random.Generator, samples: int, depth_db: float) -> np.ndarray:
    """A gain (samples,), linear in dB between BREAKPOINTS points drawn in [-depth_db, 0] dB."""
    points_db = rng.uniform(-depth_db, 0.0, BREAKPOINTS)
    curve_db = np.interp(np.arange(samples), np.linspace(0, samples - 1, BREAKPOINTS), points_db)
    return 10.0 ** (curve_db / 20.0)


def at_peak(signal: np.ndarray, peak: float) -> np.ndarray:
    """``signal`` scaled to the given peak (linear), float32: a clean clip as the generators store
    it (a silent signal stays silent)."""
    signal_peak = np.max(np.abs(signal))
    return (signal * (peak / signal_peak if signal_peak > 0 else 0.0)).astype(np.float32)


def shaped(clean: np.ndarray, rng: np.random.Generator, depth_db: float) -> np.ndarray:
    """``clean`` (float) under a gain curve of depth ``depth_db`` dB drawn from ``rng``, at its own peak, float32."""
    return at_peak(clean.astype(np.float64) * gain_curve(rng, clean.size, depth_db), float(np.max(np.abs(clean))))
