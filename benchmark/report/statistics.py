"""Paired significance tests between methods, per source clip.

The examples of a test split are not independent: each source clip is distorted at every
level of the grid. So each method's score is first averaged over the levels of each clip,
and the two-sided Wilcoxon signed-rank test runs on the paired per-clip means (``n`` clips,
an exact test for small ``n``), Holm-corrected over all pairs of methods. With ``n`` clips
the smallest two-sided p-value the test can give is ``2 / 2**n``; when even that, after
Holm's correction, is not below 5 %, the board says that there are too few clips.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from .tables import ranked

ALPHA = 0.05
ENOUGH_CLIPS = 20  # source clips per task of the published board: enough for these tests to mean something


@dataclass(frozen=True)
class PairedTest:
    """One pair of methods: the median of the per-clip differences (a minus b) and the p-values."""

    a: str
    b: str
    clips: int
    median_difference: float
    p: float
    p_holm: float = float("nan")


def _paired(a: pd.DataFrame, b: pd.DataFrame, column: str) -> pd.Series:
    """Per clip: mean of a minus mean of b over the examples both define (NaN and infinite ones left out)."""
    joined = a[["id", "clip", column]].merge(b[["id", column]], on="id", suffixes=("", "_b"))
    joined = joined[np.isfinite(joined[column]) & np.isfinite(joined[f"{column}_b"])]
    means = joined.groupby("clip")[[column, f"{column}_b"]].mean()
    return means[column] - means[f"{column}_b"]


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down correction of several p-values (same order)."""
    corrected = np.empty(len(pvalues))
    running = 0.0
    for rank, index in enumerate(np.argsort(pvalues)):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[index]))
        corrected[index] = running
    return corrected.tolist()


def paired_tests(entries: dict[str, dict[str, Any]], column: str = "si_sdr") -> list[PairedTest]:
    """Wilcoxon signed-rank tests on per-clip means between every two applicable methods, Holm-corrected."""
    names = [n for n in ranked(entries) if entries[n].get("applicable", True)]
    tests = []
    for a, b in itertools.combinations(names, 2):
        diff = _paired(entries[a]["_table"], entries[b]["_table"], column)
        p = 1.0 if len(diff) == 0 or np.all(diff == 0) else float(scipy.stats.wilcoxon(diff).pvalue)
        tests.append(PairedTest(a, b, len(diff), float(np.median(diff)) if len(diff) else float("nan"), p))
    return [PairedTest(t.a, t.b, t.clips, t.median_difference, t.p, q)
            for t, q in zip(tests, holm([t.p for t in tests]))]


def smallest_p(clips: int, pairs: int) -> float:
    """The smallest Holm-corrected p a two-sided exact Wilcoxon test on ``clips`` pairs can give."""
    return min(1.0, pairs * 2.0 / 2.0**clips)


def clips_note(entries: dict[str, dict[str, Any]]) -> str:
    """What a task's test split holds (source clips x levels), below :data:`ENOUGH_CLIPS` clips that
    it is a quick board, and on a transfer test which task the submissions ran as."""
    tables = [s["_table"] for s in entries.values() if s.get("applicable", True)]
    if not tables:
        return ""
    clips, levels = max(t["clip"].nunique() for t in tables), max(t["level"].nunique() for t in tables)
    note = f"{clips} source clips × {levels} levels = {max(len(t) for t in tables)} test examples"
    if clips < ENOUGH_CLIPS:
        note += f"; a quick board: too few clips for the per-clip tests to show much (the published board has {ENOUGH_CLIPS})"
    for trained in sorted({s["model_task"] for s in entries.values() if s.get("model_task")}):
        note += (f"; a transfer test: every method runs as on `{trained}` (a network with its `{trained}` weights), "
                 f"on recorded instruments `{trained}` never plays")
    return note


def tests_title(entries: dict[str, dict[str, Any]], tests: list[PairedTest], header: str = "SI-SDR") -> str:
    """The heading of the tests table: what was tested on what, and whether the clips are enough."""
    clips = min((t.clips for t in tests), default=0)
    levels = max((len(s["by_level"]) for s in entries.values() if s.get("applicable", True)), default=0)
    title = (f"Paired Wilcoxon signed-rank tests on {header} per source clip: each method's mean over the {levels} "
             f"levels of each of the {clips} test clips, paired by clip (row minus column: median difference in dB; "
             f"p Holm-corrected over {len(tests)} pairs; * p < {ALPHA:g})")
    if tests and smallest_p(clips, len(tests)) >= ALPHA:
        title += (f". {clips} clips: too few for a test at {ALPHA * 100:g} % (the smallest p an exact two-sided test "
                  f"on {clips} clips can give is 2/2^{clips} = {2.0 / 2.0**clips:.2g}, "
                  f"{smallest_p(clips, len(tests)):.2g} after Holm's correction over {len(tests)} pairs)")
    return title


def wilcoxon_rows(entries: dict[str, dict[str, Any]], tests: list[PairedTest]) -> tuple[list[str], list[list[str]]]:
    """The tests as a table: each cell the median per-clip difference (row minus column, dB) and
    the Holm-corrected p-value."""
    names = [n for n in ranked(entries) if entries[n].get("applicable", True)]
    result = {}
    for t in tests:
        result[t.a, t.b] = (t.median_difference, t.p_holm)
        result[t.b, t.a] = (-t.median_difference, t.p_holm)
    header = ["method", *[entries[n]["label"] for n in names]]
    rows = []
    for a in names:
        cells = []
        for b in names:
            if a == b:
                cells.append("")
                continue
            delta, p = result[a, b]
            cells.append(f"{delta:+.2f} (p={p:.2g}){' *' if p < ALPHA else ''}")
        rows.append([entries[a]["label"], *cells])
    return header, rows
