"""Clip-consistent output for declipping networks (torch).

A symmetrically hard-clipped signal ``y = clip(x, -t, t)`` keeps the clean signal exactly
where ``|x| < t`` (the reliable samples) and tells, where it sits at ``±t``, that the clean
sample is at least ``t`` in magnitude with the same sign. The consistent set is every signal
that agrees with both facts; A-SPADE projects onto it, and :func:`clip_consistent` does the
same to a network's estimate:

- reliable samples are replaced by the input (the network is not asked to reproduce them);
- clipped samples become at least the input: ``max(estimate, y)`` at the top, ``min(estimate, y)``
  at the bottom.

The projection is onto a convex set that holds the clean signal, so it never moves a sample
away from it. In training it is applied with a straight-through gradient on the clipped
samples (the clamp passes the gradient as if it were the identity), so that an estimate
below the threshold is still pushed up towards a clean peak.

The clipping levels are found from the input alone, as for A-SPADE: per example and polarity
(``benchmark.effects.clipping_masks``), since the plateaus of a 16-bit file sit a few steps apart.
This holds only for hard clipping (effects with ``hard_clipping`` in ``benchmark.effects.EFFECTS``);
on overdrive no sample of the input equals the clean signal, so it must not be used there.
"""
from __future__ import annotations

import torch

from ..effects import CLIP_TOLERANCE, clipping_masks


def clip_consistent(estimate: torch.Tensor, clipped: torch.Tensor, tolerance: float = CLIP_TOLERANCE) -> torch.Tensor:
    """Project ``estimate`` onto the signals consistent with the hard-clipped ``clipped``.

    Both are (..., samples); the clipping levels are ``max(clipped)`` and ``min(clipped)`` over the
    last axis (``clipping_masks``). The clamp of the clipped samples has a straight-through gradient.
    """
    high, low = clipping_masks(clipped, tolerance=tolerance)
    bounded = torch.where(high, torch.maximum(estimate, clipped), torch.minimum(estimate, clipped))
    projected = bounded.detach() + (estimate - estimate.detach())  # value: bounded exactly; gradient: 1
    return torch.where(high | low, projected, clipped)


class ClipConsistent(torch.nn.Module):
    """A network whose output is projected with :func:`clip_consistent`; same call and shapes."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, clipped: torch.Tensor) -> torch.Tensor:
        return clip_consistent(self.net(clipped), clipped)
