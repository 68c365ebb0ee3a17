"""A torch ``Dataset`` over a generated split (needs the ``torch`` extra)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .shards import iter_examples


class DistortionDataset(torch.utils.data.Dataset):
    """(distorted, clean) float32 tensor pairs of one split, held in memory.

    With ``crop`` (samples), each item is a random crop of that length, drawn from a
    generator seeded by (``seed``, ``epoch``, item index) so that a training run is
    reproducible; call ``set_epoch`` to get new crops each epoch. Without ``crop``,
    items are whole examples.
    """

    def __init__(self, task_dir: str | Path, split: str, crop: int | None = None, seed: int = 0):
        rows = list(iter_examples(task_dir, split, columns=["id", "distorted", "clean"]))
        self.ids = [r["id"] for r in rows]
        self.distorted = [torch.from_numpy(np.array(r["distorted"])) for r in rows]
        self.clean = [torch.from_numpy(np.array(r["clean"])) for r in rows]
        self.crop, self.seed, self.epoch = crop, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.clean)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        distorted, clean = self.distorted[index], self.clean[index]
        if self.crop is None or self.crop >= clean.numel():
            return distorted, clean
        rng = np.random.default_rng([self.seed, self.epoch, index])
        start = int(rng.integers(0, clean.numel() - self.crop + 1))
        return distorted[start : start + self.crop], clean[start : start + self.crop]
