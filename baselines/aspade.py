"""A-SPADE sparse declipping (Kitić, Bertin & Gribonval 2015), as the declipping survey runs it.

The solver is ``benchmark.models.aspade``; this file is its submission: hard-clipping tasks
only, the clipping level found from each input, defaults of the survey.
"""
import numpy as np

from benchmark.dataset import RecipeError, get_recipe
from benchmark.effects import EFFECTS
from benchmark.harness import NotApplicable
from benchmark.models.aspade import aspade

TASK_SUFFIXES = ("hc", "sdr")  # for tasks without a known recipe: hard clipping at a gain or to an SDR


class Model:
    sample_rate = 16000  # Hz
    clip_consistent = True  # the output is projected onto the consistent set

    @staticmethod
    def supports(task: str) -> bool:
        """True for tasks whose effect is hard clipping (their recipe says so; for a task
        without a known recipe, a name ending in -hc or -sdr); not overdrive or other effects."""
        try:
            return EFFECTS[get_recipe(task).effect.name].hard_clipping
        except RecipeError:
            return task.rsplit("-", 1)[-1] in TASK_SUFFIXES

    def __init__(self, task: str, device: str = "cpu"):
        if not self.supports(task):
            raise NotApplicable(f"A-SPADE restores hard clipping, not the effect of task {task!r}")
        self.device = device

    def __call__(self, distorted: np.ndarray) -> np.ndarray:
        """distorted: float32 (batch, samples) at 16 kHz -> restored float32 (batch, samples)."""
        return aspade(distorted, self.sample_rate, device=self.device).astype(np.float32)
