"""The package's version, and the versions (and, for results, the machine) recorded beside
every dataset and result."""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

__version__ = "0.1.0"


def package_versions() -> dict[str, str | list[str]]:
    """This package's version and those of the libraries that compute its bytes and numbers."""
    import numpy
    import pyarrow
    import scipy

    return {"benchmark": __version__, "numpy": numpy.__version__, "numpy_simd": numpy_simd(),
            "scipy": scipy.__version__, "pyarrow": pyarrow.__version__, "python": sys.version.split()[0]}


def numpy_simd() -> list[str]:
    """The SIMD targets NumPy dispatches to on this CPU (e.g. ``["X86_V3"]``: AVX2; ``X86_V4``:
    AVX-512). Recorded beside generated data and results because NumPy's float64 ``exp``, ``sin``, ``cos``,
    ``log`` and ``tanh`` have a loop per target (measured with NumPy 2.4.6: ``tanh``'s AVX2 loop
    and its baseline one differ in the last bit on random inputs), so bytes may depend on it."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy's private module moved: record nothing rather than fail
        return []
    return [target for target in __cpu_dispatch__ if __cpu_features__.get(target)]


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cpus() -> int:
    """The logical CPUs this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def machine() -> dict[str, object]:
    """What a speed was measured on: CPU model, logical CPUs (all, and usable by this process),
    OS, and the 1-minute load average at the time (other work on the machine)."""
    return {"cpu": cpu_model(), "logical_cpus": os.cpu_count(), "usable_cpus": usable_cpus(),
            "platform": platform.platform(terse=True),
            "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}
