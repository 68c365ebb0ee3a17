"""The neural baselines as models: registry, checkpoints, and the submission wrapper.

Each network lives in one file under ``baselines/`` (``demucs.py``, ``waveunet.py``,
``crafx.py``, ``openunmix.py``) with its ``nn.Module``, a ``CONFIGS`` dict ("small", "paper")
and a ``Model`` submission class built on :class:`NeuralSubmission`. A checkpoint is a
``torch.save`` dict with the weights, the model name and config, the data fingerprint it was
trained on and the code version; it is refused when its name or config does not match.
A checkpoint trained with ``consistent`` (``bench train --consistent``, hard-clipping tasks
only) is loaded wrapped in :class:`benchmark.consistency.ClipConsistent`.
"""
from __future__ import annotations

import hashlib
import importlib.util
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import __version__
from .consistency import ClipConsistent
from .recipes import REPO_ROOT

BASELINES_DIR = REPO_ROOT / "baselines"
CHECKPOINTS_DIR = BASELINES_DIR / "checkpoints"
# model name -> its nn.Module class, defined in baselines/NAME.py
MODELS = {"demucs": "Demucs", "waveunet": "WaveUNet", "crafx": "CRAFX", "openunmix": "OpenUnmix"}


class CheckpointError(ValueError):
    """A checkpoint is missing or does not belong to the model asked for."""


def load_baseline_module(name: str):
    """The module of a baseline, imported from its file ``baselines/NAME.py``."""
    path = BASELINES_DIR / f"{name}.py"
    if not path.is_file():
        raise CheckpointError(f"no baseline '{name}' ({path}); neural models: {', '.join(MODELS)}")
    spec = importlib.util.spec_from_file_location(f"baselines_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def network_class(name: str) -> tuple[type[torch.nn.Module], dict[str, dict[str, Any]]]:
    """The nn.Module class of a registered model and its named configs."""
    if name not in MODELS:
        raise CheckpointError(f"unknown model '{name}'; known: {', '.join(MODELS)}")
    module = load_baseline_module(name)
    return getattr(module, MODELS[name]), module.CONFIGS


def build_network(name: str, config: str | dict[str, Any]) -> tuple[torch.nn.Module, dict[str, Any]]:
    """A fresh network from a config name ("small", "paper") or kwargs; returns (net, kwargs)."""
    cls, configs = network_class(name)
    if isinstance(config, str):
        if config not in configs:
            raise CheckpointError(f"model '{name}' has no config '{config}'; it has {', '.join(configs)}")
        config = configs[config]
    return cls(**config), dict(config)


def code_version(name: str) -> dict[str, str]:
    """Package version, SHA-256 of the model's file and, if available, the git commit."""
    source = (BASELINES_DIR / f"{name}.py").read_bytes()
    try:
        commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"benchmark": __version__, "model_file_sha256": hashlib.sha256(source).hexdigest(), "git": commit}


def parameter_count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def checkpoint_path(name: str, task: str, root: str | Path = CHECKPOINTS_DIR) -> Path:
    return Path(root) / name / f"{task}.pt"


def load_network(path: str | Path, name: str, device: str = "cpu", config: dict | None = None) -> tuple[torch.nn.Module, dict]:
    """Build the network a checkpoint describes and load its weights (eval mode).

    The network is wrapped in :class:`ClipConsistent` when it was trained so. Refuses a
    checkpoint of another model, or (when ``config`` is given) of another config.
    """
    path = Path(path)
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    if checkpoint.get("model") != name:
        raise CheckpointError(f"{path} is a checkpoint of '{checkpoint.get('model')}', not of '{name}'")
    if config is not None and checkpoint["config"] != config:
        raise CheckpointError(f"{path}: its config {checkpoint['config']} does not match {config}")
    net, _ = build_network(name, checkpoint["config"])
    try:
        net.load_state_dict(checkpoint["weights"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit the '{name}' network of config "
                              f"{checkpoint['config']}: {exc}") from None
    if checkpoint.get("consistent"):
        net = ClipConsistent(net)
    return net.to(device).eval(), checkpoint


class NeuralSubmission:
    """Submission wrapper for a registered network: subclass it and set ``name``.

    Loads ``baselines/checkpoints/NAME/TASK.pt``; a task without a checkpoint fails with the
    ``bench train`` command that makes one.
    """

    name = ""
    sample_rate = 16000
    checkpoints = CHECKPOINTS_DIR  # folder of NAME/TASK.pt files

    @classmethod
    def files(cls, task: str) -> list[str]:
        path = checkpoint_path(cls.name, task, cls.checkpoints)
        return [str(path)] if path.is_file() else []

    def __init__(self, task: str, device: str = "cpu"):
        path = checkpoint_path(self.name, task, self.checkpoints)
        if not path.is_file():
            raise CheckpointError(
                f"no {self.name} checkpoint for task '{task}' at {path}; make one with: "
                f"bench train --model {self.name} --task {task} --out {self.checkpoints}"
            )
        self.device = device
        self.net, checkpoint = load_network(path, self.name, device)
        self.num_parameters = parameter_count(self.net)
        self.clip_consistent = bool(checkpoint.get("consistent"))
        self.trained_on = checkpoint.get("data_fingerprint")

    @torch.no_grad()
    def __call__(self, distorted: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(distorted, dtype=np.float32)).to(self.device)
        return self.net(x).float().cpu().numpy()
