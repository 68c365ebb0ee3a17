"""Tests of the sampled sources (benchmark.dataset.sampled): the SoundFont reader and sample
player against FluidSynth, the reference SoundFont synthesizer (Debian's ``fluidsynth``), the
pinned file, and the sources' determinism."""
import functools
import re
import subprocess

import mido
import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from benchmark.dataset.sampled import (SoundFontError, open_pinned_soundfont, pinned, sampled_guitar, sampled_guitar_unseen,
                                       sampled_mix, sampled_mix_solo, sampled_mix_unseen)
from benchmark.dataset.sampled.band import PALM_MUTED_GUITAR, SEEN, UNSEEN
from benchmark.dataset.sampled.player import play
from benchmark.dataset.recipes import get_recipe
from conftest import require, require_binary, same_draws_on_another_source
from test_synth import autocorrelation_pitch, frame_rms_db

SR = 16000


@pytest.fixture(scope="module")
def font():
    path = pinned.DEFAULT_FOLDER / pinned.FILE_NAME
    require(f"{path} is missing: apt-get install fluid-soundfont-gm", path.is_file())
    return open_pinned_soundfont()


def fluidsynth_note(tmp_path, preset: tuple[int, int], key: int, velocity: int, held_s: float,
                    rate: int = SR) -> np.ndarray:
    """One note rendered by the fluidsynth binary (reverb and chorus off), mono, at ``rate`` Hz."""
    binary = require_binary("fluidsynth")
    bank, program = preset
    channel = 9 if bank == 128 else 0
    ticks = lambda seconds: round(seconds * 960)  # 480 ticks per beat at 120 bpm
    track = mido.MidiTrack([
        mido.Message("control_change", channel=channel, control=0, value=0 if bank == 128 else bank),
        mido.Message("program_change", channel=channel, program=program),
        mido.Message("note_on", channel=channel, note=key, velocity=velocity, time=10),
        mido.Message("note_off", channel=channel, note=key, velocity=0, time=ticks(held_s)),
        mido.Message("control_change", channel=channel, control=121, value=0, time=ticks(2.0)),
    ])
    midi_path, wav_path = tmp_path / f"{program}-{key}.mid", tmp_path / f"{program}-{key}.wav"
    mido.MidiFile(tracks=[track], ticks_per_beat=480).save(midi_path)
    subprocess.run([binary, "-ni", "-q", "-R", "0", "-C", "0", "-g", "1.0", "-r", str(rate), "-O", "float",
                    "-T", "wav", "-F", str(wav_path), str(pinned.DEFAULT_FOLDER / pinned.FILE_NAME), str(midi_path)],
                   check=True, capture_output=True)
    return sf.read(wav_path)[0].mean(axis=1)


def aligned_snr_db(reference: np.ndarray, estimate: np.ndarray, seconds: float = 1.5, rate: int = SR) -> float:
    """SNR (dB) of ``estimate`` against ``reference`` after the best lag and gain (the two
    renderers differ in start delay and in overall level)."""
    n = round(seconds * rate)
    start = int(np.argmax(np.abs(reference) > 1e-3 * np.abs(reference).max()))
    ref = reference[start:start + n]
    est = np.pad(estimate, (0, max(0, len(reference) - len(estimate))))
    correlation = scipy.signal.correlate(est[:start + n + 400], ref, mode="valid")
    lag = int(np.argmax(correlation))
    est = est[lag:lag + len(ref)]
    gain = np.dot(ref, est) / np.dot(est, est)
    return float(10 * np.log10(np.sum(ref**2) / np.sum((ref - gain * est) ** 2)))


def test_preset_names_match_fluidsynth(font):
    binary = require_binary("fluidsynth")
    listing = subprocess.run([binary, "-n", "-q", "-a", "file", "-o", "audio.file.name=/dev/null", "-o",
                              "audio.file.type=raw", str(pinned.DEFAULT_FOLDER / pinned.FILE_NAME)],
                             input="inst 1\nquit\n", capture_output=True, text=True, check=True).stdout
    presets = {(int(bank), int(program)): name.strip()
               for bank, program, name in re.findall(r"^(\d{3})-(\d{3}) (.+)$", listing, re.MULTILINE)}
    assert len(presets) > 180
    assert all(font.preset_name(*preset) == name for preset, name in presets.items())


@pytest.mark.parametrize("preset, key, velocity, held_s", [
    ((0, 27), 64, 100, 1.0),   # clean guitar, two layers, one low-passed
    ((0, 27), 45, 70, 1.0),
    ((0, 26), 55, 100, 1.0),   # jazz guitar (stereo pair folded to mono)
    ((8, 28), 60, 110, 0.5),   # funk guitar: preset generators added to the instrument's
    ((0, 28), 52, 100, 0.3),   # palm-muted guitar, released early
    ((0, 24), 52, 100, 1.0),   # the unseen guitars: nylon and steel-string
    ((0, 25), 59, 100, 1.0),
    ((0, 33), 33, 100, 1.0),   # fingered bass
    ((0, 0), 60, 100, 1.0),    # grand piano
    ((0, 32), 33, 100, 1.0),   # the unseen mix's: acoustic and pop bass,
    ((0, 37), 38, 90, 1.0),
    ((0, 2), 60, 100, 1.0),    # electric grand, second electric piano, rock organ (looped),
    ((0, 5), 64, 80, 1.0),
    ((0, 18), 60, 100, 1.0),
])
def test_notes_match_fluidsynth(font, tmp_path, preset, key, velocity, held_s):
    """Our player and FluidSynth play the same recording, pitch, loop and envelope: after lag and
    gain, the waveforms agree to at least 15 dB (they differ in FluidSynth's modulators and
    interpolation, which our player leaves out)."""
    reference = fluidsynth_note(tmp_path, preset, key, velocity, held_s)
    ours = play(font, preset, key, velocity / 127, held_s, SR, 4 * SR)
    assert aligned_snr_db(reference, ours) >= 15.0


@pytest.mark.parametrize("preset, key", [((128, 0), 38), ((128, 16), 36), ((128, 0), 42),  # seen: snare, kick, hat
                                         ((128, 24), 36), ((128, 25), 38), ((128, 24), 46)])  # unseen
def test_drums_match_fluidsynth_at_the_recordings_rate(font, tmp_path, preset, key):
    """Drums, struck and left to ring as the band plays them, compared at the recordings' 44.1 kHz
    below 8 kHz, the band of our 16 kHz sources. At 16 kHz FluidSynth's interpolation folds a
    snare's or cymbal's partials above 8 kHz back (7 dB and less from ours), and at 44.1 kHz it runs
    the hi-hats' resonant low-pass (Q 10 dB) at 19.9 kHz, where the SoundFont leaves it open: both
    differences lie above the band our sources hold."""
    rate, band = 44100, scipy.signal.butter(8, 8000, fs=44100, output="sos")
    reference = scipy.signal.sosfiltfilt(band, fluidsynth_note(tmp_path, preset, key, 127, 2.0, rate))
    ours = scipy.signal.sosfiltfilt(band, play(font, preset, key, 1.0, 2.0, rate, 4 * rate))
    assert aligned_snr_db(reference, ours, rate=rate) >= 15.0


@pytest.mark.parametrize("key", [40, 52, 64, 76])
def test_guitar_note_has_its_pitch(font, key):
    expected = 440 * 2 ** ((key - 69) / 12)
    note = play(font, (0, 27), key, 0.8, 1.0, SR, SR)
    f0 = autocorrelation_pitch(note[1600:9600], SR, f_min=expected / 1.4, f_max=expected * 1.4)
    assert abs(1200 * np.log2(f0 / expected)) < 15  # the recordings' own intonation


def test_released_note_dies_away_and_damping_is_faster(font):
    held = play(font, (0, 27), 52, 0.8, 0.5, SR, 3 * SR)
    damped = play(font, (0, 27), 52, 0.8, 0.5, SR, 3 * SR, damp_s=0.012)
    assert round(0.5 * SR) < len(damped) < len(held) < 3 * SR  # both end once silent
    assert np.max(np.abs(held[-800:])) < 1e-3 * np.max(np.abs(held))
    assert np.max(np.abs(damped[-400:])) < 1e-2 * np.max(np.abs(damped))


def test_pinned_soundfont_refuses_another_file_and_names_it(tmp_path):
    with pytest.raises(SoundFontError, match="not found.*fluid-soundfont-gm"):
        open_pinned_soundfont(tmp_path)
    (tmp_path / pinned.FILE_NAME).write_bytes(b"RIFF\0\0\0\0sfbk")
    with pytest.raises(SoundFontError, match=f"{re.escape(str(tmp_path))}.*SHA-256.*differs from the pinned"):
        open_pinned_soundfont(tmp_path)


@pytest.mark.parametrize("render", [sampled_guitar, sampled_guitar_unseen, sampled_mix, sampled_mix_solo,
                                    sampled_mix_unseen])
def test_sampled_sources_are_deterministic_and_not_silent(font, render):
    generate = functools.partial(render, font=font)
    first = generate(np.random.default_rng(11), 3.0, SR)
    again = generate(np.random.default_rng(11), 3.0, SR)
    other = generate(np.random.default_rng(12), 3.0, SR)
    assert len(first) == 3 * SR and first.tobytes() == again.tobytes()
    assert abs(np.corrcoef(first, other)[0, 1]) < 0.5
    assert np.all(np.isfinite(first)) and 0.1 <= np.max(np.abs(first)) <= 0.9
    assert np.mean(frame_rms_db(first, SR) > -40.0) >= 0.7


def test_the_solo_task_is_sampled_sdr_on_the_mix_with_parts_alone(font):
    assert get_recipe("sampled-sdr-solo").source == "sampled-mix-solo"
    assert same_draws_on_another_source("sampled-sdr-solo", "sampled-sdr")
    # the same draws until a music section goes solo: the solo mix differs from the plain one
    mixes = [render(np.random.default_rng(seed), 6.0, SR, font) for seed in range(4) for render in (sampled_mix, sampled_mix_solo)]
    assert sum(a.tobytes() != b.tobytes() for a, b in zip(mixes[::2], mixes[1::2])) >= 2


def recordings(font, presets, keys=range(40, 90)) -> set[str]:
    """The samples ``presets`` (bank, program) play over ``keys`` and the velocities."""
    return {voice.sample.name for preset in presets for key in keys for velocity in range(1, 128, 18)
            for voice in font.voices(*preset, key, velocity)}


def ensemble_recordings(font, ensemble) -> dict[str, set[str]]:
    """The samples each part of an ensemble plays (bass: E1 to D#3, drums: their keys on every kit)."""
    drum_keys = [key for keys in ensemble.drum_keys.values() for key in keys]
    return {"guitar": recordings(font, ensemble.guitars), "bass": recordings(font, ensemble.basses, range(28, 52)),
            "drums": recordings(font, [(128, kit) for kit in ensemble.drum_kits], drum_keys),
            "keys": recordings(font, ensemble.keyboards)}


def assert_same_performances(seen_source, unseen_source, font) -> list[float]:
    """``unseen_source`` plays ``seen_source``'s performance for the same rng, not sample for sample
    the same; returns the waveforms' correlations (seeds 11 and 12)."""
    correlations = []
    for seed in (11, 12):
        seen = seen_source(np.random.default_rng(seed), 3.0, SR, font)
        unseen = unseen_source(np.random.default_rng(seed), 3.0, SR, font)
        other = unseen_source(np.random.default_rng(seed + 10), 3.0, SR, font)
        envelope = [frame_rms_db(x, SR) for x in (seen, unseen, other)]
        assert np.corrcoef(envelope[0], envelope[1])[0, 1] > 0.8  # the same notes at the same times
        assert np.corrcoef(envelope[0], envelope[2])[0, 1] < 0.5  # another performance
        assert np.mean(seen == unseen) < 0.01
        correlations.append(abs(np.corrcoef(seen, unseen)[0, 1]))
    return correlations


def test_the_unseen_guitars_play_the_same_performances_on_recordings_the_others_never_play(font):
    assert all("Guitar" in font.preset_name(*preset) for preset in UNSEEN.guitars)
    seen = recordings(font, [*SEEN.guitars, PALM_MUTED_GUITAR])
    assert recordings(font, UNSEEN.guitars) and not recordings(font, UNSEEN.guitars) & seen
    assert recordings(font, [(8, 26)]) & recordings(font, SEEN.guitars)  # e.g. the Hawaiian guitar: the jazz guitar's recordings
    assert max(assert_same_performances(sampled_guitar, sampled_guitar_unseen, font)) < 0.5  # other recordings


def test_the_unseen_mix_plays_the_same_sections_on_recordings_the_others_never_play(font):
    seen, unseen = ensemble_recordings(font, SEEN), ensemble_recordings(font, UNSEEN)
    every_seen = set().union(*seen.values(), recordings(font, [PALM_MUTED_GUITAR]))
    for part, samples in unseen.items():
        assert samples and not samples & every_seen, part
    assert recordings(font, [(0, 36)], range(28, 52)) & seen["guitar"]  # Slap Bass: some of the Funk Guitar's recordings
    assert recordings(font, [(0, 1)]) & seen["keys"]  # Bright Grand: the seen grand piano's
    assert all("Bass" in font.preset_name(*preset) for preset in UNSEEN.basses)
    assert_same_performances(sampled_mix, sampled_mix_unseen, font)  # (the test signals between sections are the same)
