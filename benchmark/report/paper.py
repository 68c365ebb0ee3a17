"""The paper's published numbers (``leaderboard/paper.csv``), as reference rows beside ours."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..paths import paper_csv


def load_paper(path: str | Path | None = None) -> pd.DataFrame:
    """The paper's published numbers, one row per (task, method, metric, statistic, level)."""
    paper = pd.read_csv(path or paper_csv(), comment="#", dtype={"level": "string", "approximate": "string"})
    return paper.fillna({"approximate": ""})


def paper_label(paper_task: str) -> str | None:
    """The paper's task label in a recipe's ``paper_task`` text, e.g. 'CEG-OD' in 'A (CEG-OD)'."""
    for label in ("CEG-OD", "CEG-HC", "SignalTrain-HC"):
        if f"({label}" in paper_task:
            return label
    return None


def paper_rows(paper: pd.DataFrame, label: str) -> tuple[list[str], list[list[str]]]:
    """The paper's medians per method for one of its tasks."""
    part = paper[(paper["paper_task"] == label) & paper["level"].isna()]
    header = ["method (paper)", "SI-SDR (dB)", "PEAQ ODG", "R_nonlin", "FAD"]
    rows = []
    for method, group in part.groupby("paper_method", sort=False):
        value = {(m, s): v for m, s, v in zip(group["metric"], group["statistic"], group["value"])}
        rows.append([method, f"{value[('si_sdr', 'median')]:.1f} [{value[('si_sdr', 'q1')]:.1f}, "
                     f"{value[('si_sdr', 'q3')]:.1f}]", f"{value[('peaq_odg', 'median')]:.2f}",
                     f"{value[('rnonlin', 'median')]:.3f}", f"{value[('fad', 'value')]:g}"])
    return header, rows


def paper_level_rows(paper: pd.DataFrame, label: str) -> tuple[list[str], list[list[str]]] | None:
    part = paper[(paper["paper_task"] == label) & paper["level"].notna()]
    if part.empty:
        return None
    levels = sorted({int(v) for v in part["level"]})
    header = ["method (paper)", *[str(v) for v in levels]]
    rows = []
    for method, group in part.groupby("paper_method", sort=False):
        by_level = {int(lv): (v, a) for lv, v, a in zip(group["level"], group["value"], group["approximate"])}
        rows.append([method, *[("~" if by_level[lv][1] == "yes" else "") + f"{by_level[lv][0]:.1f}" for lv in levels]])
    return header, rows
