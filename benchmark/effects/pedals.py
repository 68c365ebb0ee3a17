"""Realistic distortion effects through Spotify's pedalboard (the optional ``pedalboard`` extra).

pedalboard is GPL-3.0, so it is imported only when one of these effects runs; the rest of
the package does not need it. Every effect is a pure function of its keyword arguments,
which a dataset row records as its ``params``, so any example is rebuilt from its row:
``apply_effect(row.effect, clean, params, sample_rate)``.

Loudness rule: pedalboard's ``Distortion`` raises the level (tanh drive) while ``Clipping``
and ``Bitcrush`` do not; so that clean and distorted share one scale, the output of
``pedalboard_distortion`` and ``pedalboard_amp`` is scaled to the RMS of its input (the
clean segment). ``pedalboard_clipping`` and ``pedalboard_bitcrush`` keep the input's scale
as they are, like ``hard_clip``.
"""
from __future__ import annotations

import numpy as np

# Parameter ranges of the amp chain (also the limits a recipe may draw from).
AMP_PARAMS = {
    "tight_hz": (20.0, 400.0),  # high-pass before the drive, Hz (amps cut lows before distorting)
    "bass_db": (-12.0, 12.0),  # low shelf at 120 Hz, dB
    "mid_db": (-12.0, 12.0),  # peak filter, dB
    "mid_hz": (200.0, 3000.0),  # its centre, Hz (Q 0.7)
    "treble_db": (-12.0, 12.0),  # high shelf at 3 kHz, dB
    "cabinet_lowpass_hz": (2000.0, 8000.0),  # cabinet roll-off, two 12 dB/oct stages, Hz
    "cabinet_resonance_hz": (70.0, 200.0),  # cabinet low resonance (+4 dB, Q 1.4), Hz
    "mix": (0.0, 1.0),  # wet share of the dry/wet mix
}


def _pedalboard():
    try:
        import pedalboard
    except ImportError:
        raise ImportError("pedalboard effects need the optional extra: pip install -e '.[pedalboard]'") from None
    return pedalboard


def _run(plugins: list, x: np.ndarray, sample_rate: int) -> np.ndarray:
    """A pedalboard chain on mono float64 audio (processed in float32, as pedalboard does)."""
    board = _pedalboard().Pedalboard(plugins)
    return board(np.asarray(x, dtype=np.float32)[None], float(sample_rate))[0].astype(np.float64)


def _match_rms(y: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``y`` scaled to the RMS of ``reference`` (the loudness rule above)."""
    level = np.sqrt(np.mean(y**2))
    return y * (np.sqrt(np.mean(reference**2)) / level) if level > 0 else y


def pedalboard_distortion(x: np.ndarray, drive_db: float, sample_rate: int = 16000) -> np.ndarray:
    """pedalboard's ``Distortion`` (tanh waveshaping after ``drive_db`` dB of gain), RMS-matched."""
    pb = _pedalboard()
    return _match_rms(_run([pb.Distortion(drive_db=float(drive_db))], x, sample_rate), x)


def pedalboard_clipping(x: np.ndarray, threshold_db: float, sample_rate: int = 16000) -> np.ndarray:
    """pedalboard's ``Clipping``: hard clipping at ``threshold_db`` dB full scale."""
    return _run([_pedalboard().Clipping(threshold_db=float(threshold_db))], x, sample_rate)


def pedalboard_bitcrush(x: np.ndarray, bit_depth: float, sample_rate: int = 16000) -> np.ndarray:
    """pedalboard's ``Bitcrush``: quantisation to ``bit_depth`` bits."""
    return _run([_pedalboard().Bitcrush(bit_depth=float(bit_depth))], x, sample_rate)


def amp_chain(drive_db: float, tight_hz: float, bass_db: float, mid_db: float, mid_hz: float, treble_db: float,
              cabinet_lowpass_hz: float, cabinet_resonance_hz: float) -> list:
    """The plugins of the amp-style chain: tight high-pass -> drive -> tone stack -> cabinet."""
    pb = _pedalboard()
    return [
        pb.HighpassFilter(cutoff_frequency_hz=float(tight_hz)),
        pb.Distortion(drive_db=float(drive_db)),
        pb.LowShelfFilter(cutoff_frequency_hz=120.0, gain_db=float(bass_db), q=0.7),
        pb.PeakFilter(cutoff_frequency_hz=float(mid_hz), gain_db=float(mid_db), q=0.7),
        pb.HighShelfFilter(cutoff_frequency_hz=3000.0, gain_db=float(treble_db), q=0.7),
        pb.HighpassFilter(cutoff_frequency_hz=60.0),
        pb.PeakFilter(cutoff_frequency_hz=float(cabinet_resonance_hz), gain_db=4.0, q=1.4),
        pb.LowpassFilter(cutoff_frequency_hz=float(cabinet_lowpass_hz)),
        pb.LowpassFilter(cutoff_frequency_hz=float(cabinet_lowpass_hz)),
    ]


def pedalboard_amp(x: np.ndarray, drive_db: float, sample_rate: int = 16000, tight_hz: float = 100.0,
                   bass_db: float = 0.0, mid_db: float = 0.0, mid_hz: float = 800.0, treble_db: float = 0.0,
                   cabinet_lowpass_hz: float = 5000.0, cabinet_resonance_hz: float = 110.0,
                   mix: float = 1.0) -> np.ndarray:
    """A guitar-amp-style chain (see ``amp_chain``), mixed dry/wet (``mix`` = wet share), RMS-matched."""
    if not 0.0 <= mix <= 1.0:
        raise ValueError(f"mix={mix} is outside [0, 1]")
    wet = _run(amp_chain(drive_db, tight_hz, bass_db, mid_db, mid_hz, treble_db, cabinet_lowpass_hz,
                         cabinet_resonance_hz), x, sample_rate)
    wet = _match_rms(wet, x)
    return _match_rms((1.0 - mix) * np.asarray(x, dtype=np.float64) + mix * wet, x)
