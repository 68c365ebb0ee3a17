"""The board's tables as header and rows of text cells, and their Markdown and HTML forms."""
from __future__ import annotations

import html
import math
import re
from typing import Any

import numpy as np

from ..harness.summary import consistency_note, counted
from ..metrics import METRICS

CONSISTENT_MARK = "†"  # after the name of a method whose every output was checked clip-consistent
RANKED_BY = "median SI-SDR"  # what ranked() sorts real methods by


def ranked(entries: dict[str, dict[str, Any]]) -> list[str]:
    """Submissions in leaderboard order: real methods by median SI-SDR, then oracles, then n/a."""
    def key(name: str):
        s = entries[name]
        if not s.get("applicable", True):
            return (2, 0.0, name)
        median = s["metrics"]["si_sdr"]["median"]
        return (1 if s.get("oracle") else 0, np.inf if median is None else -median, name)
    return sorted(entries, key=key)


def number(value: float) -> str:
    """A score as text (2 decimals); infinities as +∞ and −∞."""
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    return f"{value:.2f}"


def _cell(stats: dict[str, Any]) -> str:
    if stats["median"] is None:
        return counted("–", stats)
    return counted(f"{number(stats['median'])} [{number(stats['q1'])}, {number(stats['q3'])}]", stats)


def _parameters(count: int | None) -> str:
    if count is None:
        return "–"
    return f"{count / 1e6:.2f} M" if count >= 1e5 else f"{count:,}"


def method_label(s: dict[str, Any]) -> str:
    """A method's name in the ranking: oracles say so; † when every output was checked
    clip-consistent; a clip-consistency claim that did not hold is said."""
    label = s["label"] + (" (oracle: sees the target)" if s.get("oracle") else "")
    if s.get("clip_consistent"):
        return f"{label} {CONSISTENT_MARK}"
    note = consistency_note(s)
    return f"{label} ({note})" if note else label


def _machine(s: dict[str, Any]) -> str:
    """Where a speed was measured: the CPU and its logical CPUs, and the device when it is not the CPU."""
    m = s.get("machine")
    if not m:
        return "an unrecorded machine"
    device = s.get("device", "cpu")
    return f"{m['cpu']}, {m['logical_cpus']} logical CPUs" + ("" if device == "cpu" else f", device {device}")


def speed_note(entries: dict[str, dict[str, Any]]) -> str:
    """What the real-time factors are, whose machine they were measured on (numbered when several),
    the load on it, and how many CPU threads torch used."""
    timed = [entries[n] for n in ranked(entries) if entries[n].get("applicable", True)]
    machines = list(dict.fromkeys(_machine(s) for s in timed))
    loads = [s["machine"]["load_average"] for s in timed if s.get("machine", {}).get("load_average") is not None]
    threads = {s["label"]: s["machine"]["torch_threads"] for s in timed if s.get("machine", {}).get("torch_threads")}
    where = (f"measured on {machines[0]}" if len(machines) == 1
             else "measured on " + "; ".join(f"[{i}] {m}" for i, m in enumerate(machines, 1)))
    load = f"; 1-minute load average when the runs started: {min(loads):.1f} to {max(loads):.1f}" if loads else ""
    if len(set(threads.values())) == 1:
        load += f"; the methods using torch ran with {next(iter(threads.values()))} torch CPU threads"
    elif threads:
        load += "; torch CPU threads: " + ", ".join(f"{label} {count}" for label, count in threads.items())
    return ("Real-time factor: seconds of audio restored per CPU second of the submission's process (all "
            f"its threads; CPU time depends less on other work on the machine than wall time does), {where}{load}.")


def ranking_rows(entries: dict[str, dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a task's ranking table (in ``ranked`` order)."""
    header = ["method", *[m.header for m in METRICS], "FAD", "real-time factor (CPU)", "parameters"]
    timed = [entries[n] for n in ranked(entries) if entries[n].get("applicable", True)]
    machines = list(dict.fromkeys(_machine(s) for s in timed))
    rows = []
    for name in ranked(entries):
        s = entries[name]
        if not s.get("applicable", True):
            rows.append([method_label(s), *["n/a"] * (len(METRICS) + 3)])
            continue
        rtf = s.get("real_time_factor_cpu")
        where = f" [{machines.index(_machine(s)) + 1}]" if len(machines) > 1 else ""
        rows.append([method_label(s), *[_cell(s["metrics"][m.name]) if m.name in s["metrics"] else "n/a" for m in METRICS],
                     "n/a" if s.get("fad") is None else f"{s['fad']:.2f}", "–" if rtf is None else f"{rtf:,.0f}×{where}", _parameters(s.get("num_parameters"))])
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
                cells.append(counted("–", stats or {}))
            else:
                mean = number(stats["mean"]) + (f" ± {stats['ci95']:.2f}" if stats["ci95"] is not None else "")
                cells.append(counted(mean, stats))
        rows.append([entries[name]["label"], *cells])
    return header, rows


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def inline_html(text: str) -> str:
    """Text with Markdown's `code` spans and [links](to/README.md), as HTML: escaped, the spans as
    <code>, the links as <a> to the page beside a README.md (its index.html)."""
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+?)(README\.md)?\)",
                  lambda m: f"<a href='{m[2]}{'index.html' if m[3] else ''}'>{m[1]}</a>", text)


def html_table(header: list[str], rows: list[list[str]], sortable: bool = True) -> str:
    """A table in a box that scrolls sideways on its own when it is wider than the page."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (f'<div class="wide"><table class="{"sortable" if sortable else ""}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")
