"""Which weights each network on a board ran: the ``bench train`` recipe and the epoch its checkpoint
records, read from the checkpoint its summary names, and only if that file is still the one scored."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import BenchmarkError
from ..hashing import file_sha256
from ..models import NETWORKS
from ..models.recipe import recipe_options
from ..paths import repository
from .tables import ranked


def _on_disk(name: str) -> Path | None:
    """A path a summary names: absolute as evaluated, or relative to the repository as published."""
    path = Path(name)
    if not path.is_absolute():
        try:
            path = repository() / path
        except BenchmarkError:
            return None
    return path if path.is_file() else None


def _weights(s: dict[str, Any]) -> str | None:
    """How the one bench-train checkpoint a summary's submission read was trained, or why that is unknown;
    None for a submission without one."""
    names = [f for f in s.get("files", []) if f.endswith(".pt")]
    if len(names) != 1:
        return None
    [name] = names
    import torch  # only once a board has a checkpoint to read
    from ..models.checkpoints import config_name
    on_disk = {f: _on_disk(f) for f in [s["submission_file"], *s["files"]]}  # in the order they were hashed
    if None in on_disk.values():
        return f"`{name}` is not on this machine"
    if file_sha256(*on_disk.values()) != s["submission_sha256"]:
        return f"`{name}` has changed since it was scored (evaluate it again)"
    checkpoint = torch.load(on_disk[name], map_location="cpu", weights_only=True)
    if checkpoint.get("model") not in NETWORKS or "config" not in checkpoint:
        return None
    model = checkpoint["model"]
    options = recipe_options(checkpoint, config_name(model, checkpoint["config"]))
    return (f"epoch {checkpoint['best_epoch']} of {checkpoint['epochs']} (validation SI-SDR "
            f"{checkpoint['val_si_sdr']:.2f} dB) of `bench train --model {model} --task {checkpoint['task']}"
            f"{' ' + options if options else ''}`")


def weights_note(entries: dict[str, dict[str, Any]]) -> str:
    """One sentence naming, per network on a task (in ranking order), the epoch and recipe of its weights;
    empty when no method ran a ``bench train`` checkpoint (or torch is not installed to read one)."""
    try:
        described = [(entries[n]["label"], _weights(entries[n])) for n in ranked(entries)
                     if entries[n].get("applicable", True)]
    except ImportError:
        return ""
    parts = [f"{label}: {text}" for label, text in described if text]
    return ("Weights, as their checkpoints record them (`bench train` options off their default): "
            + "; ".join(parts) + ".") if parts else ""
