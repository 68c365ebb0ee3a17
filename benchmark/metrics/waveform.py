"""Waveform metrics: SDR as museval reports it (BSSEval v4, 1 s windows) and scale-invariant SDR, in dB."""
from __future__ import annotations

import warnings

import numpy as np

from ._batch import as_batch, unbatch


def _db(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """10·log10(num/den) in dB, with x/0 = +inf and 0/0 = NaN, silently."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 10.0 * np.log10(num / den)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Inner products along the last axis."""
    return np.einsum("...i,...i->...", a, b)


def sdr_frames(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per-window SDR in dB, exactly as ``museval.evaluate(win=sample_rate, hop=sample_rate)``.

    For a single source, BSSEval v4's SDR is the plain SNR of each window:
    ``10·log10(Σ s² / Σ (ŝ - s)²)`` (the 512-tap projection filters only split the
    error into ISR/SIR/SAR). Windows are ``sample_rate`` samples (1 s) with hop
    ``sample_rate``; the trailing partial window is dropped, and a signal shorter than
    one window is a single window. A window in which reference or estimate is all
    zeros is NaN; an exact estimate gives +inf.

    Returns shape ``(..., n_windows)`` with ``n_windows = max(1, samples // sample_rate)``.
    """
    window = int(sample_rate)
    if window != sample_rate or window < 1:
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate!r}")
    ref, est, lead = as_batch(reference, estimate)
    length = min(window, ref.shape[-1])
    n_windows = ref.shape[-1] // length
    ref = ref[:, : n_windows * length].reshape(len(ref), n_windows, length)
    est = est[:, : n_windows * length].reshape(len(est), n_windows, length)
    error = est - ref
    values = _db(_dot(ref, ref), _dot(error, error))
    values[~ref.any(-1) | ~est.any(-1)] = np.nan
    return values.reshape(lead + (n_windows,))


def sdr(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray | float:
    """SDR in dB as museval reports it: the NaN-median over 1 s windows of :func:`sdr_frames`.

    Equals ``np.nanmedian(museval.evaluate(ref, est, win=sample_rate, hop=sample_rate)[0])``
    up to float64 summation order: about 1e-13 dB for SDRs below 150 dB.
    Unlike museval, which raises on an all-zero reference or estimate, such a signal
    (all windows NaN) scores NaN here, so one silent clip does not abort a batch.
    """
    frames = sdr_frames(reference, estimate, sample_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices -> NaN
        return np.nanmedian(frames, axis=-1)[()]


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> np.ndarray | float:
    """Scale-invariant SDR in dB (Le Roux et al., ICASSP 2019), means removed first.

    With zero-mean s, ŝ: ``α = <ŝ, s>/<s, s>``, ``SI-SDR = 10·log10(|αs|² / |ŝ - αs|²)``.
    NaN if the zero-mean reference or estimate is all zeros (silent or constant);
    +inf if the residual is exactly zero. No cap: a scaled copy of the reference
    scores +inf or a float64-roundoff-limited value of about 250-320 dB.
    """
    ref, est, lead = as_batch(reference, estimate)
    ref = ref - ref.mean(-1, keepdims=True)
    est = est - est.mean(-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = _dot(est, ref) / _dot(ref, ref)
    target = alpha[:, None] * ref
    noise = est - target
    return unbatch(_db(_dot(target, target), _dot(noise, noise)), lead)
