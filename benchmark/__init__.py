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
from .dataset import (DataError, GenerateError, Recipe, RecipeError, SourceError, generate_example, generate_task,
                      get_recipe, iter_examples, known_tasks, read_metadata, verify_task)
from .effects import EFFECTS, apply_effect, clip_to_sdr, hard_clip, sox_overdrive
from .errors import BenchmarkError
from .harness import Submission, SubmissionError, evaluate
from .metrics import METRICS, mel_distance, mr_mel_distance, sdr, si_sdr
from .versions import __version__

__all__ = ["EFFECTS", "METRICS", "BenchmarkError", "DataError", "GenerateError", "Recipe", "RecipeError",
           "SourceError", "Submission", "SubmissionError", "__version__", "apply_effect", "clip_to_sdr", "evaluate",
           "generate_example", "generate_task", "get_recipe", "hard_clip", "iter_examples", "known_tasks",
           "mel_distance", "mr_mel_distance", "read_metadata", "sdr", "si_sdr", "sox_overdrive", "verify_task"]
