"""Deterministic dataset generation: ``bench generate``.

Example ``index`` of ``split`` depends only on (recipe, seed, split, index) and the source
files: its clean clip comes from ``source.segment(split, key)`` with ``key = clip + attempt*clips``
(attempts skip near-silent or bad segments), and its level from a generator seeded by
(seed, split, index). Splits are cut into shards of ``shard_size`` consecutive examples;
shards are written atomically and in parallel, and a finished shard is never redone.
"""
from __future__ import annotations

import json
import math
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..atomic import atomic_path, remove_stale_temps, write_json
from ..effects import apply_effect, plain_sdr
from ..errors import BenchmarkError
from ..versions import package_versions
from .recipes import SPLITS, Recipe, get_recipe
from .shards import (DataError, Example, combined_sha256, example_sha256, iter_examples, wav_names, write_shard,
                     write_wav_part)
from .sources import BadAudioError, draw_clean_segment, open_source, rng_for

FORMAT_VERSION = 1
# Bumped whenever the same recipe starts to give other audio (a change to the synthesizer,
# an effect or how segments are drawn): shards of another version are never reused.
GENERATOR_VERSION = 2
_STREAM_LEVEL, _STREAM_PARAMS = 1, 3  # rng streams (0 and 2 draw segments, see sources/segments.py)


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


def make_example(recipe: Recipe, source, split: str, index: int, options: Options) -> tuple[Example, dict]:
    """One example as a row dict, and the counts of skipped candidate segments."""
    if not 0 <= index < recipe.num_examples(split):
        raise GenerateError(f"{recipe.name}: {split} has {recipe.num_examples(split)} examples, no index {index}")
    spec = recipe.splits[split]
    clip, level = example_level(recipe, split, index)
    try:
        segment, skipped = draw_clean_segment(source, split, clip, spec.seconds, spec.clips, recipe.silence,
                                              options.skip_bad)
    except BadAudioError as exc:
        raise GenerateError(f"{exc}; use --skip-bad to skip bad files") from None
    peak = np.max(np.abs(segment.audio))
    clean = (segment.audio * (recipe.peak / peak)).astype(np.float32)
    params = {**recipe.effect.fixed, **drawn_params(recipe, split, clip), recipe.effect.level: level}
    distorted, threshold = apply_effect(recipe.effect.name, clean.astype(np.float64), params,
                                        recipe.sample_rate, options.backend)
    distorted = distorted.astype(np.float32)
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


def plan_shards(recipe: Recipe, limit: int | None) -> list[ShardJob]:
    """Every shard of every split (the first ``limit`` examples of each split, if given)."""
    jobs = []
    for split in SPLITS:
        total = recipe.num_examples(split) if limit is None else min(limit, recipe.num_examples(split))
        for number in range(math.ceil(total / recipe.shard_size)):
            start = number * recipe.shard_size
            jobs.append(ShardJob(split, number, start, min(start + recipe.shard_size, total)))
    return jobs


def _shard_meta(recipe: Recipe, job: ShardJob) -> dict[str, Any]:
    return {"recipe_sha256": recipe.sha256(), "split": job.split, "start": job.start, "stop": job.stop,
            "format_version": FORMAT_VERSION, "generator_version": GENERATOR_VERSION}


def _record_path(task_dir: Path, job: ShardJob) -> Path:
    """The JSON record written once all of a shard's files are in place."""
    return task_dir / job.split / f"{job.name}.json"


def _finished(task_dir: Path, recipe: Recipe, job: ShardJob, formats: tuple[str, ...]) -> dict | None:
    """The record of a shard already written with this recipe, row range and formats, else None."""
    try:
        record = json.loads(_record_path(task_dir, job).read_text())
    except (OSError, ValueError):
        return None
    if any(record.get(k) != v for k, v in _shard_meta(recipe, job).items()):
        return None
    return record if set(formats) <= set(record.get("formats", ())) else None


def _run_shard(recipe: Recipe, task_dir: Path, job: ShardJob, options: Options) -> dict[str, Any]:
    """Generate one shard and write it; returns its metadata (content hash, counts)."""
    source = open_source(recipe, options.source_root, options.skip_bad)
    rows, skipped = [], {"silent": 0, "bad": 0}
    for index in range(job.start, job.stop):
        row, skips = make_example(recipe, source, job.split, index, options)
        rows.append(row)
        for k in skipped:
            skipped[k] += skips[k]
    meta = {**_shard_meta(recipe, job), "sha256": combined_sha256(r["sha256"] for r in rows),
            "skipped": skipped, "seconds": sum(len(r["clean"]) for r in rows) / recipe.sample_rate}
    if "wav" in options.formats:
        write_wav_part(task_dir / "wav", task_dir / "wav" / job.split / f"{job.name}.csv", rows)
    if "parquet" in options.formats:
        write_shard(task_dir / job.split / f"{job.name}.parquet", rows, meta)
    meta["formats"] = list(options.formats)
    write_json(_record_path(task_dir, job), meta)
    return meta


def _check_output_folder(task_dir: Path, recipe: Recipe, overwrite: bool) -> None:
    """Refuse a folder holding data of another recipe or generator version, unless
    ``overwrite`` (then clear it)."""
    ours = {"recipe_sha256": recipe.sha256(), "generator_version": GENERATOR_VERSION}
    records = [task_dir / "manifest.json"] if (task_dir / "manifest.json").is_file() else []
    records += sorted(task_dir.glob("*/part-*.json"))
    foreign = None
    for record in records:
        try:
            found = json.loads(record.read_text())
        except (OSError, ValueError):
            found = {}
        if any(found.get(key) != value for key, value in ours.items()):
            foreign = f"{record} belongs to another recipe or generator version"
            break
    if foreign is None:
        return
    if not overwrite:
        raise GenerateError(f"{foreign}; refusing to mix data (use --overwrite to replace {task_dir})")
    shutil.rmtree(task_dir)


def generate_task(task: str, out: str | Path = "data", limit: int | None = None, workers: int = 1,
                  options: Options = Options(), overwrite: bool = False, progress: bool = True) -> dict[str, Any]:
    """Build (or finish building) one task under ``out/TASK``; returns its manifest."""
    recipe = get_recipe(task)
    if limit is not None and limit < 1:
        raise GenerateError(f"--limit must be >= 1, got {limit}")
    source = open_source(recipe, options.source_root, options.skip_bad)  # fail early on a bad source
    task_dir = Path(out) / recipe.name
    _check_output_folder(task_dir, recipe, overwrite)
    remove_stale_temps(task_dir)
    jobs = plan_shards(recipe, limit)
    done = {job: meta for job in jobs if (meta := _finished(task_dir, recipe, job, options.formats))}
    todo = [job for job in jobs if job not in done]
    bar = tqdm(total=sum(j.stop - j.start for j in jobs), initial=sum(j.stop - j.start for j in done),
               desc=f"generate {recipe.name}", unit="ex", disable=not progress)
    with bar:
        if workers <= 1:
            for job in todo:
                done[job] = _run_shard(recipe, task_dir, job, options)
                bar.update(job.stop - job.start)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(_run_shard, recipe, task_dir, job, options): job for job in todo}
                try:
                    for future in as_completed(futures):
                        done[futures[future]] = future.result()
                        bar.update(futures[future].stop - futures[future].start)
                except BaseException:
                    pool.shutdown(cancel_futures=True)
                    raise
    if "wav" in options.formats:
        _write_wav_metadata(task_dir / "wav", jobs)
    manifest = _manifest(recipe, source, jobs, done, limit, options)
    write_json(task_dir / "manifest.json", manifest)
    return manifest


def _write_wav_metadata(wav_dir: Path, jobs: list[ShardJob]) -> None:
    """Join the WAV parts' CSVs into ``wav/metadata.csv`` (one header, examples in order)."""
    with atomic_path(wav_dir / "metadata.csv") as temp:
        with open(temp, "w") as handle:
            for i, job in enumerate(jobs):
                lines = (wav_dir / job.split / f"{job.name}.csv").read_text().splitlines(keepends=True)
                handle.writelines(lines if i == 0 else lines[1:])


def _manifest(recipe: Recipe, source, jobs: list[ShardJob], done: dict, limit: int | None,
              options: Options) -> dict[str, Any]:
    splits: dict[str, Any] = {}
    for split in SPLITS:
        shards = [
            {"file": f"{job.split}/{job.name}.parquet", "start": job.start, "stop": job.stop,
             "sha256": done[job]["sha256"]}
            for job in jobs if job.split == split
        ]
        split_jobs = [job for job in jobs if job.split == split]
        splits[split] = {
            "examples": sum(s["stop"] - s["start"] for s in shards),
            "seconds": sum(done[j]["seconds"] for j in split_jobs),
            "skipped_segments": {k: sum(done[j]["skipped"][k] for j in split_jobs) for k in ("silent", "bad")},
            "level": recipe.splits[split].levels,
            "shards": shards,
        }
    fingerprint = combined_sha256([recipe.sha256()] + [s["sha256"] for sp in splits.values() for s in sp["shards"]])
    return {
        "task": recipe.name,
        "format_version": FORMAT_VERSION,
        "generator_version": GENERATOR_VERSION,
        "recipe": recipe.to_dict(),
        "recipe_sha256": recipe.sha256(),
        "limit": limit,
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
        wav_dir = task_dir / "wav"
        write_wav_part(wav_dir, wav_dir / "only" / f"{row['id']}.csv", [row])
        wav_files = tuple(wav_dir / p for p in wav_names(row).values())
    try:
        stored = next((r for r in iter_examples(task_dir, split, columns=["id", "sha256"]) if r["id"] == row["id"]), None)
    except DataError:
        stored = None
    return Regenerated(row, None if stored is None else stored["sha256"], wav_files)
