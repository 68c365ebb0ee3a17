"""`bench leaderboard`, `bench check` and the static page (in headless Chromium)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from benchmark.harness.evaluate import evaluate
from benchmark.dataset.generate import generate_task
from benchmark.report.page import render
from benchmark.report.paper import load_paper
from benchmark.report.results import collect
from benchmark.report.statistics import wilcoxon_rows
from benchmark.pipeline import compare, published_numbers
from conftest import REPO_ROOT, require, small_recipe

BASELINES = REPO_ROOT / "baselines"


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


def test_clip_consistent_methods_are_marked_from_their_summary(board, tmp_path):
    """The mark comes from the submission (its summary), and the note only when some method has it."""
    render(board / "results", tmp_path / "before")
    assert "†" not in (tmp_path / "before" / "README.md").read_text()
    results = tmp_path / "results"
    shutil.copytree(board / "results", results)
    kept = tmp_path / "kept.py"  # the input itself is trivially clip-consistent
    kept.write_text("class Model:\n    sample_rate = 16000\n    clip_consistent = True\n"
                    "    def __init__(self, task, device='cpu'): pass\n    def __call__(self, x): return x\n")
    assert evaluate(kept, "tiny-hc", board / "data", results, progress=False)["clip_consistent"] is True
    assert json.loads((results / "half" / "tiny-hc" / "summary.json").read_text())["clip_consistent"] is False
    render(results, tmp_path / "after")
    text = (tmp_path / "after" / "README.md").read_text()
    assert "| kept † |" in text and "| half |" in text and "† marks clip-consistent methods" in text


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


def test_wilcoxon_matches_scipy_on_the_same_examples(board):
    entries = collect(board / "results")["tiny-hc"]
    header, rows = wilcoxon_rows(entries)
    a = entries["passthrough"]["_table"].set_index("id")["si_sdr"]
    b = entries["oracle_irm"]["_table"].set_index("id")["si_sdr"]
    p = scipy.stats.wilcoxon(a - b.loc[a.index]).pvalue
    cell = rows[[r[0] for r in rows].index("distorted input")][header.index("IRM")]
    delta, p_holm = re.match(r"([-+]\d+\.\d+) \(p=([\d.e-]+)\)", cell).groups()
    assert float(delta) == pytest.approx(np.median(a - b.loc[a.index]), abs=0.01)
    assert p * 0.95 <= float(p_holm) <= min(1, 3 * p) * 1.05  # Holm over 3 pairs (printed to 2 digits)


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
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require("Debian's chromium is not installed", chromium is not None)
    render(board / "results", board / "lb")
    page = (board / "lb" / "index.html").resolve()
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page.read_text())  # nothing to fetch
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120).stdout
    assert 'data-ready="yes"' in dom, "the page's script did not run to its end"
    errors = re.search(r'<pre id="errors">(.*?)</pre>', dom, re.S)
    assert errors is not None and errors.group(1).strip() == ""
    for task in ("tiny-hc", "tiny-sdr"):
        assert f'<h2 id="{task}">' in dom
    assert dom.count("<table") >= 2 * 4 and dom.count("data:image/png;base64,") == 6


def test_metrics_table_has_one_row_per_example(board):
    table = pd.read_parquet(board / "results" / "half" / "tiny-sdr" / "metrics.parquet")
    assert len(table) == 14 and table["id"].is_unique


def test_bench_check_end_to_end(tmp_path, capsys):
    """--update publishes; an unchanged rerun holds; a moved number fails with a table."""
    from benchmark.cli import main as bench

    recipe = small_recipe(tmp_path, "synth-hc", name="tiny-check-hc")
    args = ["check", "--task", recipe, "--data", str(tmp_path / "data"), "--results", str(tmp_path / "results"),
            "--leaderboard", str(tmp_path), "--demo-dir", ""]
    assert bench(args + ["--update"]) == 0
    published = json.loads((tmp_path / "published.json").read_text())
    assert {"passthrough/tiny-check-hc", "oracle_irm/tiny-check-hc", "aspade/tiny-check-hc"} <= set(published["results"])
    capsys.readouterr()
    assert bench(args) == 0 and "every published number holds" in capsys.readouterr().out
    published["results"]["aspade/tiny-check-hc"]["si_sdr.median"] += 0.5
    (tmp_path / "published.json").write_text(json.dumps(published))
    assert bench(args) == 1
    out = capsys.readouterr().out
    assert "1 published number(s) moved" in out and "aspade/tiny-check-hc" in out and "si_sdr.median" in out


def test_ranking_orders_by_median_si_sdr_with_zero_and_undefined_medians():
    from benchmark.report.tables import ranked

    def entry(median, oracle=False):
        return {"metrics": {"si_sdr": {"median": median}}, "oracle": oracle}

    entries = {"zero": entry(0.0), "minus": entry(-1.0), "undefined": entry(None), "plus": entry(2.0),
               "oracle": entry(30.0, oracle=True), "na": {"applicable": False}}
    assert ranked(entries) == ["plus", "zero", "minus", "undefined", "oracle", "na"]
