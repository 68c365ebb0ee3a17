"""Deterministic dataset generation: ``bench generate``.

Example ``index`` of ``split`` depends only on (recipe, seed, split, index) and the source
files: its clean clip comes from ``draw_clean_segment`` (candidates ``clip + attempt*clips``, or
for folder val/test the slot given to the clip; near-silent or bad segments are skipped), and
its level from a generator seeded by (seed, split, index). Splits are cut into shards of
``shard_size`` consecutive examples; shards are written atomically and in parallel, and a
finished shard whose files are intact is never redone. One run at a time writes a task folder (a lock), and the capacity of every
split is checked before any work.
"""
from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..atomic import LOCK_FILE, atomic_path, folder_lock, remove_stale_temps, write_json
from ..effects import apply_effect, plain_sdr
from ..errors import BenchmarkError
from ..executor import Executor, LocalExecutor
from ..hashing import file_sha256
from ..versions import package_versions
from .dynamics import at_peak, shaped
from .recipes import SPLITS, Recipe, get_recipe
from .shards import (RECORDS_DIR, WAV_DIR, WAV_FIELDS, DataError, Example, combined_sha256, example_sha256,
                     iter_examples, manifest_path, record_path, wav_part_path, write_shard, write_wav_pairs,
                     write_wav_part)
from .sources import BadAudioError, FolderSource, draw_clean_segment, open_source, rng_for
from .sources.segments import Skipped

# 2: shard records in .records/ (with the size and SHA-256 of every file), WAV pairs in
# wav/SPLIT/ with audiofolder metadata; shards of another format version are rebuilt.
FORMAT_VERSION = 2
# Sidecar files of format 1, removed when a task folder is next generated.
_FORMAT_1_FILES = ("*/part-*.json", f"{WAV_DIR}/*/part-*.csv", f"{WAV_DIR}/metadata.csv")
# Bumped whenever the same recipe starts to give other audio (a change to the synthesizer,
# an effect or how segments are drawn): shards of another version are never reused.
GENERATOR_VERSION = 3  # 3: every zero stored as +0.0 (positive_zeros)
_STREAM_LEVEL, _STREAM_PARAMS, _STREAM_DYNAMICS = 1, 3, 4  # rng streams (0 and 2 draw segments, sources/segments.py)


class GenerateError(BenchmarkError, RuntimeError):
    """Generation cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Options:
    """How to generate (none of these change the data, except ``limit``, which truncates it)."""

    source_root: str | None = None
    skip_bad: bool = False
    backend: str = "numpy"
    formats: tuple[str, ...] = ("parquet",)


def parse_example_id(example_id: str) -> tuple[str, int]:
    """'test-000012' -> ('test', 12)."""
    split, _, number = example_id.partition("-")
    if split not in SPLITS or not number.isdigit():
        raise GenerateError(f"example id '{example_id}' is not of the form SPLIT-INDEX, e.g. test-000012")
    return split, int(number)


def example_id(split: str, index: int) -> str:
    return f"{split}-{index:06d}"


def example_level(recipe: Recipe, split: str, index: int) -> tuple[int, float]:
    """(clip number, level) of an example: a grid cell, or a uniform draw."""
    spec, effect = recipe.splits[split], recipe.effect
    if spec.levels == "grid":
        clip, cell = divmod(index, len(effect.grid))
        return clip, effect.grid[cell]
    low, high = effect.range
    return index, float(rng_for(recipe.seed, _STREAM_LEVEL, split, index).uniform(low, high))


def drawn_params(recipe: Recipe, split: str, clip: int) -> dict[str, float]:
    """The effect parameters a recipe draws per clip (shared by a test clip's grid levels)."""
    if not recipe.effect.draw:
        return {}
    rng = rng_for(recipe.seed, _STREAM_PARAMS, split, clip)
    return {key: float(rng.uniform(low, high)) for key, (low, high) in sorted(recipe.effect.draw.items())}


def examples_made(recipe: Recipe, split: str, limit: int | None) -> int:
    """Examples of a split that generation with ``limit`` makes: its first ``limit``, or all."""
    return recipe.num_examples(split) if limit is None else min(limit, recipe.num_examples(split))


def clips_needed(recipe: Recipe, split: str, limit: int | None) -> int:
    """Clean clips that the first ``limit`` examples of a split use (all its clips without a limit)."""
    examples = examples_made(recipe, split, limit)
    return math.ceil(examples / len(recipe.effect.grid)) if recipe.splits[split].levels == "grid" else examples


def positive_zeros(x: np.ndarray) -> np.ndarray:
    """``x`` with every zero as +0.0. The sign of a sample rounded to zero follows the last bit
    of the C library's or NumPy's math (exp, sin, pow ...), which differs between machines."""
    return x + x.dtype.type(0.0)


def make_example(recipe: Recipe, source, split: str, index: int, options: Options) -> tuple[Example, Skipped]:
    """One example as a row dict, and what was skipped to find its clean clip (counted once
    per clip: with a clip's first grid level)."""
    if not 0 <= index < recipe.num_examples(split):
        raise GenerateError(f"{recipe.name}: {split} has {recipe.num_examples(split)} examples, no index {index}")
    spec = recipe.splits[split]
    clip, level = example_level(recipe, split, index)
    try:
        segment, skipped = draw_clean_segment(source, split, clip, spec.seconds, spec.clips, recipe.silence,
                                              options.skip_bad)
    except BadAudioError as exc:
        raise GenerateError(f"{example_id(split, index)}: {exc}; use --skip-bad to skip bad files") from None
    if spec.levels == "grid" and index % len(recipe.effect.grid):
        skipped = Skipped()
    clean = positive_zeros(at_peak(segment.audio, recipe.peak))
    if recipe.dynamics_db:  # one curve per clip, shared by its grid levels
        clean = positive_zeros(shaped(clean, rng_for(recipe.seed, _STREAM_DYNAMICS, split, clip), recipe.dynamics_db))
    params = {**recipe.effect.fixed, **drawn_params(recipe, split, clip), recipe.effect.level: level}
    distorted, threshold = apply_effect(recipe.effect.name, clean.astype(np.float64), params,
                                        recipe.sample_rate, options.backend)
    distorted = positive_zeros(distorted.astype(np.float32))
    row: Example = {
        "id": example_id(split, index),
        "task": recipe.name,
        "split": split,
        "index": index,
        "source": recipe.source,
        "source_file": segment.file,
        "source_offset": segment.offset,
        "source_sample_rate": segment.file_rate,
        "sample_rate": recipe.sample_rate,
        "effect": recipe.effect.name,
        "params": json.dumps(params, sort_keys=True),
        "level": level,
        "gain_db": params.get("gain_db"),
        "target_sdr_db": params.get("sdr_db"),
        "threshold": threshold,
        "input_sdr_db": plain_sdr(clean, distorted),
        "clean": clean,
        "distorted": distorted,
        "sha256": "",
    }
    row["sha256"] = example_sha256(row)
    return row, skipped


def generate_example(task: str, split: str, index: int, source_root: str | None = None,
                     backend: str = "numpy") -> Example:
    """Regenerate one example of a task from scratch (Python API of ``bench generate --only``)."""
    recipe = get_recipe(task)
    source = open_source(recipe, source_root)
    return make_example(recipe, source, split, index, Options(source_root, backend=backend))[0]


@dataclass(frozen=True)
class ShardJob:
    split: str
    number: int
    start: int
    stop: int

    @property
    def name(self) -> str:
        return f"part-{self.number:05d}"

    @property
    def label(self) -> str:
        return f"{self.split}/{self.name}"


def plan_shards(recipe: Recipe, limit: int | None) -> list[ShardJob]:
    """Every shard of every split (the first ``limit`` examples of each split, if given)."""
    jobs = []
    for split in SPLITS:
        total = examples_made(recipe, split, limit)
        for number in range(math.ceil(total / recipe.shard_size)):
            start = number * recipe.shard_size
            jobs.append(ShardJob(split, number, start, min(start + recipe.shard_size, total)))
    return jobs


def _source_sha256(source) -> str | None:
    """Hash of a folder source's file lists (None for the embedded sources, which read no files)."""
    return source.sha256() if isinstance(source, FolderSource) else None


def _shard_meta(recipe: Recipe, source, job: ShardJob) -> dict[str, Any]:
    return {"recipe_sha256": recipe.sha256(), "source_sha256": _source_sha256(source), "split": job.split,
            "start": job.start, "stop": job.stop, "format_version": FORMAT_VERSION,
            "generator_version": GENERATOR_VERSION}


def _file_entry(path: Path) -> dict[str, Any]:
    return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


def _intact(task_dir: Path, record: dict) -> bool:
    """Every file a shard record lists is there with its recorded size and SHA-256."""
    for name, entry in record["files"].items():
        path = task_dir / name
        try:
            if path.stat().st_size != entry["bytes"] or _file_entry(path) != entry:
                return False
        except OSError:
            return False
    return True


def _matching_record(task_dir: Path, recipe: Recipe, source, job: ShardJob, formats: tuple[str, ...]) -> dict | None:
    """The record of a shard written with this recipe, source, row range and formats, else None."""
    try:
        record = json.loads(record_path(task_dir, job.split, job.name).read_text())
    except (OSError, ValueError):
        return None
    if any(record.get(k) != v for k, v in _shard_meta(recipe, source, job).items()):
        return None
    return record if set(formats) <= set(record.get("formats", ())) else None


def _run_shard(job: ShardJob, recipe: Recipe, source, task_dir: Path, options: Options) -> dict[str, Any]:
    """The work unit of generation: make one shard and write its files and record atomically;
    returns the record (content hash, skips, files written)."""
    rows, skipped = [], Skipped()
    for index in range(job.start, job.stop):
        row, skips = make_example(recipe, source, job.split, index, options)
        rows.append(row)
        skipped.add(skips)
    meta = {**_shard_meta(recipe, source, job), "sha256": combined_sha256(r["sha256"] for r in rows),
            "skipped": skipped.to_dict(), "seconds": sum(len(r["clean"]) for r in rows) / recipe.sample_rate}
    written = []
    if "wav" in options.formats:
        written += write_wav_pairs(task_dir / WAV_DIR / job.split, rows)
        written.append(wav_part_path(task_dir, job.split, job.name))
        write_wav_part(written[-1], rows)
    if "parquet" in options.formats:
        written.append(task_dir / job.split / f"{job.name}.parquet")
        write_shard(written[-1], rows, meta)
    record = {**meta, "formats": list(options.formats),
              "files": {p.relative_to(task_dir).as_posix(): _file_entry(p) for p in written}}
    write_json(record_path(task_dir, job.split, job.name), record)
    return record


def _records(task_dir: Path) -> list[tuple[Path, dict]]:
    """The manifest and every shard record in a task folder (those of format 1 too), readable ones only."""
    paths = [manifest_path(task_dir), *sorted((task_dir / RECORDS_DIR).glob("*/part-*.json")),
             *sorted(task_dir.glob(_FORMAT_1_FILES[0]))]
    found = []
    for path in paths:
        try:
            found.append((path, json.loads(path.read_text())))
        except (OSError, ValueError):
            continue  # missing or damaged: its shard is rebuilt
    return found


def _check_output_folder(task_dir: Path, recipe: Recipe, source, jobs: list[ShardJob], overwrite: bool) -> None:
    """Refuse a folder holding data of another recipe, generator version or source folder, or
    more examples than this run makes (an earlier run without --limit, or a larger one), unless
    ``overwrite`` (then clear it)."""
    ours = {"recipe_sha256": recipe.sha256(), "generator_version": GENERATOR_VERSION,
            "source_sha256": _source_sha256(source)}
    planned = {split: sum(j.stop - j.start for j in jobs if j.split == split) for split in SPLITS}
    problem = None
    for path, record in _records(task_dir):
        if any(record.get(key) != value for key, value in ours.items()):
            problem = (f"{path} belongs to another recipe, generator version or state of the source folder: "
                       "refusing to mix data")
        elif record.get("split") in planned and record.get("stop", 0) > planned[record["split"]]:
            problem = (f"{path} records {record['split']} examples up to index {record['stop'] - 1}, and this run "
                       f"(--limit) makes only {planned[record['split']]}: it would replace a larger dataset "
                       "(write the smaller one elsewhere with --out)")
        if problem:
            break
    if problem is None:
        return
    if not overwrite:
        raise GenerateError(f"{problem}; use --overwrite to replace {task_dir}")
    for child in task_dir.iterdir():  # everything but the lock this run holds
        if child.name != LOCK_FILE:
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def generate_task(task: str, out: str | Path = "data", limit: int | None = None, workers: int = 1,
                  options: Options = Options(), overwrite: bool = False, progress: bool = True,
                  executor: Executor | None = None) -> dict[str, Any]:
    """Build (or finish building, or repair) one task under ``out/TASK``.

    Shards are made by ``executor`` (``benchmark.executor``; default: ``workers`` local
    processes), which must see ``out`` at the same path (a shared filesystem).
    Returns its manifest, and under ``"rebuilt"`` the shards whose files were found missing or
    damaged and rebuilt.
    """
    recipe = get_recipe(task)
    if limit is not None and limit < 1:
        raise GenerateError(f"--limit must be >= 1, got {limit}")
    source = open_source(recipe, options.source_root, options.skip_bad)  # fail early on a bad source
    if isinstance(source, FolderSource):  # and on too little (or too silent) audio for any split
        try:
            source.prepare({split: clips_needed(recipe, split, limit) for split in SPLITS})
        except BadAudioError as exc:
            raise GenerateError(f"{exc}; use --skip-bad to skip bad files") from None
    task_dir = Path(out) / recipe.name
    jobs = plan_shards(recipe, limit)
    executor = executor or LocalExecutor(workers)
    with folder_lock(task_dir):
        _check_output_folder(task_dir, recipe, source, jobs, overwrite)
        for pattern in _FORMAT_1_FILES:
            for path in task_dir.glob(pattern):
                path.unlink()
        remove_stale_temps(task_dir)
        done, rebuilt = {}, []
        for job in jobs:
            if (record := _matching_record(task_dir, recipe, source, job, options.formats)) is not None:
                if _intact(task_dir, record):
                    done[job] = record
                else:
                    rebuilt.append(f"{job.split}/{job.name}")
        todo = [job for job in jobs if job not in done]
        bar = tqdm(total=sum(j.stop - j.start for j in jobs), initial=sum(j.stop - j.start for j in done),
                   desc=f"generate {recipe.name}", unit="ex", disable=not progress)
        shared_dir = executor.shared_path(task_dir)
        with bar:
            for job, record in executor.map(_run_shard, todo, recipe, source, shared_dir, options,
                                            name=f"generate {recipe.name}", label=lambda j: j.label):
                done[job] = record
                bar.update(job.stop - job.start)
        executor.on_each_machine(remove_stale_temps, shared_dir)  # those of workers killed mid-shard
        if "wav" in options.formats:
            _write_wav_metadata(task_dir, jobs)
        manifest = _manifest(recipe, source, jobs, done, limit, options)
        write_json(manifest_path(task_dir), manifest)
    return {**manifest, "rebuilt": rebuilt}


def _write_wav_metadata(task_dir: Path, jobs: list[ShardJob]) -> None:
    """Join the WAV parts of each split into ``wav/SPLIT/metadata.csv`` (one header, examples in order)."""
    for split in SPLITS:
        with atomic_path(task_dir / WAV_DIR / split / "metadata.csv") as temp:
            with open(temp, "w") as handle:
                handle.write(",".join(WAV_FIELDS) + "\n")
                for job in (j for j in jobs if j.split == split):
                    handle.writelines(wav_part_path(task_dir, split, job.name).read_text().splitlines(True)[1:])


def _manifest(recipe: Recipe, source, jobs: list[ShardJob], done: dict, limit: int | None,
              options: Options) -> dict[str, Any]:
    splits: dict[str, Any] = {}
    for split in SPLITS:
        split_jobs = [job for job in jobs if job.split == split]
        skipped = Skipped()
        for job in split_jobs:
            skipped.add(Skipped(Counter(done[job]["skipped"]["segments"]), done[job]["skipped"]["files"]))
        skips = skipped.to_dict()
        splits[split] = {
            "examples": sum(job.stop - job.start for job in split_jobs),
            "seconds": sum(done[j]["seconds"] for j in split_jobs),
            "skipped_segments": skips["segments"],  # per reason (SEGMENT_SKIP_REASONS)
            "bad_files": skips["files"],  # found bad while reading (--skip-bad): name -> reason
            "level": recipe.splits[split].levels,
            "shards": [{"file": f"{job.split}/{job.name}.parquet", "start": job.start, "stop": job.stop,
                        "sha256": done[job]["sha256"]} for job in split_jobs],
        }
    fingerprint = combined_sha256([recipe.sha256()] + [s["sha256"] for sp in splits.values() for s in sp["shards"]])
    return {
        "task": recipe.name,
        "format_version": FORMAT_VERSION,
        "generator_version": GENERATOR_VERSION,
        "recipe": recipe.to_dict(),
        "recipe_sha256": recipe.sha256(),
        "source_sha256": _source_sha256(source),
        "limit": limit,
        "skip_bad": options.skip_bad,
        "formats": list(options.formats),
        "effect_backend": options.backend,
        "source": source.describe(),
        "versions": package_versions(),
        "splits": splits,
        "hours": round(sum(s["seconds"] for s in splits.values()) / 3600, 6),
        "fingerprint": fingerprint,
    }


@dataclass(frozen=True)
class Regenerated:
    """One example rebuilt from scratch, and how it compares with the stored copy (``bench generate --only``)."""

    row: Example
    stored_sha256: str | None  # None: no stored copy
    wav_files: tuple[Path, ...] = ()

    @property
    def identical(self) -> bool | None:
        return None if self.stored_sha256 is None else self.stored_sha256 == self.row["sha256"]


def regenerate_example(task: str, example: str, out: str | Path = "data", options: Options = Options()) -> Regenerated:
    """Rebuild one example (``test-000012``) of a task and look up its stored copy under ``out/TASK``."""
    recipe = get_recipe(task)
    split, index = parse_example_id(example)
    row, _ = make_example(recipe, open_source(recipe, options.source_root, options.skip_bad), split, index, options)
    task_dir = Path(out) / recipe.name
    wav_files: tuple[Path, ...] = ()
    if "wav" in options.formats:
        wav_files = tuple(write_wav_pairs(task_dir / WAV_DIR / "only", [row]))
    try:
        stored = next((r for r in iter_examples(task_dir, split, columns=["id", "sha256"]) if r["id"] == row["id"]), None)
    except DataError:
        stored = None
    return Regenerated(row, None if stored is None else stored["sha256"], wav_files)
