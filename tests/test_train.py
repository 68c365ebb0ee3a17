"""`bench train` and the neural submissions: determinism, resumption, checkpoints."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch

from benchmark.evaluate import evaluate
from benchmark.generate import generate_task
from benchmark.neural import CheckpointError, NeuralSubmission, load_network
from benchmark.train import train
from conftest import small_recipe


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    recipe = small_recipe(root, "synth-od", name="tiny-od",
                          splits={"train": {"clips": 8, "seconds": 1.0, "levels": "uniform"},
                                  "val": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
                                  "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}})
    generate_task(recipe, root / "data", progress=False)
    return root / "data"


def weights(path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["weights"]


def fit(data, out, epochs, model="waveunet"):
    torch.set_num_threads(1)
    return train(model, "tiny-od", data, out, epochs=epochs, crop_seconds=0.5, batch_size=4, progress=False)


def test_training_is_deterministic_and_resumes_to_the_same_weights(data, tmp_path):
    fit(data, tmp_path / "a", 2)
    fit(data, tmp_path / "b", 2)
    fit(data, tmp_path / "c", 1)
    resumed = fit(data, tmp_path / "c", 2)  # picks up after epoch 1
    assert resumed["epochs"] == 2
    a, b, c = (weights(tmp_path / x / "waveunet" / "tiny-od.pt") for x in "abc")
    for name in a:
        assert torch.equal(a[name], b[name]), name
        assert torch.equal(a[name], c[name]), name
    curve = (tmp_path / "c" / "waveunet" / "tiny-od.csv").read_text().splitlines()
    assert curve[0] == "epoch,train_loss,val_loss,val_si_sdr,seconds" and len(curve) == 3
    assert (tmp_path / "c" / "waveunet" / "tiny-od.png").read_bytes()[:4] == b"\x89PNG"


def test_checkpoint_records_config_data_and_code(data, tmp_path):
    checkpoint = fit(data, tmp_path, 1)
    stored = torch.load(tmp_path / "waveunet" / "tiny-od.pt", weights_only=True)
    assert stored["model"] == "waveunet" and stored["config"] == checkpoint["config"]
    assert stored["data_fingerprint"] == checkpoint["data_fingerprint"] and len(stored["data_fingerprint"]) == 64
    assert len(stored["code_version"]["model_file_sha256"]) == 64 and stored["num_parameters"] > 0
    net, _ = load_network(tmp_path / "waveunet" / "tiny-od.pt", "waveunet")
    assert not net.training


def test_mismatched_checkpoints_are_refused(data, tmp_path):
    fit(data, tmp_path, 1)
    path = tmp_path / "waveunet" / "tiny-od.pt"
    with pytest.raises(CheckpointError, match="checkpoint of 'waveunet', not of 'demucs'"):
        load_network(path, "demucs")
    with pytest.raises(CheckpointError, match="does not match"):
        load_network(path, "waveunet", config={"num_layers": 3, "num_filters": 8})
    with pytest.raises(CheckpointError, match="other settings .*lr"):
        train("waveunet", "tiny-od", data, tmp_path, epochs=2, crop_seconds=0.5, batch_size=4, lr=1e-2,
              progress=False)


def test_missing_checkpoint_names_the_train_command():
    class Model(NeuralSubmission):
        name = "demucs"

    with pytest.raises(CheckpointError, match="bench train --model demucs --task no-such-task"):
        Model("no-such-task")


def test_a_trained_model_is_a_submission_the_harness_can_score(data, tmp_path):
    fit(data, tmp_path / "ckpt", 1, model="demucs")
    submission = tmp_path / "my_demucs.py"
    submission.write_text(textwrap.dedent(f"""
        from benchmark.neural import NeuralSubmission

        class Model(NeuralSubmission):
            name = "demucs"
            checkpoints = {str(tmp_path / "ckpt")!r}
    """))
    summary = evaluate(submission, "tiny-od", data, tmp_path / "results", progress=False)
    assert summary["examples"] == 7 and summary["num_parameters"] > 100_000
    assert summary["files"] == [str((tmp_path / "ckpt" / "demucs" / "tiny-od.pt").resolve())]
    assert np.isfinite(summary["metrics"]["si_sdr"]["median"])
