"""Statistics of a results table: what ``summary.json`` holds and ``bench evaluate`` prints."""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd
import scipy.stats

from ..metrics import METRICS, scored


def non_finite_counts(values: np.ndarray) -> dict[str, int]:
    """How many scores are undefined (NaN), +inf and -inf."""
    return {"undefined": int(np.isnan(values).sum()), "pos_inf": int(np.isposinf(values).sum()),
            "neg_inf": int(np.isneginf(values).sum())}


def _stats(values: pd.Series) -> dict[str, float | int | None]:
    """Median [Q1, Q3], mean and the 95 % confidence half-width of the mean (Student t), and
    counts: ``n`` defined scores, ``undefined`` (NaN), ``pos_inf`` / ``neg_inf`` (±inf).

    NaN scores (undefined) are left out. Infinite ones are kept: museval's SDR of a window
    reconstructed exactly is +inf, so an input that is unclipped in most windows has an
    infinite SDR; quartiles then may be +inf, and the mean is +inf with no interval.
    """
    v = values.to_numpy(dtype=np.float64)
    counts = non_finite_counts(v)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return {"n": 0, "median": None, "q1": None, "q3": None, "mean": None, "ci95": None, **counts}
    big = np.finfo(np.float64).max
    quartiles = np.percentile(np.clip(v, -big, big), [25, 50, 75])  # interpolate without inf - inf
    overflow = np.abs(quartiles) >= big / 2
    quartiles[overflow] = np.copysign(np.inf, quartiles[overflow])
    q1, median, q3 = quartiles
    with np.errstate(invalid="ignore"):
        mean = float(v.mean())
    finite = np.isfinite(v).all()
    ci = float(scipy.stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 and finite else None
    return {"n": int(v.size), "median": float(median), "q1": float(q1), "q3": float(q3),
            "mean": None if math.isnan(mean) else mean, "ci95": ci, **counts}


def metric_columns(opt_in: Iterable[str] = ()) -> list[str]:
    """Every scored column of metrics.parquet (with the opt-in metrics named): outputs and inputs,
    then the derived gains (ΔSI-SDR)."""
    return [c for m in scored(opt_in) for c in (m.name, f"{m.name}_input")] + [m.name for m in METRICS if m.gain_of]


def summarise(table: pd.DataFrame, level_name: str, opt_in: Iterable[str] = ()) -> dict[str, Any]:
    """Overall statistics per metric (the opt-in ones named too), and per level (gain or input
    SDR); compute time (wall and CPU seconds, real-time factors: audio seconds per compute
    second); on hard-clipping tasks (a ``clip_consistent`` column), whether every output was
    clip-consistent."""
    columns = metric_columns(opt_in)
    by_level = {
        f"{level:g}": {column: _stats(group[column]) for column in columns}
        for level, group in table.groupby("level", sort=True)
    }
    compute = float(table["seconds"].sum())
    cpu = float(table["cpu_seconds"].sum()) if "cpu_seconds" in table else None
    audio = float(table["audio_seconds"].sum())
    failures = int((~table["clip_consistent"].astype(bool)).sum()) if "clip_consistent" in table else None
    return {
        "examples": len(table),
        "clips": int(table["clip"].nunique()) if "clip" in table else None,
        "metrics": {column: _stats(table[column]) for column in columns},
        "level_name": level_name,
        "by_level": by_level,
        "audio_seconds": audio,
        "compute_seconds": compute,
        "real_time_factor": audio / compute if compute > 0 else None,
        "cpu_seconds": cpu,
        "real_time_factor_cpu": audio / cpu if cpu else None,
        "clip_consistent": None if failures is None else failures == 0,  # checked, on hard-clipping tasks only
        "clip_consistency_failures": failures,
        "metric_seconds": {m.name: float(table[f"metric_seconds_{m.name}"].sum()) for m in scored(opt_in)
                           if f"metric_seconds_{m.name}" in table},
    }


def _factor(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}x"


def consistency_note(summary: dict[str, Any]) -> str | None:
    """What the clip-consistency check found, when there is something to say: it held, or a claim failed."""
    failures, claimed = summary.get("clip_consistency_failures"), summary.get("clip_consistent_claimed")
    if failures is None:
        return None
    if failures == 0:
        return f"clip-consistent on all {summary['examples']} examples (checked)"
    if claimed:
        return f"claims clip-consistency, not held on {failures} of {summary['examples']} examples"
    return None


def format_summary(summary: dict[str, Any]) -> str:
    """A short table: median [Q1, Q3] over examples of each metric, for the input and the output."""
    head = f"{summary['submission']} on {summary['task']}"
    if not summary.get("applicable", True):
        return f"{head}: not applicable ({summary['reason']})"
    lines = [f"{head} ({summary['examples']} examples; real-time factor {_factor(summary['real_time_factor'])} "
             f"wall, {_factor(summary.get('real_time_factor_cpu'))} per CPU second"
             + (", oracle" if summary.get("oracle") else "") + ")",
             f"  {'metric':<16} {'input':>34} {'output':>34}   (median [Q1, Q3] over examples)"]
    for m in METRICS:
        if m.name not in summary["metrics"]:  # an opt-in metric not asked for
            continue
        columns = (m.name,) if m.gain_of else (f"{m.name}_input", m.name)
        cells = [_cell(summary["metrics"][column]) for column in columns]
        lines.append(f"  {m.name:<16} {'' if m.gain_of else cells[0]:>34} {cells[-1]:>34}")
    if summary.get("fad") is not None:
        lines.append(f"  {'fad (' + summary['fad_model']['name'] + ')':<16} {summary['fad_input']:>34.3f} {summary['fad']:>34.3f}")
    if (note := consistency_note(summary)) is not None:
        lines.append(f"  {note}")
    if summary.get("metric_seconds"):
        lines.append("  metric compute time of the outputs (s): "
                     + ", ".join(f"{name} {spent:.1f}" for name, spent in summary["metric_seconds"].items()))
    return "\n".join(lines)


def non_finite(stats: dict[str, Any]) -> str:
    """The counts of infinite and undefined scores behind a statistic, e.g. '6 × +∞'; '' when none."""
    parts = [f"{stats.get(key, 0)} × {sign}" for key, sign in (("pos_inf", "+∞"), ("neg_inf", "−∞"))
             if stats.get(key, 0)]
    if stats.get("undefined", 0):
        parts.append(f"{stats['undefined']} undefined")
    return ", ".join(parts)


def counted(text: str, stats: dict[str, Any]) -> str:
    """A statistic's text followed by the counts of the infinite and undefined scores behind it, if any."""
    return f"{text} ({counts})" if (counts := non_finite(stats)) else text


def _cell(stats: dict[str, Any]) -> str:
    return counted("n/a" if stats["median"] is None else f"{stats['median']:.2f} [{stats['q1']:.2f}, {stats['q3']:.2f}]",
                   stats)
