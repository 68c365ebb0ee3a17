"""benchmark.metrics against the reference implementations (museval, auraloss, librosa)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from conftest import require_binary, require_module

from benchmark import metrics
from benchmark.metrics import mel

SR = 8000  # museval cases: 1 s windows of 8000 samples keep museval fast


@pytest.fixture(scope="module")
def museval():
    require_binary("ffmpeg")  # `import museval` raises RuntimeError without it
    return require_module("museval")


@pytest.fixture(scope="module")
def torch():
    return require_module("torch")


@pytest.fixture(scope="module")
def auraloss(torch):
    return require_module("auraloss.freq")


@pytest.fixture(scope="module")
def librosa():
    return require_module("librosa")


def _signal(rng: np.random.Generator, n: int) -> np.ndarray:
    """Noise under a slow random envelope, a crude stand-in for music."""
    envelope = np.repeat(rng.uniform(0.1, 1.0, n // 500 + 1), 500)[:n]
    return 0.3 * envelope * rng.standard_normal(n)


def _museval_frames(museval, reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray:
    return museval.evaluate(reference[None, :, None], estimate[None, :, None], win=sample_rate, hop=sample_rate)[0][0]


def _sdr_case(name: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 4 * SR
    s = _signal(rng, n)
    noisy = s + 0.05 * rng.standard_normal(n)
    if name == "noise":
        return s, noisy
    if name == "clipped":
        return s, np.clip(s, -0.2, 0.2)
    if name == "lowpassed":
        return s, scipy.signal.lfilter(*scipy.signal.butter(4, 0.2), s)
    if name == "scaled":
        return s, 0.5 * s
    if name == "silent_ref_window":
        s[SR : 2 * SR] = 0.0
        return s, noisy
    if name == "silent_est_window":
        noisy[2 * SR : 3 * SR] = 0.0
        return s, noisy
    if name == "silent_windows_both":
        s[:SR] = 0.0
        noisy[:SR] = 0.0
        noisy[3 * SR :] = 0.0
        return s, noisy
    if name == "silent_tail":
        s[int(2.5 * SR) :] = 0.0
        return s, noisy
    if name == "exact_window":  # error exactly zero in one window: +inf there
        noisy[SR : 2 * SR] = s[SR : 2 * SR]
        return s, noisy
    if name == "mostly_silent":  # three of four windows NaN: the median is the one left
        s[SR:] = 0.0
        return s, noisy
    if name == "ragged_length":
        return s[: 3 * SR + 1234], noisy[: 3 * SR + 1234]
    if name == "one_window":
        return s[:SR], noisy[:SR]
    if name == "one_window_and_a_bit":
        return s[: SR + 1], np.clip(s[: SR + 1], -0.1, 0.1)
    if name == "shorter_than_window":
        return s[:3000], noisy[:3000]
    if name == "shorter_than_filters":
        return s[:300], noisy[:300]
    if name == "float32":
        return s.astype(np.float32), noisy.astype(np.float32)
    raise KeyError(name)


SDR_CASES = [
    "noise", "clipped", "lowpassed", "scaled", "silent_ref_window", "silent_est_window",
    "silent_windows_both", "silent_tail", "exact_window", "mostly_silent", "ragged_length", "one_window",
    "one_window_and_a_bit", "shorter_than_window", "shorter_than_filters", "float32",
]  # fmt: skip


@pytest.mark.parametrize("case", SDR_CASES)
def test_sdr_matches_museval(museval, case):
    reference, estimate = _sdr_case(case)
    expected = _museval_frames(museval, reference, estimate, SR)
    frames = metrics.sdr_frames(reference, estimate, SR)
    np.testing.assert_allclose(frames, expected, rtol=0, atol=1e-6)  # NaNs must coincide
    assert metrics.sdr(reference, estimate, SR) == pytest.approx(np.nanmedian(expected), rel=0, abs=1e-6)


def test_sdr_batch_matches_museval_per_example(museval):
    rng = np.random.default_rng(7)
    sample_rate = 16000
    reference = np.stack([_signal(rng, 3 * sample_rate + 999) for _ in range(3)])
    estimate = reference + rng.uniform(0.01, 0.3, (3, 1)) * rng.standard_normal(reference.shape)
    estimate[1, sample_rate : 2 * sample_rate] = 0.0
    expected = [np.nanmedian(_museval_frames(museval, r, e, sample_rate)) for r, e in zip(reference, estimate)]
    result = metrics.sdr(reference, estimate, sample_rate)
    assert result.shape == (3,) and result.dtype == np.float64
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-6)


def test_sdr_silent_signal_is_nan_where_museval_raises(museval):
    reference, estimate = _sdr_case("noise")
    for ref, est in ((np.zeros_like(reference), estimate), (reference, np.zeros_like(estimate))):
        with pytest.raises(ValueError, match="silent"):
            _museval_frames(museval, ref, est, SR)
        assert np.isnan(metrics.sdr(ref, est, SR))
        assert np.isnan(metrics.sdr_frames(ref, est, SR)).all()


def test_sdr_is_plain_windowed_snr():
    reference, estimate = _sdr_case("clipped")
    frames = reference.reshape(4, SR), estimate.reshape(4, SR)
    snr = 10 * np.log10(np.sum(frames[0] ** 2, 1) / np.sum((frames[1] - frames[0]) ** 2, 1))
    np.testing.assert_allclose(metrics.sdr_frames(reference, estimate, SR), snr, rtol=1e-12)
    assert metrics.sdr(reference, 0.5 * reference, SR) == pytest.approx(20 * np.log10(2), abs=1e-12)
    assert metrics.sdr(reference, reference, SR) == np.inf


def test_shapes_follow_leading_axes():
    rng = np.random.default_rng(3)
    reference = rng.standard_normal((2, 3, 2 * SR))
    estimate = reference + rng.standard_normal(reference.shape)
    assert metrics.sdr_frames(reference, estimate, SR).shape == (2, 3, 2)
    for value in (metrics.sdr(reference, estimate, SR), metrics.si_sdr(reference, estimate)):
        assert value.shape == (2, 3)
    for value in (metrics.sdr(reference[0, 0], estimate[0, 0], SR), metrics.si_sdr(reference[0, 0], estimate[0, 0])):
        assert isinstance(value, float)
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.si_sdr(reference, estimate[..., :-1])
    with pytest.raises(ValueError, match="sample_rate"):
        metrics.sdr(reference, estimate, 8000.5)


def _si_sdr_via_correlation(reference: np.ndarray, estimate: np.ndarray) -> float:
    """SI-SDR = 10·log10(ρ² / (1 - ρ²)) with ρ the Pearson correlation."""
    rho = np.corrcoef(reference, estimate)[0, 1]
    return 10 * np.log10(rho**2 / (1 - rho**2))


def test_si_sdr_matches_independent_formula():
    rng = np.random.default_rng(11)
    reference = rng.standard_normal((5, 4000)) + 0.3
    estimate = rng.uniform(0.2, 3, (5, 1)) * reference + rng.uniform(0.1, 2, (5, 1)) * rng.standard_normal((5, 4000)) - 1
    expected = [_si_sdr_via_correlation(r, e) for r, e in zip(reference, estimate)]
    np.testing.assert_allclose(metrics.si_sdr(reference, estimate), expected, rtol=1e-9)
    np.testing.assert_allclose(metrics.si_sdr(reference.astype(np.float32), estimate.astype(np.float32)), expected, atol=1e-5)


@pytest.mark.parametrize("target_db", [-10.0, 0.0, 17.5, 60.0])
def test_si_sdr_of_orthogonal_noise_of_known_power(target_db):
    rng = np.random.default_rng(5)
    reference = rng.standard_normal(10000)
    reference -= reference.mean()
    noise = rng.standard_normal(10000)
    basis = np.stack([np.ones(10000) / 100.0, reference / np.linalg.norm(reference)])
    noise -= basis.T @ (basis @ noise)  # orthogonal to the reference and to constants
    noise *= np.linalg.norm(reference) / np.linalg.norm(noise) * 10 ** (-target_db / 20)
    assert metrics.si_sdr(reference, reference + noise) == pytest.approx(target_db, abs=1e-9)
    # scale and offset invariance
    assert metrics.si_sdr(reference + 2.0, -3.0 * (reference + noise) + 0.5) == pytest.approx(target_db, abs=1e-9)


def test_si_sdr_edge_cases():
    rng = np.random.default_rng(2)
    reference = rng.standard_normal(1000)
    assert metrics.si_sdr(reference, reference) == np.inf
    assert metrics.si_sdr(reference, 2.0 * reference) == np.inf
    assert metrics.si_sdr(reference, 0.7 * reference) > 200.0  # roundoff-limited, not capped
    assert np.isnan(metrics.si_sdr(np.zeros(1000), reference))
    assert np.isnan(metrics.si_sdr(np.full(1000, 0.25), reference))  # constant = silent once zero-mean
    assert np.isnan(metrics.si_sdr(reference, np.zeros(1000)))


def _slices(n: int, sample_rate: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A batch of (reference, estimate) pairs exercising noise, clipping, filtering, silence."""
    s = np.stack([_signal(rng, n) for _ in range(4)])
    estimate = np.stack(
        [
            s[0] + 0.05 * rng.standard_normal(n),
            np.clip(s[1], -0.1, 0.1),
            scipy.signal.lfilter(*scipy.signal.butter(4, 2000 / (sample_rate / 2)), s[2]),
            s[3],
        ]
    )
    s[3, : n // 3] = 0.0  # reference silent where the estimate is not
    estimate[3, -n // 4 :] = 0.0  # and the other way round
    return s, estimate


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mr_mel_distance_matches_auraloss(torch, auraloss, dtype):
    rng = np.random.default_rng(9)
    sample_rate = 16000
    reference, estimate = (x.astype(dtype) for x in _slices(sample_rate + 777, sample_rate, rng))
    loss = auraloss.MultiResolutionSTFTLoss(scale="mel", n_bins=128, sample_rate=sample_rate)
    expected = [
        loss(torch.tensor(e[None, None], dtype=torch.float32), torch.tensor(r[None, None], dtype=torch.float32)).item()
        for r, e in zip(reference, estimate)
    ]
    np.testing.assert_allclose(metrics.mr_mel_distance(reference, estimate, sample_rate), expected, rtol=1e-5)


def test_mr_mel_distance_rejects_empty_mel_bands():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(44100)
    with pytest.raises(ValueError, match="empty"):
        metrics.mr_mel_distance(x, x, 44100)
    with pytest.raises(ValueError, match="1024 samples"):
        metrics.mr_mel_distance(x[:1024], x[:1024], 16000)


@pytest.mark.parametrize(("sample_rate", "n_fft", "n_mels"), [(16000, 512, 128), (16000, 1024, 80), (22050, 2048, 128)])
def test_mel_filterbank_matches_librosa(librosa, sample_rate, n_fft, n_mels):
    expected = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, dtype=np.float64)
    np.testing.assert_allclose(mel._mel_filterbank(sample_rate, n_fft, n_mels), expected, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("sample_rate", [16000, 22050])
def test_mel_distance_matches_librosa(librosa, sample_rate):
    rng = np.random.default_rng(4)
    reference, estimate = _slices(sample_rate + 333, sample_rate, rng)

    def log_mel(x):
        mel = librosa.feature.melspectrogram(
            y=x, sr=sample_rate, n_fft=1024, hop_length=256, window="hann", center=True,
            pad_mode="constant", power=2.0, n_mels=80, dtype=np.float64,
        )  # fmt: skip
        return 10 * np.log10(mel + 1e-10)

    expected = [np.mean(np.abs(log_mel(r) - log_mel(e))) for r, e in zip(reference, estimate)]
    np.testing.assert_allclose(metrics.mel_distance(reference, estimate, sample_rate), expected, rtol=1e-9)


def test_mel_distance_properties():
    rng = np.random.default_rng(8)
    reference = _signal(rng, 16000)
    noise = rng.standard_normal(16000)
    assert metrics.mel_distance(reference, reference, 16000) == 0.0
    distances = metrics.mel_distance(np.stack([reference] * 4), reference + np.array([[0.001], [0.01], [0.1], [1.0]]) * noise, 16000)
    assert np.all(np.diff(distances) > 0) and distances[0] > 0
    estimate = reference + 0.1 * noise
    assert metrics.mel_distance(reference, estimate, 16000) == metrics.mel_distance(estimate, reference, 16000)
