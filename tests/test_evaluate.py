"""`bench evaluate`: the submission contract, bad submissions, results and resumption."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.cli import main as bench
from benchmark.dataset.shards import iter_examples
from benchmark.harness.evaluate import evaluate
from benchmark.dataset.generate import generate_task
from benchmark.dataset.recipes import TRANSFER_TESTS
from benchmark.executor import LocalExecutor
from benchmark.pipeline import user_board
from benchmark.metrics import si_sdr
from benchmark.harness.submission import SubmissionError, SubmissionRunner
from conftest import REPO_ROOT, same_draws_on_another_source, small_recipe

BASELINES = REPO_ROOT / "baselines"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A tiny hard-clipping task: 14 test examples of 2 s (2 clips x 7 gains)."""
    root = tmp_path_factory.mktemp("data")
    generate_task(small_recipe(root, "synth-hc", name="tiny-hc"), root, progress=False)
    return root


def write_submission(tmp_path: Path, body: str, name: str = "model.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def run(submission: Path, data: Path, results: Path, **kwargs) -> dict:
    return evaluate(submission, "tiny-hc", data, results, progress=False, **kwargs)


def test_passthrough_scores_equal_the_input_scores(data, tmp_path):
    summary = run(BASELINES / "passthrough.py", data, tmp_path)
    table = pd.read_parquet(tmp_path / "passthrough" / "tiny-hc" / "metrics.parquet")
    assert len(table) == 14 and summary["examples"] == 14
    for name in ("sdr", "si_sdr", "mel_distance", "mr_mel_distance"):
        np.testing.assert_array_equal(table[name], table[f"{name}_input"])
    assert (table["delta_si_sdr"] == 0).all()
    # The input's SI-SDR is the real one, recomputed independently here.
    rows = list(iter_examples(data / "tiny-hc", "test"))
    expected = [si_sdr(r["clean"], r["distorted"]) for r in rows]
    np.testing.assert_allclose(table["si_sdr_input"], expected, rtol=1e-12)
    assert sorted(summary["by_level"]) == ["20", "25", "30", "35", "40", "45", "50"]
    level = summary["by_level"]["20"]["si_sdr"]
    assert level["n"] == 2 and level["mean"] == pytest.approx(np.mean(table["si_sdr"][table["level"] == 20]))
    assert summary["submission_sha256"] and summary["data_fingerprint"] and summary["versions"]["numpy"]
    assert summary["real_time_factor"] > 0 and summary["oracle"] is False


def test_outputs_equal_to_their_input_take_the_inputs_scores(data, tmp_path, monkeypatch):
    """Scores are computed for the outputs that differ from their input only: a model that gives
    up on the quietest examples (returns them as they are) gets the input's scores there, and
    only the other outputs go through the metrics."""
    import benchmark.harness.evaluate as harness

    run(BASELINES / "passthrough.py", data, tmp_path)  # the inputs' scores, kept in results/.inputs
    scored_rows = []
    real_score = harness.score
    monkeypatch.setattr(harness, "score", lambda ref, est, *a, **k: scored_rows.append(len(ref)) or real_score(ref, est, *a, **k))
    submission = write_submission(tmp_path, """
        import numpy as np

        class Model:
            sample_rate = 16000

            def __init__(self, task, device="cpu"):
                pass

            def __call__(self, distorted):
                loud = np.abs(distorted).max(axis=-1, keepdims=True) > 0.005
                return np.where(loud, distorted * np.float32(1.5), distorted)
    """, name="gives_up.py")
    run(submission, data, tmp_path)
    table = pd.read_parquet(tmp_path / "gives_up" / "tiny-hc" / "metrics.parquet")
    rows = {r["id"]: r for r in iter_examples(data / "tiny-hc", "test")}
    quiet = np.array([np.abs(rows[i]["distorted"]).max() <= 0.005 for i in table["id"]])
    assert 0 < quiet.sum() < len(table) and sum(scored_rows) == (~quiet).sum()
    for name in ("sdr", "si_sdr", "mel_distance", "mr_mel_distance", "peaq_odg", "rnonlin"):
        np.testing.assert_array_equal(table[name][quiet], table[f"{name}_input"][quiet])
        assert (table[name][~quiet] != table[f"{name}_input"][~quiet]).any()
    expected = [si_sdr(rows[i]["clean"], rows[i]["distorted"] * np.float32(1.5)) for i in table["id"][~quiet]]
    np.testing.assert_allclose(table["si_sdr"][~quiet], expected, rtol=1e-6)


def test_oracle_irm_sees_the_target_and_improves(data, tmp_path):
    summary = run(BASELINES / "oracle_irm.py", data, tmp_path)
    assert summary["oracle"] is True
    assert summary["metrics"]["delta_si_sdr"]["median"] > 1.0


def test_finished_evaluation_is_reused_until_submission_or_data_change(data, tmp_path):
    model = write_submission(tmp_path, """
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x): return x * 0.5
    """)
    first = run(model, data, tmp_path / "r")
    assert "reused" not in first
    assert run(model, data, tmp_path / "r").get("reused") is True
    model.write_text(model.read_text() + "\n# changed\n")
    assert "reused" not in run(model, data, tmp_path / "r")


def test_results_of_another_checkout_do_not_vouch_for_this_ones_weights(data, tmp_path):
    """The same submission file in two folders, each with its own weights: results made from the
    first folder (still on disk) are not reused for the second."""
    body = """
        from pathlib import Path
        WEIGHTS = Path(__file__).with_name("weights.txt")
        class Model:
            sample_rate = 16000
            @classmethod
            def files(cls, task): return [str(WEIGHTS)]
            def __init__(self, task, device="cpu"): self.gain = float(WEIGHTS.read_text())
            def __call__(self, x): return x * self.gain
    """
    first, second = tmp_path / "checkout-a", tmp_path / "checkout-b"
    for folder, gain in ((first, "0.5"), (second, "0.25")):
        folder.mkdir()
        (folder / "weights.txt").write_text(gain)
    model_a, model_b = write_submission(first, body), write_submission(second, body)
    run(model_a, data, tmp_path / "r")
    assert run(model_a, data, tmp_path / "r").get("reused") is True
    summary = run(model_b, data, tmp_path / "r")
    assert "reused" not in summary and summary["files"] == [str((second / "weights.txt").resolve())]
    assert run(model_b, data, tmp_path / "r").get("reused") is True


def test_resampling_when_the_model_rate_differs(data, tmp_path):
    model = write_submission(tmp_path, """
        class Model:
            sample_rate = 8000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x):
                assert x.shape[-1] == 16000  # 2 s at 8 kHz
                return x
    """)
    summary = run(model, data, tmp_path)
    assert summary["resampled"] is True and summary["model_sample_rate"] == 8000
    # A round trip through 8 kHz loses the top half of the band, nothing else.
    assert summary["metrics"]["si_sdr"]["median"] > 0


BAD_CALLS = {
    "raises": ("raise ValueError('boom')", "ValueError: boom"),
    "nan": ("y = x.copy(); y[1, 5] = float('nan'); return y", "returned NaN for test-000001"),
    "inf": ("y = x.copy(); y[0, 5] = float('inf'); return y", "returned Inf for test-000000"),
    "shape": ("return x[:, :-1]", "returned shape"),
    "dtype": ("return x.astype('float64')", "returned dtype float64, not float32"),
    "shape_and_dtype": ("return x[:, :-1].astype('float64')", "returned dtype float64, not float32 and shape"),
    "type": ("return x.tolist()", "returned builtins.list, not a numpy array"),
    "segfault": ("import ctypes; ctypes.string_at(0)", "died (killed by SIGSEGV)"),
    "oom_killed": ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "died (killed by SIGKILL)"),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_outputs_fail_clearly_and_write_nothing(data, tmp_path, case, capsys):
    body, message = BAD_CALLS[case]
    model = write_submission(tmp_path, f"""
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x):
                {body}
    """, name=f"bad_{case}.py")
    code = bench(["evaluate", "--submission", str(model), "--task", "tiny-hc", "--data", str(data),
                  "--results", str(tmp_path / "r"), "--batch-size", "4"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "test-0000" in err
    assert not (tmp_path / "r" / f"bad_{case}" / "tiny-hc" / "summary.json").exists()


def test_hang_times_out_naming_the_examples(data, tmp_path):
    model = write_submission(tmp_path, """
        import time
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x):
                time.sleep(600)
    """)
    with pytest.raises(SubmissionError, match=r"timed out after 3 s on test-000000\.\.test-000003"):
        run(model, data, tmp_path, batch_size=4, timeout=3)


@pytest.mark.parametrize("body,message", [
    ("class Model(:\n    pass\n", "syntax error at line 1"),
    ("x = 1\n", "defines no class `Model`"),
    ("class Model:\n    def __call__(self, x): return x\n", "`Model.sample_rate` is missing"),
    ("class Model:\n    sample_rate = '16k'\n", "not a positive int"),
    ("import not_a_package_xyz\n", "importing it raised ModuleNotFoundError"),
    ("class Model:\n    sample_rate = 16000\n    def __init__(self, task, device): raise RuntimeError('no weights')\n",
     "RuntimeError: no weights"),
])
def test_invalid_submission_files_fail_before_any_work(data, tmp_path, body, message):
    model = write_submission(tmp_path, body)
    with pytest.raises(SubmissionError, match=message):
        run(model, data, tmp_path / "r")
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").rglob("batch-*.parquet"))


def test_failed_run_leaves_earlier_results_untouched(data, tmp_path):
    model = write_submission(tmp_path, """
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x): return x
    """)
    run(model, data, tmp_path / "r")
    out = tmp_path / "r" / "model" / "tiny-hc"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    model.write_text(model.read_text().replace("return x", "raise RuntimeError('regressed')"))
    with pytest.raises(SubmissionError, match="regressed"):
        run(model, data, tmp_path / "r")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_interrupted_evaluation_resumes_where_it_stopped(data, tmp_path):
    """A run that dies on its third batch keeps two; the rerun processes only the rest."""
    calls = tmp_path / "calls.txt"
    model = write_submission(tmp_path, f"""
        from pathlib import Path
        CALLS = Path({str(calls)!r})
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x):
                done = CALLS.read_text().count("x") if CALLS.exists() else 0
                if done == 2 and not Path({str(tmp_path / 'ok')!r}).exists():
                    raise KeyboardInterrupt  # stands in for a Ctrl-C
                with CALLS.open("a") as f:
                    f.write("x")
                return x
    """)
    with pytest.raises(SubmissionError):
        run(model, data, tmp_path / "r", batch_size=4)
    assert calls.read_text() == "xx"
    (tmp_path / "ok").touch()
    summary = run(model, data, tmp_path / "r", batch_size=4)
    assert calls.read_text() == "xxxx"  # 14 examples = 4 batches: 2 before, 2 after
    assert summary["examples"] == 14
    assert not list((tmp_path / "r" / "model" / "tiny-hc").glob(".partial-*"))


def test_not_applicable_submission_is_recorded_as_such(data, tmp_path):
    model = write_submission(tmp_path, """
        class Model:
            sample_rate = 16000
            @staticmethod
            def supports(task): return not task.endswith("-hc")
            def __init__(self, task, device="cpu"): raise AssertionError("never built")
            def __call__(self, x): return x
    """)
    summary = run(model, data, tmp_path)
    assert summary["applicable"] is False
    stored = json.loads((tmp_path / "model" / "tiny-hc" / "summary.json").read_text())
    assert stored["applicable"] is False and not (tmp_path / "model" / "tiny-hc" / "metrics.parquet").exists()


def test_a_transfer_test_builds_the_submission_for_the_task_it_was_trained_on(data, tmp_path, monkeypatch):
    monkeypatch.setitem(TRANSFER_TESTS, "tiny-hc", "synth-hc")
    model = write_submission(tmp_path, """
        class Model:
            sample_rate = 16000
            @staticmethod
            def files(task): return [__file__] if task == "synth-hc" else []
            def __init__(self, task, device="cpu"):
                if task != "synth-hc":
                    raise ValueError(f"built for {task}")
            def __call__(self, x): return x
    """)
    summary = run(model, data, tmp_path)
    assert summary["applicable"] and summary["examples"] == 14
    assert summary["task"] == "tiny-hc" and summary["model_task"] == "synth-hc" and summary["files"] == [str(model)]
    user_board(tmp_path, tmp_path / "board")
    assert "a transfer test: every method runs as on `synth-hc`" in (tmp_path / "board" / "README.md").read_text()
    declines = write_submission(tmp_path, """
        class Model:
            sample_rate = 16000
            @staticmethod
            def supports(task): return task != "synth-hc"
            def __init__(self, task, device="cpu"): raise AssertionError("never built")
            def __call__(self, x): return x
    """, name="declines.py")
    reason = run(declines, data, tmp_path)["reason"]
    assert reason == "declines.py does not apply to task synth-hc; the transfer test tiny-hc runs every method as on synth-hc"


@pytest.mark.parametrize("transfer_test, trained", sorted(TRANSFER_TESTS.items()))
def test_transfer_tests_draw_as_their_trained_task_on_another_source(transfer_test, trained):
    assert same_draws_on_another_source(transfer_test, trained)


def test_cli_prints_a_table(data, tmp_path, capsys):
    assert bench(["evaluate", "--submission", str(BASELINES / "passthrough.py"), "--task", "tiny-hc",
                  "--data", str(data), "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "passthrough on tiny-hc" in out and "si_sdr" in out and "mr_mel_distance" in out


def test_file_problems_name_the_file_once(data, tmp_path, capsys):
    missing = tmp_path / "no_such_model.py"
    broken = write_submission(tmp_path, "class Model(:\n    pass\n", name="broken.py")
    for path in (missing, broken):
        code = bench(["evaluate", "--submission", str(path), "--task", "tiny-hc", "--data", str(data),
                      "--results", str(tmp_path / "r")])
        err = capsys.readouterr().err
        assert code == 2 and err.count(str(path)) == 1, err


def test_constant_output_is_reported_and_boarded_not_a_crash(data, tmp_path, capsys):
    """SI-SDR of a constant output is undefined (NaN) on every example: counted, shown as n/a."""
    from benchmark.harness.summary import format_summary
    from benchmark.report import render

    model = write_submission(tmp_path, """
        import numpy as np
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x): return np.full_like(x, 0.25)
    """, name="constant.py")
    summary = run(model, data, tmp_path / "r")
    assert summary["metrics"]["si_sdr"]["n"] == 0 and summary["metrics"]["si_sdr"]["median"] is None
    assert "n/a" in format_summary(summary)
    run(BASELINES / "passthrough.py", data, tmp_path / "r")
    render(tmp_path / "r", tmp_path / "board")
    board = (tmp_path / "board" / "README.md").read_text()
    row = next(line for line in board.splitlines() if line.startswith("| constant |"))
    assert "–" in row  # its undefined SI-SDR median, where the other rows have numbers
    assert (tmp_path / "board" / "plots" / "tiny-hc-levels.png").is_file()


def test_a_failed_render_leaves_the_old_board_whole(data, tmp_path, monkeypatch):
    import benchmark.report.page as page
    from benchmark.report import render

    run(BASELINES / "passthrough.py", data, tmp_path / "r")
    render(tmp_path / "r", tmp_path / "board")
    before = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "board").rglob("*") if p.is_file()}

    run(BASELINES / "oracle_irm.py", data, tmp_path / "r")  # the next board differs
    plot_task = page.plot_task

    def broken(*args, **kwargs):  # the plots are written, then the page fails
        plot_task(*args, **kwargs)
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(page, "plot_task", broken)
    with pytest.raises(RuntimeError, match="plotting failed"):
        render(tmp_path / "r", tmp_path / "board")
    after = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "board").rglob("*") if p.is_file()}
    assert after == before and not list(tmp_path.glob(".board.render-*"))


def test_command_line_refuses_bad_folders_counts_and_tasks(data, tmp_path, capsys):
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    assert bench(["generate", "--task", "synth-od", "--limit", "1", "--out", str(a_file)]) == 2
    assert "--out" in capsys.readouterr().err
    assert bench(["evaluate", "--submission", str(BASELINES / "passthrough.py"), "--task", "tiny-hc",
                  "--data", str(data), "--results", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert bench(["leaderboard", "--results", str(tmp_path), "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    for workers in ("0", "-1"):
        with pytest.raises(SystemExit):
            bench(["generate", "--workers", workers])
        assert "must be at least 1" in capsys.readouterr().err
    assert bench(["evaluate", "--submission", str(BASELINES / "passthrough.py"), "--task", "no-such-task",
                  "--data", str(data), "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "unknown task 'no-such-task'" in err and "synth-od" in err and "bench generate" not in err


def test_evaluate_without_a_task_scores_every_task_built_in_data(tmp_path, capsys):
    """No --task: the known tasks whose folder in --data holds a manifest (here one of the quick
    board's, built as `bench run` builds it), not the default tasks that are not there; none
    built: an error naming the commands that build them."""
    data, results = tmp_path / "data", tmp_path / "results"
    passthrough = ["evaluate", "--submission", str(BASELINES / "passthrough.py"), "--data", str(data),
                   "--results", str(results)]
    data.mkdir()
    (data / "notes").mkdir()  # a folder that is no task
    assert bench(passthrough) == 2
    err = capsys.readouterr().err
    assert f"no task is built in {data}" in err and "bench run" in err and "sampled-od" in err
    assert bench(["generate", "--task", "synth-od", "--limit", "1", "--out", str(data)]) == 0
    assert bench(passthrough) == 0
    assert [p.name for p in (results / "passthrough").iterdir()] == ["synth-od"]


def test_display_names_come_from_the_submission_file(data, tmp_path):
    from benchmark.report import render

    declared = write_submission(tmp_path, """
        class Model:
            sample_rate = 16000
            display_name = "My declipper"
            def __init__(self, task, device="cpu"): pass
            def __call__(self, x): return x
    """, name="mine_v3.py")
    module_level = write_submission(tmp_path, """
        display_name = "Their method"
        class Model:
            sample_rate = 16000
            supports = staticmethod(lambda task: False)
            def __call__(self, x): return x
    """, name="theirs.py")
    assert run(declared, data, tmp_path / "r")["display_name"] == "My declipper"
    assert run(module_level, data, tmp_path / "r")["display_name"] == "Their method"  # not applicable: named too
    run(BASELINES / "passthrough.py", data, tmp_path / "r")
    render(tmp_path / "r", tmp_path / "board")
    text = (tmp_path / "board" / "README.md").read_text()
    assert "| My declipper |" in text and "| Their method | n/a" in text and "| distorted input" in text
    assert "mine_v3" not in text
    bad = write_submission(tmp_path, "class Model:\n    sample_rate = 16000\n    display_name = ''\n", name="bad.py")
    with pytest.raises(SubmissionError, match="bad.py: `display_name` must be a non-empty string"):
        run(bad, data, tmp_path / "r")


def test_speed_is_measured_in_cpu_time_and_the_machine_is_recorded(data, tmp_path):
    """A model that waits (sleeps) spends wall time but almost no CPU time; the summary says whose machine."""
    import os

    from benchmark.report import render

    model = write_submission(tmp_path, """
        import time
        import torch
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"): torch.set_num_threads(1)
            def __call__(self, x):
                time.sleep(0.25)
                return x
    """, name="sleeper.py")
    summary = run(model, data, tmp_path / "r", batch_size=7)  # 14 examples: 2 batches
    assert summary["compute_seconds"] >= 0.5 and summary["cpu_seconds"] < 0.1
    assert summary["real_time_factor_cpu"] > 10 * summary["real_time_factor"]
    machine = summary["machine"]
    assert machine["logical_cpus"] == os.cpu_count() and machine["cpu"] and machine["torch_threads"] == 1
    table = pd.read_parquet(tmp_path / "r" / "sleeper" / "tiny-hc" / "metrics.parquet")
    assert table["cpu_seconds"].sum() == pytest.approx(summary["cpu_seconds"])
    render(tmp_path / "r", tmp_path / "board")
    text = (tmp_path / "board" / "README.md").read_text()
    assert "real-time factor (CPU)" in text
    assert f"measured on {machine['cpu']}, {os.cpu_count()} logical CPUs;" in text
    assert "the methods using torch ran with 1 torch CPU threads" in text


def test_terminal_summary_says_what_its_values_are(data, tmp_path):
    from benchmark.harness.summary import format_summary

    text = format_summary(run(BASELINES / "passthrough.py", data, tmp_path))
    assert "median [Q1, Q3] over examples" in text and "per CPU second" in text
    assert "clip-consistent on all 14 examples (checked)" in text  # the input itself, trivially


def test_clip_consistency_check_of_outputs():
    from benchmark.harness.evaluate import clip_consistent

    t = 0.1
    distorted = np.clip(np.sin(np.linspace(0, 20, 400)) * 0.3, -t, t).astype(np.float32)[None].repeat(6, 0)
    restored = distorted.copy()
    clipped = np.abs(distorted[0]) >= np.float32(t)
    restored[1, clipped] *= 2.0  # clipped samples raised above the level: consistent
    restored[2, ~clipped] += 1e-6  # reliable samples moved beyond float32 rounding
    restored[3, np.flatnonzero(clipped)[0]] *= 0.99  # one clipped sample below the level
    restored[4, clipped] *= -1.0  # clipped samples with the wrong sign
    restored[5] *= 0.5
    levels = [t] * 6
    assert clip_consistent(distorted, restored, levels).tolist() == [True, True, False, False, False, False]
    assert clip_consistent(distorted, restored, [None] * 6).tolist() == [True, True, False, False, False, False]
    near = distorted + np.float32(2e-9) * (~clipped)  # within float32 rounding of the level
    assert clip_consistent(distorted[:1], near[:1], [t]).tolist() == [True]
    # a 16-bit file clips a step apart at full scale (+32767/-32768): without a threshold, each polarity has its level
    sixteen_bit = np.round(distorted / t * 32768).clip(-32768, 32767)[:2] / 32768
    raised = sixteen_bit * np.where(np.abs(sixteen_bit) >= 32767 / 32768, 2.0, 1.0)
    assert clip_consistent(sixteen_bit, raised, [None] * 2).tolist() == [True, True]
    assert clip_consistent(sixteen_bit, sixteen_bit * [[1.0], [0.999]], [None] * 2).tolist() == [True, False]


def test_submission_processes_fork_from_one_server_holding_torch_and_the_light_command(data, tmp_path):
    """A submission's process is forked from a fork server that has imported torch and the
    checkpoint loader (a network's child then starts in 0.1 s, not 2.3) and the module that
    started `bench` (benchmark.cli), which must stay light: no data package, no harness (about
    1.7 s more per fork server before). Two runners in one process share the server."""
    seen = tmp_path / "modules.json"
    model = write_submission(tmp_path, f"""
        import json, os, sys
        with open({str(seen)!r}, "a") as f:  # what the process held before this file imported anything
            f.write(json.dumps([os.getppid(), sorted(sys.modules)]) + "\\n")
        class Model:
            sample_rate = 16000
            def __init__(self, task, device="cpu"):
                pass
            def __call__(self, x):
                return x
    """)
    subprocess.run([sys.executable, "-m", "benchmark.cli", "evaluate", "--submission", str(model), "--task", "tiny-hc",
                    "--data", str(data), "--results", str(tmp_path / "results")], check=True, capture_output=True)
    _, modules = json.loads(seen.read_text())
    assert {"__mp_main__", "torch", "benchmark.models.checkpoints"} <= set(modules)
    assert not {"benchmark.dataset", "benchmark.harness.evaluate"} & set(modules)

    seen.unlink()
    for _ in range(2):
        with SubmissionRunner(model, "tiny-hc"):
            pass
    parents = [json.loads(line)[0] for line in seen.read_text().splitlines()]
    assert len(parents) == 2 and parents[0] == parents[1] != os.getpid()


def _restores_one_second(path: str, task: str) -> float:
    """A pool unit: run a submission on one second of silence plus one sample; its output's sum."""
    with SubmissionRunner(path, task) as runner:
        restored, _ = runner(np.eye(1, 16000, dtype=np.float32), ["one"])
    return float(restored.sum())


def test_a_pool_forked_while_this_process_runs_a_fork_server_runs_submissions():
    """A local pool's processes are forked from a process whose fork server already runs: each
    starts a server of its own (waiting on the inherited one failed: 'No child processes')."""
    model = BASELINES / "passthrough.py"
    assert _restores_one_second(str(model), "tiny-hc") == 1.0  # this process's fork server runs now
    done = dict(LocalExecutor(2).map(_restores_one_second, [str(model), str(model)], "tiny-hc"))
    assert done == {str(model): 1.0}
