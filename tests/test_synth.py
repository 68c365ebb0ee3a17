"""Tests of the embedded clean audio (benchmark.dataset.synth)."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.signal

from benchmark.dataset.synth import dsp, guitar, mix, music, strings, test_signals
from benchmark.dataset.synth import synth_guitar, synth_mix

SR = 16000
GENERATORS = [synth_guitar, synth_mix]
# A fixed, moderately stiff instrument for single-note checks.
TEST_GUITAR = strings.Instrument(
    open_strings=music.GUITAR_OPEN_STRINGS, detune_cents=(0.0,) * 6, pluck_pos=0.13, pickup_pos=0.15,
    sustain_s=6.0, damping_hz=2000.0, brightness_hz=3000.0, inharmonicity=5e-5,
)


def frame_rms_db(x: np.ndarray, sample_rate: int, frame_s: float = 0.1) -> np.ndarray:
    """RMS of consecutive frames in dB relative to the loudest frame."""
    size = int(frame_s * sample_rate)
    frames = x[: len(x) // size * size].reshape(-1, size)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-300) / rms.max())


def spectral_flatness(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Flatness (geometric / arithmetic mean of the power spectrum, 100 Hz-6 kHz) of 64 ms frames
    that are not near-silent."""
    f, _, power = scipy.signal.spectrogram(x, sample_rate, nperseg=1024, noverlap=0)
    power = power[(f >= 100) & (f <= 6000)] + 1e-30
    energy = power.sum(axis=0)
    flatness = np.exp(np.mean(np.log(power), axis=0)) / np.mean(power, axis=0)
    return flatness[energy > 1e-6 * energy.max()]


def render_single_note(midi: int, string: int, seconds: float = 1.0, stop_s: float = math.inf,
                       **note_options) -> np.ndarray:
    note = strings.Note(onset_s=0.0, string=string, midi=midi, velocity=0.8, **note_options)
    return strings._render_note(note, stop_s, TEST_GUITAR, SR, int(seconds * SR))


def autocorrelation_pitch(x: np.ndarray, sample_rate: int, f_min: float = 60.0, f_max: float = 1200.0) -> float:
    """f0 (Hz) from the first autocorrelation peak above half the zero-lag value (parabolic refinement)."""
    spectrum = np.fft.rfft(x, 2 * len(x))
    acf = np.fft.irfft(np.abs(spectrum) ** 2)[: len(x)]
    acf /= acf[0]
    lags = np.arange(int(sample_rate / f_max), int(sample_rate / f_min))
    peaks = [lag for lag in lags if acf[lag] > 0.5 and acf[lag - 1] < acf[lag] >= acf[lag + 1]]
    lag = peaks[0]
    a, b, c = acf[lag - 1], acf[lag], acf[lag + 1]
    return sample_rate / (lag + 0.5 * (a - c) / (a - 2 * b + c))


# --- both generators ---------------------------------------------------------------------------

@pytest.mark.parametrize("generate", GENERATORS)
@pytest.mark.parametrize("seconds, sample_rate", [(0.37, 16000), (1.23457, 16000), (0.9999, 44100), (2.00001, 44100)])
def test_exact_length_and_type(generate, seconds, sample_rate):
    x = generate(np.random.default_rng(3), seconds, sample_rate)
    assert x.dtype == np.float64 and x.ndim == 1
    assert len(x) == round(seconds * sample_rate)


@pytest.mark.parametrize("generate", GENERATORS)
def test_same_seed_same_bytes_other_seed_other_audio(generate):
    first = generate(np.random.default_rng(11), 4.0)
    again = generate(np.random.default_rng(11), 4.0)
    other = generate(np.random.default_rng(12), 4.0)
    assert first.tobytes() == again.tobytes()
    assert abs(np.corrcoef(first, other)[0, 1]) < 0.5


@pytest.mark.parametrize("generate", GENERATORS)
def test_uses_only_the_given_rng(generate):
    np.random.seed(0)
    legacy_state = np.random.get_state()[1].copy()
    rng = np.random.default_rng(5)
    generate(rng, 1.0)
    assert np.array_equal(np.random.get_state()[1], legacy_state)  # global numpy state untouched
    after = rng.bit_generator.state
    assert after != np.random.default_rng(5).bit_generator.state  # parameters were drawn from rng


def test_bytes_do_not_depend_on_thread_count():
    code = ("import hashlib, numpy as np; from benchmark.dataset.synth import synth_guitar, synth_mix; "
            "print(hashlib.sha256(synth_guitar(np.random.default_rng(2), 2.0).tobytes()"
            " + synth_mix(np.random.default_rng(2), 2.0).tobytes()).hexdigest())")
    hashes = set()
    for threads in ("1", "4"):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        hashes.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                  check=True).stdout.strip())
    assert len(hashes) == 1


@pytest.mark.parametrize("generate", GENERATORS)
@pytest.mark.parametrize("seed", range(5))
def test_finite_peak_in_range_and_not_mostly_silent(generate, seed):
    x = generate(np.random.default_rng(seed), 4.0)
    assert np.all(np.isfinite(x))
    assert 0.1 <= np.max(np.abs(x)) <= 0.9
    assert np.mean(frame_rms_db(x, SR) > -40.0) >= 0.7


# --- string model --------------------------------------------------------------------------------

def test_partial_sum_matches_direct_formula():
    freqs, amps, decays = np.array([82.4, 247.9, 3301.0]), np.array([1.0, -0.4, 0.05]), np.array([0.5, 3.0, 40.0])
    for n in (1, 2, 17, 999, 48000):
        t = np.arange(n) / SR
        direct = (amps[:, None] * np.exp(-np.outer(decays, t)) * np.sin(2 * np.pi * np.outer(freqs, t))).sum(axis=0)
        assert np.max(np.abs(dsp.render_partials(freqs, amps, decays, n, SR) - direct)) < 1e-5


@pytest.mark.parametrize("midi, string", [(40, 0), (45, 1), (57, 3), (69, 5), (81, 5)])
def test_single_note_has_the_right_pitch_and_a_harmonic_spectrum(midi, string):
    x = render_single_note(midi, string)
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    estimate = autocorrelation_pitch(x[1600:9600], SR)
    assert abs(1200 * math.log2(estimate / f0)) < 15  # cents
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    near_harmonic = np.abs(freqs / f0 - np.round(freqs / f0)) * f0 < 0.03 * f0 + 5
    assert spectrum[near_harmonic & (freqs > f0 / 2)].sum() > 0.95 * spectrum.sum()


def test_plucked_note_decays_and_palm_mute_decays_faster():
    open_note = render_single_note(52, 1, seconds=2.0)
    muted = render_single_note(52, 1, seconds=2.0, mute=0.5)

    def level_drop_db(x):  # loudness of 0.5-0.6 s relative to 0-0.1 s
        return 10 * np.log10(np.mean(x[8000:9600] ** 2) / np.mean(x[:1600] ** 2))

    assert -40 < level_drop_db(open_note) < -1
    assert level_drop_db(muted) < level_drop_db(open_note) - 20


def test_damped_note_falls_silent_after_its_stop_time():
    x = render_single_note(64, 2, seconds=1.0, stop_s=0.3)
    assert 0.3 * SR < len(x) < 0.4 * SR  # rendering ends soon after the stop
    assert np.max(np.abs(x[int(0.36 * SR):])) < 0.01 * np.max(np.abs(x))


def test_vibrato_bends_the_pitch_up_only():
    steady = render_single_note(69, 5, seconds=1.0)
    vibrato = render_single_note(69, 5, seconds=1.0, vibrato_cents=40.0, vibrato_hz=5.0)
    assert np.allclose(vibrato[:2000], steady[:2000], atol=1e-6)  # vibrato fades in after 150 ms
    late = [autocorrelation_pitch(vibrato[start:start + 800], SR) for start in range(8000, 16000 - 800, 400)]
    cents = 1200 * np.log2(np.array(late) / 440.0)
    assert cents.min() > -8 and cents.max() > 20


# --- guitar music ------------------------------------------------------------------------------

def test_chord_voicings_are_chord_tones_on_a_playable_neck():
    for shape, qualities in music._CHORD_SHAPES.items():
        for quality in qualities:
            for root_pc in range(12):
                voicing = music._voicing(root_pc, quality, shape)
                notes = [midi for midi in voicing if midi is not None]
                tones = {(root_pc + i) % 12 for i in music.CHORD_TONES[quality]}
                assert len(notes) >= 2 and {midi % 12 for midi in notes} <= tones
                assert notes[0] % 12 == root_pc  # the lowest note is the root
                frets = [midi - open_midi for midi, open_midi in zip(voicing, music.GUITAR_OPEN_STRINGS)
                         if midi is not None]
                assert 0 <= min(frets) and max(frets) - min(frets) <= 4 and max(frets) <= 15


def test_every_style_plays_notes_in_the_guitar_range():
    for seed in range(6):
        rng = np.random.default_rng(seed)
        song = music.draw_song(rng, 4.0)
        for style in guitar._STYLES:
            notes = guitar._part_notes(rng, song, guitar._Part(style, tuple(range(song.n_bars)), 1.0))
            assert len(notes) >= 3, style
            assert all(40 <= note.midi <= 88 for note in notes), style  # E2..E6
            assert all(0 <= note.midi - music.GUITAR_OPEN_STRINGS[note.string] <= 22 for note in notes), style
    assert any(note.mute > 0 for note in guitar._part_notes(rng, song, guitar._Part("palm_mute", (0, 1), 1.0)))


def test_strums_spread_over_the_strings_in_the_stroke_direction():
    song = music.Song(tempo_bpm=100.0, tonic_pc=4, mode="major", scale=(0, 2, 4, 7, 9), chords=((4, "maj"),),
                       beats_per_chord=4, start_beat=0.0, n_bars=1)
    voicings = {(4, "maj"): music._voicing(4, "maj", "E")}
    feel = music.Feel(velocity=0.8, jitter_s=0.0, strum_gap_s=0.02, ring_prob=1.0)
    notes = guitar._strum_notes(np.random.default_rng(0), song, (0,), voicings, "D...U...", feel)
    down, up = [n for n in notes if n.onset_s < 1.0], [n for n in notes if n.onset_s >= 1.0]
    assert [n.string for n in down] == [0, 1, 2, 3, 4, 5]
    assert [n.string for n in up] == sorted((n.string for n in up), reverse=True) and len(up) >= 3
    gaps = np.diff([n.onset_s for n in down])
    assert np.all((gaps > 0.005) & (gaps < 0.05)) and 0.015 < gaps.mean() < 0.025


@pytest.mark.parametrize("seed", range(5))
def test_guitar_energy_lies_in_the_guitar_range(seed):
    x = synth_guitar(np.random.default_rng(seed), 4.0)
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    assert power[(freqs >= 70) & (freqs <= 6000)].sum() > 0.9 * power.sum()
    assert np.max(spectral_flatness(x, SR)) < 0.1  # tonal throughout, never noise-like


def test_guitar_clips_vary_across_seeds():
    plans = [guitar.draw_guitar_plan(np.random.default_rng(seed), 4.0, SR) for seed in range(20)]
    styles = {part.style for plan in plans for part in plan.parts}
    tempi = [plan.song.tempo_bpm for plan in plans]
    assert len(styles) >= 4
    assert max(tempi) - min(tempi) > 50
    assert len({plan.song.tonic_pc for plan in plans}) >= 6
    assert {plan.song.mode for plan in plans} == {"major", "minor"}
    assert any(len(plan.parts) == 2 for plan in plans)  # mixtures occur
    assert len({plan.instrument.pickup_pos for plan in plans}) == 20  # tone differs per clip


# --- SignalTrain-like mixes ------------------------------------------------------------------------

def test_mix_has_broadband_and_tonal_segments():
    flatness = [spectral_flatness(synth_mix(np.random.default_rng(seed), 4.0), SR) for seed in range(8)]
    assert all(f.min() < 0.01 for f in flatness)  # music or tones in every clip
    assert sum(f.max() > 0.25 for f in flatness) >= 2  # broadband noise in some


@pytest.mark.parametrize("solo_share", [0.0, 0.5])
def test_a_share_of_the_music_is_one_part_alone(solo_share):
    """Which parts each music section calls on: with solo_share 0 the guitar always plays (bass,
    drums and keys at their odds); otherwise that share of sections is one part, drawn uniformly."""
    played: list[str] = []

    def part(name):
        def play(rng, *args):
            played.append(name)
            return np.ones(args[-2])
        return play

    def kit(rng, drum, sample_rate):
        played.extend(["drums"] if drum == "kick" else [])
        return lambda level, accent: np.ones(10)

    band = mix.Band(guitar=part("guitar"), bass=part("bass"), kit=kit, keys=part("keys"))
    rng, sections = np.random.default_rng(3), []
    for _ in range(800):
        played.clear()
        mix._music(rng, SR // 10, SR, band, solo_share)
        sections.append(frozenset(played))
    without_guitar = sum("guitar" not in s for s in sections) / len(sections)
    alone = {name: sum(s == {name} for s in sections) / len(sections) for name in ("bass", "drums", "keys")}
    if solo_share == 0:
        assert without_guitar == 0 and not any(alone.values())
        assert 0.7 < sum("bass" in s for s in sections) / len(sections) < 0.9
    else:
        assert 0.32 < without_guitar < 0.43  # solo_share x 3/4
        assert all(0.09 < share < 0.16 for share in alone.values())  # solo_share x 1/4 each


def test_mix_sections_tile_the_clip_and_vary_across_seeds():
    n = 10 * SR
    plans = [mix._draw_mix_plan(np.random.default_rng(seed), n, SR) for seed in range(20)]
    for plan in plans:
        depth = np.zeros(n, dtype=int)
        for section in plan:
            depth[section.start:section.stop] += 1
        assert depth.min() == 1 and depth.max() <= 2  # back to back, at most one overlay
        kinds = {section.kind for section in plan}
        assert "music" in kinds and kinds & set(test_signals.TEST_SIGNAL_KINDS)
    assert {s.kind for plan in plans for s in plan} == {"music", *mix._TEST_SIGNALS}
    music = sum(s.stop - s.start for plan in plans for s in plan if s.kind == "music")
    assert 0.55 < music / (20 * n) < 0.85  # mostly music, as SignalTrain
    assert len({tuple(s.kind for s in plan) for plan in plans}) == 20
    gains = [s.gain_db for plan in plans for s in plan]
    assert max(gains) - min(gains) > 15  # wide dynamic range between sections
