"""Tests of A-SPADE: the batched solver (benchmark/models/aspade.py) and its submission (baselines/aspade.py).

``benchmark.models.aspade_reference`` is the plain frame-by-frame algorithm, written line by
line from the declipping survey's MATLAB code (rajmic/declipping2020_codes:
``spade_segmentation.m``, ``aspade.m``, ``hard_thresholding.m``, ``proj_time.m``): one frame
at a time, full complex DFT, sorting for the hard thresholding. The batched solver must equal it.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import soundfile as sf
from conftest import REPO_ROOT, require_module, require_paper_demo

from benchmark.effects import clip_to_sdr, clipping_masks, plain_sdr
from benchmark.metrics import si_sdr
from benchmark.harness.submission import NotApplicable
from benchmark.dataset.synth import synth_guitar

from benchmark.harness.submission import load_model_class
from benchmark.models import aspade as aspade_module
from benchmark.models.aspade import aspade
from benchmark.models.aspade_reference import SURVEY_SDRS, reference_declip

Model = load_model_class(REPO_ROOT / "baselines" / "aspade.py")

SAMPLE_RATE = 16000
DEMO_DELAY = 256  # the paper's aspade.wav starts 256 samples into tar.wav


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


@pytest.mark.parametrize("case", ["guitar", "noise"])
@pytest.mark.parametrize("backend, fft", [("numba", "pyfftw"), ("numba", "numpy.fft"), ("torch", "torch.fft")])
def test_batched_equals_frame_by_frame(reference_cases, case, backend, fft, request, monkeypatch):
    """Both backends, and the numba backend with either FFT (FFTW's when pyFFTW is installed)."""
    if backend == "torch":
        request.getfixturevalue("one_torch_thread")
    if fft == "pyfftw":
        require_module("pyfftw")
    if fft == "numpy.fft":
        monkeypatch.setitem(sys.modules, "pyfftw", None)  # import pyfftw raises ImportError
    batch, kwargs, expected = reference_cases[case]
    restored = aspade(batch, backend=backend, **kwargs)
    assert np.max(np.abs(restored - expected)) < 1e-9
    for row, out in zip(batch, restored):
        assert_consistent(row, out)


@pytest.mark.parametrize("threads", [1, 3])
def test_slots_refill_on_any_thread_count(reference_cases, threads, monkeypatch):
    """Few slots per thread, so that frames leave and new ones take their slots many times
    over (and the last slots move when a thread's queue runs dry): still the reference."""
    monkeypatch.setattr(aspade_module, "SLOTS", 4)
    batch, kwargs, expected = reference_cases["guitar"]
    high, low = clipping_masks(batch)
    assert (high | low).sum() > 100  # many clipped frames, far more than 4 slots x threads
    restored = aspade(batch, backend="numba", threads=threads, **kwargs)
    assert np.max(np.abs(restored - expected)) < 1e-9


def test_survey_protocol_delta_sdr_rises_with_input_sdr():
    """Clip to the survey's input SDRs; mean ΔSDR (plain SDR gain) is positive and rises."""
    clean = [guitar(seed, 1.5) for seed in (10, 11)]
    cases = [(x, clip_to_sdr(x, sdr_db)[0], sdr_db) for sdr_db in SURVEY_SDRS for x in clean]
    restored = aspade(np.stack([clipped for _, clipped, _ in cases]))
    gains = {sdr_db: [] for sdr_db in SURVEY_SDRS}
    for (x, clipped, sdr_db), out in zip(cases, restored):
        gains[sdr_db].append(plain_sdr(x, out) - plain_sdr(x, clipped))
    means = [float(np.mean(gains[sdr_db])) for sdr_db in SURVEY_SDRS]
    per_level = "A-SPADE mean ΔSDR (dB) per input SDR: " + ", ".join(
        f"{sdr_db} dB: {mean:.2f}" for sdr_db, mean in zip(SURVEY_SDRS, means))
    assert min(means) > 5.0, per_level
    assert np.all(np.diff(means) > 0), per_level


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


def test_thread_count_follows_omp_num_threads(monkeypatch):
    """bench run's evaluation processes each get their share of the cores through OMP_NUM_THREADS."""
    from benchmark.models.aspade import cpu_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert cpu_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert cpu_threads() == len(os.sched_getaffinity(0))
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert cpu_threads() == len(os.sched_getaffinity(0))
