"""The board's plots of one task: box plots per metric, means against the level, input vs output.

Every method keeps one colour on every plot of every task (:func:`colours`); legends sit
outside the axes; infinite and undefined values, which cannot be drawn, are counted on the plot.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path
from ..baselines import BASELINES
from ..effects import LEVELS
from ..metrics import METRICS, METRICS_BY_NAME
from ..harness.summary import non_finite, non_finite_counts
from .tables import ranked

BOXES_PER_ROW = 4  # box plots (one per metric) per row of the box-plot figure
# Matplotlib's tab10 without its grey (the diagonal of the scatter plot is grey), then tab20's light shades.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
           "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5")


def colours(board: dict[str, dict[str, dict[str, Any]]]) -> dict[str, str]:
    """One colour per submission for the whole board: each registered baseline its own (in registry
    order), then the other submissions in the order of their names (the palette repeats after 18)."""
    others = sorted({name for entries in board.values() for name in entries} - set(BASELINES))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate([*BASELINES, *others])}


def plot_task(task: str, entries: dict[str, dict[str, Any]], plots: Path, colour: dict[str, str]) -> list[Path]:
    """Box plots per metric, mean ± CI against the level, input-vs-output SI-SDR (PNG files)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in ranked(entries) if entries[n].get("applicable", True)]
    labels = [entries[n]["label"] for n in names]
    written = []

    shown = [m for m in METRICS if any(m.name in entries[n]["_table"] for n in names)]  # opt-in ones if computed
    rows = -(-len(shown) // BOXES_PER_ROW)
    fig, axes = plt.subplots(rows, BOXES_PER_ROW, figsize=(4 * BOXES_PER_ROW, 4.4 * rows), layout="constrained",
                             squeeze=False)
    for ax in axes.flat[len(shown):]:
        ax.set_axis_off()
    for ax, metric in zip(axes.flat, shown):
        values = [entries[n]["_table"][metric.name].to_numpy(dtype=np.float64) if metric.name in entries[n]["_table"]
                  else None for n in names]  # None: an opt-in metric not computed for this method
        boxes = ax.boxplot([np.array([]) if v is None else v[np.isfinite(v)] for v in values], patch_artist=True,
                           medianprops={"color": "black"})
        for box, name in zip(boxes["boxes"], names):
            box.set(facecolor=colour[name], alpha=0.6)
        ticks = [label + ("\n(not computed)" if v is None else f"\n({note})" if (note := non_finite(non_finite_counts(v)))
                          else "") for label, v in zip(labels, values)]
        ax.set_xticks(range(1, len(names) + 1), ticks, rotation=45, ha="right", fontsize=8)
        ax.set_title(f"{metric.header} {metric.arrow}")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{task}: per-example scores (test split; values that cannot be drawn are counted under the name)")
    written.append(_save_figure(fig, plots / f"{task}-box.png"))

    level_name = next(iter(entries[n]["level_name"] for n in names))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
    missing = []
    for ax, column in zip(axes, ("si_sdr", "delta_si_sdr")):
        for name, label in zip(names, labels):
            levels = sorted(entries[name]["by_level"], key=float)
            stats = [entries[name]["by_level"][lv][column] for lv in levels]
            means = np.array([np.nan if s["mean"] is None else s["mean"] for s in stats])
            cis = [s["ci95"] or 0.0 for s in stats]
            ax.errorbar([float(lv) for lv in levels], np.where(np.isfinite(means), means, np.nan), yerr=cis,
                        marker="o", capsize=3, label=label, color=colour[name])
            if note := non_finite(non_finite_counts(means)):
                missing.append(f"{label}, {METRICS_BY_NAME[column].header}: {note} of {len(levels)} means")
        ax.set(xlabel=LEVELS[level_name].label if level_name in LEVELS else level_name,
               ylabel=f"mean {METRICS_BY_NAME[column].header} ± 95 % CI")
        ax.grid(alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper", fontsize=8)
    fig.suptitle(f"{task}: mean against the distortion level"
                 + (f"\nnot drawn: {'; '.join(missing)}" if missing else ""))
    written.append(_save_figure(fig, plots / f"{task}-levels.png"))

    fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
    missing = []
    for name, label in zip(names, labels):
        table = entries[name]["_table"]
        x, y = table["si_sdr_input"].to_numpy(np.float64), table["si_sdr"].to_numpy(np.float64)
        drawn = np.isfinite(x) & np.isfinite(y)
        ax.scatter(x[drawn], y[drawn], s=12, label=label, alpha=0.7, color=colour[name])
        if not drawn.all():
            missing.append(f"{label}: {int((~drawn).sum())}")
    lo, hi = ax.get_xlim()
    ax.plot([lo, hi], [lo, hi], color="grey", linewidth=1, linestyle="--")
    ax.set(xlabel="input SI-SDR (dB)", ylabel="output SI-SDR (dB)",
           title=f"{task}: input vs output SI-SDR" + (f"\nnot drawn (±∞ or undefined): {', '.join(missing)}"
                                                      if missing else ""))
    fig.legend(loc="outside right upper", fontsize=8)
    ax.grid(alpha=0.3)
    written.append(_save_figure(fig, plots / f"{task}-scatter.png"))
    return written


def _save_figure(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    with atomic_path(path) as temp:
        fig.savefig(temp, format="png", dpi=90)
    plt.close(fig)
    return path
