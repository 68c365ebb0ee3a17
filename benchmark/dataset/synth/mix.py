"""SignalTrain-like mixes: ``synth_mix`` lays sections (test signals, and music with bass and
drums) end to end at levels spread over 20 dB, sometimes overlaying a test signal on top;
``render_mix`` may also play some music sections as one part alone (SignalTrain's inputs hold
single-instrument recordings: the paper's SignalTrain demo clips are named bass and perc).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.signal

from .dsp import add_at, biquad, db_to_gain, fade_edges, log_uniform, n_samples, normalise_peak, normalise_rms, pick_one
from .strings import Instrument, Note, render_notes
from .music import Song, beat_accent, humanised
from .guitar import GuitarPlan, draw_guitar_plan, render_guitar
from .test_signals import TEST_SIGNAL_KINDS, clicks_signal, filtered_noise_signal, level_steps_signal, noise_signal, sweep_signal, tone_signal


_BASS_OPEN_STRING = 28  # MIDI E1


_BASS_PATTERNS = ("x.x.x.x.", "x...x...", "x..x..x.", "xxxxxxxx", "x.xxx.xx", "x..x.xx.")


_DRUM_PATTERNS = {  # sixteenths of one bar
    "kick": ("x.......x.......", "x.......x.x.....", "x..x....x.......", "x...x...x...x...",
             "x.....x...x....."),
    "snare": ("....x.......x...", "....x.......x..x", "....x..x....x..."),
    "hat": ("x.x.x.x.x.x.x.x.", "xxxxxxxxxxxxxxxx", "x...x...x...x...", "..x...x...x...x."),
}


# Music is drawn 14 times as often as each test signal: about 70 % of the sections are
# music, as in SignalTrain, which is mostly music with test signals in between.
_SECTION_KINDS = TEST_SIGNAL_KINDS + ("music",) * 14


def synth_mix(rng: np.random.Generator, seconds: float, sample_rate: int = 16000) -> np.ndarray:
    """SignalTrain-like test signals and music: mono float64, ``round(seconds*sample_rate)`` samples.

    Section kinds, lengths and levels (spread over 20 dB) are drawn from ``rng``; the music is
    played by the synthetic band (:data:`SYNTH_BAND`).
    """
    return render_mix(rng, seconds, sample_rate, SYNTH_BAND)


def render_mix(rng: np.random.Generator, seconds: float, sample_rate: int, band: Band,
               solo_share: float = 0.0) -> np.ndarray:
    """A SignalTrain-like mix whose music sections ``band`` plays (see :func:`synth_mix`); a share
    ``solo_share`` of them (0 to 1) is one part alone (:func:`_music`). With 0, nothing more is drawn."""
    n = n_samples(seconds, sample_rate)
    out = np.zeros(n)
    for section in _draw_mix_plan(rng, n, sample_rate):
        length = section.stop - section.start
        if length == 0:  # only in clips shorter than a few samples
            continue
        if section.kind == "music":
            signal = _music(rng, length, sample_rate, band, solo_share)
        else:
            signal = _TEST_SIGNALS[section.kind](rng, length, sample_rate)
        level = db_to_gain(section.gain_db)
        out[section.start:section.stop] += fade_edges(normalise_rms(signal), sample_rate) * level
    return normalise_peak(out)


def _draw_bass(rng: np.random.Generator) -> Instrument:
    """A dark, finger-plucked electric bass (one string is enough: bass lines are monophonic)."""
    return Instrument(
        open_strings=(_BASS_OPEN_STRING,), detune_cents=(0.0,), pluck_pos=float(rng.uniform(0.1, 0.3)),
        pickup_pos=float(rng.uniform(0.1, 0.25)), sustain_s=float(rng.uniform(1.5, 4.0)),
        damping_hz=float(rng.uniform(300.0, 800.0)), brightness_hz=float(rng.uniform(400.0, 1500.0)),
        inharmonicity=log_uniform(rng, 1e-4, 4e-4),
    )


def bass_notes(rng: np.random.Generator, song: Song) -> list[Note]:
    """Eighth-note bass line on the chord roots (sometimes fifth or octave), E1 to D#2."""
    pattern = pick_one(rng, _BASS_PATTERNS)
    held_fraction = float(rng.uniform(0.5, 1.0))  # of the eighth-note slot
    notes = []
    for bar, slot in itertools.product(range(song.n_bars), range(8)):
        if pattern[slot] == ".":
            continue
        beat = 4.0 * bar + slot * 0.5
        root_pc = song.chord_at(beat)[0]
        interval = int(rng.choice([0, 7, 12], p=[0.75, 0.15, 0.1]))
        midi = _BASS_OPEN_STRING + (root_pc - _BASS_OPEN_STRING) % 12 + interval
        onset = song.time_s(beat)
        notes.append(Note(onset, 0, midi, min(1.0, humanised(rng, 0.8 * beat_accent(beat))),
                           end_s=onset + held_fraction * 30.0 / song.tempo_bpm))
    return notes


def _kick(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A sine whose pitch drops from 100-200 Hz to 40-65 Hz, decaying over 0.1-0.3 s."""
    t = np.arange(int(0.6 * sample_rate)) / sample_rate
    f_start, f_end, pitch_tau = rng.uniform(100.0, 200.0), rng.uniform(40.0, 65.0), rng.uniform(0.02, 0.05)
    phase = 2.0 * math.pi * (f_end * t + (f_start - f_end) * pitch_tau * -np.expm1(-t / pitch_tau))
    return np.sin(phase) * np.exp(-t / rng.uniform(0.1, 0.3))


def _snare(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A 150-250 Hz drum tone plus high-passed noise (the wires), both decaying."""
    t = np.arange(int(0.4 * sample_rate)) / sample_rate
    tone = np.sin(2.0 * math.pi * rng.uniform(150.0, 250.0) * t) * np.exp(-t / 0.04)
    wires_filter = biquad("highpass", rng.uniform(800.0, 2000.0), sample_rate)
    wires = scipy.signal.sosfilt(wires_filter, rng.standard_normal(len(t)))
    return 0.6 * tone + rng.uniform(0.3, 0.6) * wires * np.exp(-t / rng.uniform(0.05, 0.15))


def _hat(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """High-passed noise with a 15-60 ms decay (a closed hi-hat)."""
    t = np.arange(int(0.3 * sample_rate)) / sample_rate
    cutoff = min(7000.0, 0.3 * sample_rate)
    noise = scipy.signal.sosfilt(biquad("highpass", cutoff, sample_rate), rng.standard_normal(len(t)))
    return noise * np.exp(-t / rng.uniform(0.015, 0.06))


def _drum_track(rng: np.random.Generator, song: Song, n: int, sample_rate: int, kit: DrumKit) -> np.ndarray:
    """Kick, snare and hi-hat strokes on a sixteenth grid; ``kit(rng, drum, sample_rate)`` gives
    each drum's stroke (drawn once per clip, like a drum machine's sound)."""
    out = np.zeros(n)
    for drum in ("kick", "snare", "hat"):
        stroke, pattern = kit(rng, drum, sample_rate), pick_one(rng, _DRUM_PATTERNS[drum])
        level = float(rng.uniform(0.3, 0.6)) if drum == "hat" else 1.0
        for bar, slot in itertools.product(range(song.n_bars), range(16)):
            if pattern[slot] == "x":
                beat = 4.0 * bar + slot * 0.25
                start = round(song.time_s(beat) * sample_rate)
                add_at(out, stroke(level, humanised(rng, beat_accent(beat), 0.1)), start)
    return out


_SYNTH_DRUMS = {"kick": _kick, "snare": _snare, "hat": _hat}


def _synth_kit(rng: np.random.Generator, drum: str, sample_rate: int) -> Callable[[float, float], np.ndarray]:
    """A synthetic drum sound, scaled by the stroke's level and accent."""
    sample = _SYNTH_DRUMS[drum](rng, sample_rate)
    return lambda level, accent: sample * level * accent


DrumKit = Callable[[np.random.Generator, str, int], Callable[[float, float], np.ndarray]]


@dataclass(frozen=True)
class Band:
    """Who plays the music sections of a mix. ``guitar(rng, plan, n, sample_rate)`` plays a
    guitar plan; ``bass(rng, notes, n, sample_rate)`` a bass line (drawing its instrument from
    ``rng``); ``kit`` the drums (see :func:`_drum_track`); ``keys``, if any,
    ``keys(rng, song, n, sample_rate)``, a keyboard part (added after the drums)."""

    guitar: Callable[..., np.ndarray]
    bass: Callable[..., np.ndarray]
    kit: DrumKit
    keys: Callable[..., np.ndarray] | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts it plays: guitar, bass, drums, and keys if it has them."""
        return ("guitar", "bass", "drums") + (("keys",) if self.keys is not None else ())


def _synth_bass(rng: np.random.Generator, notes: list[Note], n: int, sample_rate: int) -> np.ndarray:
    return render_notes(notes, _draw_bass(rng), n, sample_rate)


SYNTH_BAND = Band(guitar=render_guitar, bass=_synth_bass, kit=_synth_kit)


def _music(rng: np.random.Generator, n: int, sample_rate: int, band: Band, solo_share: float = 0.0) -> np.ndarray:
    """Guitar, usually with bass and drums (and keys, if the band has them), sharing one song; with
    probability ``solo_share``, one of the band's parts alone (drawn uniformly)."""
    plan = draw_guitar_plan(rng, n / sample_rate, sample_rate)
    if solo_share and rng.random() < solo_share:
        return play_part(rng, pick_one(rng, band.parts), plan, n, sample_rate, band)
    out = normalise_rms(play_part(rng, "guitar", plan, n, sample_rate, band))
    if rng.random() < 0.8:
        bass = play_part(rng, "bass", plan, n, sample_rate, band)
        out += normalise_rms(bass) * db_to_gain(rng.uniform(-6.0, 0.0))
    if rng.random() < 0.8:
        drums = play_part(rng, "drums", plan, n, sample_rate, band)
        out += normalise_rms(drums) * db_to_gain(rng.uniform(-6.0, 2.0))
    if band.keys is not None and rng.random() < 0.6:
        keys = play_part(rng, "keys", plan, n, sample_rate, band)
        out += normalise_rms(keys) * db_to_gain(rng.uniform(-8.0, 0.0))
    return out


def play_part(rng: np.random.Generator, part: str, plan: GuitarPlan, n: int, sample_rate: int, band: Band) -> np.ndarray:
    """One part of ``band`` (one of ``band.parts``) playing a guitar plan's song: ``n`` samples,
    not normalised."""
    if part == "bass":
        return band.bass(rng, bass_notes(rng, plan.song), n, sample_rate)
    if part == "drums":
        return _drum_track(rng, plan.song, n, sample_rate, band.kit)
    if part == "keys":
        return band.keys(rng, plan.song, n, sample_rate)
    return band.guitar(rng, plan, n, sample_rate)


_TEST_SIGNALS = {
    "sweep": sweep_signal, "noise": noise_signal, "filtered_noise": filtered_noise_signal, "clicks": clicks_signal,
    "tone": tone_signal, "level_steps": level_steps_signal,
}


@dataclass(frozen=True)
class _Section:
    """A span of a mix and what plays in it."""

    kind: str  # "music" or a key of _TEST_SIGNALS
    start: int  # first sample
    stop: int  # one past the last sample
    gain_db: float  # level after RMS normalisation (dB)


def _draw_mix_plan(rng: np.random.Generator, n: int, sample_rate: int) -> list[_Section]:
    """Back-to-back sections, on average 1-2 s long, always including music and a test signal,
    at levels from -20 to 0 dB; a third of the clips also get a test signal laid over part of them."""
    count = max(2, round(n / sample_rate / rng.uniform(1.0, 2.0)))
    kinds = ["music", pick_one(rng, TEST_SIGNAL_KINDS)] + [pick_one(rng, _SECTION_KINDS) for _ in range(count - 2)]
    kinds = [kinds[i] for i in rng.permutation(count)]
    edges = np.cumsum(np.r_[0.0, rng.uniform(0.5, 1.5, count)])
    bounds = np.round(edges / edges[-1] * n).astype(int)
    sections = [_Section(kind, int(start), int(stop), float(rng.uniform(-20.0, 0.0)))
                for kind, start, stop in zip(kinds, bounds[:-1], bounds[1:])]
    if rng.random() < 1.0 / 3.0:
        length = int(rng.uniform(0.2, 0.5) * n)
        start = int(rng.integers(0, n - length + 1))
        overlay = pick_one(rng, TEST_SIGNAL_KINDS)
        sections.append(_Section(overlay, start, start + length, float(rng.uniform(-20.0, -6.0))))
    return sections
