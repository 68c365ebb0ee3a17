"""Networks by name, their checkpoints, and the submission class a network's file subclasses.

A checkpoint is a ``torch.save`` dict (as Demucs does it, it carries its class and arguments):
the weights, the network's registry name and config kwargs, the data fingerprint it was
trained on and the code version. :func:`load_network` rebuilds the network from it and
refuses a checkpoint of another network or config. A checkpoint trained with ``peak_normalised``
(``bench train --peak-normalise``) is loaded wrapped in :class:`benchmark.models.scaling.PeakNormalised`,
one trained with ``consistent`` (``bench train --consistent``, hard-clipping tasks only) in
:class:`benchmark.models.consistency.ClipConsistent`, in that order, and one marked ``odd`` (``bench
train --odd`` or ``bench symmetrise``, odd effects only) is run as
:class:`benchmark.models.symmetry.OddSymmetric` innermost: :func:`wrap` is the one place.
"""
from __future__ import annotations

import importlib
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import BenchmarkError
from ..hashing import file_sha256
from ..paths import PACKAGE_DIR
from ..versions import __version__
from . import NETWORKS, checkpoint_path
from .consistency import ClipConsistent
from .scaling import PeakNormalised
from .symmetry import OddSymmetric


class CheckpointError(BenchmarkError, ValueError):
    """A checkpoint is missing or does not belong to the network asked for."""


def network_class(name: str) -> tuple[type[torch.nn.Module], dict[str, dict[str, Any]]]:
    """The nn.Module class of a registered network and its named configs ("small", "paper")."""
    if name not in NETWORKS:
        raise CheckpointError(f"unknown model '{name}'; known: {', '.join(NETWORKS)}")
    module = importlib.import_module(f"{__package__}.{name}")
    return getattr(module, NETWORKS[name]), module.CONFIGS


def config_name(name: str, kwargs: dict[str, Any]) -> str:
    """The name of network ``name``'s config with these kwargs ("small", "small-resample", ...), or the
    kwargs themselves as text when no named config has them (any more)."""
    return next((key for key, named in network_class(name)[1].items() if named == kwargs), str(kwargs))


def build_network(name: str, config: str | dict[str, Any]) -> tuple[torch.nn.Module, dict[str, Any]]:
    """A fresh network from a config name ("small", "paper") or kwargs; returns (net, kwargs)."""
    cls, configs = network_class(name)
    if isinstance(config, str):
        if config not in configs:
            raise CheckpointError(f"model '{name}' has no config '{config}'; it has {', '.join(configs)}")
        config = configs[config]
    return cls(**config), dict(config)


def code_version(name: str) -> dict[str, str]:
    """Package version, SHA-256 of the network's module and, in a git checkout, the commit."""
    path = PACKAGE_DIR / "models" / f"{name}.py"
    try:
        commit = subprocess.run(["git", "-C", str(PACKAGE_DIR), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"benchmark": __version__, "model_file_sha256": file_sha256(path), "git": commit}


def parameter_count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def wrap(net: torch.nn.Module, peak_normalised: bool = False, consistent: bool = False,
         odd: bool = False) -> torch.nn.Module:
    """The network as trained and run: odd-symmetrised innermost, then peak-normalised, clip-consistent
    outside (each if asked)."""
    if odd:
        net = OddSymmetric(net)
    if peak_normalised:
        net = PeakNormalised(net)
    return ClipConsistent(net) if consistent else net


def read_checkpoint(path: str | Path, name: str, device: str = "cpu",
                    config: dict | None = None) -> tuple[torch.nn.Module, dict]:
    """The bare network a checkpoint describes with its weights loaded (not wrapped), and the checkpoint.

    Refuses a missing file, a checkpoint of another network, or (when ``config`` is given) of
    another config, and weights that do not fit.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no {name} checkpoint at {path}")
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
    return net, checkpoint


def wrap_as_recorded(net: torch.nn.Module, checkpoint: dict, odd: bool | None = None) -> torch.nn.Module:
    """``net`` wrapped as its checkpoint records (:func:`wrap`); ``odd`` given overrides the checkpoint's mark."""
    return wrap(net, bool(checkpoint.get("peak_normalised")), bool(checkpoint.get("consistent")),
                bool(checkpoint.get("odd")) if odd is None else odd)


def load_network(path: str | Path, name: str, device: str = "cpu", config: dict | None = None) -> tuple[torch.nn.Module, dict]:
    """Build the network a checkpoint describes and load its weights (eval mode), wrapped as it was trained
    (:func:`wrap_as_recorded`); refuses what :func:`read_checkpoint` refuses."""
    net, checkpoint = read_checkpoint(path, name, device, config)
    return wrap_as_recorded(net, checkpoint).to(device).eval(), checkpoint


class NeuralSubmission:
    """Submission of a registered network: subclass it, set ``network`` (a key of ``NETWORKS``) and
    ``checkpoints`` (the folder of NETWORK/TASK.pt files, usually beside the submission file).

    A task without a checkpoint fails with the ``bench train`` command that makes one.
    """

    network = ""
    checkpoints: Path = Path("checkpoints")
    sample_rate = 16000  # Hz

    @classmethod
    def files(cls, task: str) -> list[str]:
        path = checkpoint_path(cls.network, task, cls.checkpoints)
        return [str(path)] if path.is_file() else []

    def __init__(self, task: str, device: str = "cpu"):
        path = checkpoint_path(self.network, task, self.checkpoints)
        if not path.is_file():
            raise CheckpointError(
                f"no {self.network} checkpoint for task '{task}' at {path}; make one with: "
                f"bench train --model {self.network} --task {task} --out {self.checkpoints}"
            )
        self.device = device
        self.net, checkpoint = load_network(path, self.network, device)
        self.num_parameters = parameter_count(self.net)
        self.clip_consistent = bool(checkpoint.get("consistent"))

    @torch.no_grad()
    def __call__(self, distorted: np.ndarray) -> np.ndarray:
        """float32 (batch, samples) -> restored float32 (batch, samples)."""
        x = torch.from_numpy(np.ascontiguousarray(distorted, dtype=np.float32)).to(self.device)
        return self.net(x).float().cpu().numpy()
