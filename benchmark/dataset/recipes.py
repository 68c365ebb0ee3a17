"""Task recipes: the TOML files in ``datasets/`` that define every generated task.

A recipe names a clean source, an effect with the parameter that varies (its *level*),
how that level is drawn per split (``uniform`` over a range, or every ``grid`` value for
each clip), the splits' clip counts and lengths, the seed, and optionally ``dynamics_db``: the
depth of a random gain curve shaping each clean clip (:mod:`benchmark.dataset.dynamics`). ``load_recipe`` checks
every field and names the file and key of anything out of range.
"""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..effects import EFFECTS, LEVELS
from ..errors import BenchmarkError
from ..hashing import json_sha256
from ..paths import recipes_dir
from .sources import SOURCES

TASK_KINDS = ("od", "hc", "sdr")  # the paper's tasks A, B and C, as FAMILY-KIND
# The default tasks, what `bench generate` builds when no task is named: those of the sampled sources
# (recordings of real instruments). Networks trained on them transfer better to real recordings (the
# paper's demo clips, baselines/checkpoints/README.md) than on the synthetic ones.
FULL_FAMILY = "sampled"
DEFAULT_TASKS = tuple(f"{FULL_FAMILY}-{kind}" for kind in TASK_KINDS)
# Transfer tests: a task of the same effect, levels and draws as a trained task, on clean audio that
# task never plays (other recorded instruments). Every submission runs on one as it does on the
# trained task (``Model(trained_task)``: a network with the weights it learned there).
TRANSFER_TESTS = {"sampled-od-unseen": "sampled-od", "sampled-hc-unseen": "sampled-hc", "sampled-sdr-unseen": "sampled-sdr"}
# The published board's tasks with 20 test clips each, evaluated in full by `bench check --update
# --full`, checked on a sample by every `bench check` (full_board.py): the default tasks and their
# transfer tests.
FULL_TASKS = DEFAULT_TASKS + tuple(TRANSFER_TESTS)
# The quick board (`bench run`, `bench check`'s quick part): the synthetic sources' tasks and, beyond
# the paper, the pedalboard tasks on the same synthetic guitar, each cut to its first QUICK_EXAMPLES
# examples of every split (`bench generate --limit 14`: the first two test clips at all 7 levels).
QUICK_FAMILY = "synth"
BENCHMARK_TASKS = tuple(f"{QUICK_FAMILY}-{kind}" for kind in TASK_KINDS) + ("synth-pb-dist", "synth-pb-amp")
QUICK_EXAMPLES = 14
SPLITS = ("train", "val", "test")
MAX_DYNAMICS_DB = 60.0  # deepest gain curve a recipe may ask for (dynamics_db), dB


def model_task(task: str) -> str:
    """The task a submission is built for when it runs on ``task``: on a transfer test its trained task."""
    return TRANSFER_TESTS.get(task, task)


class RecipeError(BenchmarkError, ValueError):
    """A recipe file is malformed or holds an out-of-range parameter."""


@dataclass(frozen=True)
class SplitSpec:
    """One split: ``clips`` clean segments of ``seconds`` each; ``levels`` is 'uniform' or 'grid'."""

    clips: int
    seconds: float
    levels: str


@dataclass(frozen=True)
class EffectSpec:
    """The effect, its level parameter (drawn in ``range`` or taken from ``grid``), fixed
    kwargs, and kwargs drawn uniformly in [low, high] once per clip."""

    name: str
    level: str
    range: tuple[float, float]
    grid: tuple[float, ...]
    fixed: dict[str, float] = field(default_factory=dict)
    draw: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class SilenceRule:
    """A segment is near-silent (skipped) if its RMS is below ``min_rms_dbfs`` or fewer than
    ``min_active_fraction`` of its 100 ms frames reach ``active_frame_dbfs`` RMS (dB full scale)."""

    min_rms_dbfs: float = -50.0
    active_frame_dbfs: float = -60.0
    min_active_fraction: float = 0.5


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    paper_task: str
    source: str
    sample_rate: int
    seed: int
    peak: float
    shard_size: int
    effect: EffectSpec
    splits: dict[str, SplitSpec]
    silence: SilenceRule
    source_options: dict[str, Any]
    dynamics_db: float = 0.0  # depth of the gain curve shaping every clean clip before the effect, dB (0 = none)
    path: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The recipe as plain JSON-able data (without the file path).

        An empty ``effect.draw`` and a zero ``dynamics_db`` are left out, so that recipes written
        before they existed keep their hash and their datasets their fingerprint.
        """
        data = asdict(self)
        data.pop("path")
        if not data["effect"]["draw"]:
            del data["effect"]["draw"]
        if not data["dynamics_db"]:
            del data["dynamics_db"]
        return data

    def sha256(self) -> str:
        """Hash of the canonical recipe: two recipes with equal content have equal hashes."""
        return json_sha256(self.to_dict())

    def num_examples(self, split: str) -> int:
        """Examples in a split: one per clip, or one per (clip, grid level)."""
        spec = self.splits[split]
        return spec.clips * (len(self.effect.grid) if spec.levels == "grid" else 1)


def _take(table: dict, key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise RecipeError(f"{where}: missing key '{key}'")
    value = table.pop(key)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise RecipeError(f"{where}: '{key}' must be {kind.__name__}, got {value!r}")
    return value


def _number(value: Any, where: str) -> float:
    """A TOML number as a float; RecipeError naming ``where`` for anything else (a string, a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecipeError(f"{where} must be a number, got {value!r}")
    return float(value)


def _no_extra(table: dict, where: str) -> None:
    if table:
        raise RecipeError(f"{where}: unknown key(s) {sorted(table)}")


def _check_level(value: float, level: str, where: str) -> float:
    if not LEVELS[level].contains(value):
        raise RecipeError(f"{where}: {level} value {value} is outside {LEVELS[level].bounds()}")
    return float(value)


def _parse_effect(table: dict, where: str) -> EffectSpec:
    table = dict(table)
    name = _take(table, "name", str, where)
    if name not in EFFECTS:
        raise RecipeError(f"{where}: unknown effect '{name}'; known: {sorted(EFFECTS)}")
    effect = EFFECTS[name]
    level = _take(table, "level", str, where)
    if level != effect.level:
        raise RecipeError(f"{where}: effect '{name}' varies {effect.level}, not '{level}'")
    level_range = [_check_level(_number(v, f"{where}.range"), level, f"{where}.range")
                   for v in _take(table, "range", list, where)]
    if len(level_range) != 2 or level_range[0] > level_range[1]:
        raise RecipeError(f"{where}: range must be [low, high] with low <= high, got {level_range}")
    grid = tuple(_check_level(_number(v, f"{where}.grid"), level, f"{where}.grid")
                 for v in _take(table, "grid", list, where))
    if not grid:
        raise RecipeError(f"{where}: grid must not be empty")
    allowed_params = effect.params
    fixed = dict(table.pop("fixed", {}))
    for key, value in fixed.items():
        if key not in allowed_params:
            raise RecipeError(f"{where}.fixed: effect '{name}' takes no parameter '{key}'")
        low, high = allowed_params[key]
        if not low <= _number(value, f"{where}.fixed: {key}") <= high:
            raise RecipeError(f"{where}.fixed: {key}={value} is outside [{low}, {high}]")
        fixed[key] = float(value)
    draw = {}
    for key, span in dict(table.pop("draw", {})).items():
        if key not in allowed_params or key in fixed:
            raise RecipeError(f"{where}.draw: effect '{name}' takes no parameter '{key}' to draw"
                              + (" (it is fixed)" if key in fixed else ""))
        low, high = allowed_params[key]
        if (not isinstance(span, list) or len(span) != 2
                or not low <= _number(span[0], f"{where}.draw: {key}") <= _number(span[1], f"{where}.draw: {key}") <= high):
            raise RecipeError(f"{where}.draw: {key} = {span} must be [low, high] within [{low}, {high}]")
        draw[key] = (float(span[0]), float(span[1]))
    _no_extra(table, where)
    return EffectSpec(name, level, (level_range[0], level_range[1]), grid, fixed, draw)


def _parse_split(table: dict, where: str) -> SplitSpec:
    table = dict(table)
    clips = _take(table, "clips", int, where)
    seconds = _take(table, "seconds", float, where)
    levels = _take(table, "levels", str, where)
    _no_extra(table, where)
    if clips < 1:
        raise RecipeError(f"{where}: clips must be >= 1, got {clips}")
    if not 0 < seconds <= 600:
        raise RecipeError(f"{where}: seconds must be in (0, 600], got {seconds}")
    if levels not in ("uniform", "grid"):
        raise RecipeError(f"{where}: levels must be 'uniform' or 'grid', got '{levels}'")
    return SplitSpec(clips, seconds, levels)


def _parse_source_options(source: str, table: dict, where: str) -> dict[str, Any]:
    """Options of the source: ``split_fractions`` (train, val, test shares) for ``ceg``; none for the others."""
    options = {}
    if source == "ceg":
        fractions = table.pop("split_fractions", [0.8, 0.1, 0.1])
        if (not isinstance(fractions, list) or len(fractions) != 3
                or not all(isinstance(f, (int, float)) and not isinstance(f, bool) and f > 0 for f in fractions)
                or abs(sum(fractions) - 1) > 1e-9):
            raise RecipeError(f"{where}: split_fractions must be 3 positive numbers summing to 1, got {fractions!r}")
        options["split_fractions"] = fractions
    _no_extra(table, where)
    return options


def parse_recipe(data: dict[str, Any], path: str = "<recipe>") -> Recipe:
    """Build and check a Recipe from parsed TOML data; errors name ``path`` and the key."""
    data = dict(data)
    name = _take(data, "name", str, path)
    description = _take(data, "description", str, path)
    paper_task = data.pop("paper_task", "")
    source = _take(data, "source", str, path)
    if source not in SOURCES:
        raise RecipeError(f"{path}: unknown source '{source}'; known: {list(SOURCES)}")
    sample_rate = _take(data, "sample_rate", int, path)
    if not 1000 <= sample_rate <= 384000:
        raise RecipeError(f"{path}: sample_rate {sample_rate} Hz is outside [1000, 384000]")
    seed = _take(data, "seed", int, path)
    if seed < 0:
        raise RecipeError(f"{path}: seed must be >= 0")
    peak = _take(data, "peak", float, path)
    if not 0 < peak <= 1:
        raise RecipeError(f"{path}: peak must be in (0, 1], got {peak}")
    shard_size = _take(data, "shard_size", int, path)
    if shard_size < 1:
        raise RecipeError(f"{path}: shard_size must be >= 1")
    effect = _parse_effect(_take(data, "effect", dict, path), f"{path} [effect]")
    split_tables = _take(data, "splits", dict, path)
    if sorted(split_tables) != sorted(SPLITS):
        raise RecipeError(f"{path}: [splits] must define exactly {list(SPLITS)}, got {sorted(split_tables)}")
    splits = {s: _parse_split(split_tables[s], f"{path} [splits.{s}]") for s in SPLITS}
    silence_table = dict(data.pop("silence", {}))
    silence = SilenceRule(**{k: _take(silence_table, k, float, f"{path} [silence]") for k in list(silence_table)
                             if k in SilenceRule.__dataclass_fields__})
    _no_extra(silence_table, f"{path} [silence]")
    source_options = _parse_source_options(source, dict(data.pop("source_options", {})), f"{path} [source_options]")
    dynamics_db = _number(data.pop("dynamics_db", 0.0), f"{path}: dynamics_db")
    if not 0 <= dynamics_db <= MAX_DYNAMICS_DB:
        raise RecipeError(f"{path}: dynamics_db must be in [0, {MAX_DYNAMICS_DB:g}] dB, got {dynamics_db}")
    _no_extra(data, path)
    return Recipe(name, description, paper_task, source, sample_rate, seed, peak, shard_size,
                  effect, splits, silence, source_options, dynamics_db, path=path)


def load_recipe(path: str | Path) -> Recipe:
    """Read and check one recipe TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"{path}: not valid TOML: {exc}") from None
    return parse_recipe(data, str(path))


def known_tasks() -> dict[str, Path]:
    """Task name -> recipe file, for every recipe in ``datasets/``."""
    return {p.stem: p for p in sorted(recipes_dir().glob("*.toml"))}


def get_recipe(task: str) -> Recipe:
    """The recipe of a known task name, or of a path to a ``.toml`` recipe file."""
    if task.endswith(".toml") and Path(task).is_file():
        return load_recipe(task)
    tasks = known_tasks()
    if task not in tasks:
        raise RecipeError(f"unknown task '{task}'; known tasks: {', '.join(tasks)}")
    recipe = load_recipe(tasks[task])
    if recipe.name != task:
        raise RecipeError(f"{tasks[task]}: name '{recipe.name}' differs from its file name '{task}'")
    return recipe
