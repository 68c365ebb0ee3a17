"""``bench paper-demo``: the paper's own demo outputs and our baselines, scored on the same clips.

The demo folder (``TASK/CLIP/LEVEL/*.wav``, see ../shared/paper-demo/README.md) holds, per
clip and level, the clean target ``tar``, the distorted input ``inp`` and the paper's
outputs. We score the paper's outputs against ``tar`` (``aspade.wav`` first aligned: its
sample n is the clean sample n + 256), and run our registered baselines on ``inp`` with the checkpoints of the
matching task of a source family (``sampled``: recordings of real instruments; ``synth``: the
synthetic sources): ``sampled-od`` or ``synth-od`` for CEG_OD, and so on; by default the sampled
task's where a network has a checkpoint for it (``WEIGHT_FAMILIES``). The demo inputs were rescaled after distortion, so each is first
brought to our tasks' scale convention (clean peak 0.5, scale-preserving clipping) by one
gain, fitted to our own reproduction of that input from ``tar``; the distortion itself is
untouched. Scores are SI-SDR (dB), which does not depend on the outputs' scale.

The scores are published row by row in ``leaderboard/paper-demo.csv`` (one row per demo task,
clip, level, method and source), and ``leaderboard/paper-demo.md`` and the demo's entries of
``published.json`` are made from those rows. ``bench check`` scores a fixed sample again, the
first ``DEMO_SAMPLE_CLIPS`` clip(s) of each demo task at every level, and compares each row with
its published one (``row_differences``); ``bench check --full`` scores every clip.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import soundfile as sf
from tqdm import tqdm

from ..atomic import atomic_path
from ..baselines import BASELINES, display_name
from ..dataset.recipes import FULL_FAMILY, QUICK_FAMILY, Recipe, get_recipe
from ..effects import apply_effect
from ..errors import BenchmarkError
from ..executor import LocalExecutor
from ..harness.submission import SubmissionRunner
from ..metrics import METRICS_BY_NAME
from .drift import Moved, within
from .paper import load_paper

DEMO_KINDS = {"CEG_OD": "od", "CEG_HC": "hc", "ST_HC": "sdr"}  # demo task -> our task FAMILY-KIND
DEMO_KEY_PREFIX = "paper-demo/"  # of the demo's entries in leaderboard/published.json
PAPER_LABELS = {"CEG_OD": "CEG-OD", "CEG_HC": "CEG-HC", "ST_HC": "SignalTrain-HC"}  # demo task -> paper.csv's task
PAPER_OUTPUTS = {"demucs": "Demucs", "waveunet": "Wave-U-Net", "crafx": "CRAFX", "umx": "UMX", "irm": "IRM",
                 "aspade": "A-SPADE"}
ASPADE_DELAY = 256  # the paper's A-SPADE outputs are 256 samples early against the clean clip
PEAK = 0.5
DEMO_RATE = 16000  # Hz, the demo clips' rate
DEMO_METRICS = ("si_sdr", "peaq_odg", "rnonlin")  # scored on every demo clip, by the harness's functions
DEMO_SAMPLE_CLIPS = 1  # clips of each demo task (the first by name, at every level) `bench check` scores again
ROW_KEY = ("demo_task", "clip", "level", "method", "source")  # what names one published row
DEMO_TABLE = "paper-demo.md"  # in the leaderboard folder; its rows beside it, the same name as .csv
# Whose weights our networks use on the demo unless a family is named: the recordings of real
# instruments' first (the better training ground for real audio: baselines/checkpoints/README.md),
# the synthetic sources' for a network with no checkpoint on the sampled task.
WEIGHT_FAMILIES = (FULL_FAMILY, QUICK_FAMILY)


def demo_folders(demo_dir: str | Path, clips: int | None = None) -> list[tuple[str, str, float, Path]]:
    """(demo task, clip, level, folder) of every clip/level folder holding tar.wav and inp.wav;
    with ``clips``, of the first that many clips (by name) of each demo task only."""
    found = []
    for folder in sorted(Path(demo_dir).glob("*/*/*")):
        task = folder.parent.parent.name
        if task in DEMO_KINDS and (folder / "tar.wav").is_file() and (folder / "inp.wav").is_file():
            found.append((task, folder.parent.name, float(folder.name), folder))
    if not found:
        raise BenchmarkError(f"{demo_dir}: no TASK/CLIP/LEVEL folders with tar.wav and inp.wav")
    if clips is not None:
        chosen = {task: sorted({clip for t, clip, _, _ in found if t == task})[:clips] for task in DEMO_KINDS}
        found = [item for item in found if item[1] in chosen[item[0]]]
    return found


def our_task(demo_task: str, family: str) -> str:
    """Our task matching a demo task in a source family, e.g. ('CEG_OD', 'sampled') -> 'sampled-od'."""
    return f"{family}-{DEMO_KINDS[demo_task]}"


@functools.lru_cache(maxsize=None)
def _demo_recipe(task: str, family: str) -> Recipe:
    """The recipe of our task matching a demo task (read once)."""
    return get_recipe(our_task(task, family))


def reproduce_input(task: str, clean: np.ndarray, level: float, family: str = "synth") -> np.ndarray:
    """Our distortion of a demo clip at ``level``, by the recipe of the matching task (clean peak 0.5);
    every family's recipe distorts a demo task alike."""
    recipe = _demo_recipe(task, family)
    normalised = PEAK * clean / np.max(np.abs(clean))
    params = {**recipe.effect.fixed, recipe.effect.level: float(level)}
    return apply_effect(recipe.effect.name, normalised, params, recipe.sample_rate)[0]


def _read(path: Path) -> np.ndarray:
    return sf.read(path, dtype="float64")[0]


def _fit(estimate: np.ndarray, length: int) -> np.ndarray:
    return np.pad(estimate[:length], (0, max(0, length - len(estimate))))


def demo_scores(clean: np.ndarray, estimate: np.ndarray) -> dict[str, float]:
    """Every metric of ``DEMO_METRICS`` of an output against the clean clip, both in our tasks'
    scale convention (clean peak 0.5: SI-SDR does not depend on it, PEAQ's listening level does)."""
    return {name: float(METRICS_BY_NAME[name].function(clean, estimate, DEMO_RATE)) for name in DEMO_METRICS}


def paper_scores(folder: Path, clean: np.ndarray) -> dict[str, dict[str, float]]:
    """The scores of each of the paper's outputs in a demo folder."""
    scores = {}
    for stem, label in PAPER_OUTPUTS.items():
        path = folder / f"{stem}.wav"
        if path.is_file():
            estimate = _read(path)
            if stem == "aspade":  # its sample n is the clean sample n + 256: shift it back
                estimate = np.concatenate([np.zeros(ASPADE_DELAY), estimate])
            gain = PEAK / np.max(np.abs(clean))  # the paper's output and tar.wav, scaled alike
            scores[label] = demo_scores(gain * clean, gain * _fit(estimate, len(clean)))
    return scores


def _paper_unit(item: tuple[str, str, float, Path]) -> list[dict[str, Any]]:
    """The rows of the paper's outputs in one demo folder."""
    task, clip, level, folder = item
    return [{"demo_task": task, "clip": clip, "level": level, "method": label, "source": "paper", **values}
            for label, values in paper_scores(folder, _read(folder / "tar.wav")).items()]


def weights_family(name: str, demo_task: str, family: str | None = None) -> str | None:
    """The source family whose task (weights) submission ``name`` runs with on ``demo_task``:
    ``family`` if given, else the first of ``WEIGHT_FAMILIES`` a registered network has a
    checkpoint for; None when it has none."""
    for candidate in (family,) if family else WEIGHT_FAMILIES:
        if name not in BASELINES or BASELINES[name].has_what_it_needs(our_task(demo_task, candidate)):
            return candidate
    return None


def _ours_unit(job: tuple[str, Path, str, str], items: list[tuple[str, str, float, Path]],
               device: str) -> list[dict[str, Any]]:
    """The rows of one of our submissions on every clip and level of one demo task, with the
    weights of one source family."""
    name, path, demo_task, family = job
    task_name = our_task(demo_task, family)
    rows = []
    with SubmissionRunner(path, task_name, device) as runner:
        if runner.not_applicable:
            return rows
        for task, clip, level, folder in items:
            if task != demo_task:
                continue
            clean = _read(folder / "tar.wav")
            ours = reproduce_input(task, clean, level, family)
            given = _read(folder / "inp.wav")[: len(ours)]
            gain = float(np.dot(given, ours) / np.dot(given, given))
            distorted = (gain * given).astype(np.float32)[None]
            target = PEAK * clean / np.max(np.abs(clean))
            restored, _ = runner(distorted, [f"{task}/{clip}/{folder.name}"], clean=target.astype(np.float32)[None])
            rows.append({"demo_task": task, "clip": clip, "level": level, "method": name, "source": "ours",
                         "weights": task_name, **demo_scores(target, restored[0].astype(np.float64))})
    return rows


def score_demo(demo_dir: str | Path, submissions: dict[str, Path], device: str = "cpu",
               family: str | None = None, progress: bool = True, workers: int = 1,
               clips: int | None = None) -> list[dict[str, Any]]:
    """One row per (demo task, clip, level, method, source): every metric of ``DEMO_METRICS``.

    Our submissions run with the task (the weights) matching each demo task of ``family``, or
    by default of the first of ``WEIGHT_FAMILIES`` they have a checkpoint for
    (``weights_family``); each row of ours names that task (``weights``). A registered network
    without a checkpoint for it is left out (as ``bench run`` leaves it out). ``workers``
    processes share the work (one unit: a demo folder of the paper's outputs, or one submission
    on one demo task); the rows come in the same order whatever their number. ``clips``: score only the first that many
    clips of each demo task (``demo_folders``)."""
    folders = demo_folders(demo_dir, clips)
    ours = [(name, path, demo_task, chosen) for name, path in submissions.items() for demo_task in DEMO_KINDS
            if (chosen := weights_family(name, demo_task, family))]
    executor = LocalExecutor(workers)
    found: dict[Any, list[dict[str, Any]]] = {}
    with tqdm(total=len(folders) + len(ours), desc="paper demo", unit="unit", disable=not progress) as bar:
        for item, rows in executor.map(_paper_unit, folders, name="paper demo", label=lambda item: str(item[3])):
            found[item] = rows
            bar.update()
        for job, rows in executor.map(_ours_unit, ours, folders, device, name="paper demo",
                                      label=lambda job: f"{job[0]} on {job[2]}"):
            found[job] = rows
            bar.update()
    return [row for key in [*folders, *ours] for row in found[key]]


def _label(method: str, source: str, weights: str) -> tuple[str, str]:
    """(method, output of) cells: our display names; which weights our networks used."""
    if source == "paper":
        return method, "the paper"
    is_network = method in BASELINES and BASELINES[method].kind == "network"
    return display_name(method), f"ours (weights: {weights})" if is_network else "ours"


def _published_median(paper: pd.DataFrame, task: str, method: str, metric: str) -> str:
    """The paper's published median of a metric for one of its methods (over its whole test set), or '–'."""
    found = paper[(paper["paper_task"] == PAPER_LABELS[task]) & (paper["paper_method"] == method)
                  & (paper["metric"] == metric) & (paper["statistic"] == "median") & paper["level"].isna()]
    return f"{found['value'].iloc[0]:.{3 if metric == 'rnonlin' else 2}f}" if len(found) else "–"


def demo_table(rows: list[dict[str, Any]], metric: str = "si_sdr") -> dict[str, dict[str, Any]]:
    """Per demo task: header and rows (mean of ``metric`` over clips per level, overall mean and
    median, and for the paper's outputs the median the paper published over its whole test set)."""
    paper = load_paper()
    tables = {}
    for task in DEMO_KINDS:
        part = [r for r in rows if r["demo_task"] == task]
        levels = sorted({r["level"] for r in part})
        weights = {(r["source"], r["method"]): r.get("weights", "") for r in part}
        methods = sorted(weights, key=lambda m: (_label(m[1], m[0], weights[m])[0].lower(), m[0] != "paper"))
        header = ["method", "output of", *[f"{lv:g}" for lv in levels], "mean", "median",
                  "published median (paper's test set)"]
        body = []
        for source, method in methods:
            values = [[r[metric] for r in part if (r["source"], r["method"], r["level"]) == (source, method, lv)]
                      for lv in levels]
            means = [f"{np.mean(v):.2f}" if v else "–" for v in values]
            every = [x for v in values for x in v]
            published = _published_median(paper, task, method, metric) if source == "paper" else ""
            body.append([*_label(method, source, weights[source, method]), *means, f"{np.mean(every):.2f}",
                         f"{np.median(every):.2f}", published])
        tables[task] = {"header": header, "rows": body}
    return tables


def published_entries(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mean of each metric per (demo task, source, method), for the regression check."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        entries.setdefault(f"{DEMO_KEY_PREFIX}{row['demo_task']}/{row['source']}/{row['method']}", []).append(row)
    return {key: {f"{metric}.mean": float(np.mean([r[metric] for r in part])) for metric in DEMO_METRICS}
            for key, part in sorted(entries.items())}


def write_rows(rows: list[dict[str, Any]], path: str | Path) -> None:
    """The rows as CSV (``leaderboard/paper-demo.csv``), floats written exactly."""
    with atomic_path(path) as temp:
        pd.DataFrame(rows, columns=[*ROW_KEY, "weights", *DEMO_METRICS]).to_csv(temp, index=False)


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows ``write_rows`` wrote (the paper's rows without ``weights``)."""
    try:
        table = pd.read_csv(path, dtype={"demo_task": str, "clip": str, "method": str, "source": str, "weights": str},
                            keep_default_na=False, na_values={"weights": [""]})
    except (OSError, ValueError) as exc:
        raise BenchmarkError(f"{path}: cannot read the published demo rows ({exc}); "
                             "write them with `bench check --update` or `bench paper-demo`") from exc
    return [{k: v for k, v in row.items() if not (k == "weights" and pd.isna(v))} for row in table.to_dict("records")]


def row_differences(published: list[dict[str, Any]], now: list[dict[str, Any]],
                    tolerances: dict[str, float]) -> list[Moved]:
    """What moved between the rows scored now and their published rows, over the clips scored
    now: a row on one side only, other weights, or a metric beyond its tolerance (fields
    ``METRIC@CLIP/LEVEL``, entries as in ``published.json``)."""
    def by_key(rows):
        return {tuple(row[k] for k in ROW_KEY): row for row in rows}

    old, new = by_key(published), by_key(now)
    clips = {(row["demo_task"], row["clip"]) for row in now}
    moved: list[Moved] = []
    for key in sorted(k for k in set(old) | set(new) if k[:2] in clips):
        task, clip, level, method, source = key
        entry, where = f"{DEMO_KEY_PREFIX}{task}/{source}/{method}", f"{clip}/{level:g}"
        if key not in old or key not in new:
            moved.append((entry, f"(row {where})", "present" if key in old else "absent",
                          "present" if key in new else "absent"))
            continue
        if old[key].get("weights") != new[key].get("weights"):
            moved.append((entry, f"weights@{where}", old[key].get("weights"), new[key].get("weights")))
        moved += [(entry, f"{metric}@{where}", old[key][metric], new[key][metric]) for metric in DEMO_METRICS
                  if not within(old[key][metric], new[key][metric], tolerances[metric])]
    return moved


def write_markdown(rows: list[dict[str, Any]], path: str | Path) -> None:
    """``leaderboard/paper-demo.md``: one table per demo task."""
    lines = ["# The paper's demo clips, scored with our metrics", "",
             "SI-SDR (dB), PEAQ ODG and R_nonlin against the clean `tar.wav`: the mean over the demo clips at "
             "each level (gain in dB for CEG, input SDR in dB for SignalTrain), then the mean and median over all "
             "of them. Output and `tar.wav` are scaled alike so that the clean clip peaks at 0.5, as in our tasks. "
             "\"the paper\": the outputs published on the paper's demo page (A-SPADE aligned by 256 samples), with, "
             "in the last column, the median the paper published for that output over its whole test set (read off "
             "its figures, `leaderboard/paper.csv`). \"ours\": our baselines run on the same `inp.wav`, brought to "
             "our tasks' scale by one fitted gain, with the weights trained on the task named in the table (they "
             "never saw CEG or SignalTrain): the sampled task's (recordings of real instruments) where a network "
             "has them, else the synthetic one's. IRM is an oracle. Every score, clip by clip: `paper-demo.csv` beside "
             "this page. Regenerate both with `bench paper-demo --demo-dir ../shared/paper-demo`.", ""]
    tables = {metric: demo_table(rows, metric) for metric in DEMO_METRICS}
    for task in DEMO_KINDS:
        lines += [f"## {task}", ""]
        for metric, by_task in tables.items():
            table = by_task[task]
            lines += [f"**{METRICS_BY_NAME[metric].header}**", "", "| " + " | ".join(table["header"]) + " |",
                      "|" + "---|" * len(table["header"])]
            lines += ["| " + " | ".join(row) + " |" for row in table["rows"]]
            lines.append("")
    with atomic_path(path) as temp:
        temp.write_text("\n".join(lines))
