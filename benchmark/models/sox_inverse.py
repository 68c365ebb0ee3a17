"""SoX overdrive undone blind: its gain and the output's level estimated from the input alone.

``benchmark.effects.invert_sox_overdrive`` recovers the clean signal exactly when the gain is
known and the output is at the level SoX wrote it. A recording gives neither; this model
estimates both, assuming what every overdrive task states: the effect is SoX's ``overdrive``
with a known colour and gain range, on a clean signal peak-normalised to a known peak (every
recipe's ``peak``, 0.5).

- Level: the input ``y`` is ``scale * overdrive(x)``. For a trial gain, ``scale`` is the root
  of ``max|invert(y / scale)| = clean_peak`` (Brent's method on ``log(scale)``), solved on
  ``LEVEL_SAMPLES`` around each of the ``PEAKS`` highest peaks of a first inverse of the whole
  clip (at a trial gain and level, so its highest peak need not be the clean one).
- Gain: the one in the task's range whose inverse is smoothest: least energy of the
  ``ORDER``-th difference relative to the signal's, on ``GAIN_SAMPLES`` around the candidate
  peak whose inverse is highest (where the effect is driven hardest); a ``GRID_DB`` grid, then
  Brent's bounded search. A wrong gain leaves a kink in the inverse wherever the soft clip bends.
- The level depends on the gain: the level again at that gain, the gain again at that level
  (Brent's search within a grid step), the level again; then the whole clip inverted once.

The choices (order, excerpt lengths, grid, rounds) were made on ``sampled-od``'s validation
split with random output levels (0.2-1): ``benchmarks/overdrive_inverse.py --levels`` prints
what they give.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from ..effects import invert_sox_overdrive

FIRST_GAIN_DB = 35.0  # the trial gain (dB) that finds the candidate clean peaks and the first level
PEAKS = 4  # candidate clean peaks, each at least LEVEL_SAMPLES apart
LEVEL_SAMPLES = 8000  # samples around each candidate that fix the output level (0.5 s at 16 kHz)
GAIN_SAMPLES = 32000  # samples around the highest candidate that choose the gain (2 s at 16 kHz)
ORDER = 4  # the difference whose energy measures roughness
GRID_DB = 5.0  # the gain grid's step (dB) before Brent's search


@dataclass(frozen=True)
class BlindInverse:
    restored: np.ndarray  # the clean estimate, float64, at the clean level (peak clean_peak)
    gain_db: float  # the estimated drive (dB)
    scale: float  # the estimated output level: input = scale * overdrive(restored)


def _around(y: np.ndarray, centre: int, n: int) -> np.ndarray:
    start = max(0, min(centre - n // 2, y.size - n))
    return y[start : start + n]


def _peaks(x: np.ndarray, count: int, spacing: int) -> list[int]:
    """The indices of the ``count`` largest ``|x|``, each at least ``spacing`` from the others."""
    magnitude, found = np.abs(x), []
    for _ in range(count):
        index = int(np.argmax(magnitude))
        if magnitude[index] == 0.0:
            break
        found.append(index)
        magnitude[max(0, index - spacing + 1) : index + spacing] = 0.0
    return found


def _roughness(x: np.ndarray) -> float:
    d = np.diff(x, ORDER)
    return float(np.dot(d, d) / max(np.dot(x, x), np.finfo(float).tiny))


def _inverse_peaks(parts: list[np.ndarray], scale: float, gain_db: float, colour: float) -> list[float]:
    """The peak of each part's inverse at this output level and gain."""
    return [float(np.max(np.abs(invert_sox_overdrive(part / scale, gain_db, colour)))) for part in parts]


def output_level(parts: list[np.ndarray], gain_db: float, colour: float, clean_peak: float) -> float:
    """The scale s for which the inverses ``invert_sox_overdrive(part / s, gain_db, colour)`` peak at ``clean_peak``."""
    top = max(float(np.max(np.abs(part))) for part in parts)

    def excess(log_scale: float) -> float:  # log of the inverses' peak over clean_peak: decreasing
        return float(np.log(max(_inverse_peaks(parts, np.exp(log_scale), gain_db, colour)) / clean_peak))

    return float(np.exp(scipy.optimize.brentq(excess, np.log(top) - 3.0, np.log(top) + 3.0, xtol=1e-7)))


def blind_sox_inverse(y: np.ndarray, colour: float = 0.0, gain_range_db: tuple[float, float] = (20.0, 50.0),
                      clean_peak: float = 0.5) -> BlindInverse:
    """The clean signal of ``y`` (mono): SoX overdrive of a gain in ``gain_range_db`` (dB) and
    colour ``colour`` (0 to 100) on a clean signal of peak ``clean_peak``, then an unknown level."""
    y = np.asarray(y, dtype=np.float64)
    if not np.any(y):
        return BlindInverse(np.zeros_like(y), float(np.mean(gain_range_db)), 1.0)
    first = invert_sox_overdrive(y * (clean_peak / np.max(np.abs(y))), FIRST_GAIN_DB, colour)
    peaks = _peaks(first, PEAKS, LEVEL_SAMPLES)
    level_parts = [_around(y, peak, LEVEL_SAMPLES) for peak in peaks]
    scale = output_level(level_parts, FIRST_GAIN_DB, colour, clean_peak)
    highest = peaks[int(np.argmax(_inverse_peaks(level_parts, scale, FIRST_GAIN_DB, colour)))]
    gain_part = _around(y, highest, GAIN_SAMPLES)

    def cost(gain_db: float) -> float:
        return _roughness(invert_sox_overdrive(gain_part / scale, gain_db, colour))

    def refine(low: float, high: float) -> float:
        return float(scipy.optimize.minimize_scalar(cost, bounds=(low, high), method="bounded", options={"xatol": 1e-3}).x)

    low, high = gain_range_db
    grid = np.linspace(low, high, max(2, int(round((high - low) / GRID_DB)) + 1))
    best = int(np.argmin([cost(g) for g in grid]))
    gain_db = refine(grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)])
    scale = output_level(level_parts, gain_db, colour, clean_peak)
    gain_db = refine(max(low, gain_db - GRID_DB), min(high, gain_db + GRID_DB))
    scale = output_level(level_parts, gain_db, colour, clean_peak)
    return BlindInverse(invert_sox_overdrive(y / scale, gain_db, colour), gain_db, scale)
