"""Embedded clean audio: synthetic clean electric guitar loops and SignalTrain-like mixes.

Design:

* A string note is modal: a sum of exponentially decaying partials at
  ``f_k = k f0 sqrt(1 + B k^2)`` whose amplitudes carry the pluck- and pickup-position
  combs and whose decay rates grow with frequency (`_string_partials`). `_render_partials`
  sums them in blocks, using ``exp(s (b L + j)) = exp(s b L) exp(s j)``, so a note costs
  one (blocks x partials) @ (partials x L) product, taken in float32 by ``np.einsum``, which
  never calls BLAS: the bytes do not depend on the number of threads.
* Music: a `_Song` (tempo, key, chord progression, time grid) drives note generators for
  each playing style (strums, arpeggios, melodies, power chords, palm mutes). Chords use
  movable E- and A-shape voicings on a standard-tuned six-string; every string is
  monophonic, so a new pluck damps the note still ringing on that string.
* A per-clip tone (pickup position, pick brightness, sustain, body/cabinet EQ, tone knob)
  makes clips differ in timbre. Nothing is distorted: this is the clean target.
* `synth_mix` lays SignalTrain-style sections (sweeps, noise, clicks, steady tones, level
  steps, music with bass and drums) end to end at levels spread over 20 dB, sometimes
  overlaying a test signal on top.

Every random choice is drawn from the ``rng`` passed in, in a fixed order.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.fft
import scipy.signal

OUTPUT_PEAK = 0.5  # peak of every returned clip (the caller re-normalises anyway)

_GUITAR_OPEN_STRINGS = (40, 45, 50, 55, 59, 64)  # MIDI notes E2 A2 D3 G3 B3 E4, low to high
_BASS_OPEN_STRING = 28  # MIDI E1
_MAX_PARTIAL_HZ = 8000.0  # partials above this (or above 0.45 sample_rate) are not rendered
_RELEASE_S = 0.012  # time constant of the damping when a player stops a string (s)
_MUTED_T60_S = 0.04  # T60 of a fully fret-hand-muted string (s)
_INAUDIBLE_DECAY = math.log(1e4)  # a note is cut once every partial is 80 dB down

# Chord qualities: semitones above the root.
_CHORD_TONES = {
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
_BASS_PATTERNS = ("x.x.x.x.", "x...x...", "x..x..x.", "xxxxxxxx", "x.xxx.xx", "x..x.xx.")
_DRUM_PATTERNS = {  # sixteenths of one bar
    "kick": ("x.......x.......", "x.......x.x.....", "x..x....x.......", "x...x...x...x...",
             "x.....x...x....."),
    "snare": ("....x.......x...", "....x.......x..x", "....x..x....x..."),
    "hat": ("x.x.x.x.x.x.x.x.", "xxxxxxxxxxxxxxxx", "x...x...x...x...", "..x...x...x...x."),
}
_TEST_SIGNAL_KINDS = ("sweep", "noise", "filtered_noise", "clicks", "tone", "level_steps")
# Music is drawn 14 times as often as each test signal: about 70 % of the sections are
# music, as in SignalTrain, which is mostly music with test signals in between.
_SECTION_KINDS = _TEST_SIGNAL_KINDS + ("music",) * 14


# --- public API ---------------------------------------------------------------------------------

def synth_guitar(rng: np.random.Generator, seconds: float, sample_rate: int = 16000) -> np.ndarray:
    """A clean polyphonic electric-guitar loop: mono float64, ``round(seconds*sample_rate)`` samples.

    Tempo, key, chord progression, playing style(s) and tone are drawn from ``rng``.
    """
    n = _n_samples(seconds, sample_rate)
    if n == 0:
        return np.zeros(0)
    plan = _draw_guitar_plan(rng, n / sample_rate, sample_rate)
    return _normalise_peak(_render_guitar(rng, plan, n, sample_rate))


def synth_mix(rng: np.random.Generator, seconds: float, sample_rate: int = 16000) -> np.ndarray:
    """SignalTrain-like test signals and music: mono float64, ``round(seconds*sample_rate)`` samples.

    Section kinds, lengths and levels (spread over 20 dB) are drawn from ``rng``.
    """
    n = _n_samples(seconds, sample_rate)
    out = np.zeros(n)
    for section in _draw_mix_plan(rng, n, sample_rate):
        length = section.stop - section.start
        if length == 0:  # only in clips shorter than a few samples
            continue
        signal = _SECTION_RENDERERS[section.kind](rng, length, sample_rate)
        level = _db_to_gain(section.gain_db)
        out[section.start:section.stop] += _fade_edges(_normalise_rms(signal), sample_rate) * level
    return _normalise_peak(out)


# --- small helpers ------------------------------------------------------------------------------

def _n_samples(seconds: float, sample_rate: int) -> int:
    if seconds < 0 or sample_rate <= 0:
        raise ValueError(f"need seconds >= 0 and sample_rate > 0, got {seconds} s at {sample_rate} Hz")
    return int(round(seconds * sample_rate))


def _db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)


def _midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _pick(rng: np.random.Generator, options: tuple) -> Any:
    """One element of ``options``, uniformly (keeps Python types, unlike ``rng.choice``)."""
    return options[int(rng.integers(len(options)))]


def _normalise_peak(x: np.ndarray, peak: float = OUTPUT_PEAK) -> np.ndarray:
    largest = np.max(np.abs(x), initial=0.0)
    return x * (peak / largest) if largest > 0 else x


def _normalise_rms(x: np.ndarray) -> np.ndarray:
    rms = math.sqrt(np.mean(x * x)) if len(x) else 0.0
    return x / rms if rms > 0 else x


def _fade_edges(x: np.ndarray, sample_rate: int, fade_s: float = 0.002) -> np.ndarray:
    """``x`` with raised-cosine fade-in and fade-out of ``fade_s`` seconds (no boundary clicks)."""
    n_fade = min(int(fade_s * sample_rate), len(x) // 2)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n_fade) + 0.5) / n_fade)
    x = x.copy()
    x[:n_fade] *= ramp
    x[len(x) - n_fade:] *= ramp[::-1]
    return x


def _add_at(out: np.ndarray, signal: np.ndarray, start: int) -> None:
    """``out[start:start+len(signal)] += signal``, dropping what falls outside ``out``."""
    skip = max(0, -start)
    stop = min(len(out), start + len(signal))
    if stop > start + skip:
        out[start + skip:stop] += signal[skip:stop - start]


def _biquad(kind: str, freq_hz: float, sample_rate: int, q: float = math.sqrt(0.5),
            gain_db: float = 0.0) -> np.ndarray:
    """RBJ-cookbook "lowpass", "highpass" or "peaking" filter as one second-order section.

    freq_hz (clamped below 0.45 sample_rate): corner or centre; the default q is Butterworth.
    """
    w0 = 2.0 * math.pi * min(freq_hz, 0.45 * sample_rate) / sample_rate
    cos_w0, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    a = 10.0 ** (gain_db / 40.0)  # 1 unless peaking
    den = [1.0 + alpha / a, -2.0 * cos_w0, 1.0 - alpha / a]
    b = {
        "lowpass": [(1.0 - cos_w0) / 2.0, 1.0 - cos_w0, (1.0 - cos_w0) / 2.0],
        "highpass": [(1.0 + cos_w0) / 2.0, -(1.0 + cos_w0), (1.0 + cos_w0) / 2.0],
        "peaking": [1.0 + alpha * a, -2.0 * cos_w0, 1.0 - alpha * a],
    }[kind]
    return np.array([b + den]) / den[0]


def _pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Gaussian noise with a 1/f power spectrum (-3 dB per octave)."""
    n_fft = scipy.fft.next_fast_len(n, real=True)
    spectrum = np.fft.rfft(rng.standard_normal(n_fft))
    spectrum[0] = 0.0
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
    return np.fft.irfft(spectrum, n_fft)[:n]


# --- modal string synthesis ---------------------------------------------------------------------

def _exp_table(steps: np.ndarray, count: int) -> np.ndarray:
    """``exp(steps[:, None] * arange(count))``, built as ``exp(s a m) * exp(s b)`` for
    ``j = a m + b``: about ``2 sqrt(count)`` complex exponentials per row instead of ``count``."""
    m = math.isqrt(max(count - 1, 0)) + 1
    fine = np.exp(np.outer(steps, np.arange(m)))
    coarse = np.exp(np.outer(steps, np.arange(0, count, m)))
    return (coarse[:, :, None] * fine[:, None, :]).reshape(len(steps), -1)[:, :count]


def _render_partials(freqs_hz: np.ndarray, amps: np.ndarray, decays_per_s: np.ndarray,
                     n: int, sample_rate: int) -> np.ndarray:
    """``sum_k amps[k] exp(-decays[k] t) sin(2 pi freqs[k] t)`` at ``t = arange(n)/sample_rate``.

    Sample ``b*L + j`` of partial k is ``exp(s_k b L) * exp(s_k j)``, so the sum is a
    (blocks x 2K) @ (2K x L) real product. It runs in einsum, which (without ``optimize``)
    never calls BLAS, in float32, whose rounding (~1e-7) is far below 16-bit quantisation.
    """
    if n == 0 or len(freqs_hz) == 0:
        return np.zeros(n)
    block = math.isqrt(n - 1) + 1  # ~sqrt(n) keeps both tables small
    steps = (-decays_per_s + 2j * math.pi * freqs_hz) / sample_rate  # complex log-step per sample
    within = _exp_table(steps, block)  # (K, block)
    starts = _exp_table(steps * block, -(-n // block)).T * amps  # (blocks, K)
    # imag(starts @ within) with real arithmetic only
    lhs = np.concatenate([starts.real, starts.imag], axis=1, dtype=np.float32)
    rhs = np.concatenate([within.imag, within.real], axis=0, dtype=np.float32)
    return np.einsum("bk,kj->bj", lhs, rhs).ravel()[:n].astype(np.float64)


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
class _Instrument:
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
class _Note:
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


def _note_partials(note: _Note, instrument: _Instrument,
                   sample_rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_string_partials` of ``note`` on ``instrument``: the fretted string is shorter, so the
    pluck and pickup sit relatively further from the bridge and the string is stiffer."""
    open_midi = instrument.open_strings[note.string]
    f0 = _midi_to_hz(note.midi + instrument.detune_cents[note.string] / 100.0)
    shortening = 2.0 ** ((note.midi - open_midi) / 12.0)  # open length / vibrating length
    return _string_partials(
        f0, sample_rate,
        velocity=note.velocity * (0.6 if note.legato else 1.0),
        mute=note.mute,
        pluck_pos=min(0.5, instrument.pluck_pos * shortening),
        pickup_pos=min(0.5, instrument.pickup_pos * shortening),
        inharmonicity=instrument.inharmonicity * shortening**2,
        t60_s=instrument.sustain_s * math.sqrt(_midi_to_hz(instrument.open_strings[0]) / f0),
        damping_hz=instrument.damping_hz,
        brightness_hz=instrument.brightness_hz * (0.4 + 0.6 * note.velocity) * (0.5 if note.legato else 1.0),
    )


def _vibrato(x: np.ndarray, n: int, sample_rate: int, depth_cents: float, rate_hz: float) -> np.ndarray:
    """``n`` samples of ``x`` read at a speed that raises the pitch by up to ``depth_cents``.

    The vibrato fades in after 150 ms, like a player's; ``x`` needs ``n * 2**(depth/1200)`` samples.
    """
    t = np.arange(n) / sample_rate
    depth = depth_cents * np.clip((t - 0.15) / 0.2, 0.0, 1.0)
    speed = 2.0 ** (depth * (0.5 - 0.5 * np.cos(2.0 * np.pi * rate_hz * t)) / 1200.0)
    read_at = np.cumsum(speed) - speed[0]
    return np.interp(read_at, np.arange(len(x)), x)


def _render_note(note: _Note, stop_s: float, instrument: _Instrument, sample_rate: int,
                 max_samples: int) -> np.ndarray:
    """Samples of ``note`` from its onset until it is damped at ``stop_s`` (s) and has died away."""
    freqs, amps, decays = _note_partials(note, instrument, sample_rate)
    ring_s = min(stop_s - note.onset_s + 6.0 * _RELEASE_S, _INAUDIBLE_DECAY / decays.min())
    n = max(0, min(max_samples, int(ring_s * sample_rate)))
    if note.vibrato_cents > 0:
        n_source = int(n * 2.0 ** (note.vibrato_cents / 1200.0)) + 2
        x = _vibrato(_render_partials(freqs, amps, decays, n_source, sample_rate), n, sample_rate,
                     note.vibrato_cents, note.vibrato_hz)
    else:
        x = _render_partials(freqs, amps, decays, n, sample_rate)
    stop = max(0, round(min(stop_s - note.onset_s, ring_s) * sample_rate))
    x[stop:] *= np.exp(-np.arange(len(x) - stop) / (_RELEASE_S * sample_rate))
    return x


def _render_notes(notes: list[_Note], instrument: _Instrument, n: int, sample_rate: int) -> np.ndarray:
    """Mix of ``notes`` over ``n`` samples; each string sounds one note at a time."""
    out = np.zeros(n)
    ordered = sorted(notes, key=lambda note: (note.string, note.onset_s))
    for _, on_string in itertools.groupby(ordered, key=lambda note: note.string):
        on_string = list(on_string)
        next_onsets = [note.onset_s for note in on_string[1:]] + [math.inf]
        for note, next_onset in zip(on_string, next_onsets):
            start = round(note.onset_s * sample_rate)
            if start < n:
                stop_s = min(note.end_s, next_onset)
                _add_at(out, _render_note(note, stop_s, instrument, sample_rate, n - start), start)
    return out


# --- harmony and time -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Song:
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


def _draw_song(rng: np.random.Generator, seconds: float) -> _Song:
    tempo = float(rng.uniform(70.0, 160.0))
    tonic = int(rng.integers(12))
    mode = "minor" if rng.random() < 0.4 else "major"
    colour_prob = float(rng.uniform(0.0, 0.5))
    chords = []
    for degree in _pick(rng, _PROGRESSIONS[mode]):
        offset, quality = _KEY_TRIADS[mode][degree]
        if rng.random() < colour_prob:
            quality = _pick(rng, _COLOURED_QUALITIES[quality])
        chords.append(((tonic + offset) % 12, quality))
    start_beat = float(rng.uniform(1.0, 4.0))
    return _Song(
        tempo_bpm=tempo, tonic_pc=tonic, mode=mode, scale=_pick(rng, _MELODY_SCALES[mode]),
        chords=tuple(chords), beats_per_chord=_pick(rng, (2, 4, 4, 8)), start_beat=start_beat,
        n_bars=math.ceil((start_beat + seconds * tempo / 60.0) / 4.0),
    )


def _accent(beat: float) -> float:
    """Metric accent: 1 on the downbeat, 0.85 on the other beats, 0.7 between beats."""
    if beat % 4 == 0:
        return 1.0
    return 0.85 if beat % 1 == 0 else 0.7


def _barre_fret(root_pc: int, shape: str) -> int:
    """Fret (0-11) at which a movable shape puts its root on the shape's root string."""
    return (root_pc - _GUITAR_OPEN_STRINGS[_SHAPE_ROOT_STRING[shape]]) % 12


def _voicing(root_pc: int, quality: str, shape: str) -> tuple[int | None, ...]:
    """MIDI notes per string (None = not played) of a chord played with a movable shape."""
    barre = _barre_fret(root_pc, shape)
    return tuple(None if fret is None else open_midi + barre + fret
                 for open_midi, fret in zip(_GUITAR_OPEN_STRINGS, _CHORD_SHAPES[shape][quality]))


def _voice_chords(rng: np.random.Generator, chords, power: bool) -> dict[tuple[int, str], tuple]:
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


# --- playing styles -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Feel:
    """How one part is played (drawn per part)."""

    velocity: float  # average pick strength, 0..1
    jitter_s: float  # standard deviation of the timing (s)
    strum_gap_s: float  # delay between neighbouring strings in a strum (s)
    ring_prob: float  # probability that a stroke rings on instead of being damped


def _draw_feel(rng: np.random.Generator) -> _Feel:
    return _Feel(velocity=float(rng.uniform(0.5, 0.9)), jitter_s=float(rng.uniform(0.002, 0.012)),
                 strum_gap_s=float(rng.uniform(0.005, 0.030)), ring_prob=float(rng.uniform(0.5, 1.0)))


def _humanised(rng: np.random.Generator, value: float, spread: float = 0.08) -> float:
    return value * float(np.exp(rng.normal(0.0, spread)))


def _slots_to_next_stroke(pattern: str, slot: int) -> int:
    """Slots from ``slot`` to the next stroke of the (repeating) pattern."""
    following = pattern[slot + 1:] + pattern[:slot + 1]
    return next(distance for distance, stroke in enumerate(following, 1) if stroke != ".")


def _strum_notes(rng: np.random.Generator, song: _Song, bars, voicings, pattern: str,
                 feel: _Feel) -> list[_Note]:
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
        velocity = feel.velocity * _accent(beat) * {"D": 1.0, "U": 0.8, "M": 0.9, "X": 0.6}[stroke]
        onset = song.time_s(beat) + rng.normal(0.0, feel.jitter_s)
        held_s = _slots_to_next_stroke(pattern, slot) * slot_s * rng.uniform(0.7, 1.0)
        end = math.inf if rng.random() < feel.ring_prob else onset + held_s
        gap = min(feel.strum_gap_s * (0.7 if stroke == "U" else 1.0), 0.5 * slot_s / len(strings))
        string_onsets = onset + np.cumsum(np.r_[0.0, gap * np.exp(rng.normal(0.0, 0.2, len(strings) - 1))])
        for string, string_onset in zip(strings, string_onsets):
            notes.append(_Note(float(string_onset), string, voicing[string],
                               min(1.0, _humanised(rng, velocity)), end, mute))
    return notes


def _arpeggio_strings(token: str, voicing) -> list[int]:
    """Strings a fingerpicking token plucks (see _ARPEGGIO_PATTERNS); unvoiced strings are skipped."""
    voiced = [s for s, midi in enumerate(voicing) if midi is not None]
    if token == "B":
        return voiced[:1]
    if token == "A":
        return voiced[1:2]
    return [6 - int(d) for d in token if voicing[6 - int(d)] is not None]


def _arpeggio_notes(rng: np.random.Generator, song: _Song, bars, voicings, feel: _Feel) -> list[_Note]:
    """A fingerpicking pattern over the chords of ``bars``, in eighths or (slow tempi) sixteenths."""
    pattern = _pick(rng, _ARPEGGIO_PATTERNS)
    slot_beats = 0.25 if song.tempo_bpm < 100 and rng.random() < 0.5 else 0.5
    notes = []
    for bar, slot in itertools.product(bars, range(int(4 / slot_beats))):
        beat = 4.0 * bar + slot * slot_beats
        token = pattern[slot % len(pattern)]
        voicing = voicings[song.chord_at(beat)]
        onset = song.time_s(beat) + rng.normal(0.0, feel.jitter_s)
        velocity = feel.velocity * _accent(beat) * (1.1 if token in "BA" else 0.85)
        end = math.inf if rng.random() < feel.ring_prob else onset + 2 * slot_beats * 60.0 / song.tempo_bpm
        for string in _arpeggio_strings(token, voicing):
            notes.append(_Note(onset, string, voicing[string], min(1.0, _humanised(rng, velocity)), end))
    return notes


def _fretboard_scale(song: _Song, position: int) -> list[tuple[int, int]]:
    """(MIDI note, string) of the scale notes under a hand at fret ``position`` on the top four
    strings, ascending; a pitch found on two strings is played on the higher one."""
    by_pitch = {}
    for string in range(2, 6):
        for fret in range(position, position + 5):
            midi = _GUITAR_OPEN_STRINGS[string] + fret
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
        tones = {(root_pc + interval) % 12 for interval in _CHORD_TONES[quality]}
        chord_tones = [i for i, (midi, _) in enumerate(pitches) if midi % 12 in tones]
        if chord_tones:
            index = min(chord_tones, key=lambda i: abs(i - index))
    return index


def _melody_notes(rng: np.random.Generator, song: _Song, bars, feel: _Feel) -> list[_Note]:
    """A single-note line: a walk on the scale landing on chord tones on the beats, with varied
    rhythm, rests, hammer-ons/pull-offs and vibrato on long notes."""
    pitches = _fretboard_scale(song, int(rng.integers(0, 16)))
    durations = np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0])  # beats
    duration_probs = rng.dirichlet(np.ones(len(durations)))
    legato_prob = float(rng.uniform(0.0, 0.4))
    vibrato_cents = float(rng.uniform(10.0, 40.0))
    index = int(rng.integers(len(pitches)))
    notes: list[_Note] = []
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
                      and 0 <= midi - _GUITAR_OPEN_STRINGS[notes[-1].string] <= 22)
            onset = song.time_s(beat) + rng.normal(0.0, feel.jitter_s)
            notes.append(_Note(
                onset, notes[-1].string if legato else string, midi,
                min(1.0, _humanised(rng, feel.velocity * _accent(beat))),
                end_s=onset + duration_s * rng.uniform(0.9, 1.3), legato=legato,
                vibrato_cents=vibrato_cents if duration_s > 0.35 and rng.random() < 0.6 else 0.0,
                vibrato_hz=float(rng.uniform(4.5, 6.5)),
            ))
            beat += duration
    return notes


# --- guitar clips ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Part:
    """One guitar part of a clip: a playing style over some of the bars."""

    style: str  # one of _STYLES
    bars: tuple[int, ...]  # bars in which this part plays
    level: float  # linear gain


@dataclass(frozen=True)
class _GuitarPlan:
    """Everything drawn for a guitar clip before its notes are generated."""

    song: _Song
    parts: tuple[_Part, ...]
    instrument: _Instrument
    tone_sos: np.ndarray  # cabinet/body EQ and tone knob (second-order sections)


def _draw_arrangement(rng: np.random.Generator, n_bars: int) -> tuple[_Part, ...]:
    """One style, or a mixture: rhythm plus lead fills, or two rhythm styles taking turns."""
    all_bars = tuple(range(n_bars))
    kind = rng.random()
    if kind < 0.6:
        return (_Part(_pick(rng, _STYLES), all_bars, 1.0),)
    first, second = (_RHYTHM_STYLES[i] for i in rng.permutation(len(_RHYTHM_STYLES))[:2])
    if kind < 0.85:
        lead_bars = tuple(bar for bar in all_bars if rng.random() < 0.6) or all_bars[-1:]
        return _Part(first, all_bars, float(rng.uniform(0.4, 0.8))), _Part("melody", lead_bars, 1.0)
    turn_bars = _pick(rng, (1, 2))
    return (_Part(first, tuple(b for b in all_bars if (b // turn_bars) % 2 == 0), 1.0),
            _Part(second, tuple(b for b in all_bars if (b // turn_bars) % 2 == 1), 1.0))


def _draw_guitar(rng: np.random.Generator) -> _Instrument:
    """A six-string electric guitar in standard tuning with per-clip pickup, strings and pick."""
    return _Instrument(
        open_strings=_GUITAR_OPEN_STRINGS, detune_cents=tuple(rng.normal(0.0, 3.0, 6)),
        pluck_pos=float(rng.uniform(0.08, 0.2)), pickup_pos=float(rng.uniform(0.06, 0.25)),
        sustain_s=float(rng.uniform(4.0, 12.0)), damping_hz=float(rng.uniform(1000.0, 3000.0)),
        brightness_hz=float(rng.uniform(1500.0, 5000.0)), inharmonicity=_log_uniform(rng, 2e-5, 1.5e-4),
    )


def _guitar_tone(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Cabinet high-pass, body resonance, presence peak/dip and tone-knob low-pass (sos)."""
    return np.concatenate([
        _biquad("highpass", rng.uniform(60.0, 90.0), sample_rate),
        _biquad("peaking", rng.uniform(100.0, 250.0), sample_rate, q=rng.uniform(0.7, 1.4),
                gain_db=rng.uniform(0.0, 4.0)),
        _biquad("peaking", rng.uniform(1500.0, 4000.0), sample_rate, q=rng.uniform(0.7, 1.4),
                gain_db=rng.uniform(-4.0, 4.0)),
        _biquad("lowpass", rng.uniform(2500.0, 7000.0), sample_rate),
    ])


def _draw_guitar_plan(rng: np.random.Generator, seconds: float, sample_rate: int) -> _GuitarPlan:
    song = _draw_song(rng, seconds)
    arrangement = _draw_arrangement(rng, song.n_bars)
    return _GuitarPlan(song, arrangement, _draw_guitar(rng), _guitar_tone(rng, sample_rate))


def _part_notes(rng: np.random.Generator, song: _Song, part: _Part) -> list[_Note]:
    """The notes ``part`` plays, with a freshly drawn feel."""
    feel = _draw_feel(rng)
    if part.style == "melody":
        return _melody_notes(rng, song, part.bars, feel)
    power = part.style in ("power_chords", "palm_mute")
    voicings = _voice_chords(rng, song.chords, power)
    if part.style == "arpeggio":
        return _arpeggio_notes(rng, song, part.bars, voicings, feel)
    return _strum_notes(rng, song, part.bars, voicings, _pick(rng, _STROKE_PATTERNS[part.style]), feel)


def _render_guitar(rng: np.random.Generator, plan: _GuitarPlan, n: int, sample_rate: int) -> np.ndarray:
    """``n`` samples of the plan's parts (notes drawn from ``rng``) through the guitar tone."""
    out = np.zeros(n)
    for part in plan.parts:
        out += part.level * _render_notes(_part_notes(rng, plan.song, part), plan.instrument, n, sample_rate)
    return scipy.signal.sosfilt(plan.tone_sos, out)


# --- SignalTrain-like mixes -----------------------------------------------------------------------

def _sweep(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """A sine sweep, logarithmic or linear, up or down, between ~20-200 Hz and ~2 kHz-0.45 sample_rate."""
    f_low = _log_uniform(rng, 20.0, 200.0)
    f_high = _log_uniform(rng, 2000.0, 0.45 * sample_rate)
    duration = max(n, 1) / sample_rate
    t = np.arange(n) / sample_rate
    if rng.random() < 0.5:
        rate = math.log(f_high / f_low) / duration
        phase = 2.0 * math.pi * f_low * np.expm1(rate * t) / rate
    else:
        phase = 2.0 * math.pi * (f_low * t + (f_high - f_low) * t * t / (2.0 * duration))
    sweep = np.sin(phase)
    return sweep[::-1] if rng.random() < 0.5 else sweep


def _burst_envelope(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Steady, or repeated bursts: 1-20 ms attack, exponential decay, period 0.1-0.6 s."""
    if rng.random() < 0.5:
        return np.ones(n)
    period = int(rng.uniform(0.1, 0.6) * sample_rate)
    attack_s, decay_s = rng.uniform(0.001, 0.02), rng.uniform(0.3, 1.0) * period / sample_rate
    t = np.arange(period) / sample_rate
    one_burst = np.minimum(t / attack_s, 1.0) * np.exp(-np.maximum(t - attack_s, 0.0) / decay_s)
    return np.resize(one_burst, n)


def _noise(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Broadband white or pink noise, steady or in bursts."""
    noise = rng.standard_normal(n) if rng.random() < 0.5 else _pink_noise(rng, n)
    return noise * _burst_envelope(rng, n, sample_rate)


def _filtered_noise(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """White noise band-passed over 1-4 octaves from 100 Hz-2 kHz, steady or in bursts."""
    low = _log_uniform(rng, 100.0, 2000.0)
    band = np.concatenate([_biquad("highpass", low, sample_rate),
                           _biquad("lowpass", low * 2.0 ** rng.uniform(1.0, 4.0), sample_rate)])
    return scipy.signal.sosfilt(band, rng.standard_normal(n)) * _burst_envelope(rng, n, sample_rate)


def _clicks(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Clicks at 10-80 per second, periodic or random; each decays exponentially over 0.1-2 ms."""
    rate = _log_uniform(rng, 10.0, 80.0)
    if rng.random() < 0.5:
        times = np.arange(rng.uniform(0.0, 1.0 / rate), n / sample_rate, 1.0 / rate)
    else:
        times = np.cumsum(rng.exponential(1.0 / rate, int(rate * n / sample_rate) + 10))
    positions = (times[times < n / sample_rate] * sample_rate).astype(int)
    impulses = np.zeros(n)
    impulses[positions] = rng.choice([-1.0, 1.0], len(positions)) * rng.uniform(0.5, 1.0, len(positions))
    pole = math.exp(-1.0 / (rng.uniform(0.0001, 0.002) * sample_rate))
    return scipy.signal.lfilter([1.0], [1.0, -pole], impulses)


def _tone(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """A steady band-limited sine, square or sawtooth at 50-1000 Hz."""
    f0 = _log_uniform(rng, 50.0, 1000.0)
    harmonics = np.arange(1, max(1, int(0.45 * sample_rate / f0)) + 1, dtype=np.float64)
    waveform = _pick(rng, ("sine", "square", "saw"))
    harmonics = {"sine": harmonics[:1], "square": harmonics[::2], "saw": harmonics}[waveform]
    return _render_partials(harmonics * f0, 1.0 / harmonics, np.zeros(len(harmonics)), n, sample_rate)


def _level_steps(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """A sine (100-2000 Hz) or pink noise whose level jumps every 0.1-0.8 s between 0 and -20 dB."""
    if rng.random() < 0.5:
        carrier = np.sin(2.0 * math.pi * _log_uniform(rng, 100.0, 2000.0) * np.arange(n) / sample_rate)
    else:
        carrier = _pink_noise(rng, n)
    step = max(1, int(rng.uniform(0.1, 0.8) * sample_rate))
    levels_db = rng.uniform(-20.0, 0.0, -(-n // step))
    return carrier * np.repeat(10.0 ** (levels_db / 20.0), step)[:n]


def _draw_bass(rng: np.random.Generator) -> _Instrument:
    """A dark, finger-plucked electric bass (one string is enough: bass lines are monophonic)."""
    return _Instrument(
        open_strings=(_BASS_OPEN_STRING,), detune_cents=(0.0,), pluck_pos=float(rng.uniform(0.1, 0.3)),
        pickup_pos=float(rng.uniform(0.1, 0.25)), sustain_s=float(rng.uniform(1.5, 4.0)),
        damping_hz=float(rng.uniform(300.0, 800.0)), brightness_hz=float(rng.uniform(400.0, 1500.0)),
        inharmonicity=_log_uniform(rng, 1e-4, 4e-4),
    )


def _bass_notes(rng: np.random.Generator, song: _Song) -> list[_Note]:
    """Eighth-note bass line on the chord roots (sometimes fifth or octave), E1 to D#2."""
    pattern = _pick(rng, _BASS_PATTERNS)
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
        notes.append(_Note(onset, 0, midi, min(1.0, _humanised(rng, 0.8 * _accent(beat))),
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
    wires_filter = _biquad("highpass", rng.uniform(800.0, 2000.0), sample_rate)
    wires = scipy.signal.sosfilt(wires_filter, rng.standard_normal(len(t)))
    return 0.6 * tone + rng.uniform(0.3, 0.6) * wires * np.exp(-t / rng.uniform(0.05, 0.15))


def _hat(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """High-passed noise with a 15-60 ms decay (a closed hi-hat)."""
    t = np.arange(int(0.3 * sample_rate)) / sample_rate
    cutoff = min(7000.0, 0.3 * sample_rate)
    noise = scipy.signal.sosfilt(_biquad("highpass", cutoff, sample_rate), rng.standard_normal(len(t)))
    return noise * np.exp(-t / rng.uniform(0.015, 0.06))


def _drum_track(rng: np.random.Generator, song: _Song, n: int, sample_rate: int) -> np.ndarray:
    """Kick, snare and hi-hat samples (one of each per clip, like a drum machine) on a sixteenth grid."""
    out = np.zeros(n)
    for drum, make_sample in (("kick", _kick), ("snare", _snare), ("hat", _hat)):
        sample, pattern = make_sample(rng, sample_rate), _pick(rng, _DRUM_PATTERNS[drum])
        level = float(rng.uniform(0.3, 0.6)) if drum == "hat" else 1.0
        for bar, slot in itertools.product(range(song.n_bars), range(16)):
            if pattern[slot] == "x":
                beat = 4.0 * bar + slot * 0.25
                start = round(song.time_s(beat) * sample_rate)
                _add_at(out, sample * level * _humanised(rng, _accent(beat), 0.1), start)
    return out


def _music(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Guitar, usually with bass and drums, sharing one song (tempo, key, chords)."""
    plan = _draw_guitar_plan(rng, n / sample_rate, sample_rate)
    out = _normalise_rms(_render_guitar(rng, plan, n, sample_rate))
    if rng.random() < 0.8:
        bass = _render_notes(_bass_notes(rng, plan.song), _draw_bass(rng), n, sample_rate)
        out += _normalise_rms(bass) * _db_to_gain(rng.uniform(-6.0, 0.0))
    if rng.random() < 0.8:
        drums = _drum_track(rng, plan.song, n, sample_rate)
        out += _normalise_rms(drums) * _db_to_gain(rng.uniform(-6.0, 2.0))
    return out


_SECTION_RENDERERS = {
    "sweep": _sweep, "noise": _noise, "filtered_noise": _filtered_noise, "clicks": _clicks,
    "tone": _tone, "level_steps": _level_steps, "music": _music,
}


@dataclass(frozen=True)
class _Section:
    """A span of a mix and what plays in it."""

    kind: str  # a key of _SECTION_RENDERERS
    start: int  # first sample
    stop: int  # one past the last sample
    gain_db: float  # level after RMS normalisation (dB)


def _draw_mix_plan(rng: np.random.Generator, n: int, sample_rate: int) -> list[_Section]:
    """Back-to-back sections, on average 1-2 s long, always including music and a test signal,
    at levels from -20 to 0 dB; a third of the clips also get a test signal laid over part of them."""
    count = max(2, round(n / sample_rate / rng.uniform(1.0, 2.0)))
    kinds = ["music", _pick(rng, _TEST_SIGNAL_KINDS)] + [_pick(rng, _SECTION_KINDS) for _ in range(count - 2)]
    kinds = [kinds[i] for i in rng.permutation(count)]
    edges = np.cumsum(np.r_[0.0, rng.uniform(0.5, 1.5, count)])
    bounds = np.round(edges / edges[-1] * n).astype(int)
    sections = [_Section(kind, int(start), int(stop), float(rng.uniform(-20.0, 0.0)))
                for kind, start, stop in zip(kinds, bounds[:-1], bounds[1:])]
    if rng.random() < 1.0 / 3.0:
        length = int(rng.uniform(0.2, 0.5) * n)
        start = int(rng.integers(0, n - length + 1))
        overlay = _pick(rng, _TEST_SIGNAL_KINDS)
        sections.append(_Section(overlay, start, start + length, float(rng.uniform(-20.0, -6.0))))
    return sections
