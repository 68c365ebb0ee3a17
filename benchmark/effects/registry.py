"""The registry of effects: every effect a recipe may name, in one table.

An entry says which function runs, which parameter is its *level* (the one a task varies),
the other parameters a recipe may fix or draw with their ranges, and, for hard clipping
(every sample below the clipping level is kept as it was), how the clipping level follows
from the parameters, and whether it is odd (``E(-x) = -E(x)``; ``Effect.is_odd``). A new effect
is one entry here. ``LEVELS`` gives each level
parameter its valid range and its axis label.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from . import pedals
from .clipping import clip_to_sdr, hard_clip, soft_clip
from .decibels import db_to_amplitude
from .overdrive import sox_overdrive


@dataclass(frozen=True)
class Level:
    """A level parameter: valid values ``low (<=|<) value <= high``, and its axis label."""

    low: float
    high: float
    low_inclusive: bool
    label: str

    def contains(self, value: float) -> bool:
        return (self.low <= value if self.low_inclusive else self.low < value) and value <= self.high

    def bounds(self) -> str:
        """The interval as text, e.g. '[0.0, 100.0]' or '(0.0, inf]'."""
        return f"{'[' if self.low_inclusive else '('}{self.low}, {self.high}]"


LEVELS = {
    "gain_db": Level(0.0, 100.0, True, "gain (dB)"),
    "sdr_db": Level(0.0, math.inf, False, "input SDR (dB)"),
    "drive_db": Level(0.0, 100.0, True, "drive (dB)"),
    "threshold_db": Level(-100.0, 0.0, True, "threshold (dB)"),
    "bit_depth": Level(1.0, 32.0, True, "bit depth"),
}


@dataclass(frozen=True)
class Effect:
    """One effect. ``run(x, sample_rate, **params)`` returns ``(distorted, clipping level or None)``."""

    name: str
    run: Callable[..., tuple[np.ndarray, float | None]]
    level: str
    params: dict[str, tuple[float, float]] = field(default_factory=dict)
    hard_clipping: bool = False  # samples below the clipping level are the clean ones, scale kept
    sox_binary: Callable[..., np.ndarray] | None = None  # the same effect run by the `sox` binary
    odd: bool = False  # E(-x) = -E(x) for every level, when each parameter in odd_if_zero is 0
    odd_if_zero: tuple[str, ...] = ()

    def is_odd(self, fixed: Mapping[str, float]) -> bool:
        """Whether the effect is odd with these fixed parameters (a parameter of ``odd_if_zero`` not
        fixed to 0, e.g. drawn per clip or left at its default, makes it not odd)."""
        return self.odd and all(fixed.get(name) == 0 for name in self.odd_if_zero)


def _sox_overdrive(x: np.ndarray, sample_rate: int, **params) -> tuple[np.ndarray, None]:
    return sox_overdrive(x, **params), None


def _hard_clip(x: np.ndarray, sample_rate: int, gain_db: float) -> tuple[np.ndarray, float]:
    return hard_clip(x, gain_db), db_to_amplitude(-gain_db)


def _soft_clip(x: np.ndarray, sample_rate: int, gain_db: float) -> tuple[np.ndarray, None]:
    return soft_clip(x, gain_db), None


def _clip_to_sdr(x: np.ndarray, sample_rate: int, sdr_db: float) -> tuple[np.ndarray, float]:
    return clip_to_sdr(x, sdr_db)


def _pedalboard(function: Callable[..., np.ndarray]) -> Callable[..., tuple[np.ndarray, float | None]]:
    def run(x: np.ndarray, sample_rate: int, **params) -> tuple[np.ndarray, float | None]:
        threshold = db_to_amplitude(params["threshold_db"]) if "threshold_db" in params else None
        return function(x, sample_rate=sample_rate, **params), threshold
    return run


def _sox_binary_overdrive(x: np.ndarray, sample_rate: int, **params) -> np.ndarray:
    from .sox_binary import sox_binary_overdrive

    return sox_binary_overdrive(x, sample_rate=sample_rate, **params)


EFFECTS = {effect.name: effect for effect in (
    Effect("sox_overdrive", _sox_overdrive, "gain_db", {"colour": (0.0, 100.0)}, sox_binary=_sox_binary_overdrive,
           odd=True, odd_if_zero=("colour",)),  # colour c adds c/200 before the soft clip
    Effect("hard_clip", _hard_clip, "gain_db", hard_clipping=True, odd=True),
    Effect("soft_clip", _soft_clip, "gain_db", odd=True),
    Effect("clip_to_sdr", _clip_to_sdr, "sdr_db", hard_clipping=True, odd=True),
    Effect("pedalboard_distortion", _pedalboard(pedals.pedalboard_distortion), "drive_db"),
    Effect("pedalboard_clipping", _pedalboard(pedals.pedalboard_clipping), "threshold_db", hard_clipping=True,
           odd=True),
    Effect("pedalboard_bitcrush", _pedalboard(pedals.pedalboard_bitcrush), "bit_depth"),
    Effect("pedalboard_amp", _pedalboard(pedals.pedalboard_amp), "drive_db", pedals.AMP_PARAMS),
)}


def get_effect(name: str) -> Effect:
    """The registry entry of an effect; ValueError naming the known ones otherwise."""
    if name not in EFFECTS:
        raise ValueError(f"unknown effect '{name}'; known: {', '.join(sorted(EFFECTS))}")
    return EFFECTS[name]


def apply_effect(name: str, x: np.ndarray, params: dict, sample_rate: int = 16000,
                 backend: str = "numpy") -> tuple[np.ndarray, float | None]:
    """Apply an effect by name: returns ``(distorted, clipping level or None)``.

    ``params`` are the effect's keyword arguments, exactly as a dataset row records them.
    ``backend="sox"`` runs the effect through the ``sox`` binary where SoX has it (overdrive).
    """
    effect = get_effect(name)
    if backend == "sox" and effect.sox_binary is not None:
        return effect.sox_binary(x, sample_rate, **params), None
    return effect.run(x, sample_rate, **params)
