"""Decibel conversions of the levels a dataset stores (clipping thresholds, target and input
SDRs), correctly rounded through :mod:`decimal`: the same bits on every machine, where the C
library's ``pow`` and ``log10`` differ in the last place (measured: glibc's FMA and non-FMA
variants gave one ``synth-sdr`` example another clipping threshold)."""
from __future__ import annotations

import decimal

_CONTEXT = decimal.Context(prec=40)


def _ten_to(exponent: decimal.Decimal) -> float:
    return float(_CONTEXT.power(decimal.Decimal(10), exponent))


def db_to_amplitude(db: float) -> float:
    """10**(db/20): the amplitude ratio of a level in dB."""
    return _ten_to(_CONTEXT.divide(decimal.Decimal(db), 20))


def db_to_power(db: float) -> float:
    """10**(db/10): the power ratio of a level in dB."""
    return _ten_to(_CONTEXT.divide(decimal.Decimal(db), 10))


def power_to_db(ratio: float) -> float:
    """10*log10(ratio) in dB, for a power ratio > 0."""
    if not ratio > 0:
        raise ValueError(f"power_to_db: the ratio must be > 0, got {ratio}")
    return float(_CONTEXT.multiply(_CONTEXT.log10(decimal.Decimal(ratio)), 10))
