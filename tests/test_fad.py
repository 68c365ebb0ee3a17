"""FAD (benchmark.metrics.fad, benchmark.metrics.vggish, benchmark.harness.fad).

References: the Fréchet distance of ``frechet-audio-distance`` 0.1.2 (pytorch-fid's, as in
google-research's FAD) on the same statistics, and a closed form; the VGGish frontend and
network of ``torchvggish`` 0.2 (harritaylor's port, whose release file the real weights are),
with its final ReLU removed as ``frechet-audio-distance`` and ``fadtk`` do. The model under
test is torchvggish's VGGish with random weights, saved here as a state dict: the real
checkpoint is never downloaded.
"""
from __future__ import annotations

import hashlib
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from benchmark.cli import main as bench
from benchmark.dataset.generate import generate_task
from benchmark.dataset.shards import iter_examples
from benchmark.harness.evaluate import evaluate
from benchmark.harness.submission import SubmissionError
from benchmark.metrics.fad import (EMBEDDING_MODELS, EmbeddingStats, FadError, frechet_distance,
                                   load_embedding_model)
from benchmark.metrics.vggish import log_mel_patches
from conftest import REPO_ROOT, require_module, small_recipe

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _reference_frechet(mu1, sigma1, mu2, sigma2):
    fad = require_module("frechet_audio_distance")
    reference = fad.FrechetAudioDistance.__new__(fad.FrechetAudioDistance)  # its __init__ would download VGGish
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's deprecation of sqrtm(disp=...)
        return reference.calculate_frechet_distance(mu1, sigma1, mu2, sigma2)


def _gaussians(case: str):
    rng = np.random.default_rng(7)
    if case == "singular product":  # sqrtm(S1 S2) is not finite: the eps branch
        return np.zeros(2), np.diag([1.0, 0.0]), np.zeros(2), np.array([[0.0, 1.0], [0.0, 0.0]])
    n1, n2, d = {"128-d, well conditioned": (600, 500, 128), "128-d, fewer embeddings than dims": (20, 30, 128),
                 "2-d": (50, 40, 2)}[case]
    a = rng.standard_normal((n1, d)) @ rng.standard_normal((d, d)) * 0.3 + 1.0
    b = rng.standard_normal((n2, d)) * 0.5 + 0.8
    return a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)


@pytest.mark.filterwarnings("ignore:Matrix is singular")
@pytest.mark.parametrize("case", ["128-d, well conditioned", "128-d, fewer embeddings than dims", "2-d",
                                  "singular product"])
def test_frechet_distance_equals_frechet_audio_distance(case):
    mu1, sigma1, mu2, sigma2 = _gaussians(case)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(
        _reference_frechet(mu1, sigma1, mu2, sigma2), rel=1e-12, abs=1e-12)


def test_frechet_distance_closed_form_for_diagonal_covariances():
    """Commuting covariances: |mu1 - mu2|^2 + sum (sqrt(a) - sqrt(b))^2."""
    rng = np.random.default_rng(3)
    a, b, mu1, mu2 = rng.uniform(0.1, 2, 64), rng.uniform(0.1, 2, 64), rng.normal(size=64), rng.normal(size=64)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-12)
    assert frechet_distance(mu1, np.diag(a), mu1, np.diag(a)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(FadError, match="must be"):
        frechet_distance(mu1, np.diag(a), mu2[:3], np.diag(b))


def test_embedding_stats_over_batches_equal_numpy_over_the_whole_set():
    x = np.random.default_rng(5).standard_normal((203, 16)) * 3 + 10
    whole = EmbeddingStats(16).add(x)
    first = EmbeddingStats(16)
    for chunk in np.array_split(x[:100], 7):
        first.add(chunk)
    kept = EmbeddingStats.from_arrays(**first.arrays())  # as the harness keeps a batch in a file
    merged = kept.merge(EmbeddingStats(16).add(x[100:])).merge(EmbeddingStats(16))  # an empty set adds nothing
    for stats in (whole, merged):
        assert stats.count == 203
        np.testing.assert_allclose(stats.mean, x.mean(axis=0), rtol=1e-13)
        np.testing.assert_allclose(stats.sigma, np.cov(x, rowvar=False), rtol=1e-11, atol=1e-12)
    with pytest.raises(FadError, match="at least 2 embeddings, got 1"):
        EmbeddingStats(16).add(x[:1]).sigma
    with pytest.raises(FadError, match="sizes differ"):
        whole.merge(EmbeddingStats(8))


def _audio(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(16000 * seconds)) / 16000
    return 0.3 * np.sin(2 * np.pi * (220 + 40 * seed) * t) * (1 + np.sin(2 * np.pi * 0.7 * t)) + 0.05 * rng.normal(size=t.size)


def test_log_mel_patches_equal_vggish_input():
    vggish_input = require_module("torchvggish.vggish_input")
    batch = np.stack([_audio(3.3, 1), _audio(3.3, 2)])
    patches = log_mel_patches(batch, 16000)
    assert patches.shape == (2, 3, 96, 64)  # 3.3 s: three whole 0.96 s patches
    for signal, ours in zip(batch, patches):
        np.testing.assert_allclose(ours, vggish_input.waveform_to_examples(signal, 16000, return_tensor=False),
                                   rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="at least 0.975 s"):
        log_mel_patches(np.zeros(15000), 16000)


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> tuple[Path, str, torch.nn.Module]:
    """torchvggish's VGGish with random weights, final ReLU removed: its state-dict file, SHA-256, module."""
    torchvggish = require_module("torchvggish")
    torch.manual_seed(0)
    reference = torchvggish.VGG(torchvggish.make_layers(), postprocess=False)
    reference.embeddings = torch.nn.Sequential(*list(reference.embeddings.children())[:-1])
    path = tmp_path_factory.mktemp("weights") / "vggish-random.pth"
    torch.save(reference.state_dict(), path)
    return path, hashlib.sha256(path.read_bytes()).hexdigest(), reference.eval()


@pytest.fixture(scope="module")
def embedder(weights):
    path, sha256, _ = weights
    return load_embedding_model("vggish", path, sha256=sha256)


def test_vggish_embeddings_equal_torchvggish_and_are_deterministic(weights, embedder):
    path, sha256, reference = weights
    vggish_input = require_module("torchvggish.vggish_input")
    batch = np.stack([_audio(3.3, 1), _audio(3.3, 2)])
    embeddings = embedder(batch, 16000)
    assert embeddings.shape == (2, 3, 128) and embeddings.dtype == np.float64
    assert embedder.weights_sha256 == sha256 and embedder.dim == 128 and embedder.name == "vggish"
    with torch.no_grad():
        for signal, ours in zip(batch, embeddings):
            expected = reference(vggish_input.waveform_to_examples(signal, 16000)).numpy()
            np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-7)
    assert np.abs(embeddings).max() > 1e-3  # not a degenerate (all-zero) model
    np.testing.assert_array_equal(embedder(batch, 16000), embeddings)
    np.testing.assert_array_equal(load_embedding_model("vggish", path, sha256=sha256)(batch, 16000), embeddings)


def test_weights_are_checked_by_sha256_and_never_downloaded(weights, tmp_path):
    path, sha256, _ = weights
    known = EMBEDDING_MODELS["vggish"]
    assert known.sha256.startswith("10086976") and "10086976" in known.weights_file  # torch hub's naming
    with pytest.raises(FadError) as refused:
        load_embedding_model("vggish", path)  # random weights are not the published checkpoint
    assert str(path) in str(refused.value) and sha256 in str(refused.value) and known.sha256 in str(refused.value)
    with pytest.raises(FadError, match="no-such.pth: cannot read"):
        load_embedding_model("vggish", tmp_path / "no-such.pth")
    with pytest.raises(FadError, match="unknown FAD embedding model 'openl3'; known: vggish"):
        load_embedding_model("openl3", path)
    other = tmp_path / "other.pth"
    torch.save({"features.0.weight": torch.zeros(3)}, other)
    with pytest.raises(FadError, match=f"{other}: not a vggish state dict"):
        load_embedding_model("vggish", other, sha256=hashlib.sha256(other.read_bytes()).hexdigest())


# --- the harness ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A tiny hard-clipping task: 7 test examples of 2 s (1 clip x 7 gains), two VGGish patches each."""
    root = tmp_path_factory.mktemp("data")
    splits = {"train": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
              "val": {"clips": 1, "seconds": 1.0, "levels": "uniform"},
              "test": {"clips": 1, "seconds": 2.0, "levels": "grid"}}
    generate_task(small_recipe(root, "synth-hc", name="tiny-fad", splits=splits), root, progress=False)
    return root


def _fad_of_sets(a: np.ndarray, b: np.ndarray) -> float:
    """FAD recomputed from two whole sets of embeddings: np.cov and the reference distance."""
    return _reference_frechet(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def test_fad_in_the_harness_changes_nothing_else_and_is_reused_only_with_its_weights(data, tmp_path, embedder):
    passthrough = REPO_ROOT / "baselines" / "passthrough.py"
    plain = evaluate(passthrough, "tiny-fad", data, tmp_path, progress=False)
    assert plain["fad"] is None and plain["fad_input"] is None and "--fad-weights" in plain["fad_reason"]
    table = pd.read_parquet(tmp_path / "passthrough" / "tiny-fad" / "metrics.parquet")
    summary = evaluate(passthrough, "tiny-fad", data, tmp_path, progress=False, fad=embedder)
    assert "reused" not in summary  # FAD asked for: the run without it does not serve
    assert summary["fad"] == pytest.approx(summary["fad_input"], rel=1e-6) and summary["fad"] > 0  # outputs = inputs
    assert summary["fad_model"] == {"name": "vggish", "weights_sha256": embedder.weights_sha256, "embeddings": 14,
                                    "reference_embeddings": 14, "seconds": summary["fad_model"]["seconds"]}
    scores = [c for c in table if "seconds" not in c]  # all but the timings
    pd.testing.assert_frame_equal(table[scores], pd.read_parquet(
        tmp_path / "passthrough" / "tiny-fad" / "metrics.parquet")[scores])
    assert evaluate(passthrough, "tiny-fad", data, tmp_path, progress=False, fad=embedder)["reused"]
    assert evaluate(passthrough, "tiny-fad", data, tmp_path, progress=False)["fad"] == summary["fad"]


def test_interrupted_runs_resume_to_the_fad_of_all_outputs(data, tmp_path, embedder):
    """A run without FAD stops after 2 of 4 batches; one with FAD redoes those 2 for their
    statistics and stops after them; the last one runs only the 2 batches left."""
    calls = tmp_path / "calls.txt"
    model = tmp_path / "model.py"
    model.write_text(textwrap.dedent(f"""
        from pathlib import Path
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x):
                done = Path({str(calls)!r}).read_text().count("x") if Path({str(calls)!r}).exists() else 0
                if done in (2, 4) and not Path({str(tmp_path)!r}, f"go-on-{{done}}").exists():
                    raise KeyboardInterrupt
                with open({str(calls)!r}, "a") as f:
                    f.write("x")
                return x * 0.5
    """))
    for go_on, fad in ((2, None), (4, embedder)):
        with pytest.raises(SubmissionError):
            evaluate(model, "tiny-fad", data, tmp_path / "r", batch_size=2, progress=False, fad=fad)
        (tmp_path / f"go-on-{go_on}").touch()
    summary = evaluate(model, "tiny-fad", data, tmp_path / "r", batch_size=2, progress=False, fad=embedder)
    assert calls.read_text() == "xxxxxx"  # 7 examples = 4 batches: 2, the same 2 again, the other 2
    rows = list(iter_examples(data / "tiny-fad", "test"))

    def embed(signals) -> np.ndarray:
        return np.concatenate([embedder(signal, 16000)[0] for signal in signals])

    clean, distorted = embed(r["clean"] for r in rows), embed(r["distorted"] for r in rows)
    halved = embed(r["distorted"] * np.float32(0.5) for r in rows)  # what the model returned
    assert summary["fad"] == pytest.approx(_fad_of_sets(clean, halved), rel=1e-9)
    assert summary["fad_input"] == pytest.approx(_fad_of_sets(clean, distorted), rel=1e-9)
    assert summary["fad"] != pytest.approx(summary["fad_input"], rel=1e-3)


def test_command_line_refuses_weights_of_another_hash_naming_the_file(data, tmp_path, weights, capsys):
    path = weights[0]
    code = bench(["evaluate", "--submission", str(REPO_ROOT / "baselines" / "passthrough.py"), "--task", "tiny-fad",
                  "--data", str(data), "--results", str(tmp_path), "--fad-weights", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and str(path) in err and "vggish-10086976.pth" in err
    assert not (tmp_path / "passthrough").exists()  # refused before any work
