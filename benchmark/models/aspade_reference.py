"""The survey's A-SPADE as its reference code runs it, frame by frame: slow and plain, the
reference the batched solver (``aspade.py``) is checked against (tests, ``benchmarks/bench_aspade.py``).

Written after ``aspade.m``, ``hard_thresholding.m``, ``proj_time.m`` and
``spade_segmentation.m`` of rajmic/declipping2020_codes (Záviška et al., IEEE JSTSP 2021).
"""
from __future__ import annotations

import math

import numpy as np

from ..effects import clipping_masks

SURVEY_SDRS = (1, 3, 5, 7, 10, 15, 20)  # input SDRs of the survey's evaluation protocol, dB


def hard_thresholding(a: np.ndarray, k: int) -> np.ndarray:
    """hard_thresholding.m: keep the k largest of the half spectrum (DC halved), mirror conjugates."""
    half = a[: len(a) // 2 + 1].copy()
    half[0] /= 2
    kept = half.copy()
    if k < len(half):
        kept[:] = 0
        largest = np.argsort(-np.abs(half), kind="stable")[:k]
        kept[largest] = half[largest]
    kept[0] *= 2
    return np.concatenate([kept, np.conj(kept[1:-1][::-1])])  # even length: DC and Nyquist unpaired


def aspade_frame(y, high, low, epsilon, s, r, max_iterations):
    """aspade.m on one windowed frame ``y`` (w,) with its clipping masks; the best iterate."""
    w = len(y)
    reliable = ~(high | low)

    def analysis(x):  # A: unitary DFT of the frame zero-padded to 2w
        return np.fft.fft(np.concatenate([x, np.zeros(w)]), norm="ortho")

    def projection(x):  # proj_time.m
        x = x.copy()
        x[reliable] = y[reliable]
        x[high] = np.maximum(x[high], y[high])
        x[low] = np.minimum(x[low], y[low])
        return x

    x_hat = y.copy()
    z = analysis(x_hat)
    u = np.zeros_like(z)
    k, count, best_objective, best = s, 1, np.inf, x_hat
    while count <= max_iterations:
        z_bar = hard_thresholding(z + u, k)
        objective = np.linalg.norm(z - z_bar)
        if objective <= best_objective:
            best, best_objective = x_hat, objective
        if objective <= epsilon:
            break
        x_hat = projection(np.fft.ifft(z_bar - u, norm="ortho")[:w].real)
        z = analysis(x_hat)
        u = u + z - z_bar
        count += 1
        if count % r == 0:
            k += s
    return best


def reference_aspade(y, high, low, window, epsilon=0.1, s=1, r=2):
    """spade_segmentation.m on one signal ``y`` (samples,) with its clipping masks."""
    length, hop = len(y), window // 4
    padded_length = math.ceil(length / hop) * hop + (math.ceil(window / hop) - 1) * hop
    pad = padded_length - length
    y = np.concatenate([y, np.zeros(pad)])
    high, low = (np.concatenate([m, np.zeros(pad, bool)]) for m in (high, low))
    analysis = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)
    analysis /= analysis.max()
    synthesis = analysis / sum(np.roll(analysis, m * hop) ** 2 for m in range(window // hop))
    max_iterations = math.ceil(math.floor(window * 2 / 2 + 1) * r / s)
    out = np.zeros(padded_length)
    for n in range(padded_length // hop):
        index = (n * hop + np.arange(-window // 2, window // 2)) % padded_length
        frame = aspade_frame(y[index] * analysis, high[index], low[index], epsilon, s, r, max_iterations)
        out[index] += frame * synthesis
    return out[:length]


def reference_declip(clipped: np.ndarray, window: int, reference_level: float = 1.0) -> np.ndarray:
    """The reference on one clipped signal, its clipping found and scaled as ``aspade`` does."""
    scale = reference_level / np.abs(clipped).max()
    high, low = clipping_masks(clipped)
    return reference_aspade(clipped * scale, high, low, window) / scale
