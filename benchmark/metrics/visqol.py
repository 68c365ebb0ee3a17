"""ViSQOL v3 in audio mode (MOS-LQO, 1 to 5, higher is better), through the optional
`visqol-python` package (``pip install -e ".[visqol]"``; Apache-2.0, pure Python, ships the
audio mode's SVR model, runs offline).

Audio mode works at 48 kHz: our 16 kHz audio is resampled to 48 kHz with
``scipy.signal.resample_poly`` (up 3, down 1) before scoring. The upsampled signals hold
nothing above 8 kHz, so ViSQOL's upper gammatone bands compare silence with silence; scores
rank methods within this benchmark, they are not comparable with ViSQOL scores of full-band
48 kHz material. ``tests/visqol_conformance.py`` runs Google's conformance pairs (the C++
ViSQOL's ``conformance.h``, version 333) through this function.
"""
from __future__ import annotations

import functools
import importlib.util
from math import gcd

import numpy as np
from scipy.signal import resample_poly

from ..errors import BenchmarkError
from ._batch import as_batch, unbatch

VISQOL_RATE = 48000  # audio mode's sample rate (Hz)


class VisqolUnavailable(BenchmarkError, ImportError):
    """The optional `visqol-python` package is not installed."""


def visqol_installed() -> bool:
    """Whether the optional `visqol-python` package can be imported (without importing it)."""
    return importlib.util.find_spec("visqol") is not None


_MISSING = "ViSQOL needs the optional package visqol-python: pip install -e \".[visqol]\" (or pip install visqol-python)"


def require_installed() -> None:
    """Raise :class:`VisqolUnavailable`, naming the extra to install, if `visqol-python` is missing."""
    if not visqol_installed():
        raise VisqolUnavailable(_MISSING)


@functools.cache
def _audio_mode():
    try:
        from visqol import VisqolApi
    except ImportError as exc:
        raise VisqolUnavailable(_MISSING) from exc
    api = VisqolApi()
    api.create(mode="audio")  # the bundled SVR model
    return api


def visqol_moslqo(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray | float:
    """ViSQOL audio-mode MOS-LQO of each signal (1 to 5); NaN where either signal is silent
    (all zeros: visqol-python's level matching would divide by zero).

    ``reference`` and ``estimate``: ``(..., samples)`` at ``sample_rate`` Hz, resampled to
    48 kHz with ``scipy.signal.resample_poly`` when the rate differs.
    """
    reference, estimate, lead = as_batch(reference, estimate)
    if sample_rate != VISQOL_RATE:
        g = gcd(VISQOL_RATE, sample_rate)
        reference = resample_poly(reference, VISQOL_RATE // g, sample_rate // g, axis=-1)
        estimate = resample_poly(estimate, VISQOL_RATE // g, sample_rate // g, axis=-1)
    api = _audio_mode()
    values = np.array([api.measure_from_arrays(r, e, VISQOL_RATE).moslqo if np.any(r) and np.any(e) else np.nan
                       for r, e in zip(reference, estimate)], dtype=np.float64)
    return unbatch(values, lead)
