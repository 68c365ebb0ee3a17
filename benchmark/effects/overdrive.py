"""SoX's ``overdrive`` effect in numpy, bit-exact with the ``sox`` binary (``sox_binary.py``)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._checks import as_mono, check_range

_INT32_SCALE = 2.0**31  # SoX's sox_sample_t full scale (SOX_SAMPLE_MAX + 1)
_INT32_MAX = 2**31 - 1
_INT32_MIN = -(2**31)
_SIGN_BIT = np.int64(-(2**63))  # the sign bit of a float64, seen as int64
_HALF_BITS = np.int64(0x3FE0000000000000)  # the bits of 0.5
DRY, WET = 0.5, 0.75  # output = DRY * x + WET * (DC-blocked soft clip)
DC_POLE = 0.995  # the DC blocker's feedback coefficient
SATURATION = 2.0 / 3.0  # the soft clip's value for |d| > 1
_BLOCK = 65536  # samples per block of sox_overdrive (0.5 MB per work array): fastest of 16,384-131,072 with 98,304


def _to_sox_samples(t: np.ndarray, scratch: np.ndarray, samples: np.ndarray) -> None:
    """SoX's SOX_FLOAT_64BIT_TO_SAMPLE on ``t = x * 2**31``, into the int32 array ``samples``.

    The same float operations as SoX: ``t + 0.5`` (``t - 0.5`` below zero), saturated at
    full scale, truncated toward zero. ``scratch`` is a float64 work array of t's size.
    """
    bits = scratch.view(np.int64)
    np.bitwise_and(t.view(np.int64), _SIGN_BIT, out=bits)
    np.bitwise_or(bits, _HALF_BITS, out=bits)  # copysign(0.5, t) on the bits: 2x faster than np.copysign
    scratch += t
    np.clip(scratch, _INT32_MIN, _INT32_MAX, out=scratch)
    np.copyto(samples, scratch, casting="unsafe")  # float -> int truncates toward zero, as C's cast


def _sox_soft_clip(d: np.ndarray, out: np.ndarray, clipped: np.ndarray, saturated: np.ndarray) -> None:
    """overdrive.c's ``d < -1 ? -2/3 : d > 1 ? 2/3 : d - d*d*d*(1./3)`` into ``out``, bit for bit.

    The cubic runs on d clipped to [-1, 1], which gives +-f(1) on the saturated samples: one
    unit in the last place above 2/3 in magnitude, taken back on the bits, so no step has a
    data-dependent branch. ``clipped`` (float64) and ``saturated`` (bool) are work arrays.
    """
    np.clip(d, -1.0, 1.0, out=clipped)
    np.not_equal(clipped, d, out=saturated)
    np.multiply(clipped, clipped, out=out)
    out *= clipped
    out *= 1.0 / 3.0
    np.subtract(clipped, out, out=out)
    bits = out.view(np.int64)
    np.subtract(bits, saturated, out=bits)


_DC_COM = 199.0  # pandas' centre of mass for DC_POLE: 1 - 1/(1 + 199) is 0.995 exactly
assert 1.0 - 1.0 / (1.0 + _DC_COM) == DC_POLE


def _dc_blocker(step: np.ndarray) -> np.ndarray:
    """SoX's DC blocker ``y[n] = step[n] + 0.995*y[n-1]``, with ``y[0] = step[0]`` (the carried output).

    That recursion is pandas' exponentially weighted sum with centre of mass 199
    (``_DC_COM``), which adds ``0.995*y[n-1] + step[n]`` in SoX's order;
    it runs 1.7x faster than ``scipy.signal.lfilter`` on blocks of 65,536 samples, with the same bits.
    """
    return pd.Series(step, copy=False).ewm(com=_DC_COM).sum().to_numpy()


def sox_gain(gain_db: float) -> float:
    """SoX's ``dB_to_linear`` of a gain in dB, through libm (the same bits as the binary's)."""
    return math.exp(gain_db * math.log(10.0) * 0.05)


def sox_overdrive(x: np.ndarray, gain_db: float, colour: float = 20.0) -> np.ndarray:
    """SoX 14.4.2 ``overdrive gain_db colour``, bit-exact with the ``sox`` binary.

    ``x`` is float audio in [-1, 1). As SoX does with 64-bit float input, samples are
    converted to int32 (round half away from zero), processed in float64
    (``d = g*x + colour/200``; cubic soft clip; DC blocker ``y[n] = d[n] - d[n-1] + 0.995 y[n-1]``;
    output ``0.5*x + 0.75*y``), and rounded back to int32, saturating at full scale.
    The result is returned as float64 (int32 / 2**31), as ``sox -t f64`` writes it.

    gain_db: drive in dB, 0 to 100. colour: even-harmonic bias, 0 to 100 (the paper used 0).
    """
    x = as_mono(x)
    gain_db = check_range("gain_db", gain_db, 0.0, 100.0)
    colour = check_range("colour", colour, 0.0, 100.0)
    gain = sox_gain(gain_db)
    out = np.empty_like(x)
    size = min(x.size, _BLOCK)
    t, d = np.empty(size), np.empty(size)  # work arrays, reused by every block
    samples = np.empty(size, dtype=np.int32)
    saturated = np.empty(size, dtype=bool)
    shaped_run = np.zeros(size + 1)  # [the soft-clipped sample before the block, the block's]
    step_run = np.zeros(size + 1)  # [the DC blocker's output before the block, the block's input]
    # Block by block, so that the work arrays stay in the CPU cache; the carried samples make
    # the result bit-identical to one pass over the whole signal. Scalings by powers of two
    # are exact, so SoX's values are kept scaled by 2**31 where that saves a pass.
    for start in range(0, x.size, _BLOCK):
        n = min(_BLOCK, x.size - start)
        t_n, d_n, samples_n = t[:n], d[:n], samples[:n]
        np.multiply(x[start : start + n], _INT32_SCALE, out=t_n)
        _to_sox_samples(t_n, d_n, samples_n)  # the input as SoX's int32 samples
        if gain == 1.0:  # SoX drops the effect from the chain (SOX_EFF_NULL)
            np.multiply(samples_n, 1.0 / _INT32_SCALE, out=out[start : start + n])
            continue
        np.multiply(samples_n, gain / _INT32_SCALE, out=d_n)  # d = g * x
        if colour:
            d_n += colour / 200.0
        shaped = shaped_run[1 : n + 1]
        _sox_soft_clip(d_n, shaped, t_n, saturated[:n])
        np.subtract(shaped, shaped_run[:n], out=step_run[1 : n + 1])
        shaped_run[0] = shaped[-1]
        blocked = _dc_blocker(step_run[: n + 1])
        step_run[0] = blocked[-1]
        # Output DRY*x + WET*y, scaled by 2**31 for the rounding: 2**31 * DRY*x is samples * DRY.
        np.multiply(blocked[1:], WET * _INT32_SCALE, out=t_n)
        np.multiply(samples_n, DRY, out=d_n)
        t_n += d_n
        _to_sox_samples(t_n, d_n, samples_n)
        np.multiply(samples_n, 1.0 / _INT32_SCALE, out=out[start : start + n])
    return out
