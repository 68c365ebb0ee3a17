"""``bench leaderboard``: tables and plots of evaluated submissions, per task.

Reads ``results/*/*/summary.json`` (and ``metrics.parquet``), optionally only some
submissions and tasks, and writes into a board folder (a user's ``./board``, or the published
``leaderboard/``; see ``benchmark.pipeline``):

- ``README.md``: per task, its size (source clips x levels; below ``ENOUGH_CLIPS`` clips it says it
  is a quick board), the ranking (sorted by median SI-SDR: median [Q1, Q3] of each metric with the
  count of infinite and undefined values, real-time factor per CPU second and the machine,
  parameters; oracles marked and listed apart, methods whose every output the harness checked
  clip-consistent marked †, failed claims said; "n/a" where a method does not apply; the epoch and
  ``bench train`` options of each network's weights), the means with 95 % CI per level, paired
  Wilcoxon signed-rank tests per source clip, and the paper's published numbers in a block of their
  own (measured on CEG / SignalTrain, never ranked);
- ``plots/TASK-box.png``, ``TASK-levels.png``, ``TASK-scatter.png`` (one colour per method
  across the board);
- ``index.html``: the same tables (sortable) and plots in one self-contained page
  (its style and script are ``page.css`` and ``page.js`` beside this module).
"""
from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path
from typing import Iterable

from ..atomic import atomic_path
from ..effects import LEVELS
from ..errors import BenchmarkError
from ..harness.fad import ENABLE as FAD_ENABLE
from ..metrics import METRICS
from .paper import load_paper, paper_label, paper_level_rows, paper_rows
from .plots import colours, plot_task
from .results import collect
from .statistics import clips_note, paired_tests, tests_title, wilcoxon_rows
from .tables import CONSISTENT_MARK, RANKED_BY, html_table, inline_html, level_rows, markdown, ranking_rows, speed_note
from .weights import weights_note

_ASSETS = Path(__file__).resolve().parent


def _headers(higher_is_better: bool) -> str:
    """The metrics of one direction, by their headers without units: 'SDR, SI-SDR, ...'."""
    return ", ".join(m.header.split(" (")[0] for m in METRICS if m.higher_is_better == higher_is_better)


def render(results: str | Path, out: str | Path, submissions: Iterable[str] | None = None,
           tasks: Iterable[str] | None = None, command: str = "bench leaderboard", heading: str = "Leaderboard",
           preface: str = "") -> list[Path]:
    """Write README.md, index.html and the plots for every task that has results (only
    ``submissions`` and ``tasks`` when given); ``command`` is how the page says to regenerate it,
    ``heading`` its title, ``preface`` a paragraph (Markdown) before its introduction."""
    final = Path(out)
    if final.exists() and not final.is_dir():
        raise BenchmarkError(f"{final} is a file, not a folder for the board")
    board = collect(results, submissions, tasks)
    if not board:
        chosen = "" if submissions is None and tasks is None else " of the submissions and tasks asked for"
        raise BenchmarkError(f"no results{chosen} under {results}: run `bench evaluate` (or `bench run`) first")
    final.parent.mkdir(parents=True, exist_ok=True)
    out = final.parent / f".{final.name}.render-{os.getpid()}"  # rendered whole here, then swapped in
    shutil.rmtree(out, ignore_errors=True)
    try:
        _write_board(board, out, command, heading, preface)
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


def _intro(board: dict, command: str) -> str:
    entries = [s for task in board.values() for s in task.values()]
    checked = any(s.get("clip_consistency_failures") is not None for s in entries)
    return ("Every submission on every task below, scored by `bench evaluate` on the test split "
            f"(median [Q1, Q3] over examples; ↑ higher is better for {_headers(True)}; ↓ lower is better for "
            f"{_headers(False)}; rankings sorted by {RANKED_BY}). Oracles see the clean target and are never ranked "
            "with the other methods. "
            + (f"On hard-clipping tasks the harness checks every output for clip consistency (the input's unclipped "
               "samples kept, within float32 rounding; clipped samples at least the clipping level, with their sign): "
               f"{CONSISTENT_MARK} marks the methods for which it held on every example (the distorted input "
               "trivially, A-SPADE by construction, a network trained with `bench train --consistent`), and a "
               "method that claims it (`clip_consistent = True`) where it did not hold says on how many examples. "
               if checked else "")
            + ("FAD (Fréchet Audio Distance of the outputs' VGGish embeddings to the clean test audio's, one value "
               "per method and task, ↓) is n/a where no embedding weights were given: add "
               f"`{FAD_ENABLE}` (a file you download yourself, checked by SHA-256; see README). "
               if any(s.get("applicable", True) and s.get("fad") is None for s in entries) else "")
            + "".join(f"{m.header} is n/a where it was not computed: it is opt-in (add `{m.enable}`). "
                      for m in METRICS if m.enable
                      and any(s.get("applicable", True) and m.name not in s["metrics"] for s in entries))
            + f"Regenerate with `{command}`.")


def _task_sections(task: str, entries: dict, paper) -> list[tuple[str, tuple[list[str], list[list[str]]], str]]:
    """(title, table, note below it) of each table of one task."""
    applicable = [n for n in entries if entries[n].get("applicable", True)]
    level = entries[applicable[0]]["level_name"] if applicable else None
    level_name = LEVELS[level].label if level in LEVELS else "level"
    notes = [speed_note(entries), weights_note(entries)] if applicable else []
    sections = [(f"Ranking (sorted by {RANKED_BY}; oracles, then methods that do not apply, last)",
                 ranking_rows(entries), " ".join(note for note in notes if note))]
    if applicable:
        tests = paired_tests(entries)
        sections.append((f"Mean SI-SDR (dB) ± 95 % CI per {level_name}", level_rows(entries), ""))
        sections.append((tests_title(entries, tests), wilcoxon_rows(entries, tests), ""))
    label = paper_label(next(iter(entries.values())).get("paper_task", ""))
    if label:
        place = "CEG" if label.startswith("CEG") else "SignalTrain"
        note = (f"Published by the paper for {label}: measured on {place}, not on this data, and read off its "
                "figures (±0.1 dB); shown for reference, not ranked")
        sections.append((note, paper_rows(paper, label), ""))
        if (levels := paper_level_rows(paper, label)) is not None:
            sections.append((f"Paper: mean SI-SDR (dB) per input SDR on {place} (~: read approximately)", levels, ""))
    return sections


def _write_board(board: dict, out: Path, command: str, heading: str, preface: str) -> None:
    """README.md, index.html and plots/ of a collected board, into the folder ``out``."""
    paper = load_paper()
    colour = colours(board)
    intro = _intro(board, command)
    md = [f"# {heading}", ""] + ([preface, ""] if preface else []) + [intro, ""]
    body = [f"<h1>{inline_html(heading)}</h1>"] + ([f"<p class='note'>{inline_html(preface)}</p>"] if preface else [])
    body.append(f"<p class='note'>{inline_html(intro)}</p>")
    for task in sorted(board):
        entries = board[task]
        md += [f"## {task}", ""]
        body.append(f"<h2 id='{task}'>{task}</h2>")
        if note := clips_note(entries):
            md += [f"*{note}*", ""]
            body.append(f"<p class='note'><em>{inline_html(note)}</em></p>")
        for title, (header, rows), note in _task_sections(task, entries, paper):
            md += [f"**{title}**", "", markdown(header, rows), ""] + ([note, ""] if note else [])
            body += [f"<h3>{inline_html(title)}</h3>", html_table(header, rows, sortable=title.startswith(("Ranking", "Mean")))]
            body += [f"<p class='note'>{inline_html(note)}</p>"] if note else []
        if any(entries[n].get("applicable", True) for n in entries):
            for path in plot_task(task, entries, out / "plots", colour):
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
