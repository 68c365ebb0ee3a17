"""``bench verify DATA/TASK``: recompute every hash of a generated task and name what differs.

Three levels of checks: each row's content against its stored SHA-256; each shard and the
dataset fingerprint against the manifest; and each example regenerated from the recipe
(all of them, or an evenly spaced sample) against the stored bytes. A dataset built with
``--skip-bad`` is regenerated the same way, and the files skipped at scan time must be the
ones its manifest records.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from .generate import Options, make_example
from .recipes import SPLITS, parse_recipe
from .shards import (AUDIO_COLUMNS, WAV_DIR, combined_sha256, example_sha256, load_manifest, manifest_path, read_shard,
                     read_wav_part, scalars, wav_part_path)
from .sources import open_source


@dataclass
class Report:
    checked_rows: int = 0
    regenerated: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _stored_rows(task_dir: Path, manifest: dict, shard: dict) -> list[dict[str, Any]]:
    if "parquet" in manifest["formats"]:
        return read_shard(task_dir / shard["file"])
    split, part = Path(shard["file"]).parent.name, Path(shard["file"]).stem
    return read_wav_part(task_dir / WAV_DIR / split, wav_part_path(task_dir, split, part))


def _differences(stored: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Names of the fields whose values differ between two rows."""
    names = [n for n in scalars(stored) if stored[n] != fresh[n] and not (stored[n] != stored[n] and fresh[n] != fresh[n])]
    names += [n for n in AUDIO_COLUMNS if not np.array_equal(np.asarray(stored[n], np.float32), fresh[n])]
    return names


def verify_task(task_dir: str | Path, sample: int | None = None, source_root: str | None = None,
                progress: bool = True) -> Report:
    """Check a task folder; ``sample`` regenerates only that many examples per split (0: none)."""
    task_dir = Path(task_dir)
    manifest = load_manifest(task_dir)
    report = Report()
    recipe = parse_recipe(manifest["recipe"], str(manifest_path(task_dir)))
    if recipe.sha256() != manifest["recipe_sha256"]:
        report.problems.append(f"{manifest_path(task_dir)}: recipe hash {recipe.sha256()[:12]} differs from the "
                               f"recorded {manifest['recipe_sha256'][:12]}")
    root = source_root or manifest["source"].get("root")
    skip_bad = manifest.get("skip_bad", False)
    source = open_source(recipe, root, skip_bad)
    recorded, found = manifest["source"].get("skipped_files") or {}, source.describe().get("skipped_files", {})
    if isinstance(recorded, list):  # format 1 recorded the names only
        recorded, found = dict.fromkeys(recorded, "skipped"), dict.fromkeys(found, "skipped")
    for name in sorted(set(recorded) | set(found)):
        if recorded.get(name) != found.get(name):
            report.problems.append(f"source file {name}: skipped at generation as {recorded.get(name, 'nothing')}, "
                                   f"now as {found.get(name, 'nothing')} (the source folder changed)")
    options = Options(root, skip_bad=skip_bad, backend="numpy")
    shard_hashes = []
    total = sum(s["examples"] for s in manifest["splits"].values())
    with tqdm(total=total, desc=f"verify {recipe.name}", unit="ex", disable=not progress) as bar:
        for split in SPLITS:  # the order the fingerprint is taken in
            info = manifest["splits"][split]
            picks = _regeneration_picks(info["examples"], sample)
            for shard in info["shards"]:
                shard_hashes.append(shard["sha256"])
                rows, damaged = _check_shard(task_dir, manifest, shard, report)
                for row in rows:
                    if row["index"] in picks or row["id"] in damaged:
                        fresh, _ = make_example(recipe, source, split, row["index"], options)
                        report.regenerated += 1
                        differs = _differences(row, fresh)
                        if differs or fresh["sha256"] != row["sha256"]:
                            report.problems.append(f"{split} {row['id']}: regenerated example differs in "
                                                   f"{', '.join(differs) or 'sha256'}")
                bar.update(shard["stop"] - shard["start"])
    fingerprint = combined_sha256([manifest["recipe_sha256"]] + shard_hashes)
    if fingerprint != manifest["fingerprint"]:
        report.problems.append(f"dataset fingerprint {fingerprint[:12]} differs from the manifest's "
                               f"{manifest['fingerprint'][:12]}")
    return report


def _regeneration_picks(count: int, sample: int | None) -> set[int]:
    if sample is None or sample >= count:
        return set(range(count))
    return {int(i) for i in np.linspace(0, count - 1, sample).round()} if sample > 0 else set()


def _check_shard(task_dir: Path, manifest: dict, shard: dict, report: Report) -> tuple[list[dict[str, Any]], set[str]]:
    """Rows of a shard and the ids of damaged ones, after checking each row's hash, the row
    range and the shard hash."""
    try:
        rows = _stored_rows(task_dir, manifest, shard)
    except Exception as exc:  # a missing or corrupt file is a finding, not a crash
        report.problems.append(f"{shard['file']}: cannot be read ({exc})")
        return [], set()
    report.checked_rows += len(rows)
    damaged = {row["id"] for row in rows if example_sha256(row) != row["sha256"]}
    for row_id in sorted(damaged):
        report.problems.append(f"{shard['file']} {row_id}: content does not match its sha256")
    if [r["index"] for r in rows] != list(range(shard["start"], shard["stop"])):
        report.problems.append(f"{shard['file']}: holds examples other than {shard['start']}..{shard['stop'] - 1}")
    if combined_sha256(r["sha256"] for r in rows) != shard["sha256"]:
        report.problems.append(f"{shard['file']}: shard hash differs from the manifest")
    return rows, damaged
