"""Synthetic clean electric guitar: the playing styles (strums, arpeggios, melodies, power
chords, palm mutes), the per-clip arrangement and tone, and ``synth_guitar``.

A per-clip tone (pickup position, pick brightness, sustain, body/cabinet EQ, tone knob)
makes clips differ in timbre. Nothing is distorted: this is the clean target.
"""
from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.signal

from .dsp import biquad, log_uniform, n_samples, normalise_peak, pick_one
from .strings import Instrument, Note, render_notes
from .music import CHORD_TONES, Feel, GUITAR_OPEN_STRINGS, Song, beat_accent, draw_feel, draw_song, humanised, voice_chords


# Strokes per bar of 4/4 (8 chars = eighths, 16 = sixteenths): D down strum, U up strum
# over the top strings, M palm-muted down stroke, X fret-hand-muted chuck, . no stroke.
_STROKE_PATTERNS = {
    "strum": ("D.DU.UDU", "D.D.D.D.", "D.DUDUDU", "D.XUD.XU", "DUDUDUDU", "D..UD.DU", "D.DU.UDUD.DU.UDU"),
    "power_chords": ("D.......", "D...D...", "D.D.D.D.", "D..D..D.", "D.DDD.DD"),
    "palm_mute": ("DMMMDMMM", "DMMDMMDM", "DMMMMMMMDMMMMMMM", "MMDMMMDM", "DMMMDM.MDMMMDM.M"),
}


# Fingerpicking per eighth (or sixteenth): B bass (lowest voiced) string, A the next voiced
# string, digits count strings from the top (1 = high E); several digits are a pinch.
_ARPEGGIO_PATTERNS = (
    ("B", "3", "2", "1", "2", "3", "2", "1"), ("B", "2", "A", "1", "B", "2", "A", "1"),
    ("B", "3", "2", "3", "1", "3", "2", "3"), ("B", "3", "21", "3", "A", "3", "21", "3"),
    ("B", "2", "3", "1", "3", "2", "A", "3"),
)


_RHYTHM_STYLES = ("strum", "arpeggio", "power_chords", "palm_mute")


_STYLES = _RHYTHM_STYLES + ("melody",)


def synth_guitar(rng: np.random.Generator, seconds: float, sample_rate: int = 16000) -> np.ndarray:
    """A clean polyphonic electric-guitar loop: mono float64, ``round(seconds*sample_rate)`` samples.

    Tempo, key, chord progression, playing style(s) and tone are drawn from ``rng``.
    """
    n = n_samples(seconds, sample_rate)
    if n == 0:
        return np.zeros(0)
    plan = draw_guitar_plan(rng, n / sample_rate, sample_rate)
    return normalise_peak(render_guitar(rng, plan, n, sample_rate))


def _slots_to_next_stroke(pattern: str, slot: int) -> int:
    """Slots from ``slot`` to the next stroke of the (repeating) pattern."""
    following = pattern[slot + 1:] + pattern[:slot + 1]
    return next(distance for distance, stroke in enumerate(following, 1) if stroke != ".")


def _strum_notes(rng: np.random.Generator, song: Song, bars, voicings, pattern: str,
                 feel: Feel) -> list[Note]:
    """Strokes of ``pattern`` (see _STROKE_PATTERNS) over the chords of ``bars``."""
    notes = []
    slot_beats = 4.0 / len(pattern)
    slot_s = slot_beats * 60.0 / song.tempo_bpm
    for bar, (slot, stroke) in itertools.product(bars, enumerate(pattern)):
        if stroke == ".":
            continue
        beat = 4.0 * bar + slot * slot_beats
        voicing = voicings[song.chord_at(beat)]
        strings = [s for s, midi in enumerate(voicing) if midi is not None]
        if stroke == "U":
            strings = strings[-int(rng.integers(3, 5, endpoint=True)):][::-1]
        elif stroke == "M":
            strings = strings[:3]
        mute = {"D": 0.0, "U": 0.0, "M": float(rng.uniform(0.4, 0.65)), "X": 1.0}[stroke]
        velocity = feel.velocity * beat_accent(beat) * {"D": 1.0, "U": 0.8, "M": 0.9, "X": 0.6}[stroke]
        onset = song.time_s(beat) + rng.normal(0.0, feel.jitter_s)
        held_s = _slots_to_next_stroke(pattern, slot) * slot_s * rng.uniform(0.7, 1.0)
        end = math.inf if rng.random() < feel.ring_prob else onset + held_s
        gap = min(feel.strum_gap_s * (0.7 if stroke == "U" else 1.0), 0.5 * slot_s / len(strings))
        string_onsets = onset + np.cumsum(np.r_[0.0, gap * np.exp(rng.normal(0.0, 0.2, len(strings) - 1))])
        for string, string_onset in zip(strings, string_onsets):
            notes.append(Note(float(string_onset), string, voicing[string],
                               min(1.0, humanised(rng, velocity)), end, mute))
    return notes


def _arpeggio_strings(token: str, voicing) -> list[int]:
    """Strings a fingerpicking token plucks (see _ARPEGGIO_PATTERNS); unvoiced strings are skipped."""
    voiced = [s for s, midi in enumerate(voicing) if midi is not None]
    if token == "B":
        return voiced[:1]
    if token == "A":
        return voiced[1:2]
    return [6 - int(d) for d in token if voicing[6 - int(d)] is not None]


def _arpeggio_notes(rng: np.random.Generator, song: Song, bars, voicings, feel: Feel) -> list[Note]:
    """A fingerpicking pattern over the chords of ``bars``, in eighths or (slow tempi) sixteenths."""
    pattern = pick_one(rng, _ARPEGGIO_PATTERNS)
    slot_beats = 0.25 if song.tempo_bpm < 100 and rng.random() < 0.5 else 0.5
    notes = []
    for bar, slot in itertools.product(bars, range(int(4 / slot_beats))):
        beat = 4.0 * bar + slot * slot_beats
        token = pattern[slot % len(pattern)]
        voicing = voicings[song.chord_at(beat)]
        onset = song.time_s(beat) + rng.normal(0.0, feel.jitter_s)
        velocity = feel.velocity * beat_accent(beat) * (1.1 if token in "BA" else 0.85)
        end = math.inf if rng.random() < feel.ring_prob else onset + 2 * slot_beats * 60.0 / song.tempo_bpm
        for string in _arpeggio_strings(token, voicing):
            notes.append(Note(onset, string, voicing[string], min(1.0, humanised(rng, velocity)), end))
    return notes


def _fretboard_scale(song: Song, position: int) -> list[tuple[int, int]]:
    """(MIDI note, string) of the scale notes under a hand at fret ``position`` on the top four
    strings, ascending; a pitch found on two strings is played on the higher one."""
    by_pitch = {}
    for string in range(2, 6):
        for fret in range(position, position + 5):
            midi = GUITAR_OPEN_STRINGS[string] + fret
            if (midi - song.tonic_pc) % 12 in song.scale:
                by_pitch[midi] = string
    return sorted(by_pitch.items())


def _melody_step(rng: np.random.Generator, pitches: list[tuple[int, int]], index: int,
                 chord: tuple[int, str] | None) -> int:
    """Next index into ``pitches``: mostly a step or a skip; with a ``chord`` (on a beat),
    the chord tone nearest to it."""
    index += int(rng.choice((-3, -2, -1, 1, 2, 3), p=(0.05, 0.2, 0.25, 0.25, 0.2, 0.05)))
    last = len(pitches) - 1
    index = last - abs(last - abs(index))  # reflect at both ends
    if chord is not None:
        root_pc, quality = chord
        tones = {(root_pc + interval) % 12 for interval in CHORD_TONES[quality]}
        chord_tones = [i for i, (midi, _) in enumerate(pitches) if midi % 12 in tones]
        if chord_tones:
            index = min(chord_tones, key=lambda i: abs(i - index))
    return index


def _melody_notes(rng: np.random.Generator, song: Song, bars, feel: Feel) -> list[Note]:
    """A single-note line: a walk on the scale landing on chord tones on the beats, with varied
    rhythm, rests, hammer-ons/pull-offs and vibrato on long notes."""
    pitches = _fretboard_scale(song, int(rng.integers(0, 16)))
    durations = np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0])  # beats
    duration_probs = rng.dirichlet(np.ones(len(durations)))
    legato_prob = float(rng.uniform(0.0, 0.4))
    vibrato_cents = float(rng.uniform(10.0, 40.0))
    index = int(rng.integers(len(pitches)))
    notes: list[Note] = []
    beat = 0.0
    for bar in bars:
        beat = max(beat, 4.0 * bar)
        while beat < 4.0 * bar + 4.0:
            duration = float(rng.choice(durations, p=duration_probs))
            if rng.random() < 0.12:
                beat += min(duration, 1.0)  # a rest of at most one beat
                continue
            duration_s = duration * 60.0 / song.tempo_bpm
            index = _melody_step(rng, pitches, index, song.chord_at(beat) if beat % 1 == 0 else None)
            midi, string = pitches[index]
            legato = (bool(notes) and rng.random() < legato_prob
                      and 0 <= midi - GUITAR_OPEN_STRINGS[notes[-1].string] <= 22)
            onset = song.time_s(beat) + rng.normal(0.0, feel.jitter_s)
            notes.append(Note(
                onset, notes[-1].string if legato else string, midi,
                min(1.0, humanised(rng, feel.velocity * beat_accent(beat))),
                end_s=onset + duration_s * rng.uniform(0.9, 1.3), legato=legato,
                vibrato_cents=vibrato_cents if duration_s > 0.35 and rng.random() < 0.6 else 0.0,
                vibrato_hz=float(rng.uniform(4.5, 6.5)),
            ))
            beat += duration
    return notes


@dataclass(frozen=True)
class _Part:
    """One guitar part of a clip: a playing style over some of the bars."""

    style: str  # one of _STYLES
    bars: tuple[int, ...]  # bars in which this part plays
    level: float  # linear gain


@dataclass(frozen=True)
class GuitarPlan:
    """Everything drawn for a guitar clip before its notes are generated."""

    song: Song
    parts: tuple[_Part, ...]
    instrument: Instrument
    tone_sos: np.ndarray  # cabinet/body EQ and tone knob (second-order sections)


def _draw_arrangement(rng: np.random.Generator, n_bars: int) -> tuple[_Part, ...]:
    """One style, or a mixture: rhythm plus lead fills, or two rhythm styles taking turns."""
    all_bars = tuple(range(n_bars))
    kind = rng.random()
    if kind < 0.6:
        return (_Part(pick_one(rng, _STYLES), all_bars, 1.0),)
    first, second = (_RHYTHM_STYLES[i] for i in rng.permutation(len(_RHYTHM_STYLES))[:2])
    if kind < 0.85:
        lead_bars = tuple(bar for bar in all_bars if rng.random() < 0.6) or all_bars[-1:]
        return _Part(first, all_bars, float(rng.uniform(0.4, 0.8))), _Part("melody", lead_bars, 1.0)
    turn_bars = pick_one(rng, (1, 2))
    return (_Part(first, tuple(b for b in all_bars if (b // turn_bars) % 2 == 0), 1.0),
            _Part(second, tuple(b for b in all_bars if (b // turn_bars) % 2 == 1), 1.0))


def _draw_guitar(rng: np.random.Generator) -> Instrument:
    """A six-string electric guitar in standard tuning with per-clip pickup, strings and pick."""
    return Instrument(
        open_strings=GUITAR_OPEN_STRINGS, detune_cents=tuple(rng.normal(0.0, 3.0, 6)),
        pluck_pos=float(rng.uniform(0.08, 0.2)), pickup_pos=float(rng.uniform(0.06, 0.25)),
        sustain_s=float(rng.uniform(4.0, 12.0)), damping_hz=float(rng.uniform(1000.0, 3000.0)),
        brightness_hz=float(rng.uniform(1500.0, 5000.0)), inharmonicity=log_uniform(rng, 2e-5, 1.5e-4),
    )


def _guitar_tone(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Cabinet high-pass, body resonance, presence peak/dip and tone-knob low-pass (sos)."""
    return np.concatenate([
        biquad("highpass", rng.uniform(60.0, 90.0), sample_rate),
        biquad("peaking", rng.uniform(100.0, 250.0), sample_rate, q=rng.uniform(0.7, 1.4),
                gain_db=rng.uniform(0.0, 4.0)),
        biquad("peaking", rng.uniform(1500.0, 4000.0), sample_rate, q=rng.uniform(0.7, 1.4),
                gain_db=rng.uniform(-4.0, 4.0)),
        biquad("lowpass", rng.uniform(2500.0, 7000.0), sample_rate),
    ])


def draw_guitar_plan(rng: np.random.Generator, seconds: float, sample_rate: int) -> GuitarPlan:
    song = draw_song(rng, seconds)
    arrangement = _draw_arrangement(rng, song.n_bars)
    return GuitarPlan(song, arrangement, _draw_guitar(rng), _guitar_tone(rng, sample_rate))


def _part_notes(rng: np.random.Generator, song: Song, part: _Part) -> list[Note]:
    """The notes ``part`` plays, with a freshly drawn feel."""
    feel = draw_feel(rng)
    if part.style == "melody":
        return _melody_notes(rng, song, part.bars, feel)
    power = part.style in ("power_chords", "palm_mute")
    voicings = voice_chords(rng, song.chords, power)
    if part.style == "arpeggio":
        return _arpeggio_notes(rng, song, part.bars, voicings, feel)
    return _strum_notes(rng, song, part.bars, voicings, pick_one(rng, _STROKE_PATTERNS[part.style]), feel)


def render_guitar(rng: np.random.Generator, plan: GuitarPlan, n: int, sample_rate: int,
                  play_notes: Callable[[list[Note], int, int], np.ndarray] | None = None) -> np.ndarray:
    """``n`` samples of the plan's parts (notes drawn from ``rng``) through the guitar tone.

    ``play_notes(notes, n, sample_rate)`` renders a part's notes; by default the modal-synthesis
    strings of ``plan.instrument``.
    """
    if play_notes is None:
        play_notes = functools.partial(render_notes, instrument=plan.instrument)
    out = np.zeros(n)
    for part in plan.parts:
        out += part.level * play_notes(_part_notes(rng, plan.song, part), n=n, sample_rate=sample_rate)
    return scipy.signal.sosfilt(plan.tone_sos, out)
