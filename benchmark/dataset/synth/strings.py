"""Plucked strings: modal partials of a string note and the rendering of note lists.

A string note is a sum of exponentially decaying partials at ``f_k = k f0 sqrt(1 + B k^2)``
whose amplitudes carry the pluck- and pickup-position combs and whose decay rates grow with
frequency (``string_partials``). Every string is monophonic: a new pluck damps the note still
ringing on that string.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .dsp import add_at, midi_to_hz, render_partials, vibrato


_MAX_PARTIAL_HZ = 8000.0  # partials above this (or above 0.45 sample_rate) are not rendered


_RELEASE_S = 0.012  # time constant of the damping when a player stops a string (s)


_MUTED_T60_S = 0.04  # T60 of a fully fret-hand-muted string (s)


_INAUDIBLE_DECAY = math.log(1e4)  # a note is cut once every partial is 80 dB down


def _string_partials(f0_hz: float, sample_rate: int, *, velocity: float, mute: float,
                     pluck_pos: float, pickup_pos: float, inharmonicity: float, t60_s: float,
                     damping_hz: float, brightness_hz: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequencies (Hz), amplitudes and decay rates (1/s) of a plucked string's partials.

    pluck_pos, pickup_pos: distance from the bridge as a fraction of the vibrating length.
    mute: 0 = ringing freely, 1 = fully damped by the fretting hand (palm mutes ~0.5).
    t60_s: time for the fundamental of an unmuted note to fall by 60 dB (s);
    damping_hz: partials well above it decay ~(f/damping_hz)^2 faster;
    brightness_hz: corner of the pick's second-order spectral roll-off (Hz).
    """
    f_max = min(_MAX_PARTIAL_HZ, 0.45 * sample_rate)
    k = np.arange(1, max(1, int(f_max / f0_hz)) + 1, dtype=np.float64)
    freqs = k * f0_hz * np.sqrt(1.0 + inharmonicity * k * k)
    amps = (velocity * np.sin(np.pi * k * pluck_pos) * np.sin(np.pi * k * pickup_pos) / k
            / (1.0 + (freqs / (brightness_hz * (1.0 - 0.7 * mute))) ** 2))
    t60 = t60_s * (_MUTED_T60_S / t60_s) ** mute
    decays = math.log(1000.0) / t60 * (1.0 + (freqs / (damping_hz * (1.0 - 0.75 * mute))) ** 2)
    audible = (freqs < f_max) & (np.abs(amps) > 1e-4 * np.abs(amps).max())
    return freqs[audible], amps[audible], decays[audible]


@dataclass(frozen=True)
class Instrument:
    """Per-clip physical parameters of a plucked-string instrument."""

    open_strings: tuple[int, ...]  # MIDI notes of the open strings, low to high
    detune_cents: tuple[float, ...]  # tuning error of each string (cents)
    pluck_pos: float  # pluck distance from the bridge / open string length
    pickup_pos: float  # pickup distance from the bridge / open string length
    sustain_s: float  # T60 of the lowest open string's fundamental (s)
    damping_hz: float  # see _string_partials (Hz)
    brightness_hz: float  # pick brightness at full velocity (Hz)
    inharmonicity: float  # B of an open string; fretting shortens the string and raises B


@dataclass(frozen=True)
class Note:
    """One pluck: when, where on the neck, how hard, and when the player damps it."""

    onset_s: float  # clip time (s), may be negative for notes ringing into the clip
    string: int  # 0 = lowest string
    midi: int  # MIDI note number (the fret is midi - open string)
    velocity: float  # 0..1
    end_s: float = math.inf  # when the player damps the string (s); a new pluck on the string also does
    mute: float = 0.0  # 0 = open, ~0.5 palm mute, 1 = fret-hand muted chuck
    legato: bool = False  # hammer-on / pull-off: softer, darker attack
    vibrato_cents: float = 0.0  # depth of a pitch-raising vibrato (cents)
    vibrato_hz: float = 5.5  # vibrato rate (Hz)


def _note_partials(note: Note, instrument: Instrument,
                   sample_rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_string_partials` of ``note`` on ``instrument``: the fretted string is shorter, so the
    pluck and pickup sit relatively further from the bridge and the string is stiffer."""
    open_midi = instrument.open_strings[note.string]
    f0 = midi_to_hz(note.midi + instrument.detune_cents[note.string] / 100.0)
    shortening = 2.0 ** ((note.midi - open_midi) / 12.0)  # open length / vibrating length
    return _string_partials(
        f0, sample_rate,
        velocity=note.velocity * (0.6 if note.legato else 1.0),
        mute=note.mute,
        pluck_pos=min(0.5, instrument.pluck_pos * shortening),
        pickup_pos=min(0.5, instrument.pickup_pos * shortening),
        inharmonicity=instrument.inharmonicity * shortening**2,
        t60_s=instrument.sustain_s * math.sqrt(midi_to_hz(instrument.open_strings[0]) / f0),
        damping_hz=instrument.damping_hz,
        brightness_hz=instrument.brightness_hz * (0.4 + 0.6 * note.velocity) * (0.5 if note.legato else 1.0),
    )


def _render_note(note: Note, stop_s: float, instrument: Instrument, sample_rate: int,
                 max_samples: int) -> np.ndarray:
    """Samples of ``note`` from its onset until it is damped at ``stop_s`` (s) and has died away."""
    freqs, amps, decays = _note_partials(note, instrument, sample_rate)
    ring_s = min(stop_s - note.onset_s + 6.0 * _RELEASE_S, _INAUDIBLE_DECAY / decays.min())
    n = max(0, min(max_samples, int(ring_s * sample_rate)))
    if note.vibrato_cents > 0:
        n_source = int(n * 2.0 ** (note.vibrato_cents / 1200.0)) + 2
        x = vibrato(render_partials(freqs, amps, decays, n_source, sample_rate), n, sample_rate,
                     note.vibrato_cents, note.vibrato_hz)
    else:
        x = render_partials(freqs, amps, decays, n, sample_rate)
    stop = max(0, round(min(stop_s - note.onset_s, ring_s) * sample_rate))
    x[stop:] *= np.exp(-np.arange(len(x) - stop) / (_RELEASE_S * sample_rate))
    return x


def mix_strings(notes: list[Note], n: int, sample_rate: int,
                play_note: Callable[[Note, float, int], np.ndarray]) -> np.ndarray:
    """Mix of ``notes`` over ``n`` samples; each string sounds one note at a time.

    ``play_note(note, stop_s, max_samples)`` renders a note from its onset until it is damped
    at ``stop_s`` (its end, or the next pluck on its string) and has died away.
    """
    out = np.zeros(n)
    ordered = sorted(notes, key=lambda note: (note.string, note.onset_s))
    for _, on_string in itertools.groupby(ordered, key=lambda note: note.string):
        on_string = list(on_string)
        next_onsets = [note.onset_s for note in on_string[1:]] + [math.inf]
        for note, next_onset in zip(on_string, next_onsets):
            start = round(note.onset_s * sample_rate)
            if start < n:
                add_at(out, play_note(note, min(note.end_s, next_onset), n - start), start)
    return out


def render_notes(notes: list[Note], instrument: Instrument, n: int, sample_rate: int) -> np.ndarray:
    """Mix of ``notes`` played on the modal-synthesis ``instrument`` (see :func:`mix_strings`)."""
    return mix_strings(notes, n, sample_rate,
                       lambda note, stop_s, max_samples: _render_note(note, stop_s, instrument, sample_rate, max_samples))
