"""Restoration models: the paper's networks (torch) and A-SPADE (numpy, optional torch).

One readable file per model, shapes in comments: ``demucs``, ``waveunet``, ``crafx``,
``openunmix`` (each an ``nn.Module`` and its ``CONFIGS``), ``aspade`` (the batched solver),
``aspade_reference`` (the survey's frame-by-frame algorithm it is checked against) and
``sox_inverse`` (SoX overdrive undone with its gain and level estimated). Around
them: ``checkpoints`` (networks by name, checkpoint IO, the ``NeuralSubmission`` base class),
``consistency`` (clip-consistent output), ``losses``, ``recipe`` (the settings of a training run)
and ``train``. A new network is one module here and one entry in :data:`NETWORKS`. Nothing here imports torch until a network is used.
"""
from __future__ import annotations

from pathlib import Path

# Registry name (checkpoint folder, `bench train --model`) -> its nn.Module class in benchmark/models/NAME.py.
NETWORKS = {"demucs": "Demucs", "waveunet": "WaveUNet", "crafx": "CRAFX", "openunmix": "OpenUnmix"}


def checkpoint_path(name: str, task: str, root: str | Path) -> Path:
    """Where the checkpoint of network ``name`` for ``task`` lives under ``root``: NAME/TASK.pt."""
    return Path(root) / name / f"{task}.pt"
