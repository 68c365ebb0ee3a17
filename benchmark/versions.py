"""The package's version, and the versions recorded beside every dataset and result."""
from __future__ import annotations

import sys

__version__ = "0.1.0"


def package_versions() -> dict[str, str]:
    """This package's version and those of the libraries that compute its bytes and numbers."""
    import numpy
    import pyarrow
    import scipy

    return {"benchmark": __version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
            "pyarrow": pyarrow.__version__, "python": sys.version.split()[0]}
