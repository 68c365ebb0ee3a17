"""The on-disk format of a generated task, written and read here: a manifest, Parquet shards
(and optional WAV pairs), and hashes.

Layout of a task folder (``DATA/TASK``)::

    manifest.json                     recipe, versions, counts, skips, shard hashes, fingerprint
    {train,val,test}/part-NNNNN.parquet   the examples (only these in the split folders)
    wav/{train,val,test}/             with --format wav|both: ID_clean.wav, ID_distorted.wav and
                                      metadata.csv (Hugging Face audiofolder convention)
    .records/SPLIT/part-NNNNN.json    one record per finished shard: recipe hash, row range, hash,
                                      size and SHA-256 of each file written (resume and repair)
    .records/wav/SPLIT/part-NNNNN.csv the WAV metadata of one shard, joined into metadata.csv
    .lock                             held by the `bench generate` writing the folder

One row per example (:class:`Example`). Audio columns are ``list<float32>``; every other
column is a scalar, so ``pandas.read_parquet`` reads a shard without this package. Each row
carries the SHA-256 of its content (``example_sha256``); a shard's hash is the hash of its
rows' hashes, so it does not depend on the Parquet writer's version.

>>> for ex in iter_examples("data/synth-od", "test"):
...     ex["distorted"], ex["clean"], ex["gain_db"]   # float32 arrays, float
"""
from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, TypedDict, get_type_hints

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import soundfile as sf

from ..atomic import atomic_path
from ..errors import BenchmarkError


class Example(TypedDict):
    """One example: a row of a shard, as ``generate`` makes it and ``iter_examples`` yields it."""

    id: str  # SPLIT-INDEX, e.g. 'test-000012'
    task: str
    split: str
    index: int
    source: str  # the recipe's source
    source_file: str  # path relative to the source root, or the synthetic clip's name
    source_offset: int  # start, in samples at source_sample_rate
    source_sample_rate: int  # Hz
    sample_rate: int  # Hz
    effect: str  # a name in benchmark.effects.EFFECTS
    params: str  # JSON: the effect's keyword arguments
    level: float  # the value of the task's level parameter (gain dB or input SDR dB)
    gain_db: Optional[float]
    target_sdr_db: Optional[float]
    threshold: Optional[float]  # clipping level on the clean scale, when the effect clips
    input_sdr_db: float  # plain SDR (dB) of distorted against clean, measured
    clean: np.ndarray  # float32
    distorted: np.ndarray  # float32
    sha256: str  # of every other field, see example_sha256


AUDIO_COLUMNS = ("clean", "distorted")
_ARROW_TYPES = {str: pa.string(), int: pa.int64(), float: pa.float64(), Optional[float]: pa.float64()}
SCALAR_FIELDS = tuple((name, _ARROW_TYPES[kind]) for name, kind in get_type_hints(Example).items()
                      if name not in AUDIO_COLUMNS and name != "sha256")
SCHEMA = pa.schema(
    [pa.field(name, kind) for name, kind in SCALAR_FIELDS]
    + [pa.field(name, pa.list_(pa.float32())) for name in AUDIO_COLUMNS]
    + [pa.field("sha256", pa.string())]
)
SHARD_META_KEY = b"distortion_benchmark"


def scalars(row: dict[str, Any]) -> dict[str, Any]:
    """The scalar fields of a row, in schema order."""
    return {name: row[name] for name, _ in SCALAR_FIELDS}


def example_sha256(row: dict[str, Any]) -> str:
    """SHA-256 of an example: its scalar fields (canonical JSON) and both audio signals as float32."""
    digest = hashlib.sha256(json.dumps(scalars(row), sort_keys=True).encode())
    for name in AUDIO_COLUMNS:
        digest.update(np.ascontiguousarray(row[name], dtype="<f4").tobytes())
    return digest.hexdigest()


def combined_sha256(hashes: Iterable[str]) -> str:
    """SHA-256 of a sequence of hashes (a shard's rows, a dataset's shards)."""
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def split_fingerprint(manifest: dict[str, Any], split: str) -> str:
    """SHA-256 of one split of a generated task: its recipe's hash and its shards'. Unlike the task's
    ``fingerprint`` it stays the same when the other splits are built with another ``--limit``."""
    return combined_sha256([manifest["recipe_sha256"]] + [s["sha256"] for s in manifest["splits"][split]["shards"]])


def _audio_array(signals: list[np.ndarray]) -> pa.Array:
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in signals])]).astype(np.int32)
    values = np.concatenate(signals).astype(np.float32) if signals else np.zeros(0, np.float32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))


def write_shard(path: Path, rows: list[dict[str, Any]], metadata: dict[str, Any]) -> None:
    """Write rows as one zstd-compressed Parquet file, atomically, with our metadata in the schema."""
    columns = [pa.array([r[name] for r in rows], type=kind) for name, kind in SCALAR_FIELDS]
    columns += [_audio_array([r[name] for r in rows]) for name in AUDIO_COLUMNS]
    columns.append(pa.array([r["sha256"] for r in rows], type=pa.string()))
    schema = SCHEMA.with_metadata({SHARD_META_KEY: json.dumps(metadata, sort_keys=True).encode()})
    table = pa.Table.from_arrays(columns, schema=schema)
    with atomic_path(path) as temp:
        pq.write_table(table, temp, compression="zstd")


def rows_from_table(table: pa.Table) -> list[dict[str, Any]]:
    """Rows of a shard table as dicts, audio as float32 numpy arrays (zero-copy slices)."""
    names = [name for name in table.column_names if name not in AUDIO_COLUMNS]
    out = [dict(zip(names, values)) for values in zip(*(table.column(n).to_pylist() for n in names))]
    if not names:
        out = [{} for _ in range(table.num_rows)]
    for name in (n for n in AUDIO_COLUMNS if n in table.column_names):
        column = table.column(name).combine_chunks()
        values = column.values.to_numpy(zero_copy_only=False)
        offsets = column.offsets.to_numpy()
        for row, start, stop in zip(out, offsets[:-1], offsets[1:]):
            row[name] = values[start:stop]
    return out


def read_shard(path: Path, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """All rows of one shard file (optionally only some columns)."""
    return rows_from_table(pq.read_table(path, columns=columns))


RECORDS_DIR, WAV_DIR = ".records", "wav"  # hidden from Hugging Face `datasets`, which skips dot-folders
WAV_FIELDS = [n for n, _ in SCALAR_FIELDS] + [f"{name}_file_name" for name in AUDIO_COLUMNS] + ["sha256"]


def record_path(task_dir: Path, split: str, part: str) -> Path:
    """The JSON record of a finished shard (``part``: e.g. ``part-00000``)."""
    return task_dir / RECORDS_DIR / split / f"{part}.json"


def wav_part_path(task_dir: Path, split: str, part: str) -> Path:
    """The WAV metadata (CSV) of one shard."""
    return task_dir / RECORDS_DIR / WAV_DIR / split / f"{part}.csv"


def wav_names(row: dict[str, Any]) -> dict[str, str]:
    """File names of an example's WAV pair, in its split's folder ``wav/SPLIT/``."""
    return {name: f"{row['id']}_{name}.wav" for name in AUDIO_COLUMNS}


def write_wav_pairs(folder: Path, rows: list[dict[str, Any]]) -> list[Path]:
    """Write each row's clean/distorted pair into ``folder`` as float32 WAV files; returns their paths."""
    written = []
    for row in rows:
        for name, file_name in wav_names(row).items():
            with atomic_path(folder / file_name) as temp:
                sf.write(temp, row[name], row["sample_rate"], subtype="FLOAT", format="WAV")
            written.append(folder / file_name)
    return written


def write_wav_part(part_csv: Path, rows: list[dict[str, Any]]) -> None:
    """The WAV metadata of some rows: every scalar, ``clean_file_name`` and ``distorted_file_name``
    (relative to the split's WAV folder) and ``sha256``; written atomically."""
    with atomic_path(part_csv) as temp:
        with open(temp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=WAV_FIELDS)
            writer.writeheader()
            for row in rows:
                files = {f"{name}_file_name": file_name for name, file_name in wav_names(row).items()}
                writer.writerow({**scalars(row), **files, "sha256": row["sha256"]})


def read_wav_part(folder: Path, part_csv: Path) -> list[dict[str, Any]]:
    """Rows of WAV metadata, typed like Parquet rows, audio read back from the WAV files in ``folder``."""
    kinds = dict(SCALAR_FIELDS)
    rows = []
    with open(part_csv, newline="") as handle:
        for record in csv.DictReader(handle):
            row: dict[str, Any] = {}
            for name, kind in kinds.items():
                text = record[name]
                if kind == pa.int64():
                    row[name] = int(text)
                elif kind == pa.float64():
                    row[name] = float(text) if text != "" else None
                else:
                    row[name] = text
            for name in AUDIO_COLUMNS:
                row[name] = sf.read(folder / record[f"{name}_file_name"], dtype="float32")[0]
            row["sha256"] = record["sha256"]
            rows.append(row)
    return rows


class DataError(BenchmarkError, FileNotFoundError):
    """A task folder is missing or incomplete; the message says how to build it."""


def manifest_path(task_dir: str | Path) -> Path:
    """Where a task folder (``DATA/TASK``) keeps its manifest; a task is built once it exists."""
    return Path(task_dir) / "manifest.json"


def load_manifest(task_dir: str | Path) -> dict[str, Any]:
    """The manifest of a generated task folder (``DATA/TASK``)."""
    path = manifest_path(task_dir)
    if not path.is_file():
        raise DataError(f"{path} not found: build the task first, e.g. `bench generate --task {Path(task_dir).name} "
                        f"--out {Path(task_dir).parent}`")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); run the same `bench generate` again to rewrite it") from None


def built_tasks(data: str | Path, tasks: Iterable[str]) -> list[str]:
    """Those of ``tasks`` (names) that are built under ``data``: their folder holds a manifest."""
    return [task for task in tasks if manifest_path(Path(data) / task).is_file()]


def shard_paths(task_dir: str | Path, split: str) -> list[Path]:
    """The Parquet shards of a split, in example order, as the manifest lists them."""
    manifest = load_manifest(task_dir)
    if "parquet" not in manifest["formats"]:
        raise DataError(f"{task_dir} was generated with --format wav only; regenerate with --format parquet")
    if split not in manifest["splits"]:
        raise DataError(f"{task_dir} has no split '{split}'; it has {list(manifest['splits'])}")
    return [Path(task_dir) / shard["file"] for shard in manifest["splits"][split]["shards"]]


def _read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One shard; DataError naming it when it is missing or not readable Parquet."""
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: cannot be read as a Parquet shard ({exc}); run the same `bench generate` again "
                        "to rebuild damaged shards") from None


def iter_examples(task_dir: str | Path, split: str, columns: list[str] | None = None,
                  check_hashes: bool = False) -> Iterator[Example]:
    """Examples of a split in index order, one dict each; audio columns as float32 numpy arrays.

    ``columns`` restricts what is read (e.g. leave out ``clean`` when only the input is needed).
    ``check_hashes`` reads every column and checks each row against its stored SHA-256 (1.5 ms
    per 10 s example, measured), raising DataError naming the shard and example on a mismatch.
    """
    for path in shard_paths(task_dir, split):
        rows = rows_from_table(_read_table(path, None if check_hashes else columns))
        for row in rows:
            if check_hashes:
                _check_hash(path, row)
            yield row if columns is None or not check_hashes else {name: row[name] for name in columns}


def _check_hash(path: Path, row: dict[str, Any]) -> None:
    if example_sha256(row) != row["sha256"]:
        raise DataError(f"{path}: example {row['id']} does not match its stored sha256 (the shard is "
                        "damaged); run the same `bench generate` again to rebuild it")


@functools.lru_cache(maxsize=2)
def _whole_shard(path: Path, stamp: tuple[int, int, int]) -> pa.Table:
    """A shard's table, kept while its file (``stamp``: inode, size, mtime) is unchanged: the
    batches of one shard read it once per process."""
    return _read_table(path)


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        stat = os.stat(path)
    except OSError:
        _read_table(path)  # raises the DataError naming the shard
        raise
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def read_examples(task_dir: str | Path, split: str, start: int, stop: int, columns: list[str] | None = None,
                  check_hashes: bool = False) -> list[Example]:
    """Examples ``start`` to ``stop - 1`` of a split (positions in index order), from the shards
    that hold them; like :func:`iter_examples` otherwise."""
    rows = []
    for shard in load_manifest(task_dir)["splits"][split]["shards"]:
        if shard["stop"] <= start or shard["start"] >= stop:
            continue
        path = Path(task_dir) / shard["file"]
        first = max(start, shard["start"])
        table = _whole_shard(path, _stamp(path)).slice(first - shard["start"], min(stop, shard["stop"]) - first)
        for row in rows_from_table(table):
            if check_hashes:
                _check_hash(path, row)
            rows.append(row if columns is None else {name: row[name] for name in columns})
    return rows


def example_lengths(task_dir: str | Path, split: str) -> list[tuple[int, int]]:
    """(index, samples) of every example of a split, in order, reading only those two columns."""
    lengths = []
    for path in shard_paths(task_dir, split):
        table = _read_table(path, ["index", "clean"])
        lengths += zip(table.column("index").to_pylist(), pc.list_value_length(table.column("clean")).to_pylist())
    return lengths


def read_metadata(task_dir: str | Path, split: str) -> pd.DataFrame:
    """Every column but the audio, for a split, as a DataFrame (one row per example)."""
    columns = [name for name, _ in SCALAR_FIELDS] + ["sha256"]
    return pd.concat([_read_table(p, columns).to_pandas() for p in shard_paths(task_dir, split)], ignore_index=True)
