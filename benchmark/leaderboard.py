"""``bench leaderboard``: tables and plots of every evaluated submission, per task.

Reads ``results/*/*/summary.json`` (and ``metrics.parquet``) and writes into ``leaderboard/``:

- ``README.md``: per task, the ranking (median [Q1, Q3] of each metric, real-time factor,
  parameters; oracles marked and listed apart, clip-consistent methods marked †; "n/a" where
  a method does not apply), the means with 95 % CI per level, paired Wilcoxon signed-rank
  tests on SI-SDR, and the paper's published numbers in a block of their own (measured on
  CEG / SignalTrain, never ranked);
- ``plots/TASK-box.png``, ``TASK-levels.png``, ``TASK-scatter.png``;
- ``index.html``: the same tables (sortable) and plots in one self-contained page.
"""
from __future__ import annotations

import base64
import html
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from .atomic import atomic_path
from .evaluate import COLUMNS
from .recipes import REPO_ROOT

LEADERBOARD_DIR = REPO_ROOT / "leaderboard"
DISPLAY = {"passthrough": "distorted input", "oracle_irm": "IRM", "aspade": "A-SPADE", "demucs": "Demucs v2",
           "waveunet": "Wave-U-Net", "crafx": "CRAFX", "openunmix": "Open-Unmix"}
CONSISTENT_MARK = "†"  # after the name of a clip-consistent method
TABLE_COLUMNS = ("sdr", "si_sdr", "delta_si_sdr", "mel_distance", "mr_mel_distance")
HEADERS = {"sdr": "SDR (dB)", "si_sdr": "SI-SDR (dB)", "delta_si_sdr": "ΔSI-SDR (dB)", "mel_distance": "mel dist. (dB)",
           "mr_mel_distance": "MR mel dist."}
LEVEL_NAMES = {"gain_db": "gain (dB)", "sdr_db": "input SDR (dB)", "drive_db": "drive (dB)"}


def display_name(submission: str) -> str:
    return DISPLAY.get(submission, submission)


def collect(results: str | Path) -> dict[str, dict[str, dict[str, Any]]]:
    """task -> submission -> summary (with its per-example table under '_table' when applicable)."""
    board: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(Path(results).glob("*/*/summary.json")):
        summary = json.loads(path.read_text())
        if summary.get("applicable", True):
            summary["_table"] = pd.read_parquet(path.with_name("metrics.parquet"))
        board.setdefault(summary["task"], {})[summary["submission"]] = summary
    return board


def ranked(entries: dict[str, dict[str, Any]]) -> list[str]:
    """Submissions in leaderboard order: real methods by median SI-SDR, then oracles, then n/a."""
    def key(name: str):
        s = entries[name]
        if not s.get("applicable", True):
            return (2, 0.0, name)
        return (1 if s.get("oracle") else 0, -(s["metrics"]["si_sdr"]["median"] or -np.inf), name)
    return sorted(entries, key=key)


def _cell(stats: dict[str, Any]) -> str:
    if stats["median"] is None:
        return "–"
    return f"{stats['median']:.2f} [{stats['q1']:.2f}, {stats['q3']:.2f}]"


def _parameters(count: int | None) -> str:
    if count is None:
        return "–"
    return f"{count / 1e6:.2f} M" if count >= 1e5 else f"{count:,}"


def ranking_rows(entries: dict[str, dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a task's ranking table."""
    header = ["method", *[HEADERS[c] for c in TABLE_COLUMNS], "real-time factor", "parameters"]
    rows = []
    for name in ranked(entries):
        s = entries[name]
        label = (display_name(name) + (" (oracle: sees the target)" if s.get("oracle") else "")
                 + (f" {CONSISTENT_MARK}" if s.get("clip_consistent") else ""))
        if not s.get("applicable", True):
            rows.append([label, *["n/a"] * (len(TABLE_COLUMNS) + 2)])
            continue
        rtf = s.get("real_time_factor")
        rows.append([label, *[_cell(s["metrics"][c]) for c in TABLE_COLUMNS],
                     "–" if rtf is None else f"{rtf:,.0f}×", _parameters(s.get("num_parameters"))])
    return header, rows


def level_rows(entries: dict[str, dict[str, Any]], column: str = "si_sdr") -> tuple[list[str], list[list[str]]]:
    """Mean ± 95 % CI of a metric per level, one row per applicable submission."""
    names = [n for n in ranked(entries) if entries[n].get("applicable", True)]
    levels = sorted({float(level) for n in names for level in entries[n]["by_level"]})
    header = ["method", *[f"{level:g}" for level in levels]]
    rows = []
    for name in names:
        cells = []
        for level in levels:
            stats = entries[name]["by_level"].get(f"{level:g}", {}).get(column)
            if not stats or stats["mean"] is None:
                cells.append("–")
            else:
                cells.append(f"{stats['mean']:.2f} ± {stats['ci95']:.2f}" if stats["ci95"] is not None
                             else f"{stats['mean']:.2f}")
        rows.append([display_name(name), *cells])
    return header, rows


def wilcoxon_rows(entries: dict[str, dict[str, Any]], column: str = "si_sdr") -> tuple[list[str], list[list[str]]]:
    """Paired two-sided Wilcoxon signed-rank tests on the same examples, Holm-corrected.

    Each cell: the median paired difference (row minus column, dB) and the corrected p-value.
    """
    names = [n for n in ranked(entries) if entries[n].get("applicable", True)]
    tables = {n: entries[n]["_table"].set_index("id")[column] for n in names}
    pairs, pvalues, deltas = [], [], []
    for a, b in itertools.combinations(names, 2):
        joined = pd.concat([tables[a], tables[b]], axis=1, join="inner").dropna()
        diff = joined.iloc[:, 0] - joined.iloc[:, 1]
        p = 1.0 if len(diff) == 0 or np.all(diff == 0) else float(scipy.stats.wilcoxon(diff).pvalue)
        pairs.append((a, b))
        pvalues.append(p)
        deltas.append(float(np.median(diff)) if len(diff) else float("nan"))
    order = np.argsort(pvalues)
    corrected = np.empty(len(pvalues))
    running = 0.0
    for rank, index in enumerate(order):  # Holm step-down
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[index]))
        corrected[index] = running
    result = {pair: (delta, p) for pair, delta, p in zip(pairs, deltas, corrected)}
    header = ["method", *[display_name(n) for n in names]]
    rows = []
    for a in names:
        cells = []
        for b in names:
            if a == b:
                cells.append("")
                continue
            delta, p = result[(a, b)] if (a, b) in result else (-result[(b, a)][0], result[(b, a)][1])
            cells.append(f"{delta:+.2f} (p={p:.2g}){' *' if p < 0.05 else ''}")
        rows.append([display_name(a), *cells])
    return header, rows


def load_paper(path: str | Path = LEADERBOARD_DIR / "paper.csv") -> pd.DataFrame:
    paper = pd.read_csv(path, comment="#", dtype={"level": "string", "approximate": "string"})
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
                     f"{value[('r_nonlin', 'median')]:.3f}", f"{value[('fad', 'value')]:g}"])
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


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plot_task(task: str, entries: dict[str, dict[str, Any]], plots: Path) -> list[Path]:
    """Box plots per metric, mean ± CI against the level, input-vs-output SI-SDR (PNG files)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in ranked(entries) if entries[n].get("applicable", True)]
    labels = [display_name(n) for n in names]
    written = []

    fig, axes = plt.subplots(1, len(TABLE_COLUMNS), figsize=(4 * len(TABLE_COLUMNS), 4))
    for ax, column in zip(axes, TABLE_COLUMNS):
        data = [entries[n]["_table"][column].dropna().to_numpy() for n in names]
        ax.boxplot(data)
        ax.set_xticks(range(1, len(names) + 1), labels, rotation=45, ha="right")
        ax.set_title(HEADERS[column] + (" ↑" if COLUMNS[column] else " ↓"))
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{task}: per-example scores (test split)")
    written.append(_save_figure(fig, plots / f"{task}-box.png"))

    level_name = next(iter(entries[n]["level_name"] for n in names))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, column in zip(axes, ("si_sdr", "delta_si_sdr")):
        for name, label in zip(names, labels):
            levels = sorted(entries[name]["by_level"], key=float)
            means = [entries[name]["by_level"][lv][column]["mean"] for lv in levels]
            cis = [entries[name]["by_level"][lv][column]["ci95"] or 0.0 for lv in levels]
            ax.errorbar([float(lv) for lv in levels], means, yerr=cis, marker="o", capsize=3, label=label)
        ax.set(xlabel=LEVEL_NAMES.get(level_name, level_name), ylabel=f"mean {HEADERS[column]} ± 95 % CI")
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


def _html_table(header: list[str], rows: list[list[str]], sortable: bool = True) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{"sortable" if sortable else ""}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


_SCRIPT = """
window.addEventListener('error', function (e) {
  document.getElementById('errors').textContent += (e.message || 'error') + '\\n';
});
function cellValue(text) {
  var m = text.replace(/[×,]/g, '').match(/^[-+]?\\d*\\.?\\d+(e[-+]?\\d+)?/i);
  return m ? parseFloat(m[0]) : null;
}
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, column) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var ascending = th.dataset.order !== 'asc';
      rows.sort(function (a, b) {
        var x = a.cells[column].textContent, y = b.cells[column].textContent;
        var u = cellValue(x), v = cellValue(y);
        var order = (u !== null && v !== null) ? u - v : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      table.querySelectorAll('th').forEach(function (h) { delete h.dataset.order; });
      th.dataset.order = ascending ? 'asc' : 'desc';
    });
  });
});
document.body.dataset.ready = 'yes';
"""

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
table.sortable th { cursor: pointer; background: #f3f3f3; }
th[data-order=asc]::after { content: ' ▲'; } th[data-order=desc]::after { content: ' ▼'; }
img { max-width: 100%; } .note { color: #555; font-size: 0.9em; } #errors { color: #b00; }
"""


def render(results: str | Path = "results", out: str | Path = LEADERBOARD_DIR) -> list[Path]:
    """Write README.md, index.html and the plots for every task that has results."""
    out = Path(out)
    board = collect(results)
    if not board:
        raise FileNotFoundError(f"no results under {results}: run `bench evaluate` (or `bench run`) first")
    paper = load_paper()
    md = ["# Leaderboard", "",
          "Every registered submission on every generated task, scored by `bench evaluate` on the test split "
          "(median [Q1, Q3] over examples; ↑ higher is better for SDR, SI-SDR, ΔSI-SDR; ↓ lower is better for "
          "the mel distances). Oracles see the clean target and are never ranked with the other methods. "
          + (f"{CONSISTENT_MARK} marks clip-consistent methods: their output keeps the input's unclipped samples "
             "and is at least the clipping level where the input is clipped (A-SPADE by construction, a "
             "network when trained with `bench train --consistent`). "
             if any(s.get("clip_consistent") for entries in board.values() for s in entries.values()) else "")
          + "Regenerate with `bench leaderboard` (or `bench run`).", ""]
    body = ["<h1>Leaderboard</h1>", f"<p class='note'>{html.escape(md[2])}</p>"]
    for task in sorted(board):
        entries = board[task]
        applicable = [n for n in entries if entries[n].get("applicable", True)]
        level_name = LEVEL_NAMES.get(entries[applicable[0]]["level_name"], "level") if applicable else "level"
        sections = [("Ranking", ranking_rows(entries))]
        if applicable:
            sections.append((f"Mean SI-SDR (dB) ± 95 % CI per {level_name}", level_rows(entries)))
            sections.append(("Paired Wilcoxon signed-rank tests on SI-SDR (row minus column: median "
                             "difference in dB, Holm-corrected p; * p < 0.05)", wilcoxon_rows(entries)))
        label = paper_label(next(iter(entries.values())).get("paper_task", ""))
        if label:
            place = "CEG" if label.startswith("CEG") else "SignalTrain"
            note = (f"Published by the paper for {label}: measured on {place}, not on this data, and read off its "
                    "figures (±0.1 dB); shown for reference, not ranked")
            sections.append((note, paper_rows(paper, label)))
            if (levels := paper_level_rows(paper, label)) is not None:
                sections.append((f"Paper: mean SI-SDR (dB) per input SDR on {place} (~: read approximately)", levels))
        md += [f"## {task}", ""]
        body.append(f"<h2 id='{task}'>{task}</h2>")
        for title, (header, rows) in sections:
            md += [f"**{title}**", "", _markdown(header, rows), ""]
            body += [f"<h3>{html.escape(title)}</h3>", _html_table(header, rows, sortable=title == "Ranking"
                                                                   or title.startswith("Mean"))]
        if applicable:
            for path in plot_task(task, entries, out / "plots"):
                md += [f"![{path.stem}](plots/{path.name})", ""]
                data = base64.b64encode(path.read_bytes()).decode()
                body.append(f"<img alt='{path.stem}' src='data:image/png;base64,{data}'>")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Distortion-removal leaderboard</title>"
            f"<style>{_STYLE}</style></head><body><pre id='errors'></pre>{''.join(body)}"
            f"<script>{_SCRIPT}</script></body></html>")
    written = sorted((out / "plots").glob("*.png"))
    for name, text in (("README.md", "\n".join(md) + "\n"), ("index.html", page)):
        with atomic_path(out / name) as temp:
            temp.write_text(text)
        written.append(out / name)
    return written

