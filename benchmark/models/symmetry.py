"""Odd networks (torch): ``OddSymmetric`` runs a network as ``(f(x) - f(-x)) / 2``.

An odd effect (``E(-x) = -E(x)``: SoX overdrive at colour 0, symmetric clipping; see
``Effect.is_odd`` in ``benchmark.effects``) maps ``-x`` to ``-E(x)``, so a restorer of it may
well be odd too. A trained network is odd only approximately; averaging it with its mirror
image makes it exactly odd and removes the even part of its output. Whether that helps is
an empirical question per set of weights: it does where the effect is nearly invertible
(overdrive), but where the network must guess what the effect erased (clipped peaks) the clean
audio's own asymmetry (recorded waveforms are not symmetric in sign) is information the
average throws away. ``bench symmetrise`` decides for trained weights on the task's val split;
``bench train --odd`` trains the symmetrised network itself. Either records ``odd`` in the
checkpoint, which :func:`benchmark.models.checkpoints.wrap` applies.
"""
from __future__ import annotations

from typing import Mapping

import torch

from ..effects import EFFECTS
from .recipe import TrainingError


def require_odd_effect(effect: Mapping, task: str, what: str) -> None:
    """Refuse (TrainingError naming ``what``) a task whose recipe ``effect`` table is not odd with its
    fixed parameters."""
    fixed = effect.get("fixed", {})
    if not EFFECTS[effect["name"]].is_odd(fixed):
        odd = ", ".join(e.name for e in EFFECTS.values() if e.odd)
        raise TrainingError(f"{what} needs a task whose effect is odd ({odd}; SoX overdrive only at colour 0); "
                            f"task '{task}' uses {effect['name']} with {fixed}")


class OddSymmetric(torch.nn.Module):
    """``(net(x) - net(-x)) / 2``, one forward pass over ``x`` and ``-x`` stacked on the batch axis."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        both = self.net(torch.cat([x, -x]))  # (2 * batch, samples)
        plus, minus = both.chunk(2)  # each (batch, samples)
        return 0.5 * (plus - minus)
