"""Clean audio sources, one module per kind; a new source is one opener in :data:`SOURCES`.

- ``segments``: what every source gives (a segment per split and key), seeded draws, silence;
- ``embedded``: ``synth-guitar`` and ``synth-mix``, rendered by ``benchmark.dataset.synth``, and
  ``sampled-guitar`` and ``sampled-mix``, played from recordings by ``benchmark.dataset.sampled``
  (``sampled-mix-solo``: half its music played by one part alone), and ``sampled-guitar-unseen``
  and ``sampled-mix-unseen`` (their performances on recorded instruments they never play);
- ``folders``: real recordings, ``ceg`` (any folder) and ``signaltrain`` (SignalTrain LA2A v1.1).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .embedded import EmbeddedSource, open_sampled_source, open_synth_source
from .folders import FolderSource, open_folder_source
from .segments import BadAudioError, Segment, SourceError, draw_clean_segment, is_near_silent, rng_for

if TYPE_CHECKING:
    from ..recipes import Recipe

# Source name (a recipe's `source`) -> opener(recipe, source_root, skip_bad).
SOURCES: dict[str, Callable[..., EmbeddedSource | FolderSource]] = {
    "synth-guitar": open_synth_source,
    "synth-mix": open_synth_source,
    "sampled-guitar": open_sampled_source,
    "sampled-guitar-unseen": open_sampled_source,
    "sampled-mix": open_sampled_source,
    "sampled-mix-solo": open_sampled_source,
    "sampled-mix-unseen": open_sampled_source,
    "ceg": open_folder_source,
    "signaltrain": open_folder_source,
}


def open_source(recipe: Recipe, source_root: str | Path | None = None, skip_bad: bool = False) -> EmbeddedSource | FolderSource:
    """The source a recipe names; real-data sources need ``source_root`` (sampled ones may take it: the SoundFont folder)."""
    return SOURCES[recipe.source](recipe, source_root, skip_bad)


__all__ = ["SOURCES", "BadAudioError", "FolderSource", "Segment", "SourceError", "EmbeddedSource", "draw_clean_segment",
           "is_near_silent", "open_source", "rng_for"]
