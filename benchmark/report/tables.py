"""The board's tables as header and rows of text cells, and their Markdown and HTML forms."""
from __future__ import annotations

import html
from typing import Any

import numpy as np

from ..baselines import display_name
from ..metrics import METRICS

CONSISTENT_MARK = "†"  # after the name of a clip-consistent method


def ranked(entries: dict[str, dict[str, Any]]) -> list[str]:
    """Submissions in leaderboard order: real methods by median SI-SDR, then oracles, then n/a."""
    def key(name: str):
        s = entries[name]
        if not s.get("applicable", True):
            return (2, 0.0, name)
        median = s["metrics"]["si_sdr"]["median"]
        return (1 if s.get("oracle") else 0, np.inf if median is None else -median, name)
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
    header = ["method", *[m.header for m in METRICS], "real-time factor", "parameters"]
    rows = []
    for name in ranked(entries):
        s = entries[name]
        label = (display_name(name) + (" (oracle: sees the target)" if s.get("oracle") else "")
                 + (f" {CONSISTENT_MARK}" if s.get("clip_consistent") else ""))
        if not s.get("applicable", True):
            rows.append([label, *["n/a"] * (len(METRICS) + 2)])
            continue
        rtf = s.get("real_time_factor")
        rows.append([label, *[_cell(s["metrics"][m.name]) for m in METRICS],
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


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(header: list[str], rows: list[list[str]], sortable: bool = True) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{"sortable" if sortable else ""}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
