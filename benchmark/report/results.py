"""Reading evaluated results: every ``results/SUBMISSION/TASK/summary.json`` and its per-example table."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd


def collect(results: str | Path) -> dict[str, dict[str, dict[str, Any]]]:
    """task -> submission -> summary (with its per-example table under '_table' when applicable)."""
    board: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(Path(results).glob("*/*/summary.json")):
        summary = json.loads(path.read_text())
        if summary.get("applicable", True):
            summary["_table"] = pd.read_parquet(path.with_name("metrics.parquet"))
        board.setdefault(summary["task"], {})[summary["submission"]] = summary
    return board
