"""Recorded instruments of the sampled sources: the synthetic performances (``synth.guitar``,
``synth.mix``: songs, playing styles, bass lines, drum patterns) played from a SoundFont's
recordings instead of modal synthesis.

Per clip, drawn from the clip's ``rng`` after its performance, among the presets of an
``Ensemble``: the guitar (clean, jazz or funk guitar; palm mutes always on the palm-muted
guitar), the bass, each drum's kit and key, and the keyboard (grand piano, electric piano or
organ). ``UNSEEN`` plays the same parts, for a transfer test, on recordings ``SEEN`` never plays.
Each string keeps the detuning the performance drew for it.
"""
from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..synth.dsp import add_at, pick_one
from ..synth.guitar import render_guitar
from ..synth.mix import Band
from ..synth.music import CHORD_TONES, Song, beat_accent, humanised
from ..synth.strings import Note, mix_strings
from .player import midi_velocity, play, render_note, velocity_gain
from .soundfont import SoundFont, Voice

PALM_MUTED_GUITAR = (0, 28)  # FluidR3_GM's Palm Muted Guitar (bank, program): palm mutes and chucks, whichever guitar plays
DAMP_S = 0.012  # time constant of a string damped by the player (s), as the synthetic strings
CHUCK_S = 0.03  # how long a fret-hand-muted chuck sounds before it is damped (s)
DRUM_SECONDS = 2.0  # longest drum stroke rendered (s)
_COMPING = ("x.......", "x...x...", "x.x.x.x.", "x..x..x.", "x...x.x.")  # eighths of one bar


@dataclass(frozen=True)
class Ensemble:
    """The FluidR3_GM presets a sampled band draws its players from, as (bank, program) (drum kits:
    bank 128 programs, played on ``drum_keys``, General MIDI percussion keys per drum)."""

    guitars: tuple[tuple[int, int], ...]
    basses: tuple[tuple[int, int], ...]
    drum_kits: tuple[int, ...]
    drum_keys: dict[str, tuple[int, ...]]
    keyboards: tuple[tuple[int, int], ...]


SEEN = Ensemble(
    guitars=((0, 27), (0, 26), (8, 28)),  # Clean Guitar, Jazz Guitar, Funk Guitar
    basses=((0, 33), (0, 34), (0, 35)),  # Fingered, Picked, Fretless Bass
    drum_kits=(0, 8, 16, 32, 40),  # Standard, Room, Power, Jazz, Brush
    drum_keys={"kick": (35, 36), "snare": (38, 40), "hat": (42, 44)},
    keyboards=((0, 0), (0, 4), (0, 16)),  # Yamaha Grand Piano, Rhodes EP, Drawbar Organ
)
# Presets whose recordings SEEN and PALM_MUTED_GUITAR never play (tests/test_sampled.py checks it
# sample by sample), for a transfer test on unseen timbres. FluidR3's 12-string guitar plays the
# steel-string's recordings, its Hawaiian guitar the jazz guitar's, its Slap Bass some of the Funk
# Guitar's and its Bright and Honky-Tonk grand pianos the seen piano's: none of them is used.
UNSEEN = Ensemble(
    guitars=((0, 24), (0, 25)),  # Nylon String Guitar, Steel String Guitar
    basses=((0, 32), (0, 37)),  # Acoustic Bass, Pop Bass
    drum_kits=(24, 25),  # Electronic, TR-808
    drum_keys={"kick": (35, 36), "snare": (38, 40), "hat": (46, 51)},  # half-open hi-hat and ride
    keyboards=((0, 2), (0, 5), (0, 18)),  # Electric Grand, Legend EP 2, Rock Organ
)


def string_player(font: SoundFont, preset: tuple[int, int], detune_cents: tuple[float, ...],
                  sample_rate: int) -> Callable[[Note, float, int], np.ndarray]:
    """``play_note`` for :func:`synth.strings.mix_strings`: a note on a recorded instrument.

    Palm mutes (0 < mute < 1) play the palm-muted guitar, chucks (mute 1) play it for CHUCK_S;
    a legato note is played softer (60 % velocity), as the synthetic strings do.
    """
    def play_note(note: Note, stop_s: float, max_samples: int) -> np.ndarray:
        held_s = stop_s - note.onset_s
        chosen = preset
        if note.mute > 0:
            chosen = PALM_MUTED_GUITAR
            held_s = min(held_s, CHUCK_S) if note.mute >= 1 else held_s
        return play(font, chosen, note.midi, note.velocity * (0.6 if note.legato else 1.0), held_s, sample_rate,
                    max_samples, cents=detune_cents[note.string], vibrato_cents=note.vibrato_cents,
                    vibrato_hz=note.vibrato_hz, damp_s=DAMP_S)
    return play_note


def play_guitar(font: SoundFont, rng: np.random.Generator, plan, n: int, sample_rate: int,
                guitars: tuple[tuple[int, int], ...] = SEEN.guitars) -> np.ndarray:
    """A guitar plan (``synth.guitar.draw_guitar_plan``) played on a recorded guitar drawn from ``rng``
    among ``guitars`` (presets as (bank, program); palm mutes play PALM_MUTED_GUITAR whatever they are)."""
    preset = pick_one(rng, guitars)
    player = string_player(font, preset, plan.instrument.detune_cents, sample_rate)
    return render_guitar(rng, plan, n, sample_rate, functools.partial(mix_strings, play_note=player))


def _play_bass(font: SoundFont, ensemble: Ensemble, rng: np.random.Generator, notes: list[Note],
               n: int, sample_rate: int) -> np.ndarray:
    return mix_strings(notes, n, sample_rate, string_player(font, pick_one(rng, ensemble.basses), (0.0,), sample_rate))


def _drum_kit(font: SoundFont, ensemble: Ensemble, rng: np.random.Generator, drum: str,
              sample_rate: int) -> Callable[[float, float], np.ndarray]:
    """A recorded drum (kit and key drawn from ``rng``) struck at velocity level x accent."""
    preset, key = (128, pick_one(rng, ensemble.drum_kits)), pick_one(rng, ensemble.drum_keys[drum])

    @functools.cache
    def sound(voices: tuple[Voice, ...]) -> np.ndarray:  # a velocity layer, rendered once per clip
        return render_note(font, list(voices), key, math.inf, sample_rate, round(DRUM_SECONDS * sample_rate))

    def stroke(level: float, accent: float) -> np.ndarray:
        velocity = midi_velocity(0.9 * level * accent)
        return sound(tuple(font.voices(*preset, key, velocity))) * velocity_gain(velocity)
    return stroke


def _play_keys(font: SoundFont, ensemble: Ensemble, rng: np.random.Generator, song: Song, n: int,
               sample_rate: int) -> np.ndarray:
    """Chords on a keyboard: the song's harmony in close position around middle C, on a comping rhythm."""
    preset, pattern = pick_one(rng, ensemble.keyboards), pick_one(rng, _COMPING)
    velocity = float(rng.uniform(0.4, 0.8))
    strokes = [4.0 * bar + 0.5 * slot for bar, slot in itertools.product(range(song.n_bars), range(8))
               if pattern[slot] == "x"]
    out = np.zeros(n)
    for beat, next_beat in zip(strokes, strokes[1:] + [strokes[-1] + 4.0]):
        root_pc, quality = song.chord_at(beat)
        onset, held_s = song.time_s(beat), (next_beat - beat) * 60.0 / song.tempo_bpm * rng.uniform(0.7, 1.0)
        start = round(onset * sample_rate)
        if start >= n:
            continue
        root = 55 + (root_pc - 55) % 12  # G3 to F#4
        for interval in CHORD_TONES[quality]:
            note_velocity = min(1.0, humanised(rng, velocity * beat_accent(beat)))
            add_at(out, play(font, preset, root + interval, note_velocity, held_s, sample_rate, n - start), start)
    return out


def sampled_band(font: SoundFont, ensemble: Ensemble = SEEN) -> Band:
    """The band of ``synth.mix`` with recorded instruments (drawn from ``ensemble``), and a keyboard."""
    return Band(guitar=functools.partial(play_guitar, font, guitars=ensemble.guitars),
                bass=functools.partial(_play_bass, font, ensemble), kit=functools.partial(_drum_kit, font, ensemble),
                keys=functools.partial(_play_keys, font, ensemble))
