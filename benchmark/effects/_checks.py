"""Argument checks shared by the effect functions."""
from __future__ import annotations

import numpy as np


def as_mono(x: np.ndarray, name: str = "x") -> np.ndarray:
    """``x`` as a finite mono float64 array; ValueError naming the first bad sample otherwise."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a mono 1-D array, got shape {x.shape}")
    if not np.isfinite(x).all():
        bad = np.flatnonzero(~np.isfinite(x))
        raise ValueError(f"{name} holds {bad.size} non-finite samples (NaN or inf), the first at sample {bad[0]}")
    return x


def check_range(name: str, value: float, low: float, high: float) -> float:
    """``value`` as a float, or ValueError when it is outside [low, high]."""
    value = float(value)
    if not (low <= value <= high):
        raise ValueError(f"{name}={value} is outside [{low}, {high}]")
    return value
