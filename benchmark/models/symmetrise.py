"""``bench symmetrise``: run a checkpoint as an odd network (``OddSymmetric``) when its task's val split says so.

The weights are scored on the val split of the task they were trained on, as trained (plain)
and odd-symmetrised; the checkpoint is marked ``odd`` exactly when the odd network scores
higher (mean SI-SDR, dB), and both scores are recorded beside the mark (``odd_val_si_sdr``).
Only a task whose effect is odd (``Effect.is_odd`` with the recipe's fixed parameters) is
accepted. The file is rewritten atomically, and only when the mark or the scores change; a
checkpoint exported again by ``bench train`` carries its run's own setting (``--odd`` or not).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..atomic import atomic_path
from ..dataset.shards import load_manifest
from ..dataset.torch_dataset import DistortionDataset
from .checkpoints import read_checkpoint, wrap_as_recorded
from .symmetry import require_odd_effect
from .train import validate


def symmetrise(path: str | Path, name: str, data: str | Path = "data", device: str = "cpu",
               batch_size: int = 8) -> dict[str, Any]:
    """Mark the checkpoint at ``path`` (network ``name``) odd when that scores higher on its task's val split
    in ``data``; returns ``{"task", "plain", "odd", "chosen"}`` (val SI-SDR in dB, the mark)."""
    path = Path(path)
    net, checkpoint = read_checkpoint(path, name)  # on the CPU: the file is written back as it was read
    task = checkpoint["task"]
    require_odd_effect(load_manifest(Path(data) / task)["recipe"]["effect"], task, f"bench symmetrise ({path})")
    net.to(device)
    val = DistortionDataset(Path(data) / task, "val")
    scores = {}
    for odd in (False, True):
        model = wrap_as_recorded(net, checkpoint, odd)
        scores["odd" if odd else "plain"] = validate(model, val, device, batch_size, checkpoint.get("loss", "sdr"))[1]
    chosen = scores["odd"] > scores["plain"]
    if checkpoint.get("odd") != chosen or checkpoint.get("odd_val_si_sdr") != scores:
        checkpoint["odd"], checkpoint["odd_val_si_sdr"] = chosen, scores
        with atomic_path(path) as temp:
            torch.save(checkpoint, temp)
    return {"task": task, **scores, "chosen": chosen}
