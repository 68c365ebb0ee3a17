"""The whole benchmark in one command (``bench run``), and its regression check (``bench check``).

``bench run``: build (or verify) the benchmark's data (``BENCHMARK_TASKS``: the default
tasks and the pedalboard ones), evaluate every registered baseline that has what it needs
(a neural one needs its checkpoint for the task), render the leaderboard.

``bench check``: the same data and evaluations, then every number the leaderboard publishes
is compared with ``leaderboard/published.json`` (within a tolerance per metric); any that
moved is printed, and the check fails. ``bench check --update`` rewrites the file: a
reviewed, deliberate act.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .atomic import write_json
from .data import DataError, load_manifest
from .evaluate import evaluate, format_summary
from .generate import generate_task
from .leaderboard import LEADERBOARD_DIR, TABLE_COLUMNS, render
from .recipes import BENCHMARK_TASKS, REPO_ROOT, get_recipe
from .verify import verify_task

BASELINES_DIR = REPO_ROOT / "baselines"
# Registered baselines: results name -> submission file. Order is evaluation order.
REGISTERED = {
    "passthrough": "passthrough.py",
    "oracle_irm": "oracle_irm.py",
    "aspade": "aspade.py",
    "demucs": "demucs.py",
    "waveunet": "waveunet.py",
    "crafx": "crafx.py",
    "openunmix": "openunmix.py",
}
PUBLISHED = LEADERBOARD_DIR / "published.json"
# Absolute tolerance per published number (dB for all but the multi-resolution mel distance).
TOLERANCES = {"sdr": 0.01, "si_sdr": 0.01, "delta_si_sdr": 0.01, "mel_distance": 0.01, "mr_mel_distance": 0.001}


class CheckError(RuntimeError):
    """Published numbers moved, or the regression check cannot run."""


def has_what_it_needs(name: str, task: str) -> bool:
    """A neural baseline needs a checkpoint for the task; the others need nothing."""
    from .neural import MODELS, checkpoint_path

    return name not in MODELS or checkpoint_path(name, task).is_file()


def ensure_data(data: str | Path, tasks: list[str], workers: int = 2) -> list[str]:
    """Build missing tasks (names or recipe files); check the hashes of existing ones.

    Returns the task names (the folders under ``data``).
    """
    names = []
    for task in tasks:
        name = get_recipe(task).name
        task_dir = Path(data) / name
        try:
            load_manifest(task_dir)
        except DataError:
            generate_task(task, data, workers=workers)
        report = verify_task(task_dir, sample=0)
        if not report.ok:
            raise CheckError(f"{task_dir} is damaged: {report.problems[:3]}; delete it and run again")
        names.append(name)
    return names


def evaluate_all(data: str | Path, results: str | Path, tasks: list[str], device: str = "cpu",
                 batch_size: int = 8) -> list[dict[str, Any]]:
    """Evaluate every registered baseline that has what it needs on every task."""
    summaries = []
    for name, filename in REGISTERED.items():
        for task in tasks:
            if not has_what_it_needs(name, task):
                print(f"{name} on {task}: skipped (no checkpoint; see baselines/checkpoints/README.md)")
                continue
            summary = evaluate(BASELINES_DIR / filename, task, data, results, device, batch_size, name=name)
            print(format_summary(summary) + ("  (up to date)" if summary.get("reused") else ""))
            summaries.append(summary)
    return summaries


def published_numbers(summaries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The numbers the leaderboard shows, keyed 'submission/task' then 'metric.statistic'."""
    numbers: dict[str, dict[str, Any]] = {}
    for s in summaries:
        entry: dict[str, Any] = {"data_fingerprint": s["data_fingerprint"], "applicable": s.get("applicable", True)}
        if entry["applicable"]:
            for column in TABLE_COLUMNS:
                for statistic in ("median", "q1", "q3", "mean"):
                    entry[f"{column}.{statistic}"] = s["metrics"][column][statistic]
            for level, stats in s["by_level"].items():
                entry[f"si_sdr.mean@{level}"] = stats["si_sdr"]["mean"]
        numbers[f"{s['submission']}/{s['task']}"] = entry
    return numbers


def compare(published: dict[str, Any], current: dict[str, dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
    """Every (entry, field, published, now) that differs beyond its tolerance."""
    moved = []
    tolerances = published.get("tolerances", TOLERANCES)
    for key in sorted(set(published["results"]) | set(current)):
        old, new = published["results"].get(key), current.get(key)
        if old is None or new is None:
            moved.append((key, "(entry)", "present" if old else "absent", "present" if new else "absent"))
            continue
        for field in sorted(set(old) | set(new)):
            a, b = old.get(field), new.get(field)
            if field in ("data_fingerprint", "applicable") or a is None or b is None:
                if a != b:
                    moved.append((key, field, a, b))
                continue
            tolerance = tolerances[field.split(".")[0]]
            if not (a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= tolerance)):
                moved.append((key, field, a, b))
    return moved


def run(data: str | Path = "data", results: str | Path = "results", tasks: list[str] | None = None,
        device: str = "cpu", workers: int = 2, leaderboard: str | Path = LEADERBOARD_DIR) -> list[dict[str, Any]]:
    """``bench run``: data, every baseline, the leaderboard."""
    names = ensure_data(data, list(tasks or BENCHMARK_TASKS), workers)
    summaries = evaluate_all(data, results, names, device)
    render(results, leaderboard)
    return summaries


def check(data: str | Path = "data", results: str | Path = "results", update: bool = False,
          device: str = "cpu", workers: int = 2, published_path: str | Path = PUBLISHED,
          extra: dict[str, dict[str, Any]] | None = None, tasks: list[str] | None = None) -> list[tuple[str, str, Any, Any]]:
    """``bench check``: recompute the published numbers; returns what moved (empty: all held).

    ``extra`` adds more published entries (the paper-demo scores) to compare or update.
    """
    names = ensure_data(data, list(tasks or BENCHMARK_TASKS), workers)
    current = published_numbers(evaluate_all(data, results, names, device))
    current.update(extra or {})
    path = Path(published_path)
    if update:
        write_json(path, {"tolerances": TOLERANCES, "results": current})
        return []
    if not path.is_file():
        raise CheckError(f"{path} does not exist; create it with `bench check --update`")
    return compare(json.loads(path.read_text()), current)
