"""Distortion-removal benchmark: deterministic data generation, one metric harness, baselines.

The data flow, one subpackage per stage (see ARCHITECTURE.md)::

    dataset.recipes -> dataset.sources -> effects -> dataset.generate -> dataset.shards
        -> harness (a submission's outputs, scored by metrics) -> results -> report

The few calls a user needs:

>>> import benchmark
>>> recipe = benchmark.get_recipe("synth-hc")
>>> benchmark.generate_task("synth-hc", "data")                 # the task's shards and manifest
>>> for example in benchmark.iter_examples("data/synth-hc", "test"): ...
>>> y, threshold = benchmark.apply_effect("hard_clip", x, {"gain_db": 30.0})
>>> summary = benchmark.evaluate("my_model.py", "synth-hc", "data", "results")
>>> benchmark.si_sdr(clean, restored)
"""
from __future__ import annotations

import importlib
from typing import Any

from .versions import __version__

# Public name -> the module that defines it. Imported on first use (PEP 562), so that
# `import benchmark` stays cheap: every submission child process imports the package.
_EXPORTS = {
    **dict.fromkeys(("DataError", "GenerateError", "Recipe", "RecipeError", "SourceError", "generate_example",
                     "generate_task", "get_recipe", "iter_examples", "known_tasks", "read_metadata", "verify_task"),
                    "dataset"),
    **dict.fromkeys(("EFFECTS", "apply_effect", "clip_to_sdr", "hard_clip", "sox_overdrive"), "effects"),
    "BenchmarkError": "errors",
    **dict.fromkeys(("Submission", "SubmissionError"), "harness"),
    "evaluate": "harness.evaluate",
    **dict.fromkeys(("METRICS", "mel_distance", "mr_mel_distance", "peaq_odg", "sdr", "si_sdr"), "metrics"),
}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'benchmark' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__() -> list[str]:
    return __all__
