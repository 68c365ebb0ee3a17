"""SoX overdrive inverted: knows the effect's form (SoX ``overdrive``, the task's colour), not its gain.

The solver is ``benchmark.models.sox_inverse``: each input's gain (in the task's range) and
output level are estimated from the input alone, then the effect is undone sample by sample.
Overdrive tasks only, as A-SPADE is hard-clipping tasks only: a reference for what knowing
the effect is worth, not a network.
"""
from typing import Any

import numpy as np

from benchmark.dataset import RecipeError, get_recipe
from benchmark.harness import NotApplicable
from benchmark.models.sox_inverse import blind_sox_inverse

TASK_SUFFIX = "od"  # for tasks without a known recipe: blind_sox_inverse's defaults (the paper's task A)


def task_setting(task: str) -> dict[str, Any] | None:
    """``blind_sox_inverse``'s keyword arguments for a task whose effect is SoX overdrive at one
    colour (from its recipe; a task without a known recipe and a name ending in -od: none, the
    defaults), else None."""
    try:
        recipe = get_recipe(task)
    except RecipeError:
        return {} if task.rsplit("-", 1)[-1] == TASK_SUFFIX else None
    effect = recipe.effect
    if effect.name != "sox_overdrive" or "colour" not in effect.fixed:
        return None
    return {"colour": effect.fixed["colour"], "gain_range_db": tuple(effect.range), "clean_peak": recipe.peak}


class Model:
    sample_rate = 16000  # Hz
    num_parameters = 0

    @staticmethod
    def supports(task: str) -> bool:
        """True for tasks whose effect is SoX overdrive at one colour (see ``task_setting``)."""
        return task_setting(task) is not None

    def __init__(self, task: str, device: str = "cpu"):
        self.setting = task_setting(task)
        if self.setting is None:
            raise NotApplicable(f"the SoX overdrive inverse undoes SoX overdrive of one colour, not the effect of task {task!r}")

    def __call__(self, distorted: np.ndarray) -> np.ndarray:
        """distorted: float32 (batch, samples) at 16 kHz -> restored float32 (batch, samples)."""
        return np.stack([blind_sox_inverse(y, **self.setting).restored
                         for y in distorted.astype(np.float64)]).astype(np.float32)
