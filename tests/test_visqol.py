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


def test_opt_in_visqol_reaches_the_summary_the_board_and_the_reuse_rule(tmp_path, capsys):
    """`bench evaluate --visqol` scores outputs and inputs; a run without it is not reused when it is
    asked for, a run with it serves a later plain run; the board shows it, n/a where not computed."""
    require_module("visqol")
    from benchmark.cli import main as bench
    from benchmark.dataset.generate import generate_task
    from benchmark.harness.evaluate import evaluate
    from benchmark.pipeline import user_board
    from conftest import REPO_ROOT, small_recipe

    recipe = small_recipe(tmp_path, "synth-hc", name="tiny-visqol",
                          splits={"train": {"clips": 1, "seconds": 1.0, "levels": "uniform"},
                                  "val": {"clips": 1, "seconds": 1.0, "levels": "uniform"},
                                  "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}})
    generate_task(recipe, tmp_path / "data", progress=False)
    passthrough, irm = REPO_ROOT / "baselines" / "passthrough.py", REPO_ROOT / "baselines" / "oracle_irm.py"
    results = tmp_path / "results"
    plain = evaluate(passthrough, "tiny-visqol", tmp_path / "data", results, progress=False)
    assert "visqol" not in plain["metrics"]
    assert bench(["evaluate", "--submission", str(passthrough), "--task", "tiny-visqol", "--data", str(tmp_path / "data"),
                  "--results", str(results), "--visqol"]) == 0
    assert "(up to date" not in capsys.readouterr().out  # the plain run did not serve
    summary = evaluate(passthrough, "tiny-visqol", tmp_path / "data", results, progress=False)
    assert summary.get("reused") and summary["opt_in_metrics"] == ["visqol"]  # the richer run serves a plain one
    for column in ("visqol", "visqol_input"):
        assert 1.0 <= summary["metrics"][column]["median"] <= 5.0
    # its output is its input (ViSQOL itself is reproducible only to ~1e-13 between calls)
    assert summary["metrics"]["visqol"]["median"] == pytest.approx(summary["metrics"]["visqol_input"]["median"], abs=1e-9)
    evaluate(irm, "tiny-visqol", tmp_path / "data", results, progress=False)
    user_board(results, tmp_path / "board")
    board = (tmp_path / "board" / "README.md").read_text()
    assert "ViSQOL MOS-LQO" in board and "add `--visqol`" in board
    irm_row = next(line for line in board.splitlines() if line.startswith("| IRM"))
    assert irm_row.split(" | ")[-4] == "n/a"  # ViSQOL, then FAD, real-time factor, parameters
