"""Dynamics augmentation for training: clean crops under a random gain curve, distorted anew.

A generated example is peak-normalised as a whole and its level (gain in dB, or input SDR)
applies to all of it, so every part of a clip is driven about equally hard. A real recording
is not: notes ring out and players play soft and loud, so the same effect drives its quiet
passages less. With ``dynamics_db`` > 0, half of the training crops (drawn per seed, epoch and
example) are multiplied by a smooth gain curve (:func:`benchmark.dataset.dynamics.gain_curve`: linear
in dB between a few points drawn in [-dynamics_db, 0] dB), brought back to the crop's peak, and passed through
the task's effect again with the example's own parameters (``apply_effect``, the generators'
code): the pair stays exact, only the clean signal's dynamics change. The other half are
left as generated. numpy only; :func:`redistort_batch` works on one training batch.
"""
from __future__ import annotations

import numpy as np

from ..dataset.dynamics import shaped
from ..effects.registry import apply_effect

_STREAM = 0x44594E  # leads the seed of an example's draw, after (seed, epoch, index)


def redistort(clean: np.ndarray, effect: str, params: dict, sample_rate: int, depth_db: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """(distorted, clean) float32 of one crop under a random gain curve, or None for a crop the
    draw leaves as generated (one in two) or a silent one."""
    if rng.random() < 0.5 or not np.any(clean):
        return None
    shaped_clean = shaped(clean, rng, depth_db)
    distorted, _ = apply_effect(effect, shaped_clean.astype(np.float64), params, sample_rate)
    return distorted.astype(np.float32), shaped_clean


def redistort_batch(distorted: np.ndarray, clean: np.ndarray, indices: list[int], params: list[dict], effect: str,
                    sample_rate: int, depth_db: float, seed: int, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """A training batch (batch, samples) with its crops redistorted as :func:`redistort` draws them,
    from a generator seeded by (seed, epoch, example index); returns new arrays."""
    distorted, clean = distorted.copy(), clean.copy()
    for row, (index, example_params) in enumerate(zip(indices, params)):
        rng = np.random.default_rng([_STREAM, seed, epoch, index])
        pair = redistort(clean[row], effect, example_params, sample_rate, depth_db, rng)
        if pair is not None:
            distorted[row], clean[row] = pair
    return distorted, clean
