"""``bench leaderboard``: tables and plots of every evaluated submission, per task.

Reads ``results/*/*/summary.json`` (and ``metrics.parquet``) and writes into ``leaderboard/``:

- ``README.md``: per task, the ranking (median [Q1, Q3] of each metric, real-time factor,
  parameters; oracles marked and listed apart, clip-consistent methods marked †; "n/a" where
  a method does not apply), the means with 95 % CI per level, paired Wilcoxon signed-rank
  tests on SI-SDR, and the paper's published numbers in a block of their own (measured on
  CEG / SignalTrain, never ranked);
- ``plots/TASK-box.png``, ``TASK-levels.png``, ``TASK-scatter.png``;
- ``index.html``: the same tables (sortable) and plots in one self-contained page
  (its style and script are ``page.css`` and ``page.js`` beside this module).
"""
from __future__ import annotations

import base64
import html
import os
import shutil
from pathlib import Path

from ..atomic import atomic_path
from ..effects import LEVELS
from ..errors import BenchmarkError
from ..metrics import METRICS
from .paper import load_paper, paper_label, paper_level_rows, paper_rows
from .plots import plot_task
from .results import collect
from .statistics import wilcoxon_rows
from .tables import CONSISTENT_MARK, html_table, level_rows, markdown, ranking_rows

_ASSETS = Path(__file__).resolve().parent


def _headers(higher_is_better: bool) -> str:
    """The metrics of one direction, by their headers without units: 'SDR, SI-SDR, ...'."""
    return ", ".join(m.header.split(" (")[0] for m in METRICS if m.higher_is_better == higher_is_better)


def render(results: str | Path, out: str | Path) -> list[Path]:
    """Write README.md, index.html and the plots for every task that has results."""
    final = Path(out)
    if final.exists() and not final.is_dir():
        raise BenchmarkError(f"{final} is a file, not a folder for the board")
    board = collect(results)
    if not board:
        raise BenchmarkError(f"no results under {results}: run `bench evaluate` (or `bench run`) first")
    out = final.parent / f".{final.name}.render-{os.getpid()}"  # rendered whole here, then swapped in
    shutil.rmtree(out, ignore_errors=True)
    try:
        _write_board(board, out)
        return _swap_in(out, final)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _swap_in(staging: Path, out: Path) -> list[Path]:
    """Move a rendered board into ``out``: the plots folder by one rename, then the two pages."""
    out.mkdir(parents=True, exist_ok=True)
    old = out / f".plots.old-{os.getpid()}"
    if (out / "plots").exists():
        os.replace(out / "plots", old)
    os.replace(staging / "plots", out / "plots")
    shutil.rmtree(old, ignore_errors=True)
    for name in ("README.md", "index.html"):
        os.replace(staging / name, out / name)
    return sorted((out / "plots").glob("*.png")) + [out / "README.md", out / "index.html"]


def _write_board(board: dict, out: Path) -> None:
    """README.md, index.html and plots/ of a collected board, into the folder ``out``."""
    paper = load_paper()
    md = ["# Leaderboard", "",
          "Every registered submission on every generated task, scored by `bench evaluate` on the test split "
          f"(median [Q1, Q3] over examples; ↑ higher is better for {_headers(True)}; ↓ lower is better for "
          f"{_headers(False)}). Oracles see the clean target and are never ranked with the other methods. "
          + (f"{CONSISTENT_MARK} marks clip-consistent methods: their output keeps the input's unclipped samples "
             "and is at least the clipping level where the input is clipped (A-SPADE by construction, a "
             "network when trained with `bench train --consistent`). "
             if any(s.get("clip_consistent") for entries in board.values() for s in entries.values()) else "")
          + "Regenerate with `bench leaderboard` (or `bench run`).", ""]
    body = ["<h1>Leaderboard</h1>", f"<p class='note'>{html.escape(md[2])}</p>"]
    for task in sorted(board):
        entries = board[task]
        applicable = [n for n in entries if entries[n].get("applicable", True)]
        level = entries[applicable[0]]["level_name"] if applicable else None
        level_name = LEVELS[level].label if level in LEVELS else "level"
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
            md += [f"**{title}**", "", markdown(header, rows), ""]
            body += [f"<h3>{html.escape(title)}</h3>", html_table(header, rows, sortable=title == "Ranking"
                                                                   or title.startswith("Mean"))]
        if applicable:
            for path in plot_task(task, entries, out / "plots"):
                md += [f"![{path.stem}](plots/{path.name})", ""]
                data = base64.b64encode(path.read_bytes()).decode()
                body.append(f"<img alt='{path.stem}' src='data:image/png;base64,{data}'>")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Distortion-removal leaderboard</title>"
            f"<style>{(_ASSETS / 'page.css').read_text()}</style></head><body><pre id='errors'></pre>{''.join(body)}"
            f"<script>{(_ASSETS / 'page.js').read_text()}</script></body></html>")
    (out / "plots").mkdir(parents=True, exist_ok=True)  # a board without applicable methods has no plots
    for name, text in (("README.md", "\n".join(md) + "\n"), ("index.html", page)):
        with atomic_path(out / name) as temp:
            temp.write_text(text)
