"""R_nonlin (benchmark.metrics.rnonlin) against the Octave reference, tests/rnonlin_reference.m.

``data/rnonlin_octave.json`` holds the reference's R_nonlin and per-channel means of every pair
of ``rnonlin_cases.cases()`` (clipped, soft-clipped, low-passed, delayed, inverted and noisy music;
clipped and noisy white noise; clipped, noisy and cubic-distorted tones; silence at the edges, a
silent stretch in the reference, an estimate that drops out; a signal shorter than one frame; 16
and 44.1 kHz), recorded by ``rnonlin_octave.py`` with Octave 7.3 and Slaney's Auditory Toolbox;
the pairs are rebuilt here bit for bit, so these tests need no Octave. Measured agreement, with
the correlations' FFTs in float32: 6.4e-8 on R_nonlin, 1.7e-7 on the channel means (tolerance
1e-6; all in float64 it was 1.9e-13 and 6.6e-12, at half the speed).

``rnonlin_survey.py`` (by hand; needs the survey's SQAM excerpts, not in this repository) compares
with the survey's 70 published ``Rnonlin_calc`` values of its clipped inputs.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import sosfilt

from benchmark import metrics
from benchmark.metrics.rnonlin import N_CHANNELS, _gammatone_frames, erb_space, gammatone_sos, rnonlin, rnonlin_frames
from peaq_cases import music
from rnonlin_cases import cases

FIXTURE = json.loads((Path(__file__).resolve().parent / "data" / "rnonlin_octave.json").read_text())
CASES = [case for case in cases() if case[0] in FIXTURE]


def test_every_recorded_pair_is_rebuilt():
    assert len(CASES) == len(FIXTURE) == 20


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_rnonlin_and_every_channel_equal_the_octave_reference(case):
    name, reference, estimate, rate = case
    expected = FIXTURE[name]
    assert rnonlin(reference, estimate, rate) == pytest.approx(expected["R"], abs=1e-6)
    channels = np.nanmean(rnonlin_frames(reference, estimate, rate), axis=-1)
    np.testing.assert_allclose(channels, expected["channels"], rtol=0, atol=1e-6)


def test_filterbank_is_slaneys_erb_spacing():
    centres = erb_space(50.0, 8000.0, N_CHANNELS)
    assert centres[-1] == pytest.approx(50.0) and centres[0] < 8000.0
    erb_number = 21.4 * np.log10(4.37e-3 * centres + 1)  # Glasberg & Moore (1990)
    assert np.allclose(-np.diff(erb_number), np.mean(-np.diff(erb_number)), rtol=0.02)
    assert gammatone_sos(16000.0).shape == (N_CHANNELS, 4, 6)


@pytest.mark.parametrize("rate", [16000, 44100])
def test_the_filterbank_kernel_is_sosfilt_rounded_to_float32(rate):
    x = np.clip(music(0.3, fs=rate, seed=11, fmax=0.45 * rate), -0.2, 0.2)
    sections = gammatone_sos(float(rate))
    frame, n_frames, n_fft = 100, len(x) // 100 - 1, 130  # the last samples are dropped, as a partial frame
    frames, energy = _gammatone_frames(x, np.ascontiguousarray(sections.transpose(1, 2, 0)), n_frames, frame, n_fft)
    assert frames.shape == (N_CHANNELS, n_frames, n_fft) and frames.dtype == np.float32
    assert not frames[..., frame:].any()
    for channel, sos in enumerate(sections):
        expected = sosfilt(np.array(sos), x)[: n_frames * frame].reshape(n_frames, frame).astype(np.float32)
        assert np.array_equal(frames[channel, :, :frame], expected), channel
        np.testing.assert_allclose(energy[channel], np.square(expected, dtype=np.float64).sum(axis=-1), rtol=1e-13)


def test_a_batch_gives_each_signal_its_own_value():
    x = music(1.0, fs=16000, seed=7, fmax=7900.0)
    reference = np.stack([x, x, x]).reshape(3, 1, -1)
    estimate = np.stack([x, np.clip(x, -0.3, 0.3), np.clip(x, -0.05, 0.05)]).reshape(3, 1, -1)
    values = rnonlin(reference, estimate, 16000)
    assert values.shape == (3, 1)
    assert values[0, 0] == pytest.approx(1.0, abs=1e-6) and values[0, 0] <= 1.0
    assert values[0, 0] > values[1, 0] > values[2, 0]
    assert values[2, 0] == rnonlin(x, estimate[2, 0], 16000)
    assert metrics.rnonlin is rnonlin


def test_gain_does_not_change_the_value():
    x = music(1.0, fs=16000, seed=8, fmax=7900.0)
    y = np.clip(x, -0.2, 0.2)
    assert rnonlin(3.0 * x, 0.1 * y, 16000) == pytest.approx(rnonlin(x, y, 16000), abs=1e-6)


def test_silence():
    x = music(0.5, fs=16000, seed=9, fmax=7900.0)
    assert np.isnan(rnonlin(np.zeros_like(x), x, 16000))
    assert rnonlin(x, np.zeros_like(x), 16000) == 0.0


def test_bad_input_is_refused_with_its_shape_or_rate():
    x = music(0.5, fs=16000, seed=10, fmax=7900.0)
    with pytest.raises(ValueError, match="shapes differ"):
        rnonlin(x, x[:-1], 16000)
    with pytest.raises(ValueError, match="sample_rate"):
        rnonlin(x, x, 80)
