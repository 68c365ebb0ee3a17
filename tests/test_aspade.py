"""Tests of the A-SPADE baseline (baselines/aspade.py).

``reference_aspade`` below is the plain frame-by-frame algorithm, written line by line from
the declipping survey's MATLAB code (rajmic/declipping2020_codes: ``spade_segmentation.m``,
``aspade.m``, ``hard_thresholding.m``, ``proj_time.m``): one frame at a time, full complex
DFT, sorting for the hard thresholding. The batched implementation must equal it.
"""
from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import soundfile as sf
from conftest import REPO_ROOT, require_module, require_paper_demo

from benchmark.effects import clip_to_sdr, plain_sdr
from benchmark.metrics import si_sdr
from benchmark.submission import NotApplicable
from benchmark.synth import synth_guitar

sys.path.insert(0, str(REPO_ROOT))
from baselines.aspade import Model, aspade, clipping_masks

SAMPLE_RATE = 16000
SURVEY_SDRS = (1, 3, 5, 7, 10, 15, 20)  # input SDR levels of the survey's protocol, dB
DEMO_DELAY = 256  # the paper's aspade.wav starts 256 samples into tar.wav


# --- the frame-by-frame reference ---------------------------------------------------------------

def _hard_thresholding(a: np.ndarray, k: int) -> np.ndarray:
    """hard_thresholding.m: keep the k largest of the half spectrum (DC halved), mirror conjugates."""
    half = a[: len(a) // 2 + 1].copy()
    half[0] /= 2
    kept = half.copy()
    if k < len(half):
        kept[:] = 0
        largest = np.argsort(-np.abs(half), kind="stable")[:k]
        kept[largest] = half[largest]
    kept[0] *= 2
    return np.concatenate([kept, np.conj(kept[1:-1][::-1])])  # even length: DC and Nyquist unpaired


def _aspade_frame(y, high, low, epsilon, s, r, max_iterations):
    """aspade.m on one windowed frame ``y`` (w,) with its clipping masks; the best iterate."""
    w = len(y)
    reliable = ~(high | low)

    def analysis(x):  # A: unitary DFT of the frame zero-padded to 2w
        return np.fft.fft(np.concatenate([x, np.zeros(w)]), norm="ortho")

    def projection(x):  # proj_time.m
        x = x.copy()
        x[reliable] = y[reliable]
        x[high] = np.maximum(x[high], y[high])
        x[low] = np.minimum(x[low], y[low])
        return x

    x_hat = y.copy()
    z = analysis(x_hat)
    u = np.zeros_like(z)
    k, count, best_objective, best = s, 1, np.inf, x_hat
    while count <= max_iterations:
        z_bar = _hard_thresholding(z + u, k)
        objective = np.linalg.norm(z - z_bar)
        if objective <= best_objective:
            best, best_objective = x_hat, objective
        if objective <= epsilon:
            break
        x_hat = projection(np.fft.ifft(z_bar - u, norm="ortho")[:w].real)
        z = analysis(x_hat)
        u = u + z - z_bar
        count += 1
        if count % r == 0:
            k += s
    return best


def reference_aspade(y, high, low, window, epsilon=0.1, s=1, r=2):
    """spade_segmentation.m on one signal ``y`` (samples,) with its clipping masks."""
    length, hop = len(y), window // 4
    padded_length = math.ceil(length / hop) * hop + (math.ceil(window / hop) - 1) * hop
    pad = padded_length - length
    y = np.concatenate([y, np.zeros(pad)])
    high, low = (np.concatenate([m, np.zeros(pad, bool)]) for m in (high, low))
    analysis = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)
    analysis /= analysis.max()
    synthesis = analysis / sum(np.roll(analysis, m * hop) ** 2 for m in range(window // hop))
    max_iterations = math.ceil(math.floor(window * 2 / 2 + 1) * r / s)
    out = np.zeros(padded_length)
    for n in range(padded_length // hop):
        index = (n * hop + np.arange(-window // 2, window // 2)) % padded_length
        frame = _aspade_frame(y[index] * analysis, high[index], low[index], epsilon, s, r, max_iterations)
        out[index] += frame * synthesis
    return out[:length]


def reference_declip(clipped: np.ndarray, window: int, reference_level: float = 1.0) -> np.ndarray:
    """The reference on one clipped signal, its clipping found and scaled as ``aspade`` does."""
    scale = reference_level / np.abs(clipped).max()
    high, low = clipping_masks(clipped)
    return reference_aspade(clipped * scale, high, low, window) / scale


# --- helpers ------------------------------------------------------------------------------------

def guitar(seed: int, seconds: float) -> np.ndarray:
    """A clean synthetic guitar clip (peak 0.5) at 16 kHz."""
    return synth_guitar(np.random.default_rng(seed), seconds, SAMPLE_RATE)


def assert_consistent(clipped: np.ndarray, restored: np.ndarray, threshold: float | None = None) -> None:
    """Reliable samples unchanged bit for bit; clipped samples at least as far out as the input
    (with ``threshold``: at least the threshold in magnitude, with their sign)."""
    high, low = clipping_masks(clipped, threshold)
    reliable = ~(high | low)
    assert high.any() or low.any()
    np.testing.assert_array_equal(restored[reliable], clipped[reliable])
    assert np.all(restored[high] >= clipped[high]) and np.all(restored[low] <= clipped[low])
    if threshold is not None:
        assert np.all(restored[high] >= threshold) and np.all(restored[low] <= -threshold)


def demo_clip(folder, seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input, clean, paper's A-SPADE) excerpts of a demo folder, aligned, ``seconds`` long."""
    n = round(seconds * SAMPLE_RATE)
    span = slice(DEMO_DELAY, DEMO_DELAY + n)
    inp, tar = (sf.read(folder / f"{name}.wav")[0] for name in ("inp", "tar"))
    return inp[: span.stop], tar[span], sf.read(folder / "aspade.wav")[0][:n]


# --- tests --------------------------------------------------------------------------------------

def test_consistent_on_random_inputs():
    """Noise clipped or not, at any scale, float32 or float64, with or without the threshold."""
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((3, 2000))
    batch = np.stack([np.clip(noise[0], -0.8, 0.8), 1e-3 * np.clip(noise[1], -1.5, 0.5), 7.0 * noise[2]])
    restored = aspade(batch, window=256)
    for row, out in zip(batch, restored):
        assert_consistent(row, out)
    single = np.clip(0.3 * noise[0], -0.25, 0.25).astype(np.float32)
    assert_consistent(single, aspade(single, window=256, threshold=0.25), threshold=0.25)
    np.testing.assert_array_equal(aspade(np.zeros((2, 500)), window=256), 0.0)


def test_consistent_on_a_16_bit_demo_input():
    """A 16-bit clip clips at +32767/32768 and -1 (times a scale): both sides are found."""
    clipped = sf.read(require_paper_demo() / "CEG_HC" / "pow1" / "30" / "inp.wav")[0][: SAMPLE_RATE // 2]
    high, low = clipping_masks(clipped)
    assert clipped.max() < -clipped.min()  # one 16-bit step apart
    assert high.sum() > 100 and low.sum() > 100
    restored = aspade(clipped)
    assert_consistent(clipped, restored)


def test_one_iteration_returns_the_input():
    """The first iterate is the input itself; with the cap at 1 it is what comes back."""
    clipped = np.clip(guitar(1, 0.5), -0.2, 0.2)
    restored = aspade(clipped, max_iterations=1)
    np.testing.assert_allclose(restored, clipped, rtol=0, atol=1e-15)  # overlap-add rounding only
    assert_consistent(clipped, restored)


@pytest.fixture(scope="module")
def reference_cases() -> dict:
    """Name -> (batch, aspade's keyword arguments, the reference's output). "guitar": two short
    clips at different scales and clipping depths; "noise": clipped noise scaled so far up that
    epsilon is never met: its frames run into the iteration cap, k past the coefficient count."""
    rng = np.random.default_rng(1)
    cases = {
        "guitar": (np.stack([np.clip(guitar(2, 0.4), -0.15, 0.15), 3.0 * np.clip(guitar(3, 0.4), -0.3, 0.3)]),
                   {"window": 256}),
        "noise": (np.clip(rng.standard_normal((2, 800)), -1.0, 1.0), {"window": 64, "reference_level": 1000.0}),
    }
    return {name: (batch, kwargs, np.stack([reference_declip(row, **kwargs) for row in batch]))
            for name, (batch, kwargs) in cases.items()}


@pytest.fixture
def one_torch_thread():
    """Torch on one thread: on a loaded shared CPU, intra-op thread barriers stall every op."""
    torch = require_module("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("case", ["guitar", "noise"])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_batched_equals_frame_by_frame(reference_cases, case, backend, request):
    if backend == "torch":
        request.getfixturevalue("one_torch_thread")
    batch, kwargs, expected = reference_cases[case]
    restored = aspade(batch, backend=backend, **kwargs)
    assert np.max(np.abs(restored - expected)) < 1e-9
    for row, out in zip(batch, restored):
        assert_consistent(row, out)


def test_survey_protocol_delta_sdr_rises_with_input_sdr(capsys):
    """Clip to the survey's input SDRs; mean ΔSDR (plain SDR gain) is positive and rises."""
    clean = [guitar(seed, 1.5) for seed in (10, 11)]
    cases = [(x, clip_to_sdr(x, sdr_db)[0], sdr_db) for sdr_db in SURVEY_SDRS for x in clean]
    restored = aspade(np.stack([clipped for _, clipped, _ in cases]))
    gains = {sdr_db: [] for sdr_db in SURVEY_SDRS}
    for (x, clipped, sdr_db), out in zip(cases, restored):
        gains[sdr_db].append(plain_sdr(x, out) - plain_sdr(x, clipped))
    means = [float(np.mean(gains[sdr_db])) for sdr_db in SURVEY_SDRS]
    with capsys.disabled():
        per_level = ", ".join(f"{sdr_db} dB: {mean:.2f}" for sdr_db, mean in zip(SURVEY_SDRS, means))
        print(f"\nA-SPADE mean ΔSDR (dB) per input SDR: {per_level}")
    assert min(means) > 5.0
    assert np.all(np.diff(means) > 0)


def test_not_worse_than_the_papers_aspade_on_demo_clips():
    """SI-SDR against tar.wav on a few demo clips: ours is not worse on average."""
    demo = require_paper_demo()
    ours, paper = [], []
    for task, clip, level in [("CEG_HC", "mel1", "30"), ("CEG_HC", "pow1", "45"), ("ST_HC", "bass", "05"),
                              ("ST_HC", "perc", "10")]:
        clipped, clean, theirs = demo_clip(demo / task / clip / level, seconds=2.0)
        ours.append(si_sdr(clean, aspade(clipped)[DEMO_DELAY:]))
        paper.append(si_sdr(clean, theirs))
    assert np.mean(ours) >= np.mean(paper)


def test_model_contract():
    assert Model.supports("synth-hc") and Model.supports("signaltrain-sdr") and not Model.supports("ceg-od")
    assert not Model.supports("synth-pb-dist") and not Model.supports("synth-pb-amp")  # by their recipes
    assert Model.supports("my-own-hc") and not Model.supports("my-own-od")  # unknown tasks: by name
    with pytest.raises(NotApplicable):
        Model("synth-od")
    clipped = np.clip(np.stack([guitar(4, 0.5), guitar(5, 0.5)]), -0.1, 0.1).astype(np.float32)
    restored = Model("synth-hc")(clipped)
    assert restored.dtype == np.float32 and restored.shape == clipped.shape
    for row, out in zip(clipped, restored):
        assert_consistent(row, out, threshold=float(np.float32(0.1)))
