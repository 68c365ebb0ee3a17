"""Batch handling shared by the metrics: any leading shape in, one value per signal out."""
from __future__ import annotations

import numpy as np


def as_batch(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
    """float64 (batch, samples) views of both signals, plus the leading shape."""
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if reference.shape != estimate.shape:
        raise ValueError(f"shapes differ: reference {reference.shape}, estimate {estimate.shape}")
    if reference.ndim == 0 or reference.shape[-1] == 0:
        raise ValueError(f"need at least one sample along the last axis, got shape {reference.shape}")
    n = reference.shape[-1]
    return reference.reshape(-1, n), estimate.reshape(-1, n), reference.shape[:-1]


def unbatch(values: np.ndarray, lead: tuple) -> np.ndarray | float:
    """Reshape per-signal values to the leading shape; a 0-d result becomes a scalar."""
    return values.reshape(lead + values.shape[1:])[()]
