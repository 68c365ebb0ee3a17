"""The whole benchmark in one command (``bench run``), and its regression check (``bench check``).

``bench run``: build (or verify) the quick board's data (the first ``QUICK_EXAMPLES`` examples
of each split of ``BENCHMARK_TASKS``: the synthetic tasks and the pedalboard ones), evaluate every
registered baseline that has what it needs (a neural one needs its checkpoint for the task),
render a board.

Two boards: a user's own (``./board`` by default: every result under ``results/``, or the
registered baselines and the submissions named), and the published one (the repository's
``leaderboard/``: the registered baselines on the benchmark's tasks only, beside
``published.json``), which only ``bench check --update`` and the ``--publish`` flag of
``bench run`` / ``bench leaderboard`` write, so that a user's runs never rewrite it with their
machine's speeds and their own experiments.

The published board has two parts: the full board (``leaderboard/``: ``FULL_TASKS``, 20 source
clips each, its per-example results published in ``leaderboard/results/``, see
``full_board.py``) and the quick board (``leaderboard/quick/``: ``BENCHMARK_TASKS``, what
``bench run`` builds).

``bench check``: the same data and evaluations (the full board's on a fixed sample of its
examples, compared row by row), then every number the leaderboard publishes is compared with
``leaderboard/published.json`` (within a tolerance per metric); any that moved is printed, and
the check fails. ``bench check --update`` (``--full`` for the full board) rewrites the file and
re-renders the published board from the same results: a reviewed, deliberate act.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from . import paths
from .atomic import write_json
from .baselines import BASELINES
from .dataset import BENCHMARK_TASKS, DataError, generate_task, get_recipe, load_manifest, recipes, verify_task
from .dataset.generate import examples_made
from .dataset.recipes import QUICK_EXAMPLES
from .errors import BenchmarkError
from .executor import Executor, LocalExecutor, open_cluster
from .full_board import (SAMPLE_EXAMPLES, evaluation_differences, example_hashes, hash_differences, publish_results,
                         summaries_from_rows)
from .harness.evaluate import evaluate, input_scores
from .harness.summary import format_summary
from .metrics import METRICS, Embedder
from .report import render
from .report.statistics import ENOUGH_CLIPS
from .report.drift import Moved, within
from .report.paper_demo import (DEMO_KEY_PREFIX, DEMO_SAMPLE_CLIPS, DEMO_TABLE, published_entries, read_rows,
                                row_differences, score_demo, write_markdown, write_rows)


USER_BOARD = Path("board")  # a user's board, relative to the working directory


class CheckError(BenchmarkError, RuntimeError):
    """Published numbers moved, or the regression check cannot run."""


def tolerances() -> dict[str, float]:
    """How far each published number may move, per metric (its unit)."""
    return {m.name: m.tolerance for m in METRICS}


def ensure_data(data: str | Path, tasks: list[str], workers: int = 2, executor: Executor | None = None,
                limit: int | None = None) -> list[str]:
    """Build missing tasks (names or recipe files), with ``executor`` if given (else ``workers``
    local processes), only their first ``limit`` examples per split if given; check the hashes
    of existing ones, which must hold those examples and no others.

    Returns the task names (the folders under ``data``).
    """
    names = []
    for task in tasks:
        recipe = get_recipe(task)
        name = recipe.name
        task_dir = Path(data) / name
        try:
            manifest = load_manifest(task_dir)
        except DataError:
            manifest = generate_task(task, data, limit, workers=workers, executor=executor)
        wanted = {split: examples_made(recipe, split, limit) for split in recipes.SPLITS}
        held = {split: manifest["splits"][split]["examples"] for split in recipes.SPLITS}
        if held != wanted:
            raise CheckError(f"{task_dir} holds {held} examples per split where this board is made of {wanted} "
                             f"({'the whole task' if limit is None else f'the first {limit} of each split'}): "
                             "give another --data folder, or delete this one")
        report = verify_task(task_dir, sample=0)
        if not report.ok:
            raise CheckError(f"{task_dir} is damaged: {report.problems[:3]}; delete it and run again")
        names.append(name)
    return names


@dataclass(frozen=True)
class Evaluation:
    """One registered baseline on one task: the work unit of :func:`evaluate_all` on this machine."""

    baseline: str
    task: str

    @property
    def label(self) -> str:
        return f"{self.baseline} on {self.task}"


def _task_inputs_unit(task: str, data: Path, results: Path, batch_size: int, opt_in: tuple[str, ...]) -> str:
    """Score one task's distorted inputs (kept in ``results/.inputs``, shared by every evaluation)."""
    task_dir = data / task
    input_scores(task_dir, load_manifest(task_dir), "test", results, batch_size, progress=False, opt_in=opt_in)
    return task


def _evaluation_unit(job: Evaluation, data: Path, results: Path, device: str, batch_size: int,
                     fad: Embedder | None, opt_in: tuple[str, ...], executor: Executor | None = None) -> dict[str, Any]:
    """One baseline on one task: in a local evaluation process, or driven from here with its
    batches on a cluster (``executor``, with a progress bar)."""
    baseline = BASELINES[job.baseline]
    return evaluate(paths.baselines_dir() / baseline.file, job.task, data, results, device, batch_size,
                    name=baseline.name, progress=executor is not None, fad=fad, executor=executor, opt_in=opt_in)


def evaluate_all(data: str | Path, results: str | Path, tasks: list[str], device: str = "cpu",
                 batch_size: int = 8, fad: Embedder | None = None, executor: Executor | None = None,
                 workers: int = 1, opt_in: tuple[str, ...] = (),
                 baselines: list[str] | None = None) -> list[dict[str, Any]]:
    """Evaluate every registered baseline (or those named in ``baselines``) that has what it
    needs on every task (with FAD if ``fad``, and the opt-in metrics ``opt_in``), in registry
    order. On a cluster (``executor``) one evaluation after another, its batches spread over
    the workers; on this machine
    ``workers`` evaluations at a time, each in its own process (the inputs' scores of each task
    first, as every evaluation shares them), its submission told to use its share of the CPU
    cores (``LocalExecutor``)."""
    jobs = []
    for baseline in (b for b in BASELINES.values() if baselines is None or b.name in baselines):
        for task in tasks:
            if baseline.has_what_it_needs(task):
                jobs.append(Evaluation(baseline.name, task))
            else:
                print(f"{baseline.name} on {task}: skipped (no checkpoint; see baselines/checkpoints/README.md)")

    def report(summary: dict[str, Any]) -> None:
        tqdm.write(format_summary(summary) + ("  (up to date)" if summary.get("reused") else ""))

    if executor is not None:
        summaries = []
        for job in jobs:
            summaries.append(_evaluation_unit(job, data, results, device, batch_size, fad, opt_in, executor=executor))
            report(summaries[-1])
        return summaries
    local = LocalExecutor(workers)
    data, results = Path(data), Path(results)
    with tqdm(total=len(tasks), desc="score the distorted inputs", unit="task") as bar:
        for _ in local.map(_task_inputs_unit, tasks, data, results, batch_size, opt_in, name="score inputs"):
            bar.update()
    done = {}
    slow_first = sorted(jobs, key=lambda job: BASELINES[job.baseline].kind != "declipper")  # A-SPADE takes longest
    with tqdm(total=len(jobs), desc=f"evaluate {len(jobs)} baseline/task pairs", unit="pair") as bar:
        for job, summary in local.map(_evaluation_unit, slow_first, data, results, device, batch_size, fad, opt_in,
                                      name="evaluate", label=lambda job: job.label):
            done[job] = summary
            report(summary)
            bar.update()
    return [done[job] for job in jobs]


def published_numbers(summaries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The numbers the leaderboard shows, keyed 'submission/task' then 'metric.statistic'."""
    numbers: dict[str, dict[str, Any]] = {}
    for s in summaries:
        entry: dict[str, Any] = {"data_fingerprint": s["data_fingerprint"], "applicable": s.get("applicable", True)}
        if entry["applicable"]:
            for metric in (m for m in METRICS if m.name in s["metrics"]):  # opt-in metrics where computed
                for statistic in ("median", "q1", "q3", "mean"):
                    entry[f"{metric.name}.{statistic}"] = s["metrics"][metric.name][statistic]
            for level, stats in s["by_level"].items():
                entry[f"si_sdr.mean@{level}"] = stats["si_sdr"]["mean"]
        numbers[f"{s['submission']}/{s['task']}"] = entry
    return numbers


def compare(published: dict[str, Any], current: dict[str, dict[str, Any]]) -> list[Moved]:
    """Every (entry, field, published, now) that differs beyond its tolerance."""
    moved = []
    allowed = {**tolerances(), **published.get("tolerances", {})}  # a metric published since: the registry's
    for key in sorted(set(published["results"]) | set(current)):
        old, new = published["results"].get(key), current.get(key)
        if old is None or new is None:
            moved.append((key, "(entry)", "present" if old else "absent", "present" if new else "absent"))
            continue
        for field in sorted(set(old) | set(new)):
            a, b = old.get(field), new.get(field)
            if field in ("data_fingerprint", "applicable") or a is None or b is None:
                if a != b:
                    moved.append((key, field, a, b))
                continue
            if not within(a, b, allowed[field.split(".")[0]]):
                moved.append((key, field, a, b))
    return moved


FULL_PREFACE = (
    "The published board: the tasks on the sampled sources (recordings of real instruments, FluidR3), "
    "{clips} source clips per task at every level, enough for the per-clip tests below, and their transfer tests "
    "(`-unseen`: the same clips and levels played on recorded instruments the networks never heard, each network "
    "running the weights it learned on the task without `-unseen`). Every baseline's "
    "per-example scores are in `results/` beside this page (`summary.json` and `metrics.parquet`, as `bench "
    "evaluate` writes them): pair your own model's rows with them. `bench check` re-evaluates a fixed sample of "
    "them (the first {sample} test examples of each task: its first source clip at every level) on every CI run. A network appears on the tasks it has a "
    "checkpoint for; the others are still training (`baselines/checkpoints/README.md`). `bench run` builds "
    "[the quick board](quick/README.md) (the synthetic tasks, their first {quick} test examples each).")
QUICK_PREFACE = (
    "The quick board: what `bench run` builds in minutes, the synthetic tasks' first {quick} examples of each "
    "split (`bench generate --limit {quick}`: the first two test clips at every level), a check of an "
    "installation against the published numbers rather than a ranking: too few clips for the per-clip tests. "
    "[The published board](../README.md) has 20 clips per task.")


def publish(results: str | Path, tasks: list[str], out: str | Path | None = None) -> list[Path]:
    """Render the published board (default: the repository's ``leaderboard/``), the registered
    baselines only: when ``tasks`` has a full-board task, the full board (every ``FULL_TASKS``
    task with published results, not only those of ``tasks``) from the published results beside
    it (``results/``); the quick ones (the others of ``tasks``) from ``results`` into ``quick/``."""
    out = Path(out or paths.leaderboard_dir())
    full = [t for t in recipes.FULL_TASKS if any(task in recipes.FULL_TASKS for task in tasks)
            and list((out / "results").glob(f"*/{t}/summary.json"))]
    quick = [t for t in tasks if t not in recipes.FULL_TASKS]
    written = []
    if full:
        written += render(out / "results", out, submissions=list(BASELINES), tasks=full,
                          command="bench check --update --full",
                          preface=FULL_PREFACE.format(clips=ENOUGH_CLIPS, sample=SAMPLE_EXAMPLES, quick=QUICK_EXAMPLES))
    if quick:
        written += render(results, out / "quick", submissions=list(BASELINES), tasks=quick, command="bench check --update",
                          heading="Quick board", preface=QUICK_PREFACE.format(quick=QUICK_EXAMPLES))
    return written


def user_board(results: str | Path, out: str | Path | None = None, submissions: list[str] | None = None) -> list[Path]:
    """Render a user's board (default ``./board``): every result under ``results``, or only the
    registered baselines and ``submissions`` when some are named."""
    chosen = None if not submissions else [*BASELINES, *submissions]
    return render(results, out or USER_BOARD, submissions=chosen, command="bench leaderboard")


def run(data: str | Path = "data", results: str | Path = "results", tasks: list[str] | None = None,
        device: str = "cpu", workers: int = 2, leaderboard: str | Path | None = None,
        published: bool = False, fad: Embedder | None = None, scheduler: str | None = None,
        opt_in: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """``bench run``: data, every baseline, a board: the user's (default ``./board``), or with
    ``published`` the published one (default: the repository's ``leaderboard/``); generation and
    evaluation on a Dask cluster if ``scheduler`` (``benchmark.executor.open_cluster``)."""
    with open_cluster(scheduler) as cluster:
        names = ensure_data(data, list(tasks or BENCHMARK_TASKS), workers, cluster, QUICK_EXAMPLES)
        summaries = evaluate_all(data, results, names, device, fad=fad, executor=cluster, workers=workers,
                                 opt_in=opt_in)
    if published:
        publish(results, names, leaderboard)
    else:
        user_board(results, leaderboard)
    return summaries


def demo_rows(demo_dir: str | Path, device: str = "cpu", family: str | None = None, workers: int = 2,
              clips: int | None = None) -> list[dict[str, Any]]:
    """The paper demo's scores (``bench paper-demo``; of its first ``clips`` clips per task if
    given): the paper's outputs, and the registered baselines with the weights of ``family``
    (default: the sampled tasks' where a network has them, ``report.paper_demo.weights_family``)."""
    return score_demo(demo_dir, {b.name: paths.baselines_dir() / b.file for b in BASELINES.values()}, device,
                      family, workers=workers, clips=clips)


def check_demo(demo_dir: str | Path, leaderboard: str | Path, device: str = "cpu", workers: int = 2,
               update: bool = False, full: bool = False) -> tuple[dict[str, dict[str, Any]], list[Moved]]:
    """The paper demo's part of ``check``: its published entries (from its published rows
    beside ``leaderboard``'s table, or with ``update`` from every clip scored now, then
    published) and what moved (the clips scored again: a fixed sample, every clip with ``full``).
    The table is rendered again from the published rows."""
    table = Path(leaderboard) / DEMO_TABLE
    rows_path = table.with_suffix(".csv")
    published = None if update else read_rows(rows_path)  # before the scoring: a missing file fails at once
    rows = demo_rows(demo_dir, device, workers=workers, clips=None if update or full else DEMO_SAMPLE_CLIPS)
    moved = []
    if published is None:
        write_rows(rows, rows_path)
    else:
        moved = row_differences(published, rows, tolerances())
        rows = published
    write_markdown(rows, table)
    return published_entries(rows), moved


def check(data: str | Path = "data", results: str | Path = "results", update: bool = False,
          device: str = "cpu", workers: int = 2, published_path: str | Path | None = None,
          demo_dir: str | Path | None = None, tasks: list[str] | None = None,
          fad: Embedder | None = None, scheduler: str | None = None,
          opt_in: tuple[str, ...] = (), full: bool = False,
          baselines: list[str] | None = None) -> list[Moved]:
    """``bench check``: recompute the published numbers; returns what moved (empty: all held).

    ``tasks`` (default: the quick ones, ``BENCHMARK_TASKS``, and the full board's, ``FULL_TASKS``):
    a quick task is evaluated on its first ``QUICK_EXAMPLES`` examples and its numbers compared; a
    full-board task on a fixed sample of its examples (every example with ``full``), compared
    example by example with the published rows, whose statistics must be the published numbers
    (``full_board.py``). With ``demo_dir`` the paper demo's entries too (``check_demo``,
    beside ``published_path``'s board). Published entries this run does not recompute (other
    tasks than ``tasks``; the paper demo without ``demo_dir``) are neither compared nor, with
    ``update``, replaced. With ``update`` (a full-board task only with ``full``), the published
    board beside ``published_path`` is rendered again from the same results. ``baselines``
    (default: all) limits the evaluations, comparisons and replaced entries to the registered
    baselines named: to publish one retrained network on the full board without evaluating the
    others again.
    """
    chosen = list(tasks or (*BENCHMARK_TASKS, *recipes.FULL_TASKS))
    quick = [t for t in chosen if get_recipe(t).name not in recipes.FULL_TASKS]
    full_tasks = [t for t in chosen if get_recipe(t).name in recipes.FULL_TASKS and (full or not update)]
    if update and baselines is not None and quick:
        raise CheckError(f"--baseline with --update publishes full-board tasks only ({', '.join(recipes.FULL_TASKS)}); "
                         f"the quick board ({', '.join(quick)}) is rendered from every baseline's results: update it whole")
    path = Path(published_path or paths.leaderboard_dir() / "published.json")
    demo, moved = check_demo(demo_dir, path.parent, device, workers, update, full) if demo_dir else ({}, [])
    full_data, full_results = (Path(data), Path(results)) if full else (Path(data) / ".check-sample",
                                                                       Path(results) / ".check-sample")
    with open_cluster(scheduler) as cluster:
        names = ensure_data(data, quick, workers, cluster, QUICK_EXAMPLES)
        summaries = evaluate_all(data, results, names, device, fad=fad, executor=cluster, workers=workers,
                                 opt_in=opt_in, baselines=baselines)
        full_names = ensure_data(full_data, full_tasks, workers, cluster, None if full else SAMPLE_EXAMPLES)
        full_summaries = evaluate_all(full_data, full_results, full_names, device, fad=fad, executor=cluster,
                                      workers=workers, opt_in=opt_in, baselines=baselines) if full_names else []
    current = published_numbers(summaries + (full_summaries if full else []))
    current.update(demo)
    published = json.loads(path.read_text()) if path.is_file() else None
    published_results = path.parent / "results"

    def chosen_baseline(key: str) -> bool:
        return baselines is None or key.split("/", 1)[0] in baselines

    def recomputed(key: str) -> bool:
        task = key.split("/", 1)[1]
        if key.startswith(DEMO_KEY_PREFIX):
            return bool(demo)
        return chosen_baseline(key) and (task in names or (full and task in full_names))

    if update:
        kept = {k: v for k, v in (published or {"results": {}})["results"].items() if not recomputed(k)}
        examples = dict((published or {}).get("examples", {}))
        if full_names:
            publish_results(full_summaries, full_results, published_results, full_names, baselines)
            examples.update({task: example_hashes(full_data / task) for task in full_names})
        write_json(path, {"tolerances": tolerances(), "examples": examples, "results": {**kept, **current}})
        publish(results, names + full_names, path.parent)
        return []
    if published is None:
        raise CheckError(f"{path} does not exist; create it with `bench check --update`")
    allowed = {**tolerances(), **published.get("tolerances", {})}
    moved += compare({**published, "results": {k: v for k, v in published["results"].items() if recomputed(k)}},
                     current)
    for task in full_names:
        moved += hash_differences(task, published.get("examples", {}).get(task, {}), example_hashes(full_data / task))
    moved += evaluation_differences(full_summaries, published_results, full_results, allowed)
    from_rows = {k: v for k, v in published_numbers(summaries_from_rows(published_results, full_names)).items()
                 if chosen_baseline(k)}
    evaluated = {f"{s['submission']}/{s['task']}" for s in full_summaries}
    moved += [(key, "(published rows)", "present", "absent") for key in sorted(set(from_rows) - evaluated)]
    moved += compare({**published, "results": {k: v for k, v in published["results"].items()
                                               if k.split("/", 1)[1] in full_names and chosen_baseline(k)}}, from_rows)
    return moved
