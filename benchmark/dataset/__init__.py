"""Datasets: from a recipe and a clean source to sharded, hashed examples, and back.

Flow: ``recipes`` (what a task is) -> ``sources`` (clean audio: ``synth`` or real folders)
-> ``generate`` (effect per example, shards, manifest) -> ``shards`` (the on-disk format,
written and read) -> ``verify`` (every hash, every example regenerated). ``torch_dataset``
serves a split to torch (needs the ``torch`` extra; not imported here).
"""
from .generate import GenerateError, Options, generate_example, generate_task, regenerate_example
from .recipes import BENCHMARK_TASKS, DEFAULT_TASKS, FULL_TASKS, SPLITS, Recipe, RecipeError, get_recipe, known_tasks, load_recipe
from .shards import DataError, Example, iter_examples, load_manifest, read_metadata
from .sources import SOURCES, SourceError, open_source
from .verify import verify_task

__all__ = ["BENCHMARK_TASKS", "DEFAULT_TASKS", "FULL_TASKS", "SOURCES", "SPLITS", "DataError", "Example", "GenerateError", "Options",
           "Recipe", "RecipeError", "SourceError", "generate_example", "generate_task", "get_recipe", "iter_examples",
           "known_tasks", "load_manifest", "load_recipe", "open_source", "read_metadata", "regenerate_example",
           "verify_task"]
