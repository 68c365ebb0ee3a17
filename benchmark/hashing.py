"""SHA-256 of files on disk: the one digest the suite records for submissions, checkpoints and
their inits, model modules, shards, the pinned SoundFont and embedding weights."""
from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(*paths: str | Path) -> str:
    """Hex SHA-256 over the bytes of ``paths``, concatenated in the given order (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
