"""Atomic file writes: write to a hidden temporary file beside the target, then rename."""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator

TEMP_MARK = ".tmp-"


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one rename.

    On any error (or Ctrl-C) the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}")
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON (sorted keys, indented) atomically."""
    with atomic_path(path) as temp:
        temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def remove_stale_temps(folder: str | Path) -> int:
    """Delete temporary files left by a killed writer under ``folder``; returns how many."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    stale = [p for p in folder.rglob(f".*{TEMP_MARK}*") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
