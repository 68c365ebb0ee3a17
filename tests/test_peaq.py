"""PEAQ basic version (benchmark.metrics.peaq) against PQevalAudio run in GNU Octave.

``data/peaq_pqevalaudio.json`` holds PQevalAudio's ODG, DI and 11 MOVs of every pair of
``peaq_cases.cases()`` (clipped music, tones in white and pink noise, pure tones, silence at
the edges, unequal lengths, a float WAV, 16 kHz inputs), recorded by ``peaq_octave.py`` with
Octave 7.3; the pairs are rebuilt here bit for bit, so these tests need no Octave.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from benchmark.metrics.peaq import MOV_NAMES, peaq_basic, peaq_odg
from peaq_cases import FS, as_read, cases, music

FIXTURE = json.loads((Path(__file__).resolve().parent / "data" / "peaq_pqevalaudio.json").read_text())
CASES = [case for case in cases() if case[0] in FIXTURE]


def test_every_recorded_pair_is_rebuilt():
    assert len(CASES) == len(FIXTURE) == 22


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_odg_di_and_every_mov_equal_pqevalaudio(case):
    name, reference, test, rate, subtype = case
    if rate == FS:
        reference, test = as_read(reference, subtype), as_read(test, subtype)
    result, expected = peaq_basic(reference, test, rate), FIXTURE[name]
    assert abs(result.odg - expected["ODG"]) <= 1e-6 and abs(result.di - expected["DI"]) <= 1e-6
    for mov in MOV_NAMES:
        assert result.movs[mov] == pytest.approx(expected[mov], rel=1e-7, abs=1e-9), mov


def test_a_batch_gives_each_signal_its_own_odg():
    x = music(1.5, fs=16000, fmax=7900.0)
    batch = np.stack([x, x])
    estimate = np.stack([np.clip(x, -0.3, 0.3), np.clip(x, -0.05, 0.05)])
    odg = peaq_odg(batch, estimate, 16000)
    assert odg.shape == (2,) and odg[0] > odg[1]
    assert odg[0] == peaq_basic(x, estimate[0], 16000).odg


def test_resampling_is_polyphase_to_48_khz():
    x = music(1.5, fs=16000, fmax=7900.0)
    y = np.clip(x, -0.3, 0.3)
    assert peaq_basic(x, y, 16000) == peaq_basic(resample_poly(x, 3, 1), resample_poly(y, 3, 1), FS)


def test_a_silent_reference_is_undefined_as_in_pqevalaudio():
    x = music(2.0)
    result = peaq_basic(np.zeros(FS), x[:FS], FS)
    assert np.isnan(result.odg) and np.isnan(result.di) and np.isnan(result.movs["TotalNMRB"])
    assert all(v == 0.0 for k, v in result.movs.items() if k != "TotalNMRB")
