"""The full board: the published leaderboard's tasks with enough source clips for per-clip tests
(``FULL_TASKS``: the sampled tasks and their transfer tests, 20 test clips x 7 levels each), beside the quick board of
``bench run`` (``BENCHMARK_TASKS``: the synthetic tasks' first ``QUICK_EXAMPLES`` examples, built in minutes).

Evaluating every baseline on the full tasks takes the better part of an hour on 2 cores
(A-SPADE most): too long for every CI run. So their results are published whole, per example,
in ``leaderboard/results/SUBMISSION/TASK/`` (``summary.json`` and ``metrics.parquet`` as ``bench
evaluate`` writes them: a researcher pairs their own model's rows with them), the test
examples' SHA-256 in ``published.json`` (``examples``), and checked:

- by ``bench check`` (CI), on a fixed sample: the first :data:`SAMPLE_EXAMPLES` test examples of
  each task (its first clips at every level) are generated on their own and every baseline
  is evaluated on them; each example must have its published hash, each score its published
  row's value (within the metric's tolerance);
- by ``bench check --full``, on every example;
- always: the published numbers must be those of the published rows (the harness's statistics
  recomputed from ``metrics.parquet``).

``bench check --update --full`` evaluates in full and publishes rows, hashes and numbers.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from . import paths
from .atomic import atomic_path, write_json
from .dataset import iter_examples
from .harness.summary import metric_columns, summarise
from .metrics import METRICS
from .report.drift import Moved, within

SAMPLE_EXAMPLES = 7  # checked on every CI run: the first test clip of a task at all 7 levels


def example_hashes(task_dir: Path, split: str = "test") -> dict[str, str]:
    """id -> SHA-256 of every example of a split (``shards.example_sha256``)."""
    return {row["id"]: row["sha256"] for row in iter_examples(task_dir, split, columns=["id", "sha256"])}


def hash_differences(task: str, published: dict[str, str], now: dict[str, str]) -> list[Moved]:
    """Examples whose bytes differ from the published ones (or that were not published)."""
    return [(f"data/{task}", f"sha256@{example}", published.get(example, "absent"), digest)
            for example, digest in sorted(now.items()) if published.get(example) != digest]


def publish_results(summaries: Iterable[dict[str, Any]], results: Path, published_results: Path,
                    tasks: Iterable[str], submissions: Iterable[str] | None = None) -> None:
    """Replace the published results of ``tasks`` (only those of ``submissions`` if given) with
    the evaluations ``summaries`` describe (their ``summary.json`` and ``metrics.parquet`` under
    ``results``)."""
    tasks = set(tasks)
    submissions = None if submissions is None else set(submissions)
    for old in list(published_results.glob("*/*")):
        if old.name in tasks and (submissions is None or old.parent.name in submissions):
            shutil.rmtree(old)
    for summary in summaries:
        if summary["task"] not in tasks:
            continue
        source = Path(results) / summary["submission"] / summary["task"]
        target = published_results / summary["submission"] / summary["task"]
        if (source / "metrics.parquet").is_file():
            with atomic_path(target / "metrics.parquet") as temp:
                shutil.copyfile(source / "metrics.parquet", temp)
        written = json.loads((source / "summary.json").read_text())
        write_json(target / "summary.json", {**written, "submission_file": _in_repository(written["submission_file"]),
                                             "files": [_in_repository(f) for f in written.get("files", [])]})


def _in_repository(path: str) -> str:
    """A path of the repository's shelf as a path relative to the repository (as published)."""
    try:
        return str(Path(path).resolve().relative_to(paths.repository()))
    except ValueError:
        return path


def row_differences(published_dir: Path, now_dir: Path, key: str, tolerances: dict[str, float]) -> list[Moved]:
    """Scores of the examples evaluated now (``now_dir/metrics.parquet``) that moved from their
    published rows beyond their metric's tolerance; fields are ``METRIC@EXAMPLE``."""
    published = pd.read_parquet(published_dir / "metrics.parquet").set_index("id")
    now = pd.read_parquet(now_dir / "metrics.parquet").set_index("id")
    columns = [c for c in metric_columns([m.name for m in METRICS if m.enable]) if c in now and c in published]
    moved: list[Moved] = []
    for example in now.index:
        if example not in published.index:
            moved.append((key, f"(row {example})", "absent", "present"))
            continue
        for column in columns:
            a, b = float(published.at[example, column]), float(now.at[example, column])
            if not within(a, b, tolerances[column.removesuffix("_input")]):
                moved.append((key, f"{column}@{example}", a, b))
    return moved


def evaluation_differences(summaries: Iterable[dict[str, Any]], published_results: Path, results: Path,
                           tolerances: dict[str, float]) -> list[Moved]:
    """What moved between the evaluations ``summaries`` describe (under ``results``) and their
    published results: a missing entry, a change of applicability, or the rows' scores."""
    moved: list[Moved] = []
    for summary in summaries:
        key, where = f"{summary['submission']}/{summary['task']}", Path(summary["submission"]) / summary["task"]
        applicable = summary.get("applicable", True)
        if not (published_results / where / "summary.json").is_file():
            moved.append((key, "(published rows)", "absent", "present"))
        elif json.loads((published_results / where / "summary.json").read_text()).get("applicable", True) != applicable:
            moved.append((key, "applicable", not applicable, applicable))
        elif applicable:
            moved += row_differences(published_results / where, Path(results) / where, key, tolerances)
    return moved


def summaries_from_rows(published_results: Path, tasks: Iterable[str]) -> list[dict[str, Any]]:
    """The published summaries of ``tasks``, their statistics recomputed from their rows."""
    tasks = set(tasks)
    summaries = []
    for path in sorted(published_results.glob("*/*/summary.json")):
        summary = json.loads(path.read_text())
        if summary["task"] not in tasks:
            continue
        if summary.get("applicable", True):
            table = pd.read_parquet(path.with_name("metrics.parquet"))
            summary.update(summarise(table, summary["level_name"], summary.get("opt_in_metrics", ())))
        summaries.append(summary)
    return summaries
