"""Reading generated tasks: the manifest, and a split's examples as numpy arrays.

>>> for ex in iter_examples("data/synth-od", "test"):
...     ex["distorted"], ex["clean"], ex["gain_db"]   # float32 arrays, float
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pyarrow.parquet as pq

from .storage import AUDIO_COLUMNS, rows_from_table


class DataError(FileNotFoundError):
    """A task folder is missing or incomplete; the message says how to build it."""


def load_manifest(task_dir: str | Path) -> dict[str, Any]:
    """The manifest of a generated task folder (``DATA/TASK``)."""
    path = Path(task_dir) / "manifest.json"
    if not path.is_file():
        raise DataError(f"{path} not found: build the task first, e.g. `bench generate --task {Path(task_dir).name} "
                        f"--out {Path(task_dir).parent}`")
    return json.loads(path.read_text())


def shard_paths(task_dir: str | Path, split: str) -> list[Path]:
    """The Parquet shards of a split, in example order, as the manifest lists them."""
    manifest = load_manifest(task_dir)
    if "parquet" not in manifest["formats"]:
        raise DataError(f"{task_dir} was generated with --format wav only; regenerate with --format parquet")
    if split not in manifest["splits"]:
        raise DataError(f"{task_dir} has no split '{split}'; it has {list(manifest['splits'])}")
    return [Path(task_dir) / shard["file"] for shard in manifest["splits"][split]["shards"]]


def iter_examples(task_dir: str | Path, split: str, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Examples of a split in index order, one dict each; audio columns as float32 numpy arrays.

    ``columns`` restricts what is read (e.g. leave out ``clean`` when only the input is needed).
    """
    for path in shard_paths(task_dir, split):
        yield from rows_from_table(pq.read_table(path, columns=columns))


def read_metadata(task_dir: str | Path, split: str) -> pd.DataFrame:
    """Every column but the audio, for a split, as a DataFrame (one row per example)."""
    paths = shard_paths(task_dir, split)
    schema = pq.read_schema(paths[0])
    columns = [name for name in schema.names if name not in AUDIO_COLUMNS]
    return pd.concat([pq.read_table(p, columns=columns).to_pandas() for p in paths], ignore_index=True)
