"""The real ``sox`` binary as an effect backend (``bench generate --effect-backend sox``)."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np

from ..errors import BenchmarkError


class SoxNotFound(BenchmarkError, FileNotFoundError):
    """The ``sox`` program is not installed."""


def sox_path() -> str:
    """Path of the ``sox`` executable; raises a clear error when it is not installed."""
    path = shutil.which("sox")
    if path is None:
        raise SoxNotFound(
            "the `sox` binary is not on PATH; install it (Debian/Ubuntu: apt-get install sox, "
            "macOS: brew install sox) or use --effect-backend numpy"
        )
    return path


def run_sox(x: np.ndarray, sample_rate: int, effect: list[str]) -> np.ndarray:
    """Pipe mono float64 audio through ``sox`` with one effect chain, dither off.

    Input and output are raw 64-bit floats, so the only conversions are SoX's own
    float64 <-> int32 ones.
    """
    x = np.ascontiguousarray(x, dtype="<f8")
    fmt = ["-t", "f64", "-r", str(int(sample_rate)), "-c", "1"]
    cmd = [sox_path(), "-D", "-V1", *fmt, "-", *fmt, "-", *effect]
    proc = subprocess.run(cmd, input=x.tobytes(), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"sox failed ({' '.join(cmd)}): {proc.stderr.decode(errors='replace').strip()}")
    out = np.frombuffer(proc.stdout, dtype="<f8").astype(np.float64)
    if out.shape != x.shape:
        raise RuntimeError(f"sox returned {out.size} samples for {x.size}")
    return out


def sox_binary_overdrive(x: np.ndarray, gain_db: float, colour: float = 20.0, sample_rate: int = 16000) -> np.ndarray:
    """``sox ... overdrive gain_db colour`` run by the binary; the reference for ``effects.sox_overdrive``."""
    return run_sox(x, sample_rate, ["overdrive", repr(float(gain_db)), repr(float(colour))])
