"""Scale-equivariant networks (torch): ``PeakNormalised`` runs a network on its input divided by
the input's peak and multiplies the output back, per example.

A hard-clipped input's peak is its clipping level, so the network always sees plateaus at
+-1 whatever the gain, and the same audio at another level gives the same output at that
level. Demucs normalises by the input's standard deviation inside itself; Wave-U-Net does
not, and with its ``tanh`` output it cannot exceed +-1 after this normalisation: pair it with
a ``linear`` output (its ``small-linear`` config).
"""
from __future__ import annotations

import torch

TINY = 1e-8  # peaks below this (silence) are treated as this


class PeakNormalised(torch.nn.Module):
    """``net(x / peak) * peak``, ``peak = max|x|`` per example over the last axis; same call and shapes."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        peak = x.abs().amax(dim=-1, keepdim=True).clamp(min=TINY)  # (batch, 1)
        return self.net(x / peak) * peak
