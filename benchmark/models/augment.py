"""Training augmentations: clean crops changed (dynamics, timbre) and distorted anew.

A generated example is peak-normalised as a whole and its level (gain in dB, or input SDR)
applies to all of it, so every part of a clip is driven about equally hard; and the sampled
guitars are a few recordings, one timbre each. A real recording is neither: notes ring out and
players play soft and loud, so the same effect drives its quiet passages less, and each guitar,
pickup and DI chain colours the spectrum its own way. Half of the training crops (drawn per
seed, epoch and example) are changed, the other half left as generated:

- with ``dynamics_db`` > 0, multiplied by a smooth gain curve
  (:func:`benchmark.dataset.dynamics.shaped`: linear in dB between a few points drawn in
  [-dynamics_db, 0] dB);
- with ``timbre_db`` > 0, filtered by a random low shelf, peak and high shelf
  (:func:`benchmark.dataset.timbre.equalised`: gains in [-timbre_db, timbre_db] dB);

each brought back to the crop's peak and passed through the task's effect again with the
example's own parameters (``apply_effect``, the generators' code): the pair stays exact, only
the clean signal changes. numpy and scipy only; :func:`redistort_batch` works on one training batch.
"""
from __future__ import annotations

import numpy as np

from ..dataset.dynamics import shaped
from ..dataset.timbre import equalised
from ..effects.registry import apply_effect

_STREAM = 0x44594E  # leads the seed of an example's draw, after (seed, epoch, index)


def redistort(clean: np.ndarray, effect: str, params: dict, sample_rate: int, rng: np.random.Generator,
              dynamics_db: float = 0.0, timbre_db: float = 0.0) -> tuple[np.ndarray, np.ndarray] | None:
    """(distorted, clean) float32 of one changed crop, or None for a crop the draw leaves as
    generated (one in two) or a silent one."""
    if rng.random() < 0.5 or not np.any(clean):
        return None
    changed = clean
    if dynamics_db:
        changed = shaped(changed, rng, dynamics_db)
    if timbre_db:
        changed = equalised(changed, rng, sample_rate, timbre_db)
    distorted, _ = apply_effect(effect, changed.astype(np.float64), params, sample_rate)
    return distorted.astype(np.float32), changed


def redistort_batch(distorted: np.ndarray, clean: np.ndarray, indices: list[int], params: list[dict], effect: str,
                    sample_rate: int, seed: int, epoch: int, dynamics_db: float = 0.0,
                    timbre_db: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A training batch (batch, samples) with its crops changed and redistorted as :func:`redistort`
    draws them, from a generator seeded by (seed, epoch, example index); returns new arrays."""
    distorted, clean = distorted.copy(), clean.copy()
    for row, (index, example_params) in enumerate(zip(indices, params)):
        rng = np.random.default_rng([_STREAM, seed, epoch, index])
        pair = redistort(clean[row], effect, example_params, sample_rate, rng, dynamics_db, timbre_db)
        if pair is not None:
            distorted[row], clean[row] = pair
    return distorted, clean
