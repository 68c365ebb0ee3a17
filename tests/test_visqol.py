"""ViSQOL audio mode (benchmark.metrics.visqol) through visqol-python.

The package's agreement with the C++ ViSQOL on Google's conformance pairs is checked by hand
(``visqol_conformance.py``: the pairs are not in this repository). Here: the conformance value of
a perfect match, our 16 -> 48 kHz resampling and batching against the package called directly,
and the undefined cases.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy.signal import resample_poly

from benchmark.metrics import visqol as visqol_module
from benchmark.metrics.visqol import VisqolUnavailable, visqol_installed, visqol_moslqo
from conftest import require_module
from peaq_cases import music

# C++ ViSQOL v3's kConformanceCastanetsIdentity (src/include/conformance.h, conformance 333):
# audio mode of a signal against itself; its conformance test allows 1e-4.
PERFECT_MATCH = 4.732101253042348


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    require_module("visqol")
    return music(2.0, fs=16000, fmax=7900.0)


def test_a_perfect_match_scores_the_cpp_conformance_value(clip):
    assert visqol_installed()
    assert visqol_moslqo(clip, clip, 16000) == pytest.approx(PERFECT_MATCH, abs=1e-4)


def test_each_signal_of_a_batch_equals_the_package_at_48_khz(clip):
    api = require_module("visqol").VisqolApi()
    api.create(mode="audio")
    estimates = np.stack([np.clip(clip, -0.3, 0.3), np.clip(clip, -0.05, 0.05)])
    scores = visqol_moslqo(np.stack([clip, clip]), estimates, 16000)
    expected = [api.measure_from_arrays(resample_poly(clip, 3, 1), resample_poly(y, 3, 1), 48000).moslqo
                for y in estimates]
    np.testing.assert_allclose(scores, expected, rtol=1e-12)
    assert scores.shape == (2,) and 1.0 <= scores[1] < scores[0] < PERFECT_MATCH


@pytest.mark.filterwarnings("error")  # no division by zero inside visqol-python either
def test_silence_is_undefined(clip):
    scores = visqol_moslqo(np.stack([np.zeros_like(clip), clip]), np.stack([clip, np.zeros_like(clip)]), 16000)
    assert np.isnan(scores).all()


def test_a_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "visqol", None)  # import visqol now fails
    visqol_module._audio_mode.cache_clear()
    try:
        with pytest.raises(VisqolUnavailable, match=r"pip install -e \"\.\[visqol\]\""):
            visqol_moslqo(np.ones(4800), np.ones(4800), 48000)
    finally:
        visqol_module._audio_mode.cache_clear()
