"""Music theory of the synthetic performances: songs (tempo, key, progression, time grid),
chord voicings (movable E- and A-shape on a standard-tuned six-string) and the player's feel.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dsp import pick_one


GUITAR_OPEN_STRINGS = (40, 45, 50, 55, 59, 64)  # MIDI notes E2 A2 D3 G3 B3 E4, low to high


# Chord qualities: semitones above the root.
CHORD_TONES = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10), "sus2": (0, 2, 7), "sus4": (0, 5, 7), "5": (0, 7),
}


# Movable chord shapes: frets above the barre, low E to high E string (None = not played).
# The E shape has its root on the low E string, the A shape on the A string; at fret 0
# they are the open chords.
_CHORD_SHAPES = {
    "E": {
        "maj": (0, 2, 2, 1, 0, 0), "min": (0, 2, 2, 0, 0, 0), "7": (0, 2, 0, 1, 0, 0),
        "maj7": (0, None, 1, 1, 0, None), "m7": (0, 2, 0, 0, 0, 0), "sus2": (0, 2, 4, 4, None, None),
        "sus4": (0, 2, 2, 2, 0, 0), "5": (0, 2, 2, None, None, None),
    },
    "A": {
        "maj": (None, 0, 2, 2, 2, 0), "min": (None, 0, 2, 2, 1, 0), "7": (None, 0, 2, 0, 2, 0),
        "maj7": (None, 0, 2, 1, 2, 0), "m7": (None, 0, 2, 0, 1, 0), "sus2": (None, 0, 2, 2, 0, 0),
        "sus4": (None, 0, 2, 2, 3, 0), "5": (None, 0, 2, 2, None, None),
    },
}


_SHAPE_ROOT_STRING = {"E": 0, "A": 1}


_COLOURED_QUALITIES = {"maj": ("7", "maj7", "sus2", "sus4"), "min": ("m7",)}


# Diatonic triads per scale degree: (semitones above the tonic, quality).
_KEY_TRIADS = {
    "major": {1: (0, "maj"), 2: (2, "min"), 3: (4, "min"), 4: (5, "maj"), 5: (7, "maj"), 6: (9, "min")},
    "minor": {1: (0, "min"), 3: (3, "maj"), 4: (5, "min"), 5: (7, "min"), 6: (8, "maj"), 7: (10, "maj")},
}


_PROGRESSIONS = {
    "major": ((1, 5, 6, 4), (1, 4, 5, 4), (1, 6, 4, 5), (2, 5, 1, 1), (1, 4, 1, 5), (6, 4, 1, 5),
              (1, 3, 4, 4)),
    "minor": ((1, 6, 3, 7), (1, 4, 5, 1), (1, 7, 6, 7), (1, 4, 7, 3), (1, 6, 7, 1), (1, 3, 7, 4)),
}


_MELODY_SCALES = {
    "major": ((0, 2, 4, 5, 7, 9, 11), (0, 2, 4, 7, 9)),
    "minor": ((0, 2, 3, 5, 7, 8, 10), (0, 3, 5, 7, 10)),
}


@dataclass(frozen=True)
class Song:
    """Tempo, key, harmony and time grid shared by every instrument of a clip."""

    tempo_bpm: float
    tonic_pc: int  # pitch class of the key's tonic (0 = C)
    mode: str  # "major" or "minor"
    scale: tuple[int, ...]  # melody scale, semitones above the tonic
    chords: tuple[tuple[int, str], ...]  # (root pitch class, quality), one per chord slot
    beats_per_chord: int
    start_beat: float  # beat at clip time 0 (clips open mid-loop, with notes ringing in)
    n_bars: int  # bars of 4/4 covering the clip from beat 0

    def time_s(self, beat: float) -> float:
        return (beat - self.start_beat) * 60.0 / self.tempo_bpm

    def chord_at(self, beat: float) -> tuple[int, str]:
        return self.chords[int(beat // self.beats_per_chord) % len(self.chords)]


def draw_song(rng: np.random.Generator, seconds: float) -> Song:
    tempo = float(rng.uniform(70.0, 160.0))
    tonic = int(rng.integers(12))
    mode = "minor" if rng.random() < 0.4 else "major"
    colour_prob = float(rng.uniform(0.0, 0.5))
    chords = []
    for degree in pick_one(rng, _PROGRESSIONS[mode]):
        offset, quality = _KEY_TRIADS[mode][degree]
        if rng.random() < colour_prob:
            quality = pick_one(rng, _COLOURED_QUALITIES[quality])
        chords.append(((tonic + offset) % 12, quality))
    start_beat = float(rng.uniform(1.0, 4.0))
    return Song(
        tempo_bpm=tempo, tonic_pc=tonic, mode=mode, scale=pick_one(rng, _MELODY_SCALES[mode]),
        chords=tuple(chords), beats_per_chord=pick_one(rng, (2, 4, 4, 8)), start_beat=start_beat,
        n_bars=math.ceil((start_beat + seconds * tempo / 60.0) / 4.0),
    )


def beat_accent(beat: float) -> float:
    """Metric accent: 1 on the downbeat, 0.85 on the other beats, 0.7 between beats."""
    if beat % 4 == 0:
        return 1.0
    return 0.85 if beat % 1 == 0 else 0.7


def _barre_fret(root_pc: int, shape: str) -> int:
    """Fret (0-11) at which a movable shape puts its root on the shape's root string."""
    return (root_pc - GUITAR_OPEN_STRINGS[_SHAPE_ROOT_STRING[shape]]) % 12


def _voicing(root_pc: int, quality: str, shape: str) -> tuple[int | None, ...]:
    """MIDI notes per string (None = not played) of a chord played with a movable shape."""
    barre = _barre_fret(root_pc, shape)
    return tuple(None if fret is None else open_midi + barre + fret
                 for open_midi, fret in zip(GUITAR_OPEN_STRINGS, _CHORD_SHAPES[shape][quality]))


def voice_chords(rng: np.random.Generator, chords, power: bool) -> dict[tuple[int, str], tuple]:
    """A voicing per chord of the song (power chords if ``power``), each shape chosen close
    on the neck to the previous one."""
    voicings = {}
    position = float(rng.uniform(0.0, 9.0))  # the fretting hand's starting fret
    for chord in chords:
        root_pc, quality = chord
        hand_move = {shape: abs(_barre_fret(root_pc, shape) - position) + rng.uniform(0.0, 3.0)
                     for shape in _CHORD_SHAPES}
        shape = min(hand_move, key=hand_move.get)
        position = _barre_fret(root_pc, shape)
        voicings.setdefault(chord, _voicing(root_pc, "5" if power else quality, shape))
    return voicings


@dataclass(frozen=True)
class Feel:
    """How one part is played (drawn per part)."""

    velocity: float  # average pick strength, 0..1
    jitter_s: float  # standard deviation of the timing (s)
    strum_gap_s: float  # delay between neighbouring strings in a strum (s)
    ring_prob: float  # probability that a stroke rings on instead of being damped


def draw_feel(rng: np.random.Generator) -> Feel:
    return Feel(velocity=float(rng.uniform(0.5, 0.9)), jitter_s=float(rng.uniform(0.002, 0.012)),
                 strum_gap_s=float(rng.uniform(0.005, 0.030)), ring_prob=float(rng.uniform(0.5, 1.0)))


def humanised(rng: np.random.Generator, value: float, spread: float = 0.08) -> float:
    return value * float(np.exp(rng.normal(0.0, spread)))
