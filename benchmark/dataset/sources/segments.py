"""What every clean source gives: a segment per (split, key), seeded draws, the silence rule,
and the record of what was skipped and why.

Every source answers one question, ``segment(split, key, seconds)``: the clean mono
segment that candidate number ``key`` of a split gets, at the task's sample rate. The
answer depends only on the recipe seed, the split, the key and the source files, so any
example can be regenerated on its own. ``draw_clean_segment`` takes the first candidate
of a clip that is readable and not near-silent.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...errors import BenchmarkError

if TYPE_CHECKING:
    from ..recipes import SilenceRule

SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
STREAM_SEGMENT, STREAM_SLOTS = 0, 2  # rng streams; 1 draws the effect level, 3 the drawn parameters, 4 the gain curve

# Why a file is skipped (by --skip-bad, or an error without it), as the manifest counts them.
FILE_SKIP_REASONS = {
    "unreadable": "not an audio file libsndfile can decode",
    "truncated": "shorter than its header (or container) says",
    "too_short": "shorter than its split's segments",
    "non_finite": "NaN or Inf samples",
    "silent": "silent throughout (no part passes the recipe's silence rule)",
}
# Why a candidate segment is skipped: near-silent (always, by the recipe's silence rule), or
# drawn from a file found bad while reading it (with --skip-bad).
SEGMENT_SKIP_REASONS = ("near_silent", *FILE_SKIP_REASONS)


class SourceError(BenchmarkError, ValueError):
    """A source folder or audio file cannot be used; the message names it."""


class BadAudioError(SourceError):
    """An audio file that ``--skip-bad`` skips: ``name`` (relative to the source root) and
    ``reason``, a key of ``FILE_SKIP_REASONS``; the message names the full path."""

    def __init__(self, path: Path, name: str, reason: str, detail: str):
        super().__init__(f"{path}: {detail}")
        self.name, self.reason = name, reason


@dataclass
class Skipped:
    """Candidate segments skipped, per reason, and the files found bad (relative name -> reason)."""

    segments: Counter = field(default_factory=Counter)
    files: dict[str, str] = field(default_factory=dict)

    def add(self, other: Skipped) -> None:
        self.segments.update(other.segments)
        self.files.update(other.files)

    def to_dict(self) -> dict:
        return {"segments": {r: self.segments[r] for r in SEGMENT_SKIP_REASONS},
                "files": dict(sorted(self.files.items()))}


@dataclass(frozen=True)
class Segment:
    """A clean mono segment (float64, task rate) and where it came from."""

    audio: np.ndarray
    file: str  # path relative to the source root, or the synthetic clip's name
    offset: int  # start, in samples at the file's own rate
    file_rate: int  # the file's sample rate, Hz


def rng_for(seed: int, stream: int, split: str, key: int) -> np.random.Generator:
    """The random generator of one (seed, stream, split, key): independent of any other draw."""
    return np.random.default_rng([seed, stream, SPLIT_CODES[split], key])


def is_near_silent(audio: np.ndarray, sample_rate: int, rule: SilenceRule) -> bool:
    """The recipe's near-silence rule on 100 ms frames (levels in dB full scale)."""
    if audio.size == 0:
        return True
    rms_db = 10 * np.log10(np.mean(audio**2) + 1e-30)
    if rms_db < rule.min_rms_dbfs:
        return True
    frame = max(1, sample_rate // 10)
    frames = audio[: audio.size // frame * frame].reshape(-1, frame) if audio.size >= frame else audio[None]
    frame_db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-30)
    return float(np.mean(frame_db >= rule.active_frame_dbfs)) < rule.min_active_fraction


def try_candidate(source, split: str, key: int, seconds: float, rule: SilenceRule, skip_bad: bool,
                  skipped: Skipped) -> Segment | None:
    """The segment of one candidate if it is usable; else None, with the reason counted in ``skipped``.

    A bad or silent file raises BadAudioError unless ``skip_bad``, which skips its segments.
    """
    try:
        segment = source.segment(split, key, seconds)
        if not is_near_silent(segment.audio, source.sample_rate, rule):
            return segment
        source.check_file_not_silent(segment)
        skipped.segments["near_silent"] += 1
    except BadAudioError as exc:
        if not skip_bad:
            raise
        skipped.segments[exc.reason] += 1
        skipped.files[exc.name] = exc.reason
    return None


def draw_clean_segment(source, split: str, clip: int, seconds: float, clips: int, rule: SilenceRule,
                       skip_bad: bool, max_attempts: int = 100) -> tuple[Segment, Skipped]:
    """The clean segment of clip number ``clip``, and what was skipped to find it.

    Candidates are ``clip + attempt*clips``; a source with a finite set of non-overlapping slots
    in a split (``source.slotted_splits``: folder val/test) assigns those itself, so that a
    skipped slot costs one slot, not a clip.
    """
    if split in getattr(source, "slotted_splits", ()):
        return source.slot_segment(split, clip, seconds)
    skipped = Skipped()
    for attempt in range(max_attempts):
        segment = try_candidate(source, split, clip + attempt * clips, seconds, rule, skip_bad, skipped)
        if segment is not None:
            return segment, skipped
    raise SourceError(
        f"{source.name} {split} clip {clip}: no usable segment in {max_attempts} draws "
        f"({', '.join(f'{n} {r}' for r, n in skipped.segments.items())}); is the source mostly silent?"
    )
