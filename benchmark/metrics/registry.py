"""The registry of metrics: every score of the harness, the board and ``bench check``, in one table.

A metric is computed for a restored batch and for the distorted input against the clean
signal: ``function(reference, estimate, sample_rate)`` returns one value per signal. A
*derived* metric is the gain of another over the input (``gain_of``). A new metric is one
function (a module here) and one entry in :data:`METRICS`; every consumer loops over it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np


from .mel import mel_distance, mr_mel_distance
from .peaq import peaq_odg
from .rnonlin import rnonlin
from .waveform import sdr, si_sdr


@dataclass(frozen=True)
class Metric:
    name: str
    header: str  # column header on the board, with its unit
    higher_is_better: bool
    tolerance: float  # how far a published number may move (bench check), in the metric's unit
    function: Callable[[np.ndarray, np.ndarray, int], np.ndarray] | None = None  # None: derived
    gain_of: str | None = None  # derived: this metric of the output minus that of the input

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓"


def _si_sdr(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray:
    return si_sdr(reference, estimate)


# In board order: the ranking table's columns, left to right.
METRICS = (
    Metric("sdr", "SDR (dB)", True, 0.01, sdr),
    Metric("si_sdr", "SI-SDR (dB)", True, 0.01, _si_sdr),
    Metric("delta_si_sdr", "ΔSI-SDR (dB)", True, 0.01, gain_of="si_sdr"),
    Metric("mel_distance", "mel dist. (dB)", False, 0.01, mel_distance),
    Metric("mr_mel_distance", "MR mel dist.", False, 0.001, mr_mel_distance),
    Metric("peaq_odg", "PEAQ ODG", True, 0.01, peaq_odg),
    Metric("rnonlin", "R_nonlin", True, 0.001, rnonlin),
)
METRICS_BY_NAME = {metric.name: metric for metric in METRICS}
SCORED = tuple(metric for metric in METRICS if metric.function is not None)  # computed from audio


def score(reference: np.ndarray, estimate: np.ndarray, sample_rate: int,
          seconds: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Every scored metric for a batch (batch, samples): name -> one value per signal.

    ``seconds``, if given, gets each metric's compute time (s) added to its entry.
    """
    values = {}
    for m in SCORED:
        start = time.perf_counter()
        values[m.name] = np.atleast_1d(m.function(reference, estimate, sample_rate))
        if seconds is not None:
            seconds[m.name] = seconds.get(m.name, 0.0) + time.perf_counter() - start
    return values
