"""The embedded default sources, ``synth-guitar`` and ``synth-mix``: rendered per (seed, split, key)
and quantised to 16 bit, as a recording would be."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import synth
from .segments import STREAM_SEGMENT, Segment, rng_for

if TYPE_CHECKING:
    from ..recipes import Recipe


def quantise_16bit(audio: np.ndarray) -> np.ndarray:
    """Round to the 16-bit PCM grid (k / 32768), saturating, as writing a WAV file would."""
    return np.clip(np.round(audio * 32768.0), -32768, 32767) / 32768.0


RENDERERS = {"synth-guitar": synth.synth_guitar, "synth-mix": synth.synth_mix}


class SynthSource:
    """The embedded default: ``synth-guitar`` or ``synth-mix``, rendered per (seed, split, key)."""

    def __init__(self, name: str, seed: int, sample_rate: int):
        self.name = name
        self.seed = seed
        self.sample_rate = sample_rate
        self.render = RENDERERS[name]

    def segment(self, split: str, key: int, seconds: float) -> Segment:
        audio = self.render(rng_for(self.seed, STREAM_SEGMENT, split, key), seconds, self.sample_rate)
        return Segment(quantise_16bit(audio), f"{self.name}/{split}/{key}", 0, self.sample_rate)

    def check_file_not_silent(self, segment: Segment) -> None:
        """Synthetic clips are their own files: a silent one is simply redrawn."""

    def describe(self) -> dict:
        return {"name": self.name, "kind": "synthetic"}


def open_synth_source(recipe: Recipe, source_root: str | Path | None = None, skip_bad: bool = False) -> SynthSource:
    """The embedded source a recipe names (it reads no files: ``source_root`` is not used)."""
    return SynthSource(recipe.source, recipe.seed, recipe.sample_rate)
