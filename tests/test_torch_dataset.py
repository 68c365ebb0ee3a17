"""torch datasets over a split: in memory or streamed by shards; epochs in DataLoader workers."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

import benchmark.dataset.torch_dataset as torch_dataset
from benchmark.dataset.shards import iter_examples
from benchmark.dataset.torch_dataset import DistortionDataset, ShardStream, audio_bytes, open_split
from benchmark.models.recipe import TrainConfig
from benchmark.models.train import train
from conftest import one_second_task

CROP = 4000  # samples


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A train split of 13 one-second examples in shards of 4 (the last shard holds 1)."""
    return one_second_task(tmp_path_factory.mktemp("torch-data"), train_clips=13) / "tiny-od"


def crops_by_id(dataset, epoch: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    return {ids[0]: (d[0], c[0]) for ids, d, c in dataset.batches(epoch, 1)}


def test_the_stream_yields_each_example_once_per_epoch_with_the_in_memory_crops(data, monkeypatch):
    memory, stream = DistortionDataset(data, "train", CROP, seed=3), ShardStream(data, "train", CROP, seed=3,
                                                                                 shards_at_once=2)
    assert len(stream) == len(memory) == 13
    for epoch in (1, 2):
        ours, theirs = crops_by_id(stream, epoch), crops_by_id(memory, epoch)
        assert sorted(ours) == sorted(theirs) == memory.ids
        for key in ours:
            assert torch.equal(ours[key][0], theirs[key][0]) and torch.equal(ours[key][1], theirs[key][1])
    first, again, second = ([i for i, _, _ in stream.items(e)] for e in (1, 1, 2))
    assert first == again and first != second  # an order drawn from (seed, epoch)
    read, held = torch_dataset.read_shard, []

    def counted(*args, **kwargs):
        rows = read(*args, **kwargs)
        held.append(len(rows))
        return rows

    monkeypatch.setattr(torch_dataset, "read_shard", counted)
    for number, _ in enumerate(stream.items(3), 1):
        assert sum(held) - number < 2 * 4  # rows read, not yet yielded: at most two shards of 4
    assert sum(held) == 13
    assert len(list(stream.batches(1, 4))) == 3  # 13 examples: the incomplete batch is left out


def test_set_epoch_reaches_persistent_dataloader_workers(data):
    """Workers hold a copy of the dataset made when they start; the epoch they crop with must be
    the one set afterwards, before each epoch's iterator."""
    for dataset in (DistortionDataset(data, "train", CROP, seed=1), ShardStream(data, "train", CROP, seed=1)):
        loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=1, persistent_workers=True)
        for epoch in (1, 2):
            dataset.set_epoch(epoch)
            got = [clean for _, clean in loader]
            expected = ([dataset[i][1] for i in range(len(dataset))] if isinstance(dataset, DistortionDataset)
                        else [clean for _, _, clean in dataset.items(epoch)])
            assert len(got) == len(expected) == 13
            assert all(torch.equal(a, b) for a, b in zip(got, expected)), (type(dataset).__name__, epoch)


def test_stream_workers_share_the_shards(data):
    stream = ShardStream(data, "train", seed=0, shards_at_once=1)
    stream.set_epoch(5)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=2)
    signals = Counter(clean.numpy().tobytes() for _, clean in loader)
    expected = Counter(np.asarray(row["clean"]).tobytes() for row in iter_examples(data, "train"))
    assert signals == expected  # every example once, whole (no crop)


def test_large_splits_are_streamed_and_train_deterministically(data, tmp_path, monkeypatch):
    import benchmark.models.train

    assert audio_bytes(data, "train") == 13 * 16000 * 2 * 4
    assert isinstance(open_split(data, "train"), DistortionDataset)
    assert isinstance(open_split(data, "train", in_memory_bytes=audio_bytes(data, "train") - 1), ShardStream)
    opened = []

    def streamed(*args, **kwargs):  # every train split above 1000 bytes: streamed
        opened.append(open_split(*args, **kwargs, in_memory_bytes=1000))
        return opened[-1]

    monkeypatch.setattr(benchmark.models.train, "open_split", streamed)
    torch.set_num_threads(1)
    runs = {}
    for name, epochs in (("a", 2), ("b", 2), ("c", 1), ("c", 2)):  # c: stopped after one epoch, resumed
        runs[name] = train("waveunet", "tiny-od", TrainConfig(epochs=epochs, crop_seconds=0.25, batch_size=4),
                           data.parent, tmp_path / name, progress=False)
    assert len(opened) == 4 and all(isinstance(d, ShardStream) for d in opened)
    for key, weights in runs["a"]["weights"].items():
        assert torch.equal(weights, runs["b"]["weights"][key]) and torch.equal(weights, runs["c"]["weights"][key])
