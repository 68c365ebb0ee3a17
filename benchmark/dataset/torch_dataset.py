"""torch datasets over a generated split (needs the ``torch`` extra): in memory, or streamed by shards.

- :class:`DistortionDataset` holds a split in memory (its audio once, as float32) and is a
  map-style ``Dataset``: what ``bench train`` uses for every split up to :data:`IN_MEMORY_BYTES`
  of audio, 2 GiB (the synth-* train splits: 600 clips of 4 s, 307 MB; the sampled-* ones: 2,000
  clips, 1.02 GB).
- :class:`ShardStream` is an ``IterableDataset`` that reads a few shards at a time
  (``shards_at_once``), for larger splits (e.g. a CEG or SignalTrain train split of 5,000 clips):
  each epoch visits the shards in an order drawn from (seed, epoch) and the examples of each
  group of shards in a drawn order; with DataLoader workers, each worker reads its own groups.

Both draw the random crop of an example from a generator seeded by (seed, epoch, example
index), so the crops of an epoch are the same however the split is read. ``set_epoch``
writes the epoch to shared memory, so DataLoader workers see it, persistent ones too, as
long as it is called before the epoch's iterator is created (``for batch in loader``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from .shards import iter_examples, load_manifest, read_shard, shard_paths

IN_MEMORY_BYTES = 2 * 2**30  # audio bytes (clean + distorted, float32) above which `open_split` streams
_ORDER = 0x5348  # leads the seeds of the stream's shard and example orders (crops are seeded by (seed, epoch, index))
_COLUMNS = ["id", "index", "distorted", "clean"]

Batch = tuple[list[str], torch.Tensor, torch.Tensor]  # example ids, distorted (batch, samples), clean


def _crop(distorted: torch.Tensor, clean: torch.Tensor, crop: int | None, seed: int, epoch: int,
          index: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The random crop of one example for an epoch (the whole example without ``crop`` or when shorter)."""
    if crop is None or crop >= clean.numel():
        return distorted, clean
    rng = np.random.default_rng([seed, epoch, index])
    start = int(rng.integers(0, clean.numel() - crop + 1))
    return distorted[start : start + crop], clean[start : start + crop]


class _SharedEpoch:
    """The epoch number in shared memory: a DataLoader's workers see what ``set_epoch`` writes."""

    def __init__(self) -> None:
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self.crop: int | None = None
        self.seed = 0

    @property
    def epoch(self) -> int:
        return int(self._epoch)

    def set_epoch(self, epoch: int) -> None:
        self._epoch.fill_(epoch)


class DistortionDataset(_SharedEpoch, torch.utils.data.Dataset):
    """(distorted, clean) float32 tensor pairs of one split, held in memory.

    With ``crop`` (samples), each item is a random crop of that length, drawn from a
    generator seeded by (``seed``, ``epoch``, item index) so that a training run is
    reproducible; call ``set_epoch`` to get new crops each epoch. Without ``crop``,
    items are whole examples.
    """

    def __init__(self, task_dir: str | Path, split: str, crop: int | None = None, seed: int = 0):
        super().__init__()
        self.ids: list[str] = []
        self.distorted: list[torch.Tensor] = []
        self.clean: list[torch.Tensor] = []
        for row in iter_examples(task_dir, split, columns=["id", "distorted", "clean"]):
            self.ids.append(row["id"])  # each signal copied out of its shard, so the shard is freed
            self.distorted.append(torch.from_numpy(np.array(row["distorted"])))
            self.clean.append(torch.from_numpy(np.array(row["clean"])))
        self.crop, self.seed = crop, seed

    def __len__(self) -> int:
        return len(self.clean)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return _crop(self.distorted[index], self.clean[index], self.crop, self.seed, self.epoch, index)

    def batches(self, epoch: int, batch_size: int) -> Iterator[Batch]:
        """The training batches of an epoch: a permutation drawn from (seed, epoch), the last
        incomplete batch left out."""
        self.set_epoch(epoch)
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(self.seed * 100003 + epoch))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            indices = [int(i) for i in order[start : start + batch_size]]
            items = [self[i] for i in indices]
            yield [self.ids[i] for i in indices], torch.stack([d for d, _ in items]), torch.stack([c for _, c in items])


class ShardStream(_SharedEpoch, torch.utils.data.IterableDataset):
    """(distorted, clean) float32 tensor pairs of one split, read ``shards_at_once`` shards at a time.

    Each epoch yields every example once: groups of shards in an order drawn from (``seed``,
    epoch), the examples of a group in an order drawn from (``seed``, epoch, group); random
    crops as :class:`DistortionDataset` draws them. In a DataLoader, worker ``w`` of ``n``
    reads groups ``w, w + n, ...``.
    """

    def __init__(self, task_dir: str | Path, split: str, crop: int | None = None, seed: int = 0,
                 shards_at_once: int = 4):
        super().__init__()
        self.paths = shard_paths(task_dir, split)
        self.examples = load_manifest(task_dir)["splits"][split]["examples"]
        self.crop, self.seed, self.shards_at_once = crop, seed, shards_at_once

    def __len__(self) -> int:
        return self.examples

    def items(self, epoch: int, worker: int = 0, workers: int = 1) -> Iterator[tuple[str, torch.Tensor, torch.Tensor]]:
        """(id, distorted, clean) of every example of an epoch in this worker's share, in stream order."""
        order = np.random.default_rng([_ORDER, self.seed, epoch]).permutation(len(self.paths))
        groups = [order[i : i + self.shards_at_once] for i in range(0, len(order), self.shards_at_once)]
        for number in range(worker, len(groups), workers):
            rows = [row for shard in groups[number] for row in read_shard(self.paths[shard], _COLUMNS)]
            for i in np.random.default_rng([_ORDER, self.seed, epoch, number + 1]).permutation(len(rows)):
                row = rows[i]
                distorted, clean = torch.from_numpy(np.array(row["distorted"])), torch.from_numpy(np.array(row["clean"]))
                yield row["id"], *_crop(distorted, clean, self.crop, self.seed, epoch, row["index"])

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        worker = torch.utils.data.get_worker_info()
        for _, distorted, clean in self.items(self.epoch, worker.id if worker else 0, worker.num_workers if worker else 1):
            yield distorted, clean

    def batches(self, epoch: int, batch_size: int) -> Iterator[Batch]:
        """The training batches of an epoch, in stream order; the last incomplete batch left out."""
        self.set_epoch(epoch)
        batch: list[tuple[str, torch.Tensor, torch.Tensor]] = []
        for item in self.items(epoch):
            batch.append(item)
            if len(batch) == batch_size:
                yield [i for i, _, _ in batch], torch.stack([d for _, d, _ in batch]), torch.stack([c for _, _, c in batch])
                batch = []


def audio_bytes(task_dir: str | Path, split: str) -> int:
    """Bytes of a split's audio in memory: clean and distorted, float32 (from the manifest's recipe)."""
    manifest = load_manifest(task_dir)
    recipe = manifest["recipe"]
    seconds = recipe["splits"][split]["seconds"]
    return manifest["splits"][split]["examples"] * round(seconds * recipe["sample_rate"]) * 2 * 4


def open_split(task_dir: str | Path, split: str, crop: int | None = None, seed: int = 0,
               in_memory_bytes: int = IN_MEMORY_BYTES) -> DistortionDataset | ShardStream:
    """A split in memory when its audio takes at most ``in_memory_bytes``, else streamed by shards."""
    if audio_bytes(task_dir, split) <= in_memory_bytes:
        return DistortionDataset(task_dir, split, crop, seed)
    return ShardStream(task_dir, split, crop, seed)
