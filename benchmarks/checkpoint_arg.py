"""The ``--checkpoint NETWORK=PATH`` argument shared by the probe scripts in this folder."""
from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.models import NETWORKS


def network_checkpoint(spec: str) -> tuple[str, Path]:
    """argparse type of ``--checkpoint NETWORK=PATH``: (network registry name, path of its ``bench train``
    .pt), refused with a message naming the spec when the ``=``, the network or the file is missing."""
    name, sep, path = spec.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{spec!r}: expected NETWORK=PATH, e.g. demucs=baselines/checkpoints/demucs/sampled-sdr.pt")
    if name not in NETWORKS:
        raise argparse.ArgumentTypeError(f"{spec!r}: unknown network {name!r}; one of {', '.join(NETWORKS)}")
    if not Path(path).is_file():
        raise argparse.ArgumentTypeError(f"{spec!r}: no checkpoint file at {path}")
    return name, Path(path)
