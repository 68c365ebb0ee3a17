"""The registry of metrics: every score of the harness, the board and ``bench check``, in one table.

A metric is computed for a restored batch and for the distorted input against the clean
signal: ``function(reference, estimate, sample_rate)`` returns one value per signal. A
*derived* metric is the gain of another over the input (``gain_of``). An *opt-in* metric
(``enable``: its flag) is computed only when asked for; a board shows it as n/a elsewhere. A
new metric is one function (a module here) and one entry in :data:`METRICS`; every consumer
loops over it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np


from .mel import mel_distance, mr_mel_distance
from .peaq import peaq_odg
from .rnonlin import rnonlin
from .visqol import require_installed as visqol_require_installed
from .visqol import visqol_moslqo
from .waveform import sdr, si_sdr


@dataclass(frozen=True)
class Metric:
    name: str
    header: str  # column header on the board, with its unit
    higher_is_better: bool
    tolerance: float  # how far a published number may move (bench check), in the metric's unit
    function: Callable[[np.ndarray, np.ndarray, int], np.ndarray] | None = None  # None: derived
    gain_of: str | None = None  # derived: this metric of the output minus that of the input
    enable: str | None = None  # opt-in: computed only when asked for by this flag (slow, or an extra package)
    require: Callable[[], None] | None = None  # raises, naming the extra to install, when its package is missing

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
    Metric("visqol", "ViSQOL MOS-LQO", True, 0.01, visqol_moslqo, enable="--visqol",
           require=visqol_require_installed),  # ~2 s per 10 s example
)
METRICS_BY_NAME = {metric.name: metric for metric in METRICS}
OPT_IN = tuple(metric.name for metric in METRICS if metric.enable)
SCORED = tuple(metric for metric in METRICS if metric.function is not None and not metric.enable)  # by default


def scored(opt_in: Iterable[str] = ()) -> tuple[Metric, ...]:
    """The metrics computed from audio: the default ones and the opt-in ones named, in board order."""
    unknown = set(opt_in) - set(OPT_IN)
    if unknown:
        raise ValueError(f"unknown opt-in metric(s) {sorted(unknown)}; known: {list(OPT_IN)}")
    return tuple(m for m in METRICS if m.function is not None and (not m.enable or m.name in opt_in))


def score(reference: np.ndarray, estimate: np.ndarray, sample_rate: int,
          seconds: dict[str, float] | None = None, opt_in: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Every default metric, and the opt-in ones named, for a batch (batch, samples): name -> one
    value per signal.

    ``seconds``, if given, gets each metric's compute time (s) added to its entry.
    """
    values = {}
    for m in scored(opt_in):
        start = time.perf_counter()
        values[m.name] = np.atleast_1d(m.function(reference, estimate, sample_rate))
        if seconds is not None:
            seconds[m.name] = seconds.get(m.name, 0.0) + time.perf_counter() - start
    return values
