"""The board's plots of one task: box plots per metric, means against the level, input vs output."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path
from ..baselines import display_name
from ..effects import LEVELS
from ..metrics import METRICS, METRICS_BY_NAME
from .tables import ranked


def plot_task(task: str, entries: dict[str, dict[str, Any]], plots: Path) -> list[Path]:
    """Box plots per metric, mean ± CI against the level, input-vs-output SI-SDR (PNG files)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in ranked(entries) if entries[n].get("applicable", True)]
    labels = [display_name(n) for n in names]
    written = []

    fig, axes = plt.subplots(1, len(METRICS), figsize=(4 * len(METRICS), 4))
    for ax, metric in zip(axes, METRICS):
        column = metric.name
        data = [entries[n]["_table"][column].dropna().to_numpy() for n in names]
        ax.boxplot(data)
        ax.set_xticks(range(1, len(names) + 1), labels, rotation=45, ha="right")
        ax.set_title(f"{metric.header} {metric.arrow}")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{task}: per-example scores (test split)")
    written.append(_save_figure(fig, plots / f"{task}-box.png"))

    level_name = next(iter(entries[n]["level_name"] for n in names))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, column in zip(axes, ("si_sdr", "delta_si_sdr")):
        for name, label in zip(names, labels):
            levels = sorted(entries[name]["by_level"], key=float)
            stats = [entries[name]["by_level"][lv][column] for lv in levels]
            means = [np.nan if s["mean"] is None else s["mean"] for s in stats]  # undefined: a gap
            cis = [s["ci95"] or 0.0 for s in stats]
            ax.errorbar([float(lv) for lv in levels], means, yerr=cis, marker="o", capsize=3, label=label)
        ax.set(xlabel=LEVELS[level_name].label if level_name in LEVELS else level_name,
               ylabel=f"mean {METRICS_BY_NAME[column].header} ± 95 % CI")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{task}: mean against the distortion level")
    written.append(_save_figure(fig, plots / f"{task}-levels.png"))

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, label in zip(names, labels):
        table = entries[name]["_table"]
        ax.scatter(table["si_sdr_input"], table["si_sdr"], s=12, label=label, alpha=0.7)
    lo, hi = ax.get_xlim()
    ax.plot([lo, hi], [lo, hi], color="grey", linewidth=1, linestyle="--")
    ax.set(xlabel="input SI-SDR (dB)", ylabel="output SI-SDR (dB)", title=f"{task}: input vs output SI-SDR")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    written.append(_save_figure(fig, plots / f"{task}-scatter.png"))
    return written


def _save_figure(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    with atomic_path(path) as temp:
        fig.savefig(temp, format="png", dpi=90)
    plt.close(fig)
    return path
