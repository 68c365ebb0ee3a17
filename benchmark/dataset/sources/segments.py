"""What every clean source gives: a segment per (split, key), seeded draws, the silence rule.

Every source answers one question, ``segment(split, key, seconds)``: the clean mono
segment that candidate number ``key`` of a split gets, at the task's sample rate. The
answer depends only on the recipe seed, the split, the key and the source files, so any
example can be regenerated on its own. ``draw_clean_segment`` takes the first candidate
of a clip that is readable and not near-silent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ...errors import BenchmarkError

if TYPE_CHECKING:
    from ..recipes import SilenceRule

SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
STREAM_SEGMENT, STREAM_SLOTS = 0, 2  # rng streams; stream 1 draws the effect level, 3 the drawn parameters


class SourceError(BenchmarkError, ValueError):
    """A source folder or audio file cannot be used; the message names it."""


class BadAudioError(SourceError):
    """An audio file is unreadable or truncated (``--skip-bad`` skips such files)."""


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


def draw_clean_segment(source, split: str, clip: int, seconds: float, clips: int, rule: SilenceRule,
                       skip_bad: bool, max_attempts: int = 100) -> tuple[Segment, dict[str, int]]:
    """The clean segment of clip number ``clip``: the first candidate ``clip + attempt*clips``
    that is readable and not near-silent. Returns it with the counts of skipped candidates.

    A bad or silent file raises BadAudioError unless ``skip_bad``, which skips its segments.
    """
    skipped = {"silent": 0, "bad": 0}
    for attempt in range(max_attempts):
        try:
            segment = source.segment(split, clip + attempt * clips, seconds)
            if not is_near_silent(segment.audio, source.sample_rate, rule):
                return segment, skipped
            source.check_file_not_silent(segment)
            skipped["silent"] += 1
        except BadAudioError:
            if not skip_bad:
                raise
            skipped["bad"] += 1
    raise SourceError(
        f"{source.name} {split} clip {clip}: no usable segment in {max_attempts} draws "
        f"({skipped['silent']} near-silent, {skipped['bad']} bad); is the source mostly silent?"
    )
