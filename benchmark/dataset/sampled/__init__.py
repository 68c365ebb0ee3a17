"""Embedded clean audio from recordings of real instruments: the synthetic performances
(``benchmark.dataset.synth``) played from a SoundFont's samples.

Bottom up: ``soundfont`` (the SF2 file as data), ``player`` (notes rendered from its
samples), ``band`` (guitar, bass, drums and keys), ``pinned`` (the SoundFont file, pinned by
SHA-256). ``sampled_guitar`` and ``sampled_mix`` are pure functions of the ``rng`` and the
SoundFont, as ``synth_guitar`` and ``synth_mix`` are of the ``rng``; ``sampled_guitar_unseen`` and
``sampled_mix_unseen`` play their performances on recorded instruments they never play (a transfer test);
``sampled_mix_solo`` plays half its music as one part alone.
"""
from __future__ import annotations

import numpy as np

from ..synth.dsp import n_samples, normalise_peak
from ..synth.guitar import draw_guitar_plan
from ..synth.mix import render_mix
from .band import SEEN, UNSEEN, play_guitar, sampled_band
from .pinned import open_pinned_soundfont
from .soundfont import SoundFont, SoundFontError

SOLO_SHARE = 0.5  # of sampled-mix-solo's music sections, played by one part alone


def sampled_guitar(rng: np.random.Generator, seconds: float, sample_rate: int, font: SoundFont,
                   guitars: tuple[tuple[int, int], ...] = SEEN.guitars) -> np.ndarray:
    """A clean guitar loop played on recorded guitars (one of ``guitars`` per clip, as (bank, program)):
    mono float64, ``round(seconds*sample_rate)`` samples."""
    n = n_samples(seconds, sample_rate)
    if n == 0:
        return np.zeros(0)
    plan = draw_guitar_plan(rng, n / sample_rate, sample_rate)
    return normalise_peak(play_guitar(font, rng, plan, n, sample_rate, guitars))


def sampled_guitar_unseen(rng: np.random.Generator, seconds: float, sample_rate: int, font: SoundFont) -> np.ndarray:
    """:func:`sampled_guitar` on recorded guitars it never plays (``band.UNSEEN``: nylon and
    steel-string): the same performance for the same ``rng``, another recorded timbre."""
    return sampled_guitar(rng, seconds, sample_rate, font, UNSEEN.guitars)


def sampled_mix(rng: np.random.Generator, seconds: float, sample_rate: int, font: SoundFont) -> np.ndarray:
    """A SignalTrain-like mix (test signals and music) whose band plays recorded instruments."""
    return render_mix(rng, seconds, sample_rate, sampled_band(font))


def sampled_mix_solo(rng: np.random.Generator, seconds: float, sample_rate: int, font: SoundFont) -> np.ndarray:
    """:func:`sampled_mix` in which half the music sections (SOLO_SHARE) are one part alone: guitar,
    bass, drums or keys, as SignalTrain's single-instrument recordings are."""
    return render_mix(rng, seconds, sample_rate, sampled_band(font), solo_share=SOLO_SHARE)


def sampled_mix_unseen(rng: np.random.Generator, seconds: float, sample_rate: int, font: SoundFont) -> np.ndarray:
    """:func:`sampled_mix` on recorded instruments it never plays (``band.UNSEEN``: other guitars,
    basses, drum kits and keyboards): the same sections and parts for the same ``rng``, other timbres."""
    return render_mix(rng, seconds, sample_rate, sampled_band(font, UNSEEN))


__all__ = ["SoundFont", "SoundFontError", "open_pinned_soundfont", "sampled_guitar", "sampled_guitar_unseen",
           "sampled_mix", "sampled_mix_solo", "sampled_mix_unseen"]
