"""SHA-256 as the suite records it: of files on disk (submissions, checkpoints and their inits,
model modules, shards, the pinned SoundFont, embedding weights) and of values as canonical JSON
(recipes, folder listings, result keys)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def file_sha256(*paths: str | Path) -> str:
    """Hex SHA-256 over the bytes of ``paths``, concatenated in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            hashlib.file_digest(handle, lambda: digest)  # streams the file into the one running digest
    return digest.hexdigest()


def json_sha256(value: Any) -> str:
    """Hex SHA-256 of ``value`` as JSON with sorted keys: equal content, equal hash."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
