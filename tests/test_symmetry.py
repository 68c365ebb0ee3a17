"""Odd effects and odd networks: ``Effect.is_odd``, ``OddSymmetric`` and ``bench symmetrise``."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.effects import EFFECTS
from benchmark.effects.registry import apply_effect
from benchmark.models.checkpoints import CheckpointError, load_network
from benchmark.models.recipe import TrainConfig, TrainingError
from benchmark.models.symmetrise import symmetrise
from benchmark.models.symmetry import OddSymmetric
from benchmark.models.train import train
from conftest import one_second_task, require_binary, require_module, small_recipe


def _audio(seed: int = 0) -> np.ndarray:
    """One second of an asymmetric test signal (a sine plus its second harmonic, and noise), peak 0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(16000) / 16000
    x = np.sin(2 * np.pi * 220 * t) + 0.6 * np.sin(2 * np.pi * 440 * t + 0.3) + 0.05 * rng.standard_normal(t.size)
    return 0.5 * x / np.abs(x).max()


LEVELS = {"gain_db": 30.0, "sdr_db": 5.0, "threshold_db": -12.0}


@pytest.mark.parametrize("name", [name for name, effect in EFFECTS.items() if effect.odd])
def test_every_effect_declared_odd_maps_minus_x_to_minus_its_output(name):
    effect = EFFECTS[name]
    if name.startswith("pedalboard"):
        require_module("pedalboard")
    x = _audio()
    params = {effect.level: LEVELS[effect.level], **{p: 0.0 for p in effect.odd_if_zero}}
    assert effect.is_odd({p: 0.0 for p in effect.odd_if_zero})
    plus, minus = apply_effect(name, x, params)[0], apply_effect(name, -x, params)[0]
    np.testing.assert_allclose(minus, -plus, rtol=0, atol=1e-12)


def test_sox_overdrive_is_odd_at_colour_0_only_as_the_sox_binary_runs_it():
    require_binary("sox")
    x, effect = _audio(), EFFECTS["sox_overdrive"]
    at = {"gain_db": 35.0, "colour": 0.0}
    plus = apply_effect("sox_overdrive", x, at, backend="sox")[0]
    minus = apply_effect("sox_overdrive", -x, at, backend="sox")[0]
    np.testing.assert_allclose(minus, -plus, rtol=0, atol=2.0 ** -30)  # int32 samples, rounded each way
    coloured = {"gain_db": 35.0, "colour": 20.0}
    plus = apply_effect("sox_overdrive", x, coloured, backend="sox")[0]
    minus = apply_effect("sox_overdrive", -x, coloured, backend="sox")[0]
    assert np.abs(minus + plus).max() > 0.01
    assert not effect.is_odd({"colour": 20.0}) and not effect.is_odd({}) and effect.is_odd({"colour": 0.0})
    assert not EFFECTS["pedalboard_amp"].is_odd({})


def test_odd_symmetric_makes_any_network_exactly_odd_and_keeps_an_odd_one():
    class Uneven(torch.nn.Module):
        def forward(self, x):
            return x + x ** 2 + 0.1  # odd part: x

    x = torch.randn(3, 500, dtype=torch.float64)
    np.testing.assert_allclose(OddSymmetric(Uneven())(x).numpy(), x.numpy(), rtol=0, atol=1e-12)
    odd = torch.nn.Tanh()
    assert torch.equal(OddSymmetric(odd)(x), odd(x))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("symmetry")
    data = one_second_task(root, train_clips=4)
    torch.set_num_threads(1)
    train("waveunet", "tiny-od", TrainConfig(epochs=1, crop_seconds=0.5, batch_size=4), data, root / "runs",
          progress=False)
    return root, data


def test_symmetrise_marks_a_checkpoint_odd_exactly_when_val_scores_higher_and_loading_applies_it(trained, monkeypatch):
    root, data = trained
    path = root / "runs" / "waveunet" / "tiny-od.pt"
    plain_net, _ = load_network(path, "waveunet")
    x = torch.from_numpy(_audio()[None].astype(np.float32))
    with torch.no_grad():
        mirrored = 0.5 * (plain_net(x) - plain_net(-x))
        assert not torch.allclose(mirrored, plain_net(x), rtol=0, atol=1e-4)  # the two differ at all
        for plain, odd in ((1.0, 2.0), (2.0, 1.0)):
            scores = iter([(0.0, plain), (0.0, odd)])
            monkeypatch.setattr("benchmark.models.symmetrise.validate", lambda *args: next(scores))
            result = symmetrise(path, "waveunet", data)
            assert result == {"task": "tiny-od", "plain": plain, "odd": odd, "chosen": odd > plain}
            net, checkpoint = load_network(path, "waveunet")
            assert checkpoint["odd"] is (odd > plain) and checkpoint["odd_val_si_sdr"] == {"plain": plain, "odd": odd}
            assert torch.allclose(net(x), mirrored if odd > plain else plain_net(x), rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def coloured(tmp_path_factory):
    """A tiny overdrive task at colour 20 (not odd): its data folder, the task 'tiny-coloured'."""
    root = tmp_path_factory.mktemp("coloured")
    recipe = small_recipe(root, "synth-od", name="tiny-coloured",
                          effect={"name": "sox_overdrive", "level": "gain_db", "fixed": {"colour": 20.0},
                                  "range": [20.0, 50.0], "grid": [20.0, 35.0, 50.0]},
                          splits={"train": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
                                  "val": {"clips": 1, "seconds": 1.0, "levels": "uniform"},
                                  "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}})
    from benchmark.dataset.generate import generate_task

    generate_task(recipe, root / "data", progress=False)
    return root / "data"


NOT_ODD = r"'tiny-coloured' uses sox_overdrive with \{'colour': 20.0\}"


def test_symmetrise_refuses_a_task_whose_effect_is_not_odd(trained, coloured, tmp_path):
    root, _ = trained
    checkpoint = torch.load(root / "runs" / "waveunet" / "tiny-od.pt", weights_only=True)
    checkpoint["task"] = "tiny-coloured"
    (tmp_path / "waveunet").mkdir()
    torch.save(checkpoint, tmp_path / "waveunet" / "tiny-coloured.pt")
    with pytest.raises(TrainingError, match="bench symmetrise .*needs a task whose effect is odd.*" + NOT_ODD):
        symmetrise(tmp_path / "waveunet" / "tiny-coloured.pt", "waveunet", coloured)


def test_odd_training_gives_an_exactly_odd_network_and_is_refused_where_the_effect_is_not_odd(trained, coloured,
                                                                                             tmp_path):
    _, data = trained
    with pytest.raises(TrainingError, match="--odd needs a task whose effect is odd.*" + NOT_ODD):
        train("waveunet", "tiny-coloured", TrainConfig(epochs=1, odd=True), coloured, tmp_path, progress=False)
    torch.set_num_threads(1)
    settings = TrainConfig(epochs=1, crop_seconds=0.5, batch_size=4, odd=True)
    train("waveunet", "tiny-od", settings, data, tmp_path, progress=False)
    net, checkpoint = load_network(tmp_path / "waveunet" / "tiny-od.pt", "waveunet")
    assert checkpoint["odd"] is True and isinstance(net, OddSymmetric)
    x = torch.from_numpy(_audio()[None].astype(np.float32))
    with torch.no_grad():
        assert torch.equal(net(-x), -net(x))
    with pytest.raises(CheckpointError, match=r"other settings \(odd\)"):  # the state knows it was odd
        train("waveunet", "tiny-od", TrainConfig(epochs=2, crop_seconds=0.5, batch_size=4), data, tmp_path,
              progress=False)
