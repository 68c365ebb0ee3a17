"""Hard and soft clipping, and clipping to a target SDR: mono float64 arrays in, same length out."""
from __future__ import annotations

import math

import numpy as np
import scipy.optimize

from ._checks import as_mono, check_range
from .decibels import db_to_amplitude, db_to_power, power_to_db
from .ordered_sum import ordered_sum

def hard_clip(x: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale-preserving hard clipping: ``clip(x, -t, t)`` with ``t = 10**(-gain_db/20)``.

    Equals ``clip(g*x, -1, 1)/g`` for ``g = 10**(gain_db/20)``; with ``x`` peak-normalised
    to 0.5 this is the paper's clipping, kept at the scale of the clean signal.
    gain_db: 0 to 100 dB.
    """
    x = as_mono(x)
    gain_db = check_range("gain_db", gain_db, 0.0, 100.0)
    threshold = db_to_amplitude(-gain_db)
    return np.clip(x, -threshold, threshold)


def soft_clip(x: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale-preserving tanh soft clipping: ``tanh(g*x)/g`` with ``g = 10**(gain_db/20)``."""
    x = as_mono(x)
    gain_db = check_range("gain_db", gain_db, 0.0, 100.0)
    gain = db_to_amplitude(gain_db)
    return np.tanh(gain * x) / gain


def plain_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Plain SDR in dB over the whole signal: 10*log10(sum(s^2) / sum((s_hat - s)^2)).

    The sums are :func:`ordered_sum`'s and the logarithm :func:`decibels.power_to_db`'s, so the
    value is the same bits on any machine.
    """
    reference = np.asarray(reference, dtype=np.float64)
    error = ordered_sum((np.asarray(estimate, dtype=np.float64) - reference) ** 2)
    if error == 0:
        return math.inf
    return power_to_db(ordered_sum(reference**2) / error)


def clip_to_sdr(x: np.ndarray, sdr_db: float, tolerance_db: float = 0.01) -> tuple[np.ndarray, float]:
    """Symmetric hard clipping whose plain SDR against ``x`` equals ``sdr_db`` (dB).

    As the declipping survey (Zaviska et al. 2021) does it: the threshold is found by
    root-finding in (0, 0.99*max|x|], on sums of :func:`ordered_sum` (the threshold is the
    same bits on any machine). Returns ``(clipped, threshold)``; the SDR reached is
    within ``tolerance_db`` of the target. Raises ValueError when no threshold reaches it.
    """
    x = as_mono(x)
    sdr_db = float(sdr_db)
    if not sdr_db > 0:
        raise ValueError(f"sdr_db={sdr_db} must be > 0 dB (clipping at threshold 0 gives 0 dB)")
    magnitude = np.sort(np.abs(x))[::-1]
    energy = ordered_sum(magnitude**2)
    if energy == 0:
        raise ValueError("cannot clip an all-zero signal to a target SDR")
    target_error = energy / db_to_power(sdr_db)
    clipped_part = magnitude[: np.searchsorted(-magnitude, 0.0)]  # the non-zero magnitudes

    def excess(threshold: float) -> float:
        above = clipped_part[: np.searchsorted(-clipped_part, -threshold)]
        return ordered_sum((above - threshold) ** 2) - target_error

    upper = 0.99 * float(magnitude[0])
    if excess(upper) > 0:
        reachable = power_to_db(energy / (excess(upper) + target_error))
        raise ValueError(
            f"sdr_db={sdr_db} is above the SDR of clipping at 0.99*peak ({reachable:.2f} dB) for this signal"
        )
    threshold = scipy.optimize.brentq(excess, 0.0, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    clipped = np.clip(x, -threshold, threshold)
    reached = plain_sdr(x, clipped)
    if abs(reached - sdr_db) > tolerance_db:
        raise ValueError(f"clip_to_sdr reached {reached:.4f} dB for a target of {sdr_db} dB")
    return clipped, float(threshold)


# Relative tolerance of the clipping level: hard-clipped samples sit exactly at it, so it only
# absorbs float rounding (shared by clipped_mask, A-SPADE and benchmark.models.consistency).
CLIP_TOLERANCE = 1e-6


def clipped_mask(y, threshold: float | None = None, tolerance: float = CLIP_TOLERANCE):
    """Boolean mask of the clipped samples of symmetrically hard-clipped signals ``y`` (..., samples).

    A sample counts as clipped when ``|y| >= level * (1 - tolerance)``: ``level`` is
    ``threshold`` when given, else each signal's own ``max|y|`` along the last axis (the
    clipped samples sit there); a level of 0 clips nothing. ``y`` is a numpy array (computed
    in float64) or a torch tensor (in its own dtype, for ``benchmark.models.consistency``).
    """
    is_tensor = type(y).__module__.startswith("torch")
    magnitude = y.abs() if is_tensor else np.abs(np.asarray(y, dtype=np.float64))
    if threshold is not None:
        level = threshold
    elif is_tensor:
        level = magnitude.amax(dim=-1, keepdim=True)
    else:
        level = magnitude.max(axis=-1, keepdims=True, initial=0.0)
    return (magnitude >= level * (1.0 - tolerance)) & (level > 0)


def clipping_masks(y, threshold: float | None = None, tolerance: float = CLIP_TOLERANCE):
    """Masks ``(high, low)`` of the samples clipped at the top and at the bottom, per signal.

    ``y``: (..., samples), a numpy array (computed in float64) or a torch tensor (in its own
    dtype). Without ``threshold``, each polarity of each signal has its own level: a sample is
    clipped high when ``y >= max(y) * (1 - tolerance)`` (if ``max(y) > 0``) and clipped low when
    ``y <= min(y) * (1 - tolerance)`` (if ``min(y) < 0``). Per polarity, because a 16-bit file
    rarely clips at exactly opposite values: scaled and rounded plateaus sit 1 to 11 steps apart
    in the paper's 28 clipped demo inputs (+5618/-5619, +2880/-2884; +32767/-32768 at full scale),
    far more than the tolerance. With ``threshold`` (same units as ``y``), ``y >= threshold*(1 - tolerance)`` and
    ``y <= -threshold*(1 - tolerance)``.
    """
    if type(y).__module__.startswith("torch"):
        return clipped_mask(y.clamp(min=0), threshold, tolerance), clipped_mask(y.clamp(max=0), threshold, tolerance)
    y = np.asarray(y, dtype=np.float64)
    return clipped_mask(np.maximum(y, 0.0), threshold, tolerance), clipped_mask(np.minimum(y, 0.0), threshold, tolerance)
