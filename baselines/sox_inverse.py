"""SoX overdrive inverted: knows the effect's form (SoX ``overdrive``, the task's colour), not its gain.

The solver is ``benchmark.models.sox_inverse``: each input's gain (in the task's range) and
output level are estimated from the input alone, then the effect is undone sample by sample.
Overdrive tasks only, as A-SPADE is hard-clipping tasks only: a reference for what knowing
the effect is worth, not a network.
"""
import numpy as np

from benchmark.dataset import RecipeError, get_recipe
from benchmark.harness import NotApplicable
from benchmark.models.sox_inverse import blind_sox_inverse

TASK_SUFFIX = "od"  # for tasks without a known recipe: SoX overdrive, colour 0, gain 20-50 dB, clean peak 0.5


def task_setting(task: str) -> tuple[float, tuple[float, float], float] | None:
    """(colour, gain range in dB, clean peak) of a task whose effect is SoX overdrive at one
    colour (its recipe says so; a task without a known recipe: a name ending in -od), else None."""
    try:
        recipe = get_recipe(task)
    except RecipeError:
        return (0.0, (20.0, 50.0), 0.5) if task.rsplit("-", 1)[-1] == TASK_SUFFIX else None
    effect = recipe.effect
    if effect.name != "sox_overdrive" or "colour" not in effect.fixed:
        return None
    return effect.fixed["colour"], tuple(effect.range), recipe.peak


class Model:
    sample_rate = 16000  # Hz
    num_parameters = 0

    @staticmethod
    def supports(task: str) -> bool:
        """True for tasks whose effect is SoX overdrive at one colour (see ``task_setting``)."""
        return task_setting(task) is not None

    def __init__(self, task: str, device: str = "cpu"):
        setting = task_setting(task)
        if setting is None:
            raise NotApplicable(f"the SoX overdrive inverse undoes SoX overdrive of one colour, not the effect of task {task!r}")
        self.colour, self.gain_range_db, self.clean_peak = setting

    def __call__(self, distorted: np.ndarray) -> np.ndarray:
        """distorted: float32 (batch, samples) at 16 kHz -> restored float32 (batch, samples)."""
        return np.stack([blind_sox_inverse(y, self.colour, self.gain_range_db, self.clean_peak).restored
                         for y in distorted.astype(np.float64)]).astype(np.float32)
