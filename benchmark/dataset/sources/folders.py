"""Folders of real recordings: ``ceg`` (any folder of guitar recordings) and ``signaltrain``
(SignalTrain LA2A v1.1: ``Train/``, ``Val/``, ``Test/``; clean ``input_*.wav`` only).

``ceg`` files go to a split by their own path alone (:func:`split_of`), so adding files never
moves an existing one. Folder sources read train segments at random offsets, and give each
val/test clip a non-overlapping segment slot (:meth:`FolderSource.slot_segment`), so test
clips never overlap and a skipped slot costs one slot.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import scipy.signal
import soundfile as sf

from ...hashing import json_sha256
from .segments import (SPLIT_CODES, STREAM_SEGMENT, STREAM_SLOTS, BadAudioError, Segment, Skipped, SourceError,
                       is_near_silent, rng_for, try_candidate)

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
_OGG_MAX_PAGE = 27 + 255 + 255 * 255  # bytes: header, segment table, body (RFC 3533)


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
        raise BadAudioError(file.path, file.name, "unreadable", f"unreadable audio ({exc})") from None
    if data.shape[0] != hi - lo:
        raise BadAudioError(file.path, file.name, "truncated", f"truncated: its header says {file.frames} frames, "
                            f"but only {lo + data.shape[0]} could be read")
    if not np.isfinite(data).all():
        raise BadAudioError(file.path, file.name, "non_finite", f"holds {np.count_nonzero(~np.isfinite(data))} "
                            f"NaN or Inf samples in frames {lo}..{hi - 1}")
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


def _ogg_ends_whole(path: Path) -> bool:
    """An Ogg file that was not cut ends with a whole page carrying the end-of-stream flag."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - _OGG_MAX_PAGE))
        tail = handle.read()
    start = len(tail)
    while (start := tail.rfind(b"OggS", 0, start)) >= 0:
        header = tail[start : start + 27]
        if len(header) == 27:
            table = tail[start + 27 : start + 27 + header[26]]
            if len(table) == header[26] and start + 27 + len(table) + sum(table) == len(tail):
                return bool(header[5] & 0x04)
    return False


def _truncation(path: Path, log: str, container: str) -> str | None:
    """Why a file is cut short, where the container tells (else None): libsndfile reads a cut
    WAV/AIFF file silently, shortened, but its header log tells; a cut Ogg file lacks a whole
    last page with the end-of-stream flag. FLAC and MP3 only fail when the missing part is read."""
    found = re.search(r"^\s*(?:data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", log, re.MULTILINE)
    if found and int(found.group(2)) < int(found.group(1)):
        return f"truncated: its header announces {found.group(1)} bytes of audio, the file holds {found.group(2)}"
    if container == "OGG" and not _ogg_ends_whole(path):
        return "truncated: the Ogg stream does not end with a whole end-of-stream page"
    return None


def scan_audio_files(root: Path, paths: list[Path], skip_bad: bool) -> tuple[list[AudioFile], dict[str, str]]:
    """Header info of each file, sorted by relative path, and the skipped ones (name -> reason);
    an unreadable or truncated file raises unless ``skip_bad``."""
    files, skipped = [], {}
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        name = path.relative_to(root).as_posix()
        try:
            info = sf.info(path)
            problem = _truncation(path, info.extra_info, info.format)
            reason = "truncated" if problem else None
        except (sf.LibsndfileError, RuntimeError) as exc:
            reason, problem = "unreadable", f"unreadable audio file ({exc})"
        if reason is None:
            files.append(AudioFile(path, name, int(info.frames), int(info.samplerate)))
        elif skip_bad:
            skipped[name] = reason
        else:
            raise BadAudioError(path, name, reason, f"{problem}; use --skip-bad to skip it")
    return files, skipped


@dataclass
class _SlotPlan:
    """Slots given to the clips of a split so far: clip c takes slot c, or when that one is
    skipped or already taken, the next usable slot counted from the end."""

    back: int  # the highest slot not yet visited from the end
    slots: list[int] = field(default_factory=list)  # per clip
    skipped: list[Skipped] = field(default_factory=list)  # per clip: what its search skipped


@dataclass
class FolderSource:
    """Real recordings (``ceg`` or ``signaltrain``) split into train/val/test file lists."""

    slotted_splits: ClassVar[tuple[str, ...]] = ("val", "test")

    name: str
    root: Path
    recipe: Recipe
    splits: dict[str, list[AudioFile]]
    skip_bad: bool = False
    skipped_files: dict[str, str] = field(default_factory=dict)  # at scan time: name -> reason
    borrowed: dict[str, str] = field(default_factory=dict)  # small folders: split -> file it borrowed
    _slots: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _plans: dict[str, _SlotPlan] = field(default_factory=dict, repr=False)
    _loud_files: set[str] = field(default_factory=set, repr=False)

    @property
    def sample_rate(self) -> int:
        return self.recipe.sample_rate

    def _segment_frames(self, file: AudioFile, seconds: float) -> int:
        return math.ceil(round(seconds * self.sample_rate) * file.rate / self.sample_rate)

    def _eval_slots(self, split: str) -> np.ndarray:
        """All non-overlapping (file index, offset) slots of a split, in a seeded order."""
        if split not in self._slots:
            seconds = self.recipe.splits[split].seconds
            slots = [
                (i, j * self._segment_frames(f, seconds))
                for i, f in enumerate(self.splits[split])
                for j in range(f.frames // self._segment_frames(f, seconds))
            ]
            order = rng_for(self.recipe.seed, STREAM_SLOTS, split, 0).permutation(len(slots))
            self._slots[split] = np.asarray(slots, dtype=np.int64).reshape(-1, 2)[order]
        return self._slots[split]

    def segment(self, split: str, key: int, seconds: float) -> Segment:
        """Train: candidate ``key`` at a seeded random offset; val/test: slot number ``key``."""
        files = self.splits[split]
        if split in self.slotted_splits:
            index, offset = (int(v) for v in self._eval_slots(split)[key])
        else:
            rng = rng_for(self.recipe.seed, STREAM_SEGMENT, split, key)
            room = np.array([f.frames - self._segment_frames(f, seconds) + 1 for f in files], dtype=np.float64)
            index = int(rng.choice(len(files), p=room / room.sum()))
            offset = int(rng.integers(0, room[index]))
        file = files[index]
        audio = read_segment(file, offset, round(seconds * self.sample_rate), self.sample_rate)
        return Segment(audio, file.name, offset, file.rate)

    def _plan(self, split: str, clips: int) -> _SlotPlan:
        """Give slots to clips 0..clips-1 of a val/test split (reading each slot visited).

        Clip c takes slot c; if that slot is skipped (near-silent, or a bad file with
        --skip-bad) or was taken, it takes the next usable slot from the end of the seeded
        order. So the first N clips fit whenever N slots are usable, clip c depends only on
        the slots visited for clips 0..c, and a run with --limit gets the same clips as a full one.
        """
        slots = self._eval_slots(split)
        plan = self._plans.setdefault(split, _SlotPlan(back=len(slots) - 1))
        seconds = self.recipe.splits[split].seconds
        while len(plan.slots) < clips:
            clip, skipped, found = len(plan.slots), Skipped(), None
            if clip <= plan.back and self._usable(split, clip, skipped):
                found = clip
            while found is None and plan.back > clip:
                slot, plan.back = plan.back, plan.back - 1
                if self._usable(split, slot, skipped):
                    found = slot
            if found is None:
                unusable = len(slots) - len(plan.slots)
                raise SourceError(
                    f"{self.root}: the {split} split has {len(slots)} segment slots of {seconds} s in "
                    f"{len(self.splits[split])} file(s), {unusable} of them skipped (near-silent or bad): "
                    f"not enough for {clips} clips ({split} clip {clip} finds none); add audio to the {split} "
                    f"split, or lower [splits.{split}] clips in the recipe, or use --limit"
                )
            plan.slots.append(found)
            plan.skipped.append(skipped)
        return plan

    def _usable(self, split: str, slot: int, skipped: Skipped) -> bool:
        seconds = self.recipe.splits[split].seconds
        return try_candidate(self, split, slot, seconds, self.recipe.silence, self.skip_bad, skipped) is not None

    def slot_segment(self, split: str, clip: int, seconds: float) -> tuple[Segment, Skipped]:
        """The segment of a val/test clip, and what was skipped to find its slot."""
        plan = self._plan(split, clip + 1)
        return self.segment(split, plan.slots[clip], seconds), plan.skipped[clip]

    def prepare(self, clips: dict[str, int]) -> None:
        """Before any work: check that each split can hold the clips a run needs (``clips``:
        split -> count), first by counting slots, then by giving them out."""
        for split in self.slotted_splits:
            seconds, have = self.recipe.splits[split].seconds, len(self._eval_slots(split))
            if have < clips[split]:
                raise SourceError(
                    f"{self.root}: the {split} split has {have} non-overlapping segments of {seconds} s in "
                    f"{len(self.splits[split])} file(s), fewer than the {clips[split]} clips this run needs; "
                    f"add audio to the {split} split, or lower [splits.{split}] clips in the recipe, or use --limit"
                )
        for split in self.slotted_splits:
            self._plan(split, clips[split])

    def check_file_not_silent(self, segment: Segment) -> None:
        """Raise BadAudioError when the file a near-silent segment came from is silent throughout."""
        if segment.file in self._loud_files:
            return
        file = next(f for files in self.splits.values() for f in files if f.name == segment.file)
        audio = _read_frames(file, 0, file.frames)
        if is_near_silent(audio, file.rate, self.recipe.silence):
            raise BadAudioError(file.path, file.name, "silent",
                                "silent file (no part of it passes the recipe's silence rule)")
        self._loud_files.add(segment.file)

    def sha256(self) -> str:
        """Hash of the file lists of the splits (names, lengths, rates): data built from another
        state of the folder are never mixed with these."""
        lists = {s: [[f.name, f.frames, f.rate] for f in files] for s, files in self.splits.items()}
        return json_sha256(lists)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "kind": "folder",
            "root": str(self.root),
            "files": {s: len(f) for s, f in self.splits.items()},
            "hours": {s: round(sum(a.frames / a.rate for a in f) / 3600, 4) for s, f in self.splits.items()},
            "skipped_files": dict(sorted(self.skipped_files.items())),
            "borrowed": self.borrowed,
            "sha256": self.sha256(),
        }


def split_position(name: str) -> float:
    """A file's place in [0, 1): the first 8 bytes of the SHA-256 of its relative path."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") / 2.0**64


def split_of(name: str, fractions: list[float]) -> str:
    """The split a file's own path puts it in: train below fractions[0], val below their sum
    with fractions[1], test above (so each split gets its fraction of files, and of audio, on average)."""
    index = int(np.searchsorted(np.cumsum(fractions)[:2], split_position(name), side="right"))
    return list(SPLIT_CODES)[index]


def _borrow_for_empty_splits(splits: dict[str, list[AudioFile]], fractions: list[float],
                             recipe: Recipe) -> dict[str, str]:
    """The small-folder rule: a split that no file's own hash put in takes the file nearest its
    share of [0, 1) (long enough for its segments) from a split holding two or more. Returns
    split -> the borrowed file's name."""
    bounds = dict(zip(SPLIT_CODES, zip(np.concatenate([[0.0], np.cumsum(fractions)[:2]]), np.cumsum(fractions))))
    borrowed = {}
    for split in ("test", "val", "train"):
        if splits[split]:
            continue
        low, high = bounds[split]
        donors = [(max(low - split_position(f.name), split_position(f.name) - high), f.name, f, donor)
                  for donor, files in splits.items() if len(files) >= 2 for f in files
                  if f.frames / f.rate >= recipe.splits[split].seconds]
        if donors:
            *_, file, donor = min(donors, key=lambda d: d[:2])
            splits[donor].remove(file)
            splits[split].append(file)
            borrowed[split] = file.name
    return borrowed


def _split_by_hash(files: list[AudioFile], fractions: list[float]) -> dict[str, list[AudioFile]]:
    """Each file in the split its own path hash gives (:func:`split_of`)."""
    splits: dict[str, list[AudioFile]] = {s: [] for s in SPLIT_CODES}
    for f in files:
        splits[split_of(f.name, fractions)].append(f)
    return splits


def assign_ceg_splits(files: list[AudioFile], recipe: Recipe, skip_bad: bool = False,
                      skipped: dict[str, str] | None = None) -> tuple[dict[str, list[AudioFile]], dict[str, str]]:
    """The ``ceg`` split of scanned files: each by its own path (:func:`split_of`); files too
    short for their split dropped (``skip_bad``, recorded in ``skipped``) or refused; then the
    small-folder rule. Returns the splits and what the rule borrowed (split -> file name)."""
    fractions = recipe.source_options["split_fractions"]
    splits = _check_lengths(_split_by_hash(files, fractions), recipe, skip_bad, {} if skipped is None else skipped)
    return splits, _borrow_for_empty_splits(splits, fractions, recipe)


def _check_lengths(splits: dict[str, list[AudioFile]], recipe: Recipe, skip_bad: bool,
                   skipped: dict[str, str]) -> dict[str, list[AudioFile]]:
    """Drop (with --skip-bad) or reject files shorter than their split's segment length."""
    kept = {}
    for split, files in splits.items():
        seconds = recipe.splits[split].seconds
        kept[split] = []
        for f in files:
            if f.frames / f.rate >= seconds:
                kept[split].append(f)
            elif skip_bad:
                skipped[f.name] = "too_short"
            else:
                raise SourceError(
                    f"{f.path}: too short ({f.frames / f.rate:.2f} s) for the {split} split's "
                    f"{seconds} s segments; use --skip-bad to skip it"
                )
    return kept


def _ceg_splits(root: Path, recipe: Recipe, skip_bad: bool
                ) -> tuple[dict[str, list[AudioFile]], dict[str, str], dict[str, str]]:
    paths = [p for p in root.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()]
    if not paths:
        raise SourceError(f"source folder {root} holds no audio files: {HOW_TO_OBTAIN['ceg']}")
    files, skipped = scan_audio_files(root, paths, skip_bad)
    if len(files) < 3:
        raise SourceError(f"{root}: needs at least 3 readable audio files (one per split), found {len(files)}")
    splits, borrowed = assign_ceg_splits(files, recipe, skip_bad, skipped)
    return splits, skipped, borrowed


def _signaltrain_splits(root: Path, recipe: Recipe, skip_bad: bool
                        ) -> tuple[dict[str, list[AudioFile]], dict[str, str], dict[str, str]]:
    splits, skipped = {}, {}
    for split, folder in SIGNALTRAIN_DIRS.items():
        paths = sorted((root / folder).glob("input_*.wav")) if (root / folder).is_dir() else []
        if not paths:
            raise SourceError(f"{root / folder}: no input_*.wav files; {HOW_TO_OBTAIN['signaltrain']}")
        splits[split], bad = scan_audio_files(root, paths, skip_bad)
        skipped.update(bad)
    return _check_lengths(splits, recipe, skip_bad, skipped), skipped, {}


_SPLITTERS = {"ceg": _ceg_splits, "signaltrain": _signaltrain_splits}


def open_folder_source(recipe: Recipe, source_root: str | Path | None, skip_bad: bool = False) -> FolderSource:
    """The ``ceg`` or ``signaltrain`` source of a recipe, read from ``source_root``."""
    if source_root is None:
        raise SourceError(f"task '{recipe.name}' needs --source-root PATH: {HOW_TO_OBTAIN[recipe.source]}")
    root = Path(source_root).expanduser().resolve()
    if not root.is_dir():
        raise SourceError(f"source folder {root} does not exist: {HOW_TO_OBTAIN[recipe.source]}")
    splits, skipped, borrowed = _SPLITTERS[recipe.source](root, recipe, skip_bad)
    for split, files in splits.items():
        if not files:
            raise SourceError(f"{recipe.source}: no usable audio file for the {split} split")
        files.sort(key=lambda f: f.name)
    return FolderSource(recipe.source, root, recipe, splits, skip_bad, skipped, borrowed)
