"""`bench train` and the neural submissions: determinism, resumption, checkpoints."""
from __future__ import annotations

import csv
import hashlib
import json
import textwrap
import warnings

import numpy as np
import pytest
import scipy.signal
import torch

from benchmark.models.consistency import ClipConsistent
from benchmark.models.augment import redistort_batch
from benchmark.harness.evaluate import evaluate
from benchmark.dataset.generate import generate_task, parse_example_id
from benchmark.dataset.shards import iter_examples, split_fingerprint
from benchmark.dataset.timbre import peak_section, shelf_section
from benchmark.dataset.torch_dataset import DistortionDataset
from benchmark.effects.registry import apply_effect
from benchmark.cli import build_parser, main as bench
from benchmark.models import NETWORKS
from benchmark.models.checkpoints import CheckpointError, NeuralSubmission, load_network
import benchmark.models.train
from benchmark.metrics import si_sdr
from benchmark.models.losses import WAVEFORM_LOSSES, magnitude, si_sdr_loss
from benchmark.models.recipe import LOSSES, TrainConfig, TrainingError, recipe_options
from benchmark.models.scaling import PeakNormalised
from benchmark.models.train import train
from benchmark.report.page import render
from conftest import one_second_task, require_binary, small_recipe


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return one_second_task(tmp_path_factory.mktemp("train"), train_clips=8)


def weights(path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["weights"]


def fit(data, out, epochs, model="waveunet"):
    torch.set_num_threads(1)
    return train(model, "tiny-od", TrainConfig(epochs=epochs, crop_seconds=0.5, batch_size=4), data, out, progress=False)


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
    assert curve[0] == "epoch,train_loss,val_loss,val_si_sdr,seconds,lr,precision" and len(curve) == 3
    assert (tmp_path / "c" / "waveunet" / "tiny-od.png").read_bytes()[:4] == b"\x89PNG"


def test_loss_magnitude_has_a_finite_gradient_at_subnormal_bins():
    # A subnormal STFT bin of a model's output (2e-39, seen in an Open-Unmix run) gives
    # Tensor.abs a NaN gradient; the loss's magnitude must not, and must equal abs elsewhere.
    bins = torch.tensor([2e-39 + 0j, 0.3 + 0.4j, 0j], dtype=torch.complex64, requires_grad=True)
    plain = bins.detach().clone().requires_grad_(True)
    plain.abs().sum().backward()
    assert torch.isnan(plain.grad[0].real)  # the failure being guarded against
    value = magnitude(bins)
    value.sum().backward()
    assert torch.isfinite(torch.view_as_real(bins.grad)).all()
    assert value[1] == plain.abs()[1] and bins.grad[1] == plain.grad[1]


def test_a_non_finite_loss_stops_training_naming_the_batch(data, tmp_path, monkeypatch):
    calls = []
    real_loss = benchmark.models.train.training_loss

    def loss_turning_nan(estimate, clean, kind="sdr"):  # epoch 1: 2 batches + 1 val call; then NaN
        calls.append(1)
        loss = real_loss(estimate, clean, kind)
        return loss * float("nan") if len(calls) > 3 else loss

    monkeypatch.setattr(benchmark.models.train, "training_loss", loss_turning_nan)
    with pytest.raises(TrainingError, match=r"epoch 2, batch 1 \(train-\d{6}"):
        fit(data, tmp_path, 3)
    state = torch.load(tmp_path / "waveunet" / "tiny-od.state.pt", weights_only=False)
    assert len(state["history"]) == 1  # the last whole epoch is kept, to resume from


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
        train("waveunet", "tiny-od", TrainConfig(epochs=2, crop_seconds=0.5, batch_size=4, lr=1e-2), data, tmp_path,
              progress=False)


def test_training_on_a_share_of_a_task_says_it_is_a_smoke_test(data, tmp_path):
    """`bench run` leaves the quick board's share of each task in ./data (`--limit 14`): training on
    such a folder works (CI's smoke test does it) but says, with the command for the whole task."""
    generate_task(small_recipe(tmp_path, "synth-od", name="tiny-od"), tmp_path / "share", limit=3, progress=False)
    settings = TrainConfig(epochs=1, crop_seconds=0.5, batch_size=2)
    with pytest.warns(UserWarning, match=r"share.tiny-od holds only the first 3 examples of each split .*"
                                         r"`bench generate --task tiny-od --out OTHER_FOLDER`"):
        train("waveunet", "tiny-od", settings, tmp_path / "share", tmp_path / "runs", progress=False)
    with warnings.catch_warnings(record=True) as caught:  # the whole task: no such warning
        warnings.simplefilter("always")
        train("waveunet", "tiny-od", settings, data, tmp_path / "whole", progress=False)
    assert not [w for w in caught if "holds only" in str(w.message)]


def test_consistent_training_is_refused_on_overdrive_and_recorded_on_clipping(data, tmp_path):
    with pytest.raises(TrainingError, match="--consistent needs a hard-clipping task.*'tiny-od' uses sox_overdrive"):
        train("waveunet", "tiny-od", TrainConfig(epochs=1, consistent=True), data, tmp_path, progress=False)
    recipe = small_recipe(tmp_path, "synth-sdr", name="tiny-sdr")
    generate_task(recipe, tmp_path / "data", progress=False)
    torch.set_num_threads(1)
    train("waveunet", "tiny-sdr", TrainConfig(epochs=1, crop_seconds=0.5, batch_size=2, consistent=True),
          tmp_path / "data", tmp_path, progress=False)
    net, checkpoint = load_network(tmp_path / "waveunet" / "tiny-sdr.pt", "waveunet")
    assert checkpoint["consistent"] and isinstance(net, ClipConsistent)
    clipped = torch.tensor([[0.0, 0.1, -0.2, 0.2, 0.2, 0.05] * 100])
    out = net(clipped)
    reliable = clipped.abs() < 0.2
    assert torch.equal(out[reliable], clipped[reliable]) and bool((out[~reliable].abs() >= 0.2).all())

    class Model(NeuralSubmission):  # the submission says so, for the leaderboard's mark
        network = "waveunet"
        checkpoints = tmp_path

    assert Model("tiny-sdr").clip_consistent is True


def test_si_sdr_loss_is_scale_invariant_and_matches_the_metric():
    torch.manual_seed(0)
    target, estimate = torch.randn(3, 4000, dtype=torch.float64), torch.randn(3, 4000, dtype=torch.float64)
    estimate = target + 0.3 * estimate
    assert torch.allclose(si_sdr_loss(estimate, target), si_sdr_loss(7.0 * estimate, target))
    expected = -np.mean(si_sdr(target.numpy(), estimate.numpy())) / 10
    assert float(si_sdr_loss(estimate, target)) == pytest.approx(expected, abs=1e-6)


def test_a_recipe_with_an_unknown_setting_is_refused_with_the_known_names():
    assert tuple(WAVEFORM_LOSSES) == LOSSES  # every loss the CLI offers has its function
    for setting, value in (("loss", "l3"), ("lr_schedule", "cosine"), ("precision", "float16")):
        with pytest.raises(TrainingError, match=f"unknown .*'{value}'; known: "):
            TrainConfig(epochs=1, **{setting: value})
    with pytest.raises(TrainingError, match="give --epochs or --minutes"):
        TrainConfig()


@pytest.mark.parametrize("command", [["train", "--epochs", "1"], ["symmetrise"]])
def test_the_commands_offer_the_registered_networks(command, capsys):
    with pytest.raises(SystemExit):
        bench([*command, "--model", "nope", "--task", "tiny-od"])
    refusal = capsys.readouterr().err.partition("invalid choice:")[2]  # argparse's words (quotes vary by Python)
    assert "nope" in refusal and all(name in refusal for name in NETWORKS)


def test_peak_normalised_training_is_recorded_and_loaded_scale_equivariant(data, tmp_path):
    torch.set_num_threads(1)
    settings = TrainConfig(epochs=1, config="small-linear", crop_seconds=0.5, batch_size=4, loss="si_sdr",
                           peak_normalise=True)
    train("waveunet", "tiny-od", settings, data, tmp_path, progress=False)
    net, checkpoint = load_network(tmp_path / "waveunet" / "tiny-od.pt", "waveunet")
    assert checkpoint["peak_normalised"] and checkpoint["loss"] == "si_sdr" and isinstance(net, PeakNormalised)
    x = torch.randn(2, 3000) * 0.1
    with torch.no_grad():
        assert torch.allclose(net(8.0 * x), 8.0 * net(x), rtol=1e-5, atol=1e-6)


def test_bfloat16_training_runs_the_forward_pass_in_bfloat16_keeps_float32_weights_and_resumes_in_float32(data, tmp_path, monkeypatch):
    torch.set_num_threads(1)
    monkeypatch.setattr(benchmark.models.train, "cpu_has_bfloat16", lambda: True)  # emulated where the CPU has none
    settings = TrainConfig(epochs=1, crop_seconds=0.5, batch_size=4, precision="bfloat16")
    seen = []
    conv_forward = torch.nn.Conv1d.forward

    def recorded(self, x):
        seen.append(out := conv_forward(self, x))
        return out

    monkeypatch.setattr(torch.nn.Conv1d, "forward", recorded)
    checkpoint = train("waveunet", "tiny-od", settings, data, tmp_path / "a", progress=False)
    assert checkpoint["precision"] == "bfloat16"
    assert {t.dtype for t in seen if t.requires_grad} == {torch.bfloat16}  # training batches
    assert {t.dtype for t in seen if not t.requires_grad} == {torch.float32}  # validation
    monkeypatch.setattr(torch.nn.Conv1d, "forward", conv_forward)
    train("waveunet", "tiny-od", settings, data, tmp_path / "b", progress=False)
    fit(data, tmp_path / "c", 1)
    a, b, c = (weights(tmp_path / x / "waveunet" / "tiny-od.pt") for x in "abc")
    assert all(a[n].dtype == c[n].dtype and torch.equal(a[n], b[n]) for n in a)  # deterministic
    assert any(not torch.equal(a[n], c[n]) for n in a)  # and not the float32 run
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to train: no warning, and the checkpoint as the state has it
        assert fit(data, tmp_path / "b", 1)["precision"] == "bfloat16"
    state_path = tmp_path / "a" / "waveunet" / "tiny-od.state.pt"
    state = torch.load(state_path, weights_only=False)
    del state["history"][0]["precision"]  # a state written before the curve had the column
    torch.save(state, state_path)
    with pytest.warns(UserWarning, match="--precision float32: .* ran epochs 1-1 in bfloat16; epoch 2 on runs in float32"):
        resumed = fit(data, tmp_path / "a", 2)  # in float32, as on a CPU without bfloat16 instructions
    with open(tmp_path / "a" / "waveunet" / "tiny-od.csv") as handle:
        precisions = [row["precision"] for row in csv.DictReader(handle)]
    assert precisions == ["bfloat16", "float32"] and resumed["epochs"] == 2
    assert resumed["precision"] == precisions[resumed["best_epoch"] - 1]  # the best epoch's


def test_plateau_schedule_halves_the_learning_rate_when_validation_stalls_and_resumes(data, tmp_path, monkeypatch):
    scores = iter([5.0, 6.0] + [6.0] * 10)  # improves once, then stalls
    monkeypatch.setattr(benchmark.models.train, "validate", lambda *args: (0.0, next(scores)))
    torch.set_num_threads(1)
    settings = TrainConfig(epochs=4, crop_seconds=0.5, batch_size=4, lr_schedule="plateau")
    train("waveunet", "tiny-od", settings, data, tmp_path, progress=False)
    resumed = train("waveunet", "tiny-od", TrainConfig(**{**settings.__dict__, "epochs": 8}), data, tmp_path,
                    progress=False)
    curve = [line.split(",") for line in (tmp_path / "waveunet" / "tiny-od.csv").read_text().splitlines()[1:]]
    rates = [float(row[5]) for row in curve]
    patience = benchmark.models.train.PLATEAU_PATIENCE
    # epochs 3.. do not improve: after the (patience + 1)-th of them the rate halves, from the next epoch on
    assert rates[:3 + patience] == [1e-3] * (3 + patience) and rates[3 + patience:] == [5e-4]
    assert resumed["lr_schedule"] == "plateau" and resumed["epochs"] == 8


def test_missing_checkpoint_names_the_train_command():
    class Model(NeuralSubmission):
        network = "demucs"

    with pytest.raises(CheckpointError, match="bench train --model demucs --task no-such-task"):
        Model("no-such-task")


def test_a_trained_model_is_a_submission_the_harness_can_score(data, tmp_path):
    fit(data, tmp_path / "ckpt", 1, model="demucs")
    submission = tmp_path / "my_demucs.py"
    submission.write_text(textwrap.dedent(f"""
        from benchmark.models.checkpoints import NeuralSubmission

        class Model(NeuralSubmission):
            network = "demucs"
            checkpoints = {str(tmp_path / "ckpt")!r}
    """))
    summary = evaluate(submission, "tiny-od", data, tmp_path / "results", progress=False)
    assert summary["examples"] == 7 and summary["num_parameters"] > 100_000
    assert summary["clip_consistent_claimed"] is False and summary["clip_consistent"] is None  # overdrive: not checked
    assert summary["files"] == [str((tmp_path / "ckpt" / "demucs" / "tiny-od.pt").resolve())]
    assert np.isfinite(summary["metrics"]["si_sdr"]["median"])
    checkpoint = torch.load(tmp_path / "ckpt" / "demucs" / "tiny-od.pt", weights_only=True)
    render(tmp_path / "results", tmp_path / "board")
    assert (f"my_demucs: epoch 1 of 1 (validation SI-SDR {checkpoint['val_si_sdr']:.2f} dB) of `bench train --model "
            f"demucs --task tiny-od --batch-size 4 --crop-seconds 0.5`.") in (tmp_path / "board" / "README.md").read_text()
    torch.save({**checkpoint, "val_si_sdr": 99.0}, tmp_path / "ckpt" / "demucs" / "tiny-od.pt")  # not what was scored
    render(tmp_path / "results", tmp_path / "board")
    assert "99.00" not in (tmp_path / "board" / "README.md").read_text()
    assert "tiny-od.pt` has changed since it was scored (evaluate it again)" in (tmp_path / "board" / "README.md").read_text()


def test_a_recorded_recipe_reads_back_as_the_bench_train_options_of_the_run():
    recorded = {"consistent": True, "loss": "si_sdr", "peak_normalised": True, "lr": 2.5e-4, "crop_seconds": 4.0,
                "init_sha256": "8610d52bee27284b", "odd": False, "timbre_db": 0.0, "val_task": "sampled-od-unseen"}
    options = recipe_options(recorded, "small-resample")
    assert options == ("--config small-resample --crop-seconds 4 --lr 0.00025 --consistent --loss si_sdr "
                       "--peak-normalise --init <weights with SHA-256 8610d52bee27...> --val-task sampled-od-unseen")
    parser = build_parser()  # every option but --init, given to bench train, makes the recorded run's settings
    args = parser.parse_args(["train", "--model", "demucs", "--task", "t", "--epochs", "1",
                              *options.split(" --init")[0].split(), *options.split("> ")[1].split()])
    assert (args.consistent, args.loss, args.peak_normalise, args.lr, args.crop_seconds, args.val_task, args.config) == (
        True, "si_sdr", True, 2.5e-4, 4.0, "sampled-od-unseen", "small-resample")
    assert recipe_options({}, "small") == ""  # a run recorded before any option: all at their default


@pytest.mark.parametrize("augmentation, depth_db", [("dynamics_db", 30.0), ("timbre_db", 12.0)])
def test_augmentation_changes_half_the_crops_and_distorts_them_as_sox_does(data, augmentation, depth_db):
    rows = list(iter_examples(data / "tiny-od", "train", columns=["id", "params", "distorted", "clean"]))
    distorted = np.stack([row["distorted"][:8000] for row in rows])
    clean = np.stack([row["clean"][:8000] for row in rows])
    indices, params = [parse_example_id(row["id"])[1] for row in rows], [json.loads(row["params"]) for row in rows]
    changed_batches = [redistort_batch(distorted, clean, indices, params, "sox_overdrive", 16000, seed=0, epoch=epoch,
                                       **{augmentation: depth_db}) for epoch in (1, 1, 2)]
    assert all(np.array_equal(a, b) for a, b in zip(changed_batches[0], changed_batches[1]))  # drawn from (seed, epoch, index)
    assert not np.array_equal(changed_batches[0][1], changed_batches[2][1])  # another epoch, other draws
    new_distorted, new_clean = changed_batches[0]
    changed = [i for i in range(len(rows)) if not np.array_equal(new_clean[i], clean[i])]
    assert 0 < len(changed) < len(rows)  # about half (8 crops here)
    for i in range(len(rows)):
        if i not in changed:
            assert np.array_equal(new_distorted[i], distorted[i])  # left as generated
            continue
        assert np.max(np.abs(new_clean[i])) == pytest.approx(np.max(np.abs(clean[i])), rel=1e-6)  # the crop's peak
        if augmentation == "dynamics_db":
            loud = np.abs(clean[i]) > 1e-3
            gain_db = 20 * np.log10(np.abs(new_clean[i][loud]) / np.abs(clean[i][loud]))
            assert 3.0 < np.ptp(gain_db) <= depth_db + 1e-3  # a curve within the depth
        else:
            _, before = scipy.signal.welch(clean[i], 16000, nperseg=512)
            frequencies, after = scipy.signal.welch(new_clean[i], 16000, nperseg=512)
            ratio_db = 10 * np.log10(after / before)[(frequencies > 100) & (frequencies < 6000)]
            assert np.ptp(ratio_db) > 1.0  # another spectral balance, not a gain
        require_binary("sox")
        by_sox, _ = apply_effect("sox_overdrive", new_clean[i].astype(np.float64), params[i], 16000, backend="sox")
        assert np.array_equal(new_distorted[i], by_sox.astype(np.float32))  # the example's own effect and level


@pytest.mark.parametrize("gain_db", [-12.0, 6.0])
def test_equaliser_sections_have_the_cookbook_responses(gain_db):
    """The RBJ Audio EQ Cookbook's definitions: a peak has its gain at its centre and none far
    from it; a shelf of slope 1 has its gain on its side, half of it (in dB) at its corner, none beyond."""
    def response_db(section, frequencies):
        return 20 * np.log10(np.abs(scipy.signal.sosfreqz(section[None], worN=frequencies, fs=16000)[1]))

    dc, nyquist = 0.0, 7999.999
    peak = peak_section(1000.0, 2.0, gain_db, 16000)
    low = shelf_section(200.0, gain_db, 16000, high=False)
    high = shelf_section(3000.0, gain_db, 16000, high=True)
    assert response_db(peak, [1000.0, dc, nyquist]) == pytest.approx([gain_db, 0, 0], abs=1e-6)
    assert response_db(low, [dc, 200.0, nyquist]) == pytest.approx([gain_db, gain_db / 2, 0], abs=1e-6)
    assert response_db(high, [dc, 3000.0, nyquist]) == pytest.approx([0, gain_db / 2, gain_db], abs=1e-6)


def test_validation_on_another_task_selects_there_and_refuses_another_effect_or_a_partial_split(tmp_path):
    torch.set_num_threads(1)
    data = one_second_task(tmp_path, train_clips=4)
    two_val = {"train": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
               "val": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
               "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}}
    for name, base, seed, limit in (("other-od", "synth-od", 7, None), ("other-hc", "synth-hc", 7, None),
                                    ("part-od", "synth-od", 9, 1)):
        generate_task(small_recipe(tmp_path, base, name=name, seed=seed, splits=two_val), data, limit=limit,
                      progress=False)
    assert bench(["train", "--model", "waveunet", "--task", "tiny-od", "--epochs", "1", "--crop-seconds", "0.5",
                  "--batch-size", "4", "--timbre-db", "6", "--val-task", "other-od", "--data", str(data),
                  "--out", str(tmp_path / "a")]) == 0
    path = tmp_path / "a" / "waveunet" / "tiny-od.pt"
    checkpoint = torch.load(path, weights_only=False)
    other = json.loads((data / "other-od" / "manifest.json").read_text())
    assert checkpoint["val_task"] == "other-od" and checkpoint["val_split_fingerprint"] == split_fingerprint(other, "val")
    assert checkpoint["timbre_db"] == 6.0
    net, _ = load_network(path, "waveunet")
    scores = {task: benchmark.models.train.validate(net, DistortionDataset(data / task, "val"), "cpu", 4, "sdr")[1]
              for task in ("other-od", "tiny-od")}
    assert checkpoint["val_si_sdr"] == pytest.approx(scores["other-od"], abs=1e-4) != scores["tiny-od"]
    # the val task rebuilt with its whole val split but 2 of its 7 test examples: another task
    # fingerprint, the same val split, so the run resumes there
    rebuilt = tmp_path / "rebuilt"
    rebuilt.mkdir()
    (rebuilt / "tiny-od").symlink_to(data / "tiny-od")
    generate_task(small_recipe(tmp_path, "synth-od", name="other-od", seed=7, splits=two_val), rebuilt, limit=2,
                  progress=False)
    partial = json.loads((rebuilt / "other-od" / "manifest.json").read_text())
    assert partial["fingerprint"] != other["fingerprint"] and partial["splits"]["val"] == other["splits"]["val"]
    resumed = train("waveunet", "tiny-od", TrainConfig(epochs=2, crop_seconds=0.5, batch_size=4, timbre_db=6.0,
                                                       val_task="other-od"), rebuilt, tmp_path / "a", progress=False)
    assert resumed["epochs"] == 2 and resumed["val_split_fingerprint"] == checkpoint["val_split_fingerprint"]
    settings = TrainConfig(epochs=1, crop_seconds=0.5, batch_size=4)
    for val_task, message in (("other-hc", "--val-task other-hc: its effect is .*hard_clip.*'tiny-od' has .*sox_overdrive"),
                              ("part-od", "--val-task part-od: .* holds 1 of its 2 val examples"),
                              ("nowhere", "--val-task nowhere: .*not found")):
        with pytest.raises(TrainingError, match=message):
            train("waveunet", "tiny-od", TrainConfig(**{**settings.__dict__, "val_task": val_task}), data,
                  tmp_path / "b", progress=False)
    with pytest.raises(CheckpointError, match="other settings .*val_task"):  # a run resumes on its own val task
        train("waveunet", "tiny-od", TrainConfig(**{**settings.__dict__, "epochs": 2, "timbre_db": 6.0}), data,
              tmp_path / "a", progress=False)


def test_dynamics_augmentation_is_recorded_deterministic_and_resumes_to_the_same_weights(data, tmp_path,
                                                                                        monkeypatch):
    torch.set_num_threads(1)
    plain = fit(data, tmp_path / "plain", 2)
    settings = TrainConfig(epochs=2, crop_seconds=0.5, batch_size=4, dynamics_db=30.0)
    calls = []
    real = benchmark.models.train.redistort_batch
    monkeypatch.setattr(benchmark.models.train, "redistort_batch",
                        lambda *args: calls.append((args[2], args[3])) or real(*args))
    shaped = train("waveunet", "tiny-od", settings, data, tmp_path / "a", progress=False)
    once = TrainConfig(**{**settings.__dict__, "epochs": 1})
    train("waveunet", "tiny-od", once, data, tmp_path / "b", progress=False)
    train("waveunet", "tiny-od", settings, data, tmp_path / "b", progress=False)  # resumes after epoch 1
    assert shaped["dynamics_db"] == 30.0 and plain["dynamics_db"] == 0.0
    a, b, p = (weights(tmp_path / x / "waveunet" / "tiny-od.pt") for x in ("a", "b", "plain"))
    assert all(torch.equal(a[n], b[n]) for n in a) and any(not torch.equal(a[n], p[n]) for n in a)
    by_index = {parse_example_id(row["id"])[1]: json.loads(row["params"])
                for row in iter_examples(data / "tiny-od", "train", columns=["id", "params"])}
    assert calls and all(params == [by_index[i] for i in indices] for indices, params in calls)  # each crop's own
    with pytest.raises(CheckpointError, match="other settings .*dynamics_db"):
        train("waveunet", "tiny-od", TrainConfig(**{**settings.__dict__, "dynamics_db": 20.0, "epochs": 3}), data,
              tmp_path / "a", progress=False)
    for depth in (-1.0, float("nan"), float("inf")):
        for flag, setting in (("--dynamics-db", "dynamics_db"), ("--timbre-db", "timbre_db")):
            with pytest.raises(TrainingError, match=f"{flag} must be a finite depth >= 0"):
                TrainConfig(epochs=1, **{setting: depth})


def test_fine_tuning_starts_from_its_init_weights_keeps_them_unless_beaten_and_resumes(data, tmp_path, monkeypatch):
    torch.set_num_threads(1)
    fit(data, tmp_path / "plain", 1)
    start = tmp_path / "plain" / "waveunet" / "tiny-od.pt"
    settings = TrainConfig(epochs=1, crop_seconds=0.5, batch_size=4, lr=1e-12, init=str(start))
    tuned = train("waveunet", "tiny-od", settings, data, tmp_path / "tuned", progress=False)
    assert tuned["init_sha256"] == hashlib.sha256(start.read_bytes()).hexdigest()
    moved = torch.load(tmp_path / "tuned" / "waveunet" / "tiny-od.state.pt", weights_only=False)["weights"]
    assert all(torch.allclose(moved[n], w, atol=1e-9) for n, w in weights(start).items())  # an epoch from them
    resumed = train("waveunet", "tiny-od", TrainConfig(**{**settings.__dict__, "init": None, "epochs": 2}), data,
                    tmp_path / "tuned", progress=False)  # no --init needed to resume
    assert resumed["epochs"] == 2 and resumed["init_sha256"] == tuned["init_sha256"]
    fit(data, tmp_path / "other", 2)
    with pytest.raises(CheckpointError, match="other settings .*init_sha256"):
        train("waveunet", "tiny-od", TrainConfig(**{**settings.__dict__, "epochs": 3,
                                                   "init": str(tmp_path / "other" / "waveunet" / "tiny-od.pt")}),
              data, tmp_path / "tuned", progress=False)

    scores = iter([9.0, 1.0])  # the init weights score 9 dB, the epoch after them 1 dB: they stay the best
    monkeypatch.setattr(benchmark.models.train, "validate", lambda *args: (0.0, next(scores)))
    kept = train("waveunet", "tiny-od", TrainConfig(**{**settings.__dict__, "lr": 1e-3}), data, tmp_path / "kept",
                 progress=False)
    assert kept["best_epoch"] == 0 and kept["val_si_sdr"] == 9.0
    kept_weights = weights(tmp_path / "kept" / "waveunet" / "tiny-od.pt")
    assert all(torch.equal(w, weights(start)[n]) for n, w in kept_weights.items())

    with pytest.raises(CheckpointError, match="--init .*missing.pt: no such checkpoint file"):
        train("waveunet", "tiny-od", TrainConfig(epochs=1, init=str(tmp_path / "missing.pt")), data, tmp_path / "x",
              progress=False)
    with pytest.raises(CheckpointError, match="--init: .*its config .* does not match"):
        train("waveunet", "tiny-od", TrainConfig(epochs=1, config="small-linear", init=str(start)), data,
              tmp_path / "x", progress=False)
    with pytest.raises(CheckpointError, match="is the checkpoint this run writes"):
        train("waveunet", "tiny-od", TrainConfig(epochs=1, init=str(start)), data, tmp_path / "plain", progress=False)


def test_bfloat16_is_refused_on_a_cpu_without_bfloat16_instructions(data, tmp_path, monkeypatch):
    monkeypatch.setattr(benchmark.models.train, "cpu_has_bfloat16", lambda: False)
    with pytest.raises(TrainingError, match="--precision bfloat16: oneDNN has no bfloat16 support .*use --precision float32"):
        train("waveunet", "tiny-od", TrainConfig(epochs=1, precision="bfloat16"), data, tmp_path, progress=False)
    assert not (tmp_path / "waveunet").exists()
