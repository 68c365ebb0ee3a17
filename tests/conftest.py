"""Shared test helpers.

Tests that need a reference tool (the sox binary, museval, auraloss, the paper's demo audio
in ../shared) call ``require(...)``: under CI=true a missing reference FAILS the test, so
CI can never pass by skipping; elsewhere it skips.
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
PAPER_DEMO = SHARED / "paper-demo"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(reason: str, available: bool) -> None:
    """Skip (locally) or fail (CI=true) when a reference is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true and a reference is missing: {reason}")
    pytest.skip(reason)


def require_module(name: str):
    """Import a reference package, or skip/fail as ``require`` does."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        require(f"python package '{name}' is not installed ({exc})", False)


def require_binary(name: str) -> str:
    path = shutil.which(name)
    require(f"the '{name}' binary is not on PATH", path is not None)
    return path


@pytest.fixture
def one_torch_thread():
    """Torch on one intra-op thread: on a shared 2-core machine, the OpenMP barriers of two
    threads stall every op whenever another process holds a core (tests 10-20x slower)."""
    torch = require_module("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def require_paper_demo() -> Path:
    require(f"the paper's demo audio is not at {PAPER_DEMO}", PAPER_DEMO.is_dir())
    return PAPER_DEMO


def small_recipe(tmp_path: Path, base: str = "synth-od", name: str = "tiny-od", **changes) -> str:
    """A fast variant of a shipped recipe, written to tmp_path; returns its path."""
    data = tomllib.loads((REPO_ROOT / "datasets" / f"{base}.toml").read_text())
    data["name"] = name
    data["shard_size"] = 4
    data["splits"] = {"train": {"clips": 6, "seconds": 1.0, "levels": "uniform"},
                      "val": {"clips": 2, "seconds": 1.5, "levels": "uniform"},
                      "test": {"clips": 2, "seconds": 2.0, "levels": "grid"}}
    for key, value in changes.items():
        data[key] = value
    path = tmp_path / f"{name}.toml"
    path.write_text(_to_toml(data))
    return str(path)


def same_draws_on_another_source(task: str, base: str) -> bool:
    """Whether shipped recipe ``task`` is ``base`` on another clean source: equal but for name,
    description and source (so the same seed, splits and levels; a recipe's path is not compared)."""
    from benchmark.dataset.recipes import get_recipe

    recipe, base_recipe = get_recipe(task), get_recipe(base)
    return recipe.source != base_recipe.source and \
        replace(recipe, name=base, description="", source=base_recipe.source) == replace(base_recipe, description="")


def one_second_task(root: Path, train_clips: int) -> Path:
    """A tiny overdrive task of one-second examples (``train_clips`` train, 2 val, 7 test) built under
    ``root``; returns its data folder (the task is ``tiny-od``)."""
    recipe = small_recipe(root, "synth-od", name="tiny-od",
                          splits={"train": {"clips": train_clips, "seconds": 1.0, "levels": "uniform"},
                                  "val": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
                                  "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}})
    from benchmark.dataset.generate import generate_task

    generate_task(recipe, root / "data", progress=False)
    return root / "data"


def _to_toml(data: dict, path: str = "") -> str:
    """A minimal TOML writer for recipe data (scalars and lists, nested tables)."""
    lines = [f"[{path}]"] if path else []
    lines += [f"{k} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            lines.append(_to_toml(table, f"{path}.{key}" if path else key))
    return "\n".join(lines) + "\n"
