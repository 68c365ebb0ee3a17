"""Folders of real recordings: ``ceg`` (any folder of guitar recordings) and ``signaltrain``
(SignalTrain LA2A v1.1: ``Train/``, ``Val/``, ``Test/``; clean ``input_*.wav`` only).

``ceg`` files are sorted by relative path and assigned to the splits by a hash of their path
and cumulative duration. Folder sources read segments at random offsets for the train
split, and take the non-overlapping segment slots of val/test in a seeded order, so test
clips never overlap.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.signal
import soundfile as sf

from .segments import SPLIT_CODES, STREAM_SEGMENT, STREAM_SLOTS, BadAudioError, Segment, SourceError, is_near_silent, rng_for

if TYPE_CHECKING:
    from ..recipes import Recipe

AUDIO_EXTENSIONS = {".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".aifc", ".mp3"}
SIGNALTRAIN_DIRS = {"train": "Train", "val": "Val", "test": "Test"}
HOW_TO_OBTAIN = {
    "ceg": "CEG (clean electric guitar) is not public: point --source-root at any folder of clean "
    "guitar recordings (WAV/FLAC/...); see datasets/README.md",
    "signaltrain": "download SignalTrain LA2A v1.1 from Zenodo (record 3824876), unpack it and point "
    "--source-root at the folder holding Train/, Val/ and Test/; see datasets/README.md",
}


@dataclass
class AudioFile:
    path: Path
    name: str  # relative to the source root, POSIX style
    frames: int
    rate: int


def _read_frames(file: AudioFile, start: int, stop: int) -> np.ndarray:
    """Mono float64 frames [start, stop) of a file; zeros outside it. Raises BadAudioError."""
    lo, hi = max(start, 0), min(stop, file.frames)
    try:
        data = sf.read(file.path, start=lo, stop=hi, dtype="float64", always_2d=True)[0]
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise BadAudioError(f"{file.path}: unreadable audio ({exc})") from None
    if data.shape[0] != hi - lo:
        raise BadAudioError(
            f"{file.path}: truncated: its header says {file.frames} frames, "
            f"but only {lo + data.shape[0]} could be read"
        )
    mono = data.mean(axis=1)
    return np.pad(mono, (lo - start, stop - hi))


def read_segment(file: AudioFile, offset: int, num_samples: int, sample_rate: int) -> np.ndarray:
    """``num_samples`` samples at ``sample_rate`` starting at frame ``offset`` of the file.

    Resampling (scipy's polyphase filter) runs on the segment plus a margin of at least
    512 frames on each side, so the segment does not see the filter's edges.
    """
    if file.rate == sample_rate:
        return _read_frames(file, offset, offset + num_samples)
    g = math.gcd(file.rate, sample_rate)
    up, down = sample_rate // g, file.rate // g
    blocks = math.ceil(512 / down)  # margin in units of `down` input frames = `up` output samples
    margin = blocks * down
    frames_needed = math.ceil(num_samples * down / up)
    raw = _read_frames(file, offset - margin, offset + frames_needed + margin)
    resampled = scipy.signal.resample_poly(raw, up, down)
    start = blocks * up
    return resampled[start : start + num_samples]


def _check_not_truncated(path: Path, log: str) -> None:
    """libsndfile reads a cut WAV/AIFF file silently, shortened; its header log tells."""
    found = re.search(r"^\s*(?:data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", log, re.MULTILINE)
    if found and int(found.group(2)) < int(found.group(1)):
        raise BadAudioError(f"{path}: truncated: its header announces {found.group(1)} bytes of audio, "
                            f"the file holds {found.group(2)}")


def scan_audio_files(root: Path, paths: list[Path], skip_bad: bool) -> tuple[list[AudioFile], list[str]]:
    """Header info of each file, sorted by relative path; unreadable ones raise or are skipped."""
    files, skipped = [], []
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        name = path.relative_to(root).as_posix()
        try:
            info = sf.info(path)
            _check_not_truncated(path, info.extra_info)
        except (sf.LibsndfileError, RuntimeError, BadAudioError) as exc:
            if not skip_bad:
                reason = exc if isinstance(exc, BadAudioError) else f"{path}: unreadable audio file ({exc})"
                raise BadAudioError(f"{reason}; use --skip-bad to skip it") from None
            skipped.append(name)
            continue
        files.append(AudioFile(path, name, int(info.frames), int(info.samplerate)))
    return files, skipped


@dataclass
class FolderSource:
    """Real recordings (``ceg`` or ``signaltrain``) split into train/val/test file lists."""

    name: str
    root: Path
    recipe: Recipe
    splits: dict[str, list[AudioFile]]
    skipped_files: list[str] = field(default_factory=list)
    _slots: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _loud_files: set[str] = field(default_factory=set, repr=False)

    @property
    def sample_rate(self) -> int:
        return self.recipe.sample_rate

    def _segment_frames(self, file: AudioFile, seconds: float) -> int:
        return math.ceil(round(seconds * self.sample_rate) * file.rate / self.sample_rate)

    def _eval_slots(self, split: str, seconds: float) -> np.ndarray:
        """All non-overlapping (file index, offset) slots of a split, in a seeded order."""
        if split not in self._slots:
            slots = [
                (i, j * self._segment_frames(f, seconds))
                for i, f in enumerate(self.splits[split])
                for j in range(f.frames // self._segment_frames(f, seconds))
            ]
            order = rng_for(self.recipe.seed, STREAM_SLOTS, split, 0).permutation(len(slots))
            self._slots[split] = np.asarray(slots, dtype=np.int64).reshape(-1, 2)[order]
        return self._slots[split]

    def segment(self, split: str, key: int, seconds: float) -> Segment:
        files = self.splits[split]
        if split == "train":
            rng = rng_for(self.recipe.seed, STREAM_SEGMENT, split, key)
            room = np.array([f.frames - self._segment_frames(f, seconds) + 1 for f in files], dtype=np.float64)
            index = int(rng.choice(len(files), p=room / room.sum()))
            offset = int(rng.integers(0, room[index]))
        else:
            slots = self._eval_slots(split, seconds)
            if key >= len(slots):
                raise SourceError(
                    f"{self.root}: the {split} split has only {len(slots)} segments of {seconds} s, "
                    f"not enough for the recipe's {self.recipe.splits[split].clips} non-silent clips"
                )
            index, offset = (int(v) for v in slots[key])
        file = files[index]
        audio = read_segment(file, offset, round(seconds * self.sample_rate), self.sample_rate)
        return Segment(audio, file.name, offset, file.rate)

    def check_file_not_silent(self, segment: Segment) -> None:
        """Raise BadAudioError when the file a near-silent segment came from is silent throughout."""
        if segment.file in self._loud_files:
            return
        file = next(f for files in self.splits.values() for f in files if f.name == segment.file)
        audio = _read_frames(file, 0, file.frames)
        if is_near_silent(audio, file.rate, self.recipe.silence):
            raise BadAudioError(f"{file.path}: silent file (no part of it passes the recipe's silence rule)")
        self._loud_files.add(segment.file)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "kind": "folder",
            "root": str(self.root),
            "files": {s: len(f) for s, f in self.splits.items()},
            "hours": {s: round(sum(a.frames / a.rate for a in f) / 3600, 4) for s, f in self.splits.items()},
            "skipped_files": self.skipped_files,
        }


def _split_by_hash(files: list[AudioFile], fractions: list[float]) -> dict[str, list[AudioFile]]:
    """Order files by the SHA-256 of their relative path; fill train, val, test by duration."""
    ordered = sorted(files, key=lambda f: hashlib.sha256(f.name.encode()).hexdigest())
    durations = np.array([f.frames / f.rate for f in ordered])
    bounds = np.cumsum(fractions)[:2] * durations.sum()
    midpoints = np.cumsum(durations) - durations / 2
    assignment = np.searchsorted(bounds, midpoints)  # non-decreasing: 0...0 1...1 2...2
    if len(ordered) >= 3 and len(set(assignment.tolist())) < 3:
        # Too few files to split by duration: split by count instead, at least one file each.
        held_out = [max(1, round(len(ordered) * f)) for f in fractions[1:]]
        assignment = np.repeat([0, 1, 2], [len(ordered) - sum(held_out), *held_out])
    splits = {s: [f for f, a in zip(ordered, assignment) if a == i] for i, s in enumerate(SPLIT_CODES)}
    return {s: sorted(f, key=lambda a: a.name) for s, f in splits.items()}


def _check_lengths(name: str, splits: dict[str, list[AudioFile]], recipe: Recipe, skip_bad: bool,
                   skipped: list[str]) -> dict[str, list[AudioFile]]:
    """Drop (with --skip-bad) or reject files shorter than their split's segment length."""
    kept = {}
    for split, files in splits.items():
        seconds = recipe.splits[split].seconds
        kept[split] = []
        for f in files:
            if f.frames / f.rate >= seconds:
                kept[split].append(f)
            elif skip_bad:
                skipped.append(f.name)
            else:
                raise SourceError(
                    f"{f.path}: too short ({f.frames / f.rate:.2f} s) for the {split} split's "
                    f"{seconds} s segments; use --skip-bad to skip it"
                )
        if not kept[split]:
            raise SourceError(f"{name}: no usable audio file for the {split} split")
    return kept


def _ceg_splits(root: Path, recipe: Recipe, skip_bad: bool) -> tuple[dict[str, list[AudioFile]], list[str]]:
    paths = [p for p in root.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()]
    if not paths:
        raise SourceError(f"source folder {root} holds no audio files: {HOW_TO_OBTAIN['ceg']}")
    files, skipped = scan_audio_files(root, paths, skip_bad)
    if len(files) < 3:
        raise SourceError(f"{root}: needs at least 3 readable audio files (one per split), found {len(files)}")
    return _split_by_hash(files, recipe.source_options["split_fractions"]), skipped


def _signaltrain_splits(root: Path, recipe: Recipe, skip_bad: bool) -> tuple[dict[str, list[AudioFile]], list[str]]:
    splits, skipped = {}, []
    for split, folder in SIGNALTRAIN_DIRS.items():
        paths = sorted((root / folder).glob("input_*.wav")) if (root / folder).is_dir() else []
        if not paths:
            raise SourceError(f"{root / folder}: no input_*.wav files; {HOW_TO_OBTAIN['signaltrain']}")
        splits[split], bad = scan_audio_files(root, paths, skip_bad)
        skipped += bad
    return splits, skipped


_SPLITTERS = {"ceg": _ceg_splits, "signaltrain": _signaltrain_splits}


def open_folder_source(recipe: Recipe, source_root: str | Path | None, skip_bad: bool = False) -> FolderSource:
    """The ``ceg`` or ``signaltrain`` source of a recipe, read from ``source_root``."""
    if source_root is None:
        raise SourceError(f"task '{recipe.name}' needs --source-root PATH: {HOW_TO_OBTAIN[recipe.source]}")
    root = Path(source_root).expanduser().resolve()
    if not root.is_dir():
        raise SourceError(f"source folder {root} does not exist: {HOW_TO_OBTAIN[recipe.source]}")
    splits, skipped = _SPLITTERS[recipe.source](root, recipe, skip_bad)
    splits = _check_lengths(recipe.source, splits, recipe, skip_bad, skipped)
    return FolderSource(recipe.source, root, recipe, splits, skipped)
