"""The SoundFont the sampled sources play, pinned by its SHA-256: the same file gives the same
bytes on any machine, and another file is refused rather than silently giving other data.

FluidR3_GM (Frank Wen, MIT licence): recordings of real instruments, installed by Debian's
``fluid-soundfont-gm`` package at ``/usr/share/sounds/sf2``.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ...hashing import file_sha256
from .soundfont import SoundFont, SoundFontError

FILE_NAME = "FluidR3_GM.sf2"
SHA256 = "74594e8f4250680adf590507a306655a299935343583256f3b722c48a1bc1cb0"
LICENCE = "MIT (FluidR3_GM, Frank Wen)"
DEFAULT_FOLDER = Path("/usr/share/sounds/sf2")
HOW_TO_INSTALL = (f"install Debian's fluid-soundfont-gm (`apt-get install fluid-soundfont-gm`, which puts "
                  f"{FILE_NAME} in {DEFAULT_FOLDER}) or give --source-root FOLDER holding {FILE_NAME}")


@lru_cache(maxsize=4)
def _checked(path: Path, size: int, mtime_ns: int) -> SoundFont:
    """The SoundFont at ``path`` once its hash matched (cached per file state, so each process hashes it once)."""
    found = file_sha256(path)
    if found != SHA256:
        raise SoundFontError(f"{path}: SHA-256 {found} differs from the pinned {SHA256} of {FILE_NAME} "
                             f"(fluid-soundfont-gm 3.1); the sampled sources need that exact file: {HOW_TO_INSTALL}")
    return SoundFont(path)


def open_pinned_soundfont(folder: str | Path | None = None) -> SoundFont:
    """The pinned SoundFont from ``folder`` (default: Debian's ``/usr/share/sounds/sf2``)."""
    path = Path(folder or DEFAULT_FOLDER).expanduser() / FILE_NAME
    try:
        state = os.stat(path)
    except OSError:
        raise SoundFontError(f"{path} not found: the sampled sources play {FILE_NAME}; {HOW_TO_INSTALL}") from None
    return _checked(path.resolve(), state.st_size, state.st_mtime_ns)
