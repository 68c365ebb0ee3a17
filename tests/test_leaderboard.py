"""`bench leaderboard`, `bench check` and the static page (in headless Chromium)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.colors
import numpy as np
import pandas as pd
import pytest
import scipy.stats

from benchmark.harness.evaluate import evaluate
from benchmark.harness.summary import metric_columns, summarise
from benchmark.dataset.generate import generate_task
from benchmark.harness.fad import ENABLE as FAD_ENABLE
from benchmark.report.page import render
from benchmark.report.paper import load_paper
from benchmark.report.results import collect
from benchmark.report.statistics import paired_tests, wilcoxon_rows
from benchmark.pipeline import compare, published_numbers
from conftest import REPO_ROOT, require, small_recipe

BASELINES = REPO_ROOT / "baselines"
SDR_GRID = (1.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0)


def fake_results(results: Path, task: str, si_sdr: dict[str, np.ndarray], clips: int, levels=SDR_GRID,
                 sdr_inf: dict[str, int] | None = None, **fields) -> None:
    """Results of made-up submissions on a made-up grid test split (``clips`` x ``levels``), written as
    the harness writes them: ``si_sdr[name]`` is each one's per-example SI-SDR; ``sdr_inf[name]`` of its
    SDR values are +inf; other metrics are noise. Fast: no data, no evaluation."""
    rng = np.random.default_rng(0)
    n = clips * len(levels)
    for name, values in si_sdr.items():
        index = np.arange(n)
        table = pd.DataFrame({"id": [f"test-{i:06d}" for i in index], "index": index, "clip": index // len(levels),
                              "level": [levels[i % len(levels)] for i in index]})
        for column in metric_columns():
            table[column] = rng.normal(10.0, 1.0, n)
        table["si_sdr"] = values
        table["delta_si_sdr"] = table["si_sdr"] - table["si_sdr_input"]
        table.loc[: (sdr_inf or {}).get(name, 0) - 1, "sdr"] = np.inf
        table["seconds"], table["cpu_seconds"], table["audio_seconds"] = 0.01, 0.02, 10.0
        summary = {"submission": name, "task": task, "applicable": True, "oracle": False, "paper_task": "",
                   "machine": {"cpu": "Test CPU", "logical_cpus": 2, "torch_threads": None, "load_average": 1.0},
                   **summarise(table, "sdr_db"), **fields.get(name, {})}
        out = results / name / task
        out.mkdir(parents=True, exist_ok=True)
        table.to_parquet(out / "metrics.parquet", index=False)
        (out / "summary.json").write_text(json.dumps(summary))


def figures_of(monkeypatch) -> list:
    """Collects every figure the board draws, just before it is saved."""
    import benchmark.report.plots as plots

    figures, save = [], plots._save_figure

    def keep(fig, path):
        fig.canvas.draw()
        figures.append((path.name, fig))
        return save(fig, path)

    monkeypatch.setattr(plots, "_save_figure", keep)
    return figures


def chromium_dom(page: Path, profile: Path, *flags: str) -> str:
    """The DOM of a page after its scripts ran, in headless Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require("Debian's chromium is not installed", chromium is not None)
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--virtual-time-budget=5000", *flags, "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120).stdout


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> Path:
    """Results of three submissions on two tiny tasks, and one not-applicable entry."""
    root = tmp_path_factory.mktemp("board")
    for base in ("synth-hc", "synth-sdr"):
        generate_task(small_recipe(root, base, name=f"tiny-{base.split('-')[1]}"), root / "data", progress=False)
    half = root / "half.py"
    half.write_text("class Model:\n    sample_rate = 16000\n    def __init__(self, task, device='cpu'): pass\n"
                    "    def __call__(self, x): return (x * 0.5).astype('float32')\n")
    odonly = root / "odonly.py"
    odonly.write_text("class Model:\n    sample_rate = 16000\n    supports = staticmethod(lambda t: t.endswith('-od'))\n"
                      "    def __call__(self, x): return x\n")
    for task in ("tiny-hc", "tiny-sdr"):
        for path in (BASELINES / "passthrough.py", BASELINES / "oracle_irm.py", half):
            evaluate(path, task, root / "data", root / "results", progress=False)
        evaluate(odonly, task, root / "data", root / "results", progress=False)
    return root


def test_render_writes_tables_plots_and_page(board):
    written = render(board / "results", board / "lb")
    names = {p.name for p in written}
    for task in ("tiny-hc", "tiny-sdr"):
        assert {f"{task}-box.png", f"{task}-levels.png", f"{task}-scatter.png"} <= names
    text = (board / "lb" / "README.md").read_text()
    assert "## tiny-hc" in text and "## tiny-sdr" in text
    assert "IRM (oracle: sees the target)" in text
    assert re.search(r"\| odonly \| n/a \| n/a", text)
    # Ranking: real methods by median SI-SDR, the oracle after them, n/a last.
    block = text.split("## tiny-hc")[1].split("**Mean")[0]
    order = [line.split(" | ")[0].lstrip("| ") for line in block.splitlines() if line.startswith("| ") and "method" not in line]
    assert order[-2:] == ["IRM (oracle: sees the target)", "odonly"]


def test_clip_consistency_is_checked_on_the_outputs_not_declared(board, tmp_path):
    """† only where the harness found every output clip-consistent; a claim that did not hold is said."""
    from benchmark.harness.summary import format_summary

    results = tmp_path / "results"
    shutil.copytree(board / "results", results)
    claims = tmp_path / "claims_half.py"  # halves its input: reliable samples not kept, clipped ones below the level
    claims.write_text("class Model:\n    sample_rate = 16000\n    clip_consistent = True\n"
                      "    def __init__(self, task, device='cpu'): pass\n"
                      "    def __call__(self, x): return (0.5 * x).astype('float32')\n")
    summary = evaluate(claims, "tiny-hc", board / "data", results, progress=False)
    assert summary["clip_consistent_claimed"] is True and summary["clip_consistent"] is False
    assert summary["clip_consistency_failures"] == 14
    assert "claims clip-consistency, not held on 14 of 14 examples" in format_summary(summary)
    table = pd.read_parquet(results / "claims_half" / "tiny-hc" / "metrics.parquet")
    assert not table["clip_consistent"].any()
    passthrough = json.loads((results / "passthrough" / "tiny-hc" / "summary.json").read_text())
    assert passthrough["clip_consistent"] is True and passthrough["clip_consistent_claimed"] is False  # the input, trivially
    half = json.loads((results / "half" / "tiny-hc" / "summary.json").read_text())
    assert half["clip_consistent"] is False and half["clip_consistent_claimed"] is False
    render(results, tmp_path / "lb")
    text = (tmp_path / "lb" / "README.md").read_text().split("## tiny-sdr")[0]
    assert "| claims_half (claims clip-consistency, not held on 14 of 14 examples) |" in text
    assert "| distorted input † |" in text and "| half |" in text and "checks every output for clip consistency" in text


def test_tables_hold_the_summary_numbers(board):
    render(board / "results", board / "lb")
    summary = json.loads((board / "results" / "passthrough" / "tiny-hc" / "summary.json").read_text())
    s = summary["metrics"]["si_sdr"]
    cell = f"{s['median']:.2f} [{s['q1']:.2f}, {s['q3']:.2f}]"
    assert cell in (board / "lb" / "README.md").read_text()


def test_paper_rows_are_labelled_and_kept_apart(board):
    render(board / "results", board / "lb")
    text = (board / "lb" / "README.md").read_text()
    # tiny-* recipes were copied from synth-hc / synth-sdr, whose paper tasks are CEG-HC / SignalTrain-HC.
    assert "measured on CEG, not on this data" in text and "read off its figures" in text
    paper = load_paper()
    assert set(paper["paper_task"]) == {"CEG-OD", "CEG-HC", "SignalTrain-HC"}
    demucs = paper[(paper.paper_task == "CEG-OD") & (paper.method == "demucs") & (paper.statistic == "median")
                   & (paper.metric == "si_sdr")]
    assert float(demucs["value"].iloc[0]) == 37.9


def test_wilcoxon_matches_scipy_on_per_clip_means(board):
    entries = collect(board / "results")["tiny-hc"]
    header, rows = wilcoxon_rows(entries, paired_tests(entries))
    a = entries["passthrough"]["_table"].groupby("clip")["si_sdr"].mean()
    b = entries["oracle_irm"]["_table"].groupby("clip")["si_sdr"].mean()
    p = scipy.stats.wilcoxon(a - b).pvalue  # 2 clips: the smallest two-sided p is 2/2^2 = 0.5
    cell = rows[[r[0] for r in rows].index("distorted input")][header.index("IRM")]
    delta, p_holm = re.match(r"([-+]\d+\.\d+) \(p=([\d.e-]+)\)", cell).groups()
    assert float(delta) == pytest.approx(np.median(a - b), abs=0.01)
    assert p == 0.5 and float(p_holm) == min(1.0, 3 * p)  # Holm over 3 pairs


def test_published_numbers_compare_within_tolerance(board):
    summaries = [json.loads(p.read_text()) for p in (board / "results").glob("*/*/summary.json")]
    current = published_numbers(summaries)
    published = {"tolerances": {"sdr": 0.01, "si_sdr": 0.01, "delta_si_sdr": 0.01, "mel_distance": 0.01,
                                "mr_mel_distance": 0.001}, "results": json.loads(json.dumps(current))}
    assert compare(published, current) == []
    key = "passthrough/tiny-hc"
    nudged = json.loads(json.dumps(current))
    nudged[key]["si_sdr.median"] += 0.005
    assert compare(published, nudged) == []
    nudged[key]["si_sdr.median"] += 0.02
    nudged["half/tiny-sdr"]["data_fingerprint"] = "other"
    del nudged["odonly/tiny-hc"]
    moved = {(k, f) for k, f, _, _ in compare(published, nudged)}
    assert moved == {(key, "si_sdr.median"), ("half/tiny-sdr", "data_fingerprint"), ("odonly/tiny-hc", "(entry)")}


def test_page_loads_in_headless_chromium_without_script_errors(board, tmp_path):
    render(board / "results", board / "lb")
    page = (board / "lb" / "index.html").resolve()
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page.read_text())  # nothing to fetch
    dom = chromium_dom(page, tmp_path / "profile")
    assert 'data-ready="yes"' in dom, "the page's script did not run to its end"
    errors = re.search(r'<pre id="errors">(.*?)</pre>', dom, re.S)
    assert errors is not None and errors.group(1).strip() == ""
    for task in ("tiny-hc", "tiny-sdr"):
        assert f'<h2 id="{task}">' in dom
    assert dom.count("<table") >= 2 * 4 and dom.count("data:image/png;base64,") == 6


def test_metrics_table_has_one_row_per_example(board):
    table = pd.read_parquet(board / "results" / "half" / "tiny-sdr" / "metrics.parquet")
    assert len(table) == 14 and table["id"].is_unique


def test_user_runs_write_their_own_board_and_check_update_publishes(tmp_path, capsys, monkeypatch):
    """`bench run` / `bench leaderboard` write ./board, never the published board; --submission
    picks what a user's board shows; `bench check --update` (and --publish) render the published
    board with the registered baselines only; an unchanged check holds; a moved number fails."""
    import benchmark.dataset.recipes
    from benchmark import paths
    from benchmark.cli import main as bench

    published = tmp_path / "published"  # stands in for the repository's leaderboard/
    published.mkdir()
    monkeypatch.setattr(paths, "leaderboard_dir", lambda: published)
    monkeypatch.chdir(tmp_path)
    recipe = small_recipe(tmp_path, "synth-hc", name="tiny-check-hc")
    assert bench(["run", "--task", recipe, "--data", "data", "--results", "results"]) == 0
    assert list(published.iterdir()) == []
    assert "## tiny-check-hc" in (tmp_path / "board" / "README.md").read_text()
    mine = tmp_path / "experiment.py"
    mine.write_text("class Model:\n    sample_rate = 16000\n    def __init__(self, task, device='cpu'): pass\n"
                    "    def __call__(self, x): return x\n")
    evaluate(mine, "tiny-check-hc", "data", "results", progress=False)
    assert bench(["leaderboard"]) == 0 and "| experiment" in (tmp_path / "board" / "README.md").read_text()
    assert bench(["leaderboard", "--submission", "no-such-result", "--out", "mine"]) == 0
    assert "| experiment" not in (text := (tmp_path / "mine" / "README.md").read_text()) and "| A-SPADE" in text
    assert list(published.iterdir()) == []

    args = ["check", "--task", recipe, "--data", "data", "--results", "results", "--leaderboard", str(published),
            "--demo-dir", ""]
    assert bench(args + ["--update"]) == 0
    numbers = json.loads((published / "published.json").read_text())
    assert {"passthrough/tiny-check-hc", "oracle_irm/tiny-check-hc", "aspade/tiny-check-hc"} <= set(numbers["results"])
    board = (published / "quick" / "README.md").read_text()  # a quick task: the quick board
    assert "| A-SPADE † |" in board and "experiment" not in board and "`bench check --update`" in board
    assert board.startswith("# Quick board") and "quick board: too few clips" in board
    monkeypatch.setattr(benchmark.dataset.recipes, "BENCHMARK_TASKS", (recipe,))
    (published / "quick" / "README.md").unlink()
    assert bench(["leaderboard", "--publish"]) == 0 and (published / "quick" / "README.md").read_text() == board
    capsys.readouterr()
    assert bench(args) == 0 and "every published number holds" in capsys.readouterr().out
    assert (published / "quick" / "README.md").read_text() == board  # a plain check renders nothing
    numbers["results"]["aspade/tiny-check-hc"]["si_sdr.median"] += 0.5
    (published / "published.json").write_text(json.dumps(numbers))
    assert bench(args) == 1
    out = capsys.readouterr().out
    assert "1 published number(s) moved" in out and "aspade/tiny-check-hc" in out and "si_sdr.median" in out


def test_bench_run_builds_the_quick_share_of_each_task_and_refuses_other_data(tmp_path, capsys, monkeypatch):
    """`bench run` builds and evaluates the first QUICK_EXAMPLES examples of each split (here 7:
    the first test clip at its 7 levels, of a task with 14), and refuses a folder holding the
    whole task, naming it, rather than scoring other examples than the board's."""
    from benchmark import pipeline
    from benchmark.cli import main as bench

    monkeypatch.setattr(pipeline, "QUICK_EXAMPLES", 7)
    monkeypatch.setattr(pipeline, "BASELINES", {"passthrough": pipeline.BASELINES["passthrough"]})
    recipe = small_recipe(tmp_path, "synth-hc", name="tiny-quick")
    args = ["--task", recipe, "--results", str(tmp_path / "results"), "--out", str(tmp_path / "board")]
    assert bench(["run", "--data", str(tmp_path / "data"), *args]) == 0
    manifest = json.loads((tmp_path / "data" / "tiny-quick" / "manifest.json").read_text())
    assert {split: part["examples"] for split, part in manifest["splits"].items()} == {"train": 6, "val": 2, "test": 7}
    summary = json.loads((tmp_path / "results" / "passthrough" / "tiny-quick" / "summary.json").read_text())
    assert summary["examples"] == 7 and len(summary["by_level"]) == 7  # one clip at every level
    generate_task(recipe, tmp_path / "whole", progress=False)
    capsys.readouterr()
    assert bench(["run", "--data", str(tmp_path / "whole"), *args]) == 2
    error = capsys.readouterr().err
    assert f"{tmp_path / 'whole' / 'tiny-quick'} holds" in error and "'test': 14" in error and "'test': 7" in error


def test_full_board_is_published_per_example_and_checked_on_a_sample(tmp_path, capsys, monkeypatch):
    """A full-board task: `bench check --update --full` publishes every baseline's rows and the
    examples' hashes; a plain check re-evaluates only the sample and holds; a moved score in the
    sample, a moved score outside it (the published numbers are no longer those of the rows), or
    other data each fail, naming what moved."""
    import benchmark.dataset.recipes
    import benchmark.pipeline
    from benchmark import paths
    from benchmark.cli import main as bench

    published = tmp_path / "published"
    published.mkdir()
    monkeypatch.setattr(paths, "leaderboard_dir", lambda: published)
    monkeypatch.setattr(benchmark.dataset.recipes, "FULL_TASKS", ("tiny-full-hc",))
    monkeypatch.setattr(benchmark.pipeline, "SAMPLE_EXAMPLES", 7)
    monkeypatch.chdir(tmp_path)
    recipe = small_recipe(tmp_path, "synth-hc", name="tiny-full-hc")  # test split: 2 clips x 7 levels
    args = ["check", "--task", recipe, "--data", "data", "--results", "results", "--demo-dir", ""]
    assert bench(args + ["--update", "--full"]) == 0
    rows = published / "results" / "aspade" / "tiny-full-hc" / "metrics.parquet"
    assert len(pd.read_parquet(rows)) == 14
    numbers = json.loads((published / "published.json").read_text())
    assert len(numbers["examples"]["tiny-full-hc"]) == 14 and "aspade/tiny-full-hc" in numbers["results"]
    board = (published / "README.md").read_text()
    assert board.startswith("# Leaderboard") and "2 source clips × 7 levels = 14 test examples" in board
    assert "| A-SPADE † |" in board and "`bench check --update --full`" in board

    capsys.readouterr()
    assert bench(args) == 0 and "every published number holds" in capsys.readouterr().out
    assert len(pd.read_parquet(tmp_path / "results" / ".check-sample" / "aspade" / "tiny-full-hc" / "metrics.parquet")) == 7

    original = pd.read_parquet(rows)
    for example, moved_field in (("test-000003", "si_sdr@test-000003"), ("test-000010", "si_sdr.mean")):
        table = original.copy()
        table.loc[table["id"] == example, "si_sdr"] += 0.5
        table.to_parquet(rows, index=False)
        assert bench(args) == 1
        out = capsys.readouterr().out
        assert "aspade/tiny-full-hc" in out and moved_field in out, out
    # --baseline: only the named baselines are checked, and an update replaces only theirs.
    table = original.copy()
    table["si_sdr"] += 0.5
    table.to_parquet(rows, index=False)
    assert bench(args + ["--baseline", "passthrough"]) == 0
    passthrough_rows = published / "results" / "passthrough" / "tiny-full-hc" / "metrics.parquet"
    before = passthrough_rows.stat().st_mtime_ns
    assert bench(args + ["--update", "--full", "--baseline", "passthrough"]) == 0
    assert passthrough_rows.stat().st_mtime_ns != before
    assert pd.read_parquet(rows)["si_sdr"].equals(table["si_sdr"])  # A-SPADE's kept as they were
    kept = json.loads((published / "published.json").read_text())["results"]["aspade/tiny-full-hc"]
    assert kept == numbers["results"]["aspade/tiny-full-hc"]
    capsys.readouterr()
    assert bench(args) == 1 and "aspade/tiny-full-hc" in capsys.readouterr().out
    assert bench(args + ["--update", "--full", "--baseline", "aspade"]) == 0
    assert bench(args) == 0 and "every published number holds" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        bench(args + ["--baseline", "nonesuch"])
    quick = ["check", "--task", small_recipe(tmp_path, "synth-od", name="tiny-quick"), "--demo-dir", ""]
    assert bench(quick + ["--update", "--baseline", "passthrough"]) == 2
    assert "full-board tasks only" in capsys.readouterr().err

    numbers = json.loads((published / "published.json").read_text())
    numbers["examples"]["tiny-full-hc"]["test-000002"] = "0" * 64
    (published / "published.json").write_text(json.dumps(numbers))
    assert bench(args) == 1 and "sha256@test-000002" in capsys.readouterr().out


def test_publishing_one_full_board_task_keeps_the_others_on_the_board(tmp_path, monkeypatch):
    """`bench check --update --full --task A` re-renders the whole full board, B's section and plots kept."""
    import benchmark.pipeline

    monkeypatch.setattr(benchmark.pipeline.recipes, "FULL_TASKS", ("full-a", "full-b"))
    rng = np.random.default_rng(2)
    for task in ("full-a", "full-b"):
        fake_results(tmp_path / "lb" / "results", task,
                     {"passthrough": rng.normal(3.0, 1.0, 140), "aspade": rng.normal(8.0, 1.0, 140)}, 20)
    benchmark.pipeline.publish(tmp_path / "results", ["full-a"], tmp_path / "lb")
    text = (tmp_path / "lb" / "README.md").read_text()
    assert "## full-a" in text and "## full-b" in text
    assert (tmp_path / "lb" / "plots" / "full-b-box.png").is_file()


def test_ranking_orders_by_median_si_sdr_with_zero_and_undefined_medians():
    from benchmark.report.tables import ranked

    def entry(median, oracle=False):
        return {"metrics": {"si_sdr": {"median": median}}, "oracle": oracle}

    entries = {"zero": entry(0.0), "minus": entry(-1.0), "undefined": entry(None), "plus": entry(2.0),
               "oracle": entry(30.0, oracle=True), "na": {"applicable": False}}
    assert ranked(entries) == ["plus", "zero", "minus", "undefined", "oracle", "na"]


def test_tests_run_per_source_clip_and_say_when_clips_are_too_few(tmp_path):
    """Levels averaged per clip first, then the paired Wilcoxon test over clips; 'too few' when even
    the smallest p (2/2^n, Holm-corrected) cannot reach 5 %."""
    rng = np.random.default_rng(1)
    for task, clips in (("six", 6), ("twenty", 20)):
        base = rng.normal(10.0, 3.0, clips * 7)
        fake_results(tmp_path / "r", task, {"a": base + 0.5 + rng.normal(0, 0.05, base.size), "b": base,
                                            "c": base - 0.2 + rng.normal(0, 0.05, base.size)}, clips)
    board = collect(tmp_path / "r")
    entries = board["six"]
    tests = {(t.a, t.b): t for t in paired_tests(entries)}
    a, b = (entries[n]["_table"].groupby("clip")["si_sdr"].mean() for n in ("a", "b"))
    assert tests["a", "b"].clips == 6 and tests["a", "b"].p == scipy.stats.wilcoxon(a - b).pvalue == 2 / 2**6
    assert tests["a", "b"].p_holm == pytest.approx(3 * 2 / 2**6)
    render(tmp_path / "r", tmp_path / "lb")
    text = (tmp_path / "lb" / "README.md").read_text()
    six, twenty = text.split("## twenty")
    assert "per source clip: each method's mean over the 7 levels of each of the 6 test clips" in six
    assert "6 clips: too few for a test at 5 %" in six
    assert " *" not in six.split("Paired Wilcoxon")[1].split("| method |")[1].split("![")[0]  # no p below 5 %
    assert "each of the 20 test clips" in twenty and "too few" not in twenty
    assert re.search(r"\| a \|  \| \+0\.\d\d \(p=[\d.e-]+\) \* \|", twenty)


def test_rankings_say_their_order_and_count_infinite_values(tmp_path, monkeypatch):
    values = np.linspace(0.0, 10.0, 42)
    fake_results(tmp_path / "r", "synth-sdr", {"passthrough": values, "mine": values + 1.0}, 6,
                 sdr_inf={"passthrough": 6, "mine": 6})
    figures = figures_of(monkeypatch)
    render(tmp_path / "r", tmp_path / "lb")
    text = (tmp_path / "lb" / "README.md").read_text()
    assert "**Ranking (sorted by median SI-SDR;" in text
    row = next(line for line in text.splitlines() if line.startswith("| distorted input |"))
    assert "(6 × +∞) |" in row.split(" | ")[1] + " |"
    box = dict(figures)["synth-sdr-box.png"]
    ticks = [t.get_text() for t in box.axes[0].get_xticklabels()]  # the SDR box plot
    assert ticks == ["mine\n(6 × +∞)", "distorted input\n(6 × +∞)"]


def test_each_method_keeps_one_colour_and_legends_stay_off_the_data(tmp_path, monkeypatch):
    from benchmark.baselines import BASELINES
    from benchmark.report.plots import PALETTE

    x = np.linspace(0.0, 10.0, 42)
    fake_results(tmp_path / "r", "one", {"openunmix": x, "zzz": x + 1, "passthrough": x - 1}, 6)
    fake_results(tmp_path / "r", "two", {"openunmix": x + 2, "demucs": x, "zzz": x - 3, "mine": x + 1}, 6)
    figures = figures_of(monkeypatch)
    render(tmp_path / "r", tmp_path / "lb")
    seen: dict[str, set] = {}
    for name, fig in figures:
        for ax in fig.axes:
            if name.endswith("-box.png"):
                labels = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
                colours = [p.get_facecolor()[:3] for p in ax.patches]
            else:
                handles, labels = ax.get_legend_handles_labels()
                colours = [tuple(np.ravel(h.get_facecolor() if hasattr(h, "get_offsets") else
                                          matplotlib.colors.to_rgba(h[0].get_color() if isinstance(h, tuple)
                                                                    else h.get_color()))[:3]) for h in handles]
            for label, colour in zip(labels, colours):
                seen.setdefault(label, set()).add(tuple(np.round(colour, 3)))
        for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
            box = legend.get_window_extent()
            assert not any(box.overlaps(ax.get_window_extent()) for ax in fig.axes), f"{name}: legend over the axes"
    assert set(seen) == {"Open-Unmix", "mine", "distorted input", "Demucs v2", "zzz"}
    assert all(len(c) == 1 for c in seen.values()), seen
    rgb = {label: next(iter(c)) for label, c in seen.items()}
    order = list(BASELINES)
    expected = {"Open-Unmix": order.index("openunmix"), "Demucs v2": order.index("demucs"),
                "distorted input": order.index("passthrough"), "mine": len(order), "zzz": len(order) + 1}
    for label, index in expected.items():
        assert rgb[label] == tuple(np.round(matplotlib.colors.to_rgb(PALETTE[index]), 3)), label


def test_page_shows_code_spans_and_does_not_scroll_sideways_at_1400_px(tmp_path):
    x = np.linspace(0.0, 10.0, 42)
    fake_results(tmp_path / "r", "synth-hc", {f"a rather long method name {i}": x + i for i in range(9)}, 6)
    render(tmp_path / "r", tmp_path / "lb")
    page = tmp_path / "lb" / "index.html"
    text = page.read_text()
    intro = re.search(r"<p class='note'>(.*?)</p>", text, re.S).group(1)
    assert "<code>bench leaderboard</code>" in intro and "`" not in intro
    measured = tmp_path / "measured.html"  # the page, reporting its own widths once laid out
    measured.write_text(text.replace("</body>", "<script>document.body.dataset.widths = "
                                     "document.documentElement.scrollWidth + ' ' + window.innerWidth;</script></body>"))
    dom = chromium_dom(measured, tmp_path / "profile", "--window-size=1400,1000")
    scroll, viewport = map(int, re.search(r'data-widths="(\d+) (\d+)"', dom).groups())
    assert viewport == 1400 and scroll <= viewport, f"the page is {scroll} px wide in a {viewport} px window"


def test_fad_is_shown_per_method_or_n_a_with_the_flags_that_enable_it(tmp_path):
    values = np.linspace(0.0, 10.0, 42)
    fake_results(tmp_path / "r", "synth-hc", {"passthrough": values, "mine": values + 1.0}, 6,
                 mine={"fad": 1.234, "fad_input": 9.5, "fad_model": {"name": "vggish"}})
    render(tmp_path / "r", tmp_path / "lb")
    text = (tmp_path / "lb" / "README.md").read_text()
    ranking = text.split("| method | SDR")[1].split("\n\n")[0].splitlines()
    fad = ("| method | SDR" + ranking[0]).split(" | ").index("FAD")
    cells = {line.split(" | ")[0]: line.split(" | ")[fad] for line in ranking[2:]}
    assert cells == {"| mine": "1.23", "| distorted input": "n/a"}
    assert f"`{FAD_ENABLE}`" in text  # the distorted input has none: the page says how to get it
