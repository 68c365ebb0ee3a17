"""Tests of the blind SoX overdrive inverse (benchmark/models/sox_inverse.py) and its submission
(baselines/sox_inverse.py), on the ``sox`` binary's overdrive of plucked notes written as a 16-bit file."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from benchmark.harness import NotApplicable
from benchmark.harness.submission import load_model_class
from benchmark.metrics import si_sdr
from benchmark.models.sox_inverse import blind_sox_inverse
from conftest import REPO_ROOT, require_binary

SR = 16000
Model = load_model_class(REPO_ROOT / "baselines" / "sox_inverse.py")


def plucked_notes(seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    """Decaying harmonic notes (a few per second), peak-normalised to 0.5 as every task's clean clip."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    x = np.zeros_like(t)
    for start in np.sort(rng.uniform(0, seconds - 0.3, 8)):
        f0, on = 82.4 * 2 ** (rng.integers(0, 24) / 12), t >= start
        tau = t[on] - start
        x[on] += sum(np.exp(-tau * (2 + 1.5 * k)) * np.sin(2 * np.pi * k * f0 * tau + rng.uniform(0, 2 * np.pi)) / k
                     for k in range(1, 12))
    return 0.5 * x / np.max(np.abs(x))


def sox_overdrive_16bit(tmp_path, clean: np.ndarray, gain_db: float, level: float) -> np.ndarray:
    """The sox binary's overdrive (colour 0) of ``clean``, times ``level``, through a 16-bit WAV file."""
    from benchmark.effects.sox_binary import sox_binary_overdrive

    path = tmp_path / f"od-{gain_db}.wav"
    sf.write(path, level * sox_binary_overdrive(clean, gain_db, 0.0, sample_rate=SR), SR, subtype="PCM_16")
    return sf.read(path, dtype="float64")[0]


@pytest.mark.parametrize("gain_db, level", [(23.0, 0.9), (36.5, 0.31), (47.0, 0.55)])
def test_blind_inverse_finds_gain_and_level_of_the_sox_binarys_overdrive(tmp_path, gain_db, level):
    """Gain within 1.5 dB, level within 1 %, and the clean signal back above 30 dB SI-SDR
    (the 16-bit file's limit is about 60 dB), from an input 0-8 dB SI-SDR."""
    require_binary("sox")
    clean = plucked_notes()
    distorted = sox_overdrive_16bit(tmp_path, clean, gain_db, level)
    found = blind_sox_inverse(distorted, colour=0.0, gain_range_db=(20.0, 50.0), clean_peak=0.5)
    assert abs(found.gain_db - gain_db) < 1.5
    assert abs(np.log(found.scale / level)) < 0.01
    assert si_sdr(clean, distorted) < 10.0
    assert si_sdr(clean, found.restored) > 30.0


def test_submission_serves_overdrive_tasks_only(tmp_path):
    require_binary("sox")
    assert Model.supports("sampled-od") and Model.supports("synth-od") and Model.supports("my-od")
    assert not Model.supports("sampled-hc") and not Model.supports("synth-pb-dist") and not Model.supports("my-sdr")
    with pytest.raises(NotApplicable, match="synth-hc"):
        Model("synth-hc")
    clean = np.stack([plucked_notes(2.0, seed) for seed in (1, 2)])
    batch = np.stack([sox_overdrive_16bit(tmp_path, x, 30.0, 1.0) for x in clean]).astype(np.float32)
    restored = Model("sampled-od")(batch)
    assert restored.shape == batch.shape and restored.dtype == np.float32
    assert all(si_sdr(c, r) > 30.0 for c, r in zip(clean, restored.astype(np.float64)))
