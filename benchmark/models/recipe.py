"""The recipe of a ``bench train`` run (torch-free, so that the CLI can list its choices).

:class:`TrainConfig` holds the budget and every setting a run records in its checkpoint; the
names a setting may take are here and nowhere else: ``LOSSES`` (the waveform losses of
:mod:`benchmark.models.losses`), ``LR_SCHEDULES`` and ``PRECISIONS``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import BenchmarkError

LOSSES = ("sdr", "si_sdr")  # waveform loss: -SDR or -SI-SDR (each plus 0.1 x MR-STFT)
LR_SCHEDULES = ("constant", "plateau")  # plateau: halve the learning rate when validation stalls
PRECISIONS = ("float32", "bfloat16")  # of the training forward passes (bfloat16: under autocast)


class TrainingError(BenchmarkError, RuntimeError):
    """Training cannot start or go on (bad settings, a non-finite loss or gradient)."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train: the budget (``epochs``, or ``minutes`` of training) and the recipe of the run."""

    epochs: int | None = None
    minutes: float | None = None
    config: str = "small"  # a key of the network's CONFIGS: "small" (CPU), "paper", or a variant of them
    seed: int = 0
    batch_size: int = 8
    crop_seconds: float = 2.0  # length of the random training crops, s
    lr: float = 1e-3
    consistent: bool = False  # hard-clipping tasks: project the output onto the consistent set
    loss: str = "sdr"  # one of LOSSES
    peak_normalise: bool = False  # run the network on its input divided by the input's peak
    lr_schedule: str = "constant"  # one of LR_SCHEDULES
    precision: str = "float32"  # one of PRECISIONS; validation stays float32
    dynamics_db: float = 0.0  # depth of the random gain curves of the dynamics augmentation, dB (0 = off)
    init: str | None = None  # start from this checkpoint's weights (a .pt of the same network and config)
    odd: bool = False  # odd effects: train and run the network as (f(x) - f(-x)) / 2 (models.symmetry)
    timbre_db: float = 0.0  # gain range of the random equalisers of the timbre augmentation, +-dB (0 = off)
    val_task: str | None = None  # validate and select on this task's val split (default: the trained task's)

    def __post_init__(self) -> None:
        if self.epochs is None and self.minutes is None:
            raise TrainingError("give --epochs or --minutes")
        for setting, value, known in (("loss", self.loss, LOSSES), ("learning-rate schedule", self.lr_schedule,
                                      LR_SCHEDULES), ("precision", self.precision, PRECISIONS)):
            if value not in known:
                raise TrainingError(f"unknown {setting} '{value}'; known: {', '.join(known)}")
        for flag, depth in (("--dynamics-db", self.dynamics_db), ("--timbre-db", self.timbre_db)):
            if not 0 <= depth < math.inf:
                raise TrainingError(f"{flag} must be a finite depth >= 0 dB, got {depth}")
