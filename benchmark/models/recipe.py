"""The recipe of a ``bench train`` run (torch-free, so that the CLI can list its choices).

:class:`TrainConfig` holds the budget and every setting a run records in its checkpoint; the
names a setting may take are here and nowhere else: ``LOSSES`` (the waveform losses of
:mod:`benchmark.models.losses`), ``LR_SCHEDULES`` and ``PRECISIONS``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from ..errors import BenchmarkError

LOSSES = ("sdr", "si_sdr")  # waveform loss: -SDR or -SI-SDR (each plus 0.1 x MR-STFT)
LR_SCHEDULES = ("constant", "plateau")  # plateau: halve the learning rate when validation stalls
PRECISIONS = ("float32", "bfloat16")  # of the training forward passes (bfloat16: under autocast)
RECORDED_AS = {"peak_normalise": "peak_normalised", "init": "init_sha256"}  # TrainConfig field -> checkpoint key, where they differ


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


def recipe_options(run: dict[str, Any], config: str) -> str:
    """The ``bench train`` options of a recorded run (a checkpoint's fields) that are off their default,
    ``config`` being the name of its network config: '--config small-resample --lr 0.00025 --consistent'.
    ``--init`` shows the starting weights' SHA-256 (its first 12 digits); a setting the run recorded
    before it existed is at its default, as when such a run resumes."""
    default = TrainConfig(epochs=1)
    options = []
    for field in fields(TrainConfig):
        if field.name in ("epochs", "minutes"):
            continue
        value = config if field.name == "config" else run.get(RECORDED_AS.get(field.name, field.name),
                                                                getattr(default, field.name))
        if value == getattr(default, field.name):
            continue
        flag = "--" + field.name.replace("_", "-")
        if value is True:
            options.append(flag)
        elif field.name == "init":
            options.append(f"{flag} <weights with SHA-256 {value[:12]}...>")
        else:
            options.append(f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}")
    return " ".join(options)
