"""A sample player: MIDI-like notes rendered from a SoundFont's recordings.

A note plays every voice its preset has for the key and velocity (SF2 spec 2.04): the
recording, looped where the zone loops it, is resampled to the note's pitch and the output
rate in one polyphase step (``scipy.signal.resample_poly`` with a rational ratio within
0.05 cent of the exact one, with the smallest denominator found), shaped by the zone's volume envelope (delay, linear attack,
hold, decay in dB to the sustain level, release) and attenuation, and low-passed where the
zone sets a filter. Velocity chooses the voices and, as the spec's default modulator (concave,
960 cB) says, scales them by ``(velocity / 127) ** 2``. Modulation envelopes, LFOs, chorus and reverb are not
played: the clean target is the dry instrument.
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np
import scipy.signal

from ..synth.dsp import biquad, vibrato
from .soundfont import (ATTACK_VOL, ATTENUATION, COARSE_TUNE, DECAY_VOL, DELAY_VOL, END_COARSE, END_OFFSET,
                        FILTER_FC, FILTER_Q, FINE_TUNE, HOLD_VOL, KEY_TO_DECAY, KEY_TO_HOLD, LOOP_END_COARSE,
                        LOOP_END_OFFSET, LOOP_START_COARSE, LOOP_START_OFFSET, RELEASE_VOL, ROOT_KEY, SAMPLE_MODES,
                        SCALE_TUNING, START_COARSE, START_OFFSET, SUSTAIN_VOL, SoundFont, Voice)

SILENT_DB = -100.0  # the envelope's floor: a voice ends when it falls this far (dB)
PITCH_TOLERANCE_CENTS = 0.05  # of the rational resampling ratio against the exact one
_NEPER_DB = 20.0 / math.log(10.0)  # dB per neper: exp(x) is x * _NEPER_DB dB
_FILTER_OFF_CENTS = 13500  # initialFilterFc at or above this leaves the voice unfiltered


def _rational(ratio: float) -> Fraction:
    """A fraction within PITCH_TOLERANCE_CENTS of ``ratio``, with a small denominator (short filters)."""
    tolerance = 2.0 ** (PITCH_TOLERANCE_CENTS / 1200.0) - 1.0
    for largest in (64, 256, 1024, 4096, 16384):
        fraction = Fraction(ratio).limit_denominator(largest)
        if abs(float(fraction) / ratio - 1.0) <= tolerance:
            return fraction
    return fraction  # the closest with a denominator of at most 16384


def _seconds(timecents: int) -> float:
    """SF2 timecents to seconds (-12000 is about 1 ms, the spec's "instantaneous")."""
    return 2.0 ** (timecents / 1200.0)


@functools.lru_cache(maxsize=128)
def _lowpass_taps(up: int, down: int) -> np.ndarray:
    """The anti-aliasing filter ``resample_poly`` designs for (up, down), made once."""
    half_length = 10 * max(up, down)
    return scipy.signal.firwin(2 * half_length + 1, 1.0 / max(up, down), window=("kaiser", 5.0))


def _recording(font: SoundFont, voice: Voice, needed: int) -> np.ndarray:
    """The voice's recording (offsets applied), its loop repeated until ``needed`` samples."""
    sample, get = voice.sample, voice.get
    start = sample.start + get(START_OFFSET) + 32768 * get(START_COARSE)
    end = sample.end + get(END_OFFSET) + 32768 * get(END_COARSE)
    loop_start = sample.loop_start + get(LOOP_START_OFFSET) + 32768 * get(LOOP_START_COARSE)
    loop_end = sample.loop_end + get(LOOP_END_OFFSET) + 32768 * get(LOOP_END_COARSE)
    data = font.samples(sample)
    attack = data[start - sample.start:min(end, loop_end) - sample.start]
    looped = get(SAMPLE_MODES) in (1, 3) and start <= loop_start < loop_end <= end and loop_end - loop_start >= 8
    if not looped or len(attack) >= needed:
        return attack[:needed] if looped else data[start - sample.start:end - sample.start]
    loop = data[loop_start - sample.start:loop_end - sample.start]
    repeats = -(-(needed - len(attack)) // len(loop))
    return np.concatenate([attack, np.tile(loop, repeats)])[:needed]


def _envelope(voice: Voice, key: int, n: int, held: int, rate: int, damp_s: float | None) -> np.ndarray:
    """Gain per output sample of the volume envelope; the key is released at sample ``held``.

    After the release the level falls as the zone's release says (100 dB per release time),
    or, with ``damp_s``, with that time constant (s): a player damping a string.
    """
    get = voice.get
    t = np.arange(n) / rate
    delay, attack = _seconds(get(DELAY_VOL)), _seconds(get(ATTACK_VOL))
    hold = _seconds(get(HOLD_VOL) + get(KEY_TO_HOLD) * (60 - key))
    decay = _seconds(get(DECAY_VOL) + get(KEY_TO_DECAY) * (60 - key))
    sustain_db = -min(max(get(SUSTAIN_VOL), 0), 1000) / 10.0
    decay_start = delay + attack + hold
    level_db = np.maximum(SILENT_DB * np.clip((t - decay_start) / decay, 0.0, None), sustain_db)
    if held < n:  # the release: dB fall in proportion to the time since the key was released
        after = t[:n - held]
        level_db[held:] += (SILENT_DB / _seconds(get(RELEASE_VOL)) if damp_s is None else -_NEPER_DB / damp_s) * after
    return np.clip((t - delay) / attack, 0.0, 1.0) * np.exp(level_db * (_NEPER_DB ** -1))


def _voice_length(voice: Voice, key: int, held_s: float, damp_s: float | None) -> float:
    """Seconds until a voice released after ``held_s`` is silent (SILENT_DB, or 7 damping time
    constants): infinite for a key held forever on a sustaining zone."""
    get = voice.get
    natural = math.inf
    if get(SUSTAIN_VOL) >= 1000:  # decays to silence while held
        natural = (_seconds(get(DELAY_VOL)) + _seconds(get(ATTACK_VOL)) + _seconds(get(HOLD_VOL) + get(KEY_TO_HOLD) * (60 - key))
                   + _seconds(get(DECAY_VOL) + get(KEY_TO_DECAY) * (60 - key)))
    release = 7.0 * damp_s if damp_s is not None else _seconds(get(RELEASE_VOL))
    return min(natural, held_s + release)


def render_voice(font: SoundFont, voice: Voice, key: int, held_s: float, rate: int,
                 max_samples: int, cents: float = 0.0, vibrato_cents: float = 0.0, vibrato_hz: float = 5.5,
                 damp_s: float | None = None) -> np.ndarray:
    """One voice of a note at ``rate`` Hz, at full velocity: at most ``max_samples`` samples.

    key: MIDI (0-127); held_s: seconds until the key is released (inf: never);
    cents: detuning of the note; vibrato_cents, vibrato_hz: a pitch-raising vibrato
    (``synth.dsp.vibrato``); damp_s: see :func:`_envelope`.
    """
    get = voice.get
    root = get(ROOT_KEY) if get(ROOT_KEY) >= 0 else voice.sample.original_key
    pitch_cents = ((key - root) * get(SCALE_TUNING) + 100 * get(COARSE_TUNE) + get(FINE_TUNE)
                   + voice.sample.correction_cents + cents)
    ratio = _rational(voice.sample.rate / rate * 2.0 ** (pitch_cents / 1200.0))
    n = min(max_samples, math.ceil(min(_voice_length(voice, key, held_s, damp_s), max_samples / rate) * rate))
    if n <= 0 or ratio <= 0:
        return np.zeros(max(n, 0))
    stretch = 2.0 ** (vibrato_cents / 1200.0)
    n_read = math.ceil(n * stretch) + 2 if vibrato_cents > 0 else n
    source = _recording(font, voice, math.ceil(n_read * ratio) + 1)
    up, down = ratio.denominator, ratio.numerator
    played = (source if up == down else scipy.signal.resample_poly(source, up, down, window=_lowpass_taps(up, down)))[:n_read]
    if vibrato_cents > 0:
        played = vibrato(np.pad(played, (0, n_read - len(played))), n, rate, vibrato_cents, vibrato_hz)
    n = min(n, len(played))
    played = played[:n]
    if get(FILTER_FC) < _FILTER_OFF_CENTS:
        cutoff_hz = 8.176 * 2.0 ** (get(FILTER_FC) / 1200.0)
        if cutoff_hz < 0.45 * rate:
            q = 10.0 ** ((max(get(FILTER_Q), 0) / 10.0 - 3.01) / 20.0)
            played = scipy.signal.sosfilt(biquad("lowpass", cutoff_hz, rate, q=max(q, 0.5)), played)
    held = n if not math.isfinite(held_s) else min(n, max(0, round(held_s * rate)))
    gain = 10.0 ** (-max(get(ATTENUATION), 0) / 200.0)
    return played * gain * _envelope(voice, key, n, held, rate, damp_s)


def midi_velocity(velocity: float) -> int:
    """A velocity 0..1 as MIDI's 1-127."""
    return int(min(127, max(1, round(127 * velocity))))


def render_note(font: SoundFont, voices: list[Voice], key: int, held_s: float, rate: int, max_samples: int,
                **options: float) -> np.ndarray:
    """The voices of a note summed, at full velocity (options: see :func:`render_voice`)."""
    rendered = [render_voice(font, v, key, held_s, rate, max_samples, **options) for v in voices]
    out = np.zeros(max((len(r) for r in rendered), default=0))
    for r in rendered:
        out[:len(r)] += r
    return out


def velocity_gain(midi_velocity: int) -> float:
    """The spec's default velocity modulator (concave, 960 cB) as a gain: ``(velocity / 127) ** 2``."""
    return (midi_velocity / 127.0) ** 2


def play(font: SoundFont, preset: tuple[int, int], key: int, velocity: float, held_s: float, rate: int,
         max_samples: int, **options: float) -> np.ndarray:
    """A note: every voice of ``preset`` (bank, program) for the key and velocity (0..1, as MIDI
    1-127, which chooses the voices), summed and scaled by :func:`velocity_gain`.

    ``options`` are those of :func:`render_voice` (cents, vibrato_cents, vibrato_hz, damp_s).
    """
    velocity = midi_velocity(velocity)
    voices = font.voices(*preset, key, velocity)
    return render_note(font, voices, key, held_s, rate, max_samples, **options) * velocity_gain(velocity)
