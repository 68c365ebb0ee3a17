"""The metric harness: ``bench evaluate --submission model.py``.

Every example of a task's test split goes through the submission (in a child process, see
``submission.py``) in batches; the harness scores the output and the distorted input
against the clean signal with the same metrics, and writes

- ``results/SUBMISSION/TASK/metrics.parquet``: one row per example;
- ``results/SUBMISSION/TASK/summary.json``: medians and quartiles, means with 95 %
  confidence intervals per level, real-time factors (wall and CPU time) and the machine,
  hashes and versions, and FAD (one value for all outputs, ``fad.py``) when an embedding
  model is given.

On a transfer test (``recipes.TRANSFER_TESTS``, e.g. ``sampled-od-unseen``) the submission is built for the
task it was trained on (``Model("sampled-od")``), and the summary names that task (``model_task``).

On hard-clipping tasks every output is checked for clip consistency (:func:`clip_consistent`),
whatever the submission claims; the board marks only what held.

Each batch is a work unit (``_score_batch_unit``): it reads its examples, runs them through
the submission where it runs (``runners.py``), scores them and writes the scores to a hidden
``.partial-KEY`` folder; units run in this process, or on a Dask cluster (``executor``).
Finished batches are kept, so an interrupted run resumes; the key hashes the submission (and
the files it loads), the data fingerprint and the harness version, so a finished evaluation
is redone only when one of them changed.
A failed run writes no summary and leaves earlier results as they were.
"""
from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import scipy.signal
from tqdm import tqdm

from ..atomic import atomic_path, write_json
from ..dataset.generate import example_level
from ..dataset.recipes import known_tasks, model_task, parse_recipe
from ..dataset.shards import DataError, example_lengths, load_manifest, manifest_path, read_examples
from ..effects import CLIP_TOLERANCE, EFFECTS, clipped_mask
from ..executor import Executor, LocalExecutor
from ..hashing import file_sha256, json_sha256
from ..metrics import METRICS, Embedder, score, scored
from ..versions import machine, package_versions
from . import fad as fad_hook
from .runners import SubmissionKey, runner_for, running_submission
from .submission import SubmissionRunner
from .summary import metric_columns, summarise

HARNESS_VERSION = 4  # 2: per-metric compute times; 3: PEAQ ODG and R_nonlin; 4: CPU time, clip, clip consistency checked


def resample(x: np.ndarray, rate_from: int, rate_to: int, length: int | None = None) -> np.ndarray:
    """Polyphase resampling along the last axis (float32), cropped or zero-padded to ``length``."""
    if rate_from == rate_to:
        y = x
    else:
        g = math.gcd(rate_from, rate_to)
        y = scipy.signal.resample_poly(x, rate_to // g, rate_from // g, axis=-1)
    if length is not None:
        y = y[..., :length]
        y = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, length - y.shape[-1])])
    return np.ascontiguousarray(y, dtype=np.float32)


@dataclass(frozen=True)
class BatchJob:
    """Examples ``start`` to ``stop - 1`` of a split (positions in index order), batch ``number``."""

    number: int
    start: int
    stop: int
    first_index: int

    @property
    def label(self) -> str:
        return f"batch-{self.number:05d}"

    @property
    def file_name(self) -> str:
        return f"{self.label}-{self.first_index}.parquet"


def plan_batches(task_dir: Path, split: str, batch_size: int) -> list[BatchJob]:
    """Consecutive examples of equal length, at most ``batch_size`` at a time."""
    jobs: list[BatchJob] = []
    start, first_index, batch_length = 0, 0, None
    lengths = example_lengths(task_dir, split)
    for position, (index, length) in enumerate(lengths):
        if position > start and (position - start == batch_size or length != batch_length):
            jobs.append(BatchJob(len(jobs), start, position, first_index))
            start = position
        if position == start:
            first_index, batch_length = index, length
    if lengths:
        jobs.append(BatchJob(len(jobs), start, len(lengths), first_index))
    return jobs


_BATCH_COLUMNS = ["id", "index", "level", "gain_db", "target_sdr_db", "threshold", "sample_rate", "clean", "distorted"]


def _score_inputs_unit(job: BatchJob, task_dir: Path, split: str, rate: int, opt_in: tuple[str, ...]) -> pd.DataFrame:
    """Every metric of one batch's distorted inputs (a small table: the driver keeps them)."""
    batch = read_examples(task_dir, split, job.start, job.stop, _BATCH_COLUMNS, check_hashes=True)
    scores = score(np.stack([r["clean"] for r in batch]), np.stack([r["distorted"] for r in batch]), rate,
                   opt_in=opt_in)
    return pd.DataFrame({"id": [r["id"] for r in batch], **{f"{m.name}_input": scores[m.name] for m in scored(opt_in)}})


def _keyed(parts: list[Any], opt_in: tuple[str, ...]) -> str:
    """SHA-256 of ``parts`` and the opt-in metrics asked for (none: the key of the default metrics)."""
    return json_sha256(parts + ([sorted(opt_in)] if opt_in else []))


def input_scores(task_dir: Path, manifest: dict, split: str, results: Path, batch_size: int = 8,
                 progress: bool = True, executor: Executor | None = None, opt_in: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every metric of the distorted input (and the opt-in ones named), per example: the same for
    all submissions, so computed once per dataset fingerprint and kept in ``results/.inputs/``."""
    key = _keyed([manifest["fingerprint"], split, HARNESS_VERSION], opt_in)
    path = Path(results) / ".inputs" / f"{manifest['task']}-{split}-{key[:16]}.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    executor = executor or LocalExecutor()
    parts = {}
    with tqdm(total=manifest["splits"][split]["examples"], desc=f"score inputs of {manifest['task']}", unit="ex",
              disable=not progress) as bar:
        for job, part in executor.map(_score_inputs_unit, plan_batches(task_dir, split, batch_size),
                                      executor.shared_path(task_dir), split, manifest["recipe"]["sample_rate"], opt_in,
                                      name=f"score inputs of {manifest['task']}",
                                      label=lambda job: job.label):
            parts[job.number] = part
            bar.update(len(part))
    table = pd.concat([parts[number] for number in sorted(parts)], ignore_index=True)
    with atomic_path(path) as temp:
        table.to_parquet(temp, index=False)
    return table


def _run_key(submission_sha256: str, manifest: dict, split: str, opt_in: tuple[str, ...] = ()) -> str:
    return _keyed([submission_sha256, manifest["fingerprint"], split, HARNESS_VERSION], opt_in)


def _up_to_date(out_dir: Path, submission: Path, manifest: dict, split: str, opt_in: tuple[str, ...]) -> dict | None:
    """The existing summary, if it was made from this very submission, files and data, with every
    opt-in metric asked for (one made with more of them serves too)."""
    try:
        summary = json.loads((out_dir / "summary.json").read_text())
        files = [submission, *_files_beside(submission, summary)]
        made_with = tuple(summary.get("opt_in_metrics", ()))
        if set(opt_in) <= set(made_with) and summary["run_key"] == _run_key(file_sha256(*files), manifest, split,
                                                                             made_with):
            return summary
    except (OSError, ValueError, KeyError):
        pass
    return None


def _files_beside(submission: Path, summary: dict) -> list[Path]:
    """The files a summary says its submission read, as this submission would read them: a file
    that lay in or below the summary's submission folder is taken from the same place below this
    submission's folder (results made in another checkout must not vouch for this one's weights)."""
    then = Path(summary.get("submission_file", submission)).resolve().parent
    now = Path(submission).resolve().parent
    files = []
    for name in summary.get("files", []):
        path = Path(name)
        if path.is_absolute() and path.is_relative_to(then):
            path = now / path.relative_to(then)
        files.append(path)
    return files


def clip_consistent(distorted: np.ndarray, restored: np.ndarray, levels: list[float | None]) -> np.ndarray:
    """Per example (rows of (batch, samples) arrays): does the output agree with its hard-clipped input?

    The clipping level is the row's ``threshold``, or without one each polarity's own
    (``clipping_masks``: ``max`` and ``min`` of the input). Samples below it (reliable) must be
    kept within float32 rounding of the level; clipped ones must be at least the level, with
    the input's sign (within ``CLIP_TOLERANCE``)."""
    d, y = distorted.astype(np.float64), restored.astype(np.float64)
    given = np.array([[t if t is not None and np.isfinite(t) else np.nan] for t in levels])
    top = np.where(np.isnan(given), np.maximum(d.max(axis=-1, keepdims=True), 0.0), given)
    bottom = np.where(np.isnan(given), np.maximum(-d.min(axis=-1, keepdims=True), 0.0), given)
    high, low = clipped_mask(np.maximum(d, 0.0), top), clipped_mask(np.minimum(d, 0.0), bottom)
    kept = np.abs(y - d) <= np.finfo(np.float32).eps * np.maximum(top, bottom)
    above = np.where(high, y >= top * (1.0 - CLIP_TOLERANCE), -y >= bottom * (1.0 - CLIP_TOLERANCE))
    return np.where(high | low, above, kept).all(axis=-1)


def _finished(path: Path, fad: Embedder | None) -> bool:
    """A batch whose scores (and FAD statistics, if asked for) are written."""
    stats = fad_hook.batch_stats_path(path, fad)
    return path.is_file() and (stats is None or stats.is_file())


def _score_batch(runner: SubmissionRunner, batch: list[dict[str, Any]], task_rate: int, hard_clipping: bool,
                 inputs: pd.DataFrame, on_restored: Callable[[np.ndarray, int], None] | None = None,
                 opt_in: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run one batch through the submission and score its outputs. An output that is its distorted
    input bit for bit takes the input's scores from ``inputs`` (indexed by id) instead of
    computing them again (a passthrough's, every method's that gives up on an example)."""
    ids = [row["id"] for row in batch]
    clean = np.stack([row["clean"] for row in batch])
    distorted = np.stack([row["distorted"] for row in batch])
    model_rate = runner.info["sample_rate"]
    oracle_clean = resample(clean, task_rate, model_rate) if runner.info["oracle"] else None
    restored, timing = runner(resample(distorted, task_rate, model_rate), ids, clean=oracle_clean)
    restored = resample(restored, model_rate, task_rate, clean.shape[-1])
    if on_restored is not None:
        on_restored(restored, task_rate)
    metric_seconds: dict[str, float] = {}
    same = np.array([np.array_equal(x, y) for x, y in zip(restored, distorted)])
    output = score(clean[~same], restored[~same], task_rate, metric_seconds, opt_in) if not same.all() else {}
    table = pd.DataFrame({name: [row[name] for row in batch]
                          for name in ("id", "index", "level", "gain_db", "target_sdr_db")})
    for m in scored(opt_in):
        values = np.empty(len(batch))
        values[~same] = output.get(m.name, [])
        if same.any():
            values[same] = inputs.loc[np.array(ids)[same], f"{m.name}_input"]
        table[m.name] = values
    table["seconds"] = timing.wall / len(batch)
    table["cpu_seconds"] = timing.cpu / len(batch)
    table["audio_seconds"] = clean.shape[-1] / task_rate
    if hard_clipping:
        table["clip_consistent"] = clip_consistent(distorted, restored, [row["threshold"] for row in batch])
    for m in scored(opt_in):
        table[f"metric_seconds_{m.name}"] = metric_seconds.get(m.name, 0.0) / len(batch)
    return table


@dataclass(frozen=True)
class BatchSpec:
    """What the batch units of one evaluation share (paths as the units see them)."""

    submission: SubmissionKey
    task_dir: Path
    split: str
    partial: Path
    task_rate: int
    hard_clipping: bool  # check every output for clip consistency
    inputs: pd.DataFrame  # the distorted inputs' scores, indexed by id
    opt_in: tuple[str, ...] = ()  # opt-in metrics to compute too


def _score_batch_unit(job: BatchJob, spec: BatchSpec, fad: Embedder | None) -> int:
    """The work unit of evaluation: score one batch and write it (and its FAD statistics) to
    the partial folder; returns its number of examples."""
    path = spec.partial / job.file_name
    batch = read_examples(spec.task_dir, spec.split, job.start, job.stop, _BATCH_COLUMNS, check_hashes=True)
    stats = fad_hook.batch_stats_path(path, fad)
    with runner_for(spec.submission) as runner:
        table = _score_batch(runner, batch, spec.task_rate, spec.hard_clipping, spec.inputs,
                             fad_hook.output_sink(stats, fad), spec.opt_in)
    with atomic_path(path) as temp:
        table.to_parquet(temp, index=False)
    return len(batch)


def evaluate(submission: str | Path, task: str, data: str | Path = "data", results: str | Path = "results",
             device: str = "cpu", batch_size: int = 8, timeout: float = 600.0, split: str = "test",
             name: str | None = None, progress: bool = True, fad: Embedder | None = None,
             executor: Executor | None = None, opt_in: tuple[str, ...] = ()) -> dict[str, Any]:
    """Score one submission on one generated task; returns the summary (see module docstring).

    ``fad``: an embedding model (``benchmark.metrics.load_embedding_model``) to compute FAD
    with (``harness/fad.py``); without it the summary's FAD fields are null. ``executor``:
    where the batches run (``benchmark.executor``; default: this process, one submission child).
    ``opt_in``: opt-in metrics to compute as well (``benchmark.metrics.OPT_IN``, e.g. "visqol").
    """
    opt_in = tuple(m.name for m in scored(opt_in) if m.enable)  # checked, in board order
    submission = Path(submission)
    task_dir = Path(data) / task
    if not manifest_path(task_dir).is_file() and task not in known_tasks():
        raise DataError(f"unknown task '{task}': no {manifest_path(task_dir)} and no recipe of that name; "
                        f"known tasks: {', '.join(known_tasks())}")
    manifest = load_manifest(task_dir)
    name = name or submission.stem
    out_dir = Path(results) / name / task
    if ((summary := _up_to_date(out_dir, submission, manifest, split, opt_in)) is not None
            and fad_hook.reusable(summary, fad)):
        return {**summary, "reused": True}
    executor = executor or LocalExecutor()
    built_for = model_task(task)
    with running_submission(executor, submission, built_for, device, timeout) as runner:
        base = {"submission": name, "submission_file": str(submission), "task": task, "split": split,
                "paper_task": manifest["recipe"].get("paper_task", ""), "data_fingerprint": manifest["fingerprint"], "harness_version": HARNESS_VERSION,
                "versions": package_versions(), "device": device, "batch_size": batch_size}
        if built_for != task:
            base["model_task"] = built_for
        base["display_name"] = runner.display_name
        if runner.not_applicable:
            reason = runner.not_applicable + (f"; the transfer test {task} runs every method as on {built_for}"
                                              if built_for != task else "")
            summary = {**base, "applicable": False, "reason": reason, "files": [],
                       "opt_in_metrics": list(opt_in), "run_key": _run_key(file_sha256(submission), manifest, split,
                                                                           opt_in)}
            write_json(out_dir / "summary.json", summary)
            return summary
        files = runner.info["files"]
        submission_sha = runner.key.sha256
        key = _run_key(submission_sha, manifest, split, opt_in)
        partial = out_dir / f".partial-{key[:16]}"
        for stale in out_dir.glob(".partial-*"):
            if stale != partial:
                shutil.rmtree(stale)
        recipe = parse_recipe(manifest["recipe"], str(manifest_path(task_dir)))
        task_rate, hard_clipping = recipe.sample_rate, EFFECTS[recipe.effect.name].hard_clipping
        total = manifest["splits"][split]["examples"]
        measured_on = machine()
        inputs = input_scores(task_dir, manifest, split, Path(results), batch_size, progress, executor, opt_in)
        start = time.perf_counter()
        todo = [job for job in plan_batches(task_dir, split, batch_size)
                if not _finished(partial / job.file_name, fad)]
        spec = BatchSpec(runner.key, executor.shared_path(task_dir), split, executor.shared_path(partial), task_rate,
                         hard_clipping, inputs.set_index("id"), opt_in)
        with tqdm(total=total, initial=total - sum(job.stop - job.start for job in todo),
                  desc=f"evaluate {name} on {task}", unit="ex", disable=not progress) as bar:
            for _, examples in executor.map(_score_batch_unit, todo, spec, fad, name=f"evaluate {name} on {task}",
                                            label=lambda job: job.label):
                bar.update(examples)
        batch_paths = sorted(partial.glob("batch-*.parquet"))
        table = pd.concat([pd.read_parquet(p) for p in batch_paths], ignore_index=True)
        table = table.merge(inputs, on="id")
        for m in METRICS:
            if m.gain_of:
                table[m.name] = table[m.gain_of] - table[f"{m.gain_of}_input"]
        table["clip"] = [example_level(recipe, split, index)[0] for index in table["index"]]  # the source clip
        table = table[[c for c in ("id", "index", "clip", "level", "gain_db", "target_sdr_db") if c in table]
                      + metric_columns(opt_in) + ["seconds", "cpu_seconds", "audio_seconds"]
                      + [f"metric_seconds_{m.name}" for m in scored(opt_in)]
                      + (["clip_consistent"] if hard_clipping else [])]
        summary = {
            **base, "applicable": True, "oracle": runner.info["oracle"],
            "num_parameters": runner.info["num_parameters"],
            "clip_consistent_claimed": runner.info["clip_consistent"],
            "machine": {**measured_on, "torch_threads": runner.info["torch_threads"]},
            "model_sample_rate": runner.info["sample_rate"],
            "resampled": runner.info["sample_rate"] != task_rate, "files": files,
            "submission_sha256": submission_sha, "opt_in_metrics": list(opt_in), "run_key": key,
            "wall_seconds": time.perf_counter() - start,
            **summarise(table, manifest["recipe"]["effect"]["level"], opt_in),
            **fad_hook.fad_summary(fad, batch_paths, task_dir, manifest, split, Path(results)),
        }
    with atomic_path(out_dir / "metrics.parquet") as temp:
        table.to_parquet(temp, index=False)
    write_json(out_dir / "summary.json", summary)
    shutil.rmtree(partial)
    return summary
