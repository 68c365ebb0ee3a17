"""Reading evaluated results: every ``results/SUBMISSION/TASK/summary.json`` and its per-example table."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from ..baselines import display_name


def collect(results: str | Path, submissions: Iterable[str] | None = None,
            tasks: Iterable[str] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """task -> submission -> summary (with its per-example table under '_table' when applicable
    and its name on the board under 'label'); only ``submissions`` and ``tasks`` when given.

    Two submissions declaring the same display name are told apart by their results names.
    Tables of results made before the harness recorded each example's source clip (``clip``)
    get it from the index: ``index // number of levels``, as the grid of a test split lays it out.
    """
    wanted = None if submissions is None else set(submissions)
    wanted_tasks = None if tasks is None else set(tasks)
    board: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(Path(results).glob("*/*/summary.json")):
        summary = json.loads(path.read_text())
        if (wanted is not None and summary["submission"] not in wanted) or (
                wanted_tasks is not None and summary["task"] not in wanted_tasks):
            continue
        if summary.get("applicable", True):
            table = pd.read_parquet(path.with_name("metrics.parquet"))
            if "clip" not in table:
                table["clip"] = table["index"] // max(1, len(summary["by_level"]))
            summary["_table"] = table
        summary["label"] = display_name(summary["submission"], summary.get("display_name"))
        board.setdefault(summary["task"], {})[summary["submission"]] = summary
    owners = {(s["label"], s["submission"]) for entries in board.values() for s in entries.values()}
    shared = {label for label, count in Counter(label for label, _ in owners).items() if count > 1}
    for entries in board.values():
        for s in entries.values():
            if s["label"] in shared:
                s["label"] = f"{s['label']} ({s['submission']})"
    return board
