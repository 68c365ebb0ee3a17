"""The embedded sources: ``synth-guitar`` and ``synth-mix`` (rendered by ``benchmark.dataset.synth``),
``sampled-guitar`` and ``sampled-mix`` (the same performances played from recordings of real
instruments, ``benchmark.dataset.sampled``; ``sampled-mix-solo``, the mix with half its music played by
one part alone), and ``sampled-guitar-unseen`` and ``sampled-mix-unseen`` (their performances on recorded
instruments they never play, a transfer test). Each clip is rendered per (seed, split, key) and
quantised to 16 bit, as a recording would be."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import sampled, synth
from ..sampled import pinned
from .segments import STREAM_SEGMENT, Segment, rng_for

if TYPE_CHECKING:
    from ..recipes import Recipe


def quantise_16bit(audio: np.ndarray) -> np.ndarray:
    """Round to the 16-bit PCM grid (k / 32768), saturating, as writing a WAV file would."""
    return np.clip(np.round(audio * 32768.0), -32768, 32767) / 32768.0


class EmbeddedSource:
    """An embedded source: ``render(rng, seconds, sample_rate)`` per (seed, split, key)."""

    def __init__(self, name: str, seed: int, sample_rate: int, render: Callable[..., np.ndarray],
                 description: dict[str, Any]):
        self.name = name
        self.seed = seed
        self.sample_rate = sample_rate
        self.render = render
        self.description = description

    def segment(self, split: str, key: int, seconds: float) -> Segment:
        audio = self.render(rng_for(self.seed, STREAM_SEGMENT, split, key), seconds, self.sample_rate)
        return Segment(quantise_16bit(audio), f"{self.name}/{split}/{key}", 0, self.sample_rate)

    def check_file_not_silent(self, segment: Segment) -> None:
        """Embedded clips are their own files: a silent one is simply redrawn."""

    def describe(self) -> dict:
        return {"name": self.name, **self.description}


SYNTH_RENDERERS = {"synth-guitar": synth.synth_guitar, "synth-mix": synth.synth_mix}
SAMPLED_RENDERERS = {"sampled-guitar": sampled.sampled_guitar, "sampled-guitar-unseen": sampled.sampled_guitar_unseen,
                     "sampled-mix": sampled.sampled_mix, "sampled-mix-solo": sampled.sampled_mix_solo,
                     "sampled-mix-unseen": sampled.sampled_mix_unseen}


def open_synth_source(recipe: Recipe, source_root: str | Path | None = None, skip_bad: bool = False) -> EmbeddedSource:
    """The synthetic source a recipe names (it reads no files: ``source_root`` is not used)."""
    return EmbeddedSource(recipe.source, recipe.seed, recipe.sample_rate, SYNTH_RENDERERS[recipe.source],
                          {"kind": "synthetic"})


def open_sampled_source(recipe: Recipe, source_root: str | Path | None = None, skip_bad: bool = False) -> EmbeddedSource:
    """The sampled source a recipe names, playing the pinned SoundFont from ``source_root``
    (default: Debian's ``/usr/share/sounds/sf2``)."""
    font = sampled.open_pinned_soundfont(source_root)
    return EmbeddedSource(recipe.source, recipe.seed, recipe.sample_rate,
                          functools.partial(SAMPLED_RENDERERS[recipe.source], font=font),
                          {"kind": "sampled", "soundfont": {"file": pinned.FILE_NAME, "sha256": pinned.SHA256,
                                                            "licence": pinned.LICENCE}})
