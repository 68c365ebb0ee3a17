"""On-disk format of a generated task: Parquet shards (and optional WAV pairs) with hashes.

One row per example. Audio columns are ``list<float32>``; every other column is a scalar,
so ``pandas.read_parquet`` reads a shard without this package. Each row carries the SHA-256
of its content (``example_sha256``); a shard's hash is the hash of its rows' hashes, so it
does not depend on the Parquet writer's version.
"""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import soundfile as sf

from .atomic import atomic_path

AUDIO_COLUMNS = ("clean", "distorted")
SCALAR_FIELDS = (
    ("id", pa.string()),
    ("task", pa.string()),
    ("split", pa.string()),
    ("index", pa.int64()),
    ("source", pa.string()),
    ("source_file", pa.string()),
    ("source_offset", pa.int64()),  # samples at source_sample_rate
    ("source_sample_rate", pa.int64()),
    ("sample_rate", pa.int64()),
    ("effect", pa.string()),
    ("params", pa.string()),  # JSON: the effect's keyword arguments
    ("level", pa.float64()),  # the value of the task's level parameter (gain dB or input SDR dB)
    ("gain_db", pa.float64()),
    ("target_sdr_db", pa.float64()),
    ("threshold", pa.float64()),  # clipping threshold on the clean scale, when the effect clips
    ("input_sdr_db", pa.float64()),  # plain SDR of distorted against clean, measured
)
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


def read_shard_metadata(path: Path) -> dict[str, Any] | None:
    """Our metadata of a shard (recipe hash, row range, content hash), or None if unreadable."""
    try:
        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[SHARD_META_KEY])
    except (OSError, KeyError, ValueError, pa.ArrowInvalid):
        return None


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


def wav_names(row: dict[str, Any]) -> dict[str, str]:
    """File names of an example's WAV pair, relative to the task's ``wav/`` folder."""
    return {name: f"{row['split']}/{row['id']}_{name}.wav" for name in AUDIO_COLUMNS}


def write_wav_part(wav_dir: Path, part_csv: Path, rows: list[dict[str, Any]]) -> None:
    """Write each row's clean/distorted pair as float32 WAV, then the part's metadata CSV.

    The CSV is written last (atomically), so its presence marks the part as complete.
    """
    for row in rows:
        for name, rel in wav_names(row).items():
            with atomic_path(wav_dir / rel) as temp:
                sf.write(temp, row[name], row["sample_rate"], subtype="FLOAT", format="WAV")
    with atomic_path(part_csv) as temp:
        with open(temp, "w", newline="") as handle:
            fields = [n for n, _ in SCALAR_FIELDS] + ["clean_wav", "distorted_wav", "sha256"]
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            for row in rows:
                names = wav_names(row)
                writer.writerow({**scalars(row), "clean_wav": names["clean"],
                                 "distorted_wav": names["distorted"], "sha256": row["sha256"]})


def read_wav_part(wav_dir: Path, part_csv: Path) -> list[dict[str, Any]]:
    """Rows of a WAV part, typed like Parquet rows, audio read back from the WAV files."""
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
                row[name] = sf.read(wav_dir / record[f"{name}_wav"], dtype="float32")[0]
            row["sha256"] = record["sha256"]
            rows.append(row)
    return rows
