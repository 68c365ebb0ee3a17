"""Beyond the paper: the pedalboard effects and tasks."""
from __future__ import annotations

import json
import sys
import tomllib

import numpy as np
import pytest

from benchmark.effects import pedals
from benchmark.dataset.shards import iter_examples
from benchmark.effects import apply_effect
from benchmark.dataset.generate import generate_task
from benchmark.paths import recipes_dir
from benchmark.dataset.recipes import RecipeError, parse_recipe
from benchmark.dataset.verify import verify_task
from conftest import require_module, small_recipe

SR = 16000


@pytest.fixture(autouse=True)
def _needs_pedalboard():
    require_module("pedalboard")


def guitar_like(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return 0.5 * np.exp(-3 * t) * (np.sin(2 * np.pi * 196 * t) + 0.5 * np.sin(2 * np.pi * 294 * t)) / 1.5


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


def test_distortion_is_pedalboards_tanh_drive_rescaled_to_the_input_rms():
    pedalboard = require_module("pedalboard")
    x = guitar_like()
    y = pedals.pedalboard_distortion(x, 30.0, SR)
    raw = pedalboard.Distortion(drive_db=30.0)(x.astype(np.float32), SR).astype(np.float64)
    assert rms(raw) > 2 * rms(x)  # pedalboard's Distortion raises the level...
    assert rms(y) == pytest.approx(rms(x), rel=1e-9)  # ...our rule brings it back
    np.testing.assert_allclose(y, raw * rms(x) / rms(raw), rtol=1e-9, atol=1e-12)


def test_clipping_and_bitcrush_keep_the_scale():
    x = guitar_like()
    clipped = pedals.pedalboard_clipping(x, -12.0, SR)
    assert np.max(np.abs(clipped)) <= 10 ** (-12 / 20) + 1e-6
    crushed = pedals.pedalboard_bitcrush(x, 4.0, SR)
    assert len(np.unique(np.round(crushed, 6))) <= 2**4 + 1
    assert rms(crushed) == pytest.approx(rms(x), rel=0.2)


def test_amp_chain_is_deterministic_and_depends_on_every_parameter():
    x = guitar_like()
    base = dict(drive_db=25.0, tight_hz=100.0, bass_db=3.0, mid_db=-3.0, mid_hz=800.0, treble_db=2.0,
                cabinet_lowpass_hz=4500.0, cabinet_resonance_hz=110.0, mix=0.8)
    y = pedals.pedalboard_amp(x, sample_rate=SR, **base)
    assert y.tobytes() == pedals.pedalboard_amp(x, sample_rate=SR, **base).tobytes()
    assert rms(y) == pytest.approx(rms(x), rel=1e-9) and y.shape == x.shape
    changes = {"drive_db": 35.0, "tight_hz": 200.0, "bass_db": -3.0, "mid_db": 3.0, "mid_hz": 1500.0,
               "treble_db": -4.0, "cabinet_lowpass_hz": 3000.0, "cabinet_resonance_hz": 150.0, "mix": 1.0}
    for key, value in changes.items():
        other = pedals.pedalboard_amp(x, sample_rate=SR, **{**base, key: value})
        assert np.max(np.abs(other - y)) > 1e-4, key
    with pytest.raises(ValueError, match="mix"):
        pedals.pedalboard_amp(x, 20.0, SR, mix=1.5)


def test_a_missing_pedalboard_gives_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "pedalboard", None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[pedalboard\]'"):
        pedals.pedalboard_distortion(guitar_like(), 20.0, SR)


@pytest.mark.parametrize("base", ["synth-pb-dist", "synth-pb-amp"])
def test_pedalboard_tasks_rebuild_from_their_rows_and_verify(tmp_path, base):
    recipe = small_recipe(tmp_path, base, name=f"tiny-{base}")
    manifest = generate_task(recipe, tmp_path, progress=False)
    assert generate_task(recipe, tmp_path / "again", workers=2, progress=False)["fingerprint"] == manifest["fingerprint"]
    task_dir = tmp_path / f"tiny-{base}"
    rows = list(iter_examples(task_dir, "test"))
    assert [r["level"] for r in rows[:7]] == [10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0]
    for row in rows + list(iter_examples(task_dir, "train")):
        params = json.loads(row["params"])
        assert params["drive_db"] == row["level"]
        rebuilt, _ = apply_effect(row["effect"], row["clean"].astype(np.float64), params, row["sample_rate"])
        np.testing.assert_array_equal(rebuilt.astype(np.float32), row["distorted"])
    if base == "synth-pb-amp":
        tones = [{k: v for k, v in json.loads(r["params"]).items() if k != "drive_db"} for r in rows]
        assert all(t == tones[0] for t in tones[:7]) and tones[7] != tones[0]  # drawn per clip
        assert set(tones[0]) == {"tight_hz", "bass_db", "mid_db", "mid_hz", "treble_db", "cabinet_lowpass_hz",
                                 "cabinet_resonance_hz", "mix"}
    report = verify_task(task_dir, progress=False)
    assert report.ok and report.regenerated == manifest["splits"]["train"]["examples"] + 2 + 14


@pytest.mark.parametrize("draw,message", [
    ({"wah_hz": [1.0, 2.0]}, "takes no parameter 'wah_hz'"),
    ({"mix": [0.5, 1.5]}, r"mix = \[0.5, 1.5\] must be \[low, high\] within \[0.0, 1.0\]"),
])
def test_recipe_draw_errors(draw, message):
    data = tomllib.loads((recipes_dir() / "synth-pb-amp.toml").read_text())
    data["effect"]["draw"] = draw
    with pytest.raises(RecipeError, match=message):
        parse_recipe(data, "amp.toml")
