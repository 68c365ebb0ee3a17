"""FAD in the harness: one value per submission and task, not per example.

With an embedder (``bench evaluate --fad-model vggish --fad-weights PATH``), the embedding
statistics of each batch of restored outputs are kept beside the batch's scores in the
run's ``.partial-KEY`` folder (``batch-....fad-MODEL-HASH.npz``), so an interrupted run
resumes; those of the clean and of the distorted test audio are the same for every
submission and are kept in ``results/.inputs/``, keyed by the data fingerprint, the split and
the model's weights hash. ``summary.json`` gets ``fad`` (outputs against clean), ``fad_input``
(distorted input against clean) and ``fad_model``, or nulls and a ``fad_reason``.
Without an embedder nothing else changes: metrics.parquet and the other numbers are the same.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..atomic import atomic_path
from ..dataset.shards import iter_examples
from ..hashing import json_sha256
from ..metrics.fad import Embedder, EmbeddingStats, FadError, frechet_audio_distance

ENABLE = "--fad-model vggish --fad-weights vggish-10086976.pth"  # the flags that turn FAD on


def _save(path: Path, stats: EmbeddingStats, seconds: float) -> None:
    with atomic_path(path) as temp, temp.open("wb") as f:
        np.savez(f, seconds=seconds, **stats.arrays())


def _load(path: Path) -> tuple[EmbeddingStats, float]:
    with np.load(path) as f:
        return EmbeddingStats.from_arrays(f["count"], f["mean"], f["scatter"]), float(f["seconds"])


def _tag(embedder: Embedder) -> str:
    return f"{embedder.name}-{embedder.weights_sha256[:16]}"


def batch_stats_path(batch_path: Path, embedder: Embedder | None) -> Path | None:
    """Where a batch's output statistics go (beside its scores), or None without FAD."""
    return None if embedder is None else batch_path.with_name(f"{batch_path.stem}.fad-{_tag(embedder)}.npz")


def output_sink(stats_path: Path | None, embedder: Embedder | None) -> Callable[[np.ndarray, int], None] | None:
    """A callback for a restored batch ``(batch, samples)`` at a rate that keeps its statistics."""
    if stats_path is None or embedder is None:
        return None

    def keep(restored: np.ndarray, sample_rate: int) -> None:
        start = time.perf_counter()
        stats = EmbeddingStats(embedder.dim).add(embedder(restored, sample_rate))
        _save(stats_path, stats, time.perf_counter() - start)

    return keep


def reusable(summary: dict[str, Any], embedder: Embedder | None) -> bool:
    """An earlier summary serves unless FAD is asked for with weights it was not computed with."""
    model = summary.get("fad_model") or {}
    return embedder is None or (model.get("name"), model.get("weights_sha256")) == (embedder.name, embedder.weights_sha256)


def _input_stats(task_dir: Path, manifest: dict, split: str, results: Path,
                 embedder: Embedder) -> tuple[EmbeddingStats, EmbeddingStats]:
    """Statistics of the clean and of the distorted audio of a split, computed once (cached)."""
    key = json_sha256([manifest["fingerprint"], split, embedder.name, embedder.weights_sha256])
    paths = [results / ".inputs" / f"{manifest['task']}-{split}-fad-{embedder.name}-{key[:16]}-{kind}.npz"
             for kind in ("clean", "distorted")]
    if not all(p.is_file() for p in paths):
        rate = manifest["recipe"]["sample_rate"]
        clean, distorted = EmbeddingStats(embedder.dim), EmbeddingStats(embedder.dim)
        start = time.perf_counter()
        for row in iter_examples(task_dir, split, columns=["clean", "distorted"]):
            clean.add(embedder(np.asarray(row["clean"])[None], rate))
            distorted.add(embedder(np.asarray(row["distorted"])[None], rate))
        seconds = (time.perf_counter() - start) / 2
        for path, stats in zip(paths, (clean, distorted)):
            _save(path, stats, seconds)
    return _load(paths[0])[0], _load(paths[1])[0]


def fad_summary(embedder: Embedder | None, batch_paths: list[Path], task_dir: Path, manifest: dict,
                split: str, results: Path) -> dict[str, Any]:
    """The summary's FAD fields: the outputs' batch statistics merged in batch order."""
    if embedder is None:
        return {"fad": None, "fad_input": None, "fad_model": None,
                "fad_reason": f"not computed: no FAD weights given (add {ENABLE})"}
    outputs, seconds = EmbeddingStats(embedder.dim), 0.0
    for path in batch_paths:
        stats, spent = _load(batch_stats_path(path, embedder))
        outputs.merge(stats)
        seconds += spent
    clean, distorted = _input_stats(task_dir, manifest, split, Path(results), embedder)
    model = {"name": embedder.name, "weights_sha256": embedder.weights_sha256, "embeddings": outputs.count,
             "reference_embeddings": clean.count, "seconds": seconds}
    try:
        return {"fad": frechet_audio_distance(clean, outputs), "fad_input": frechet_audio_distance(clean, distorted),
                "fad_model": model, "fad_reason": None}
    except FadError as exc:
        return {"fad": None, "fad_input": None, "fad_model": model, "fad_reason": f"undefined: {exc}"}
