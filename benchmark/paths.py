"""Where the package finds its data, and which commands need the repository.

Recipes (``datasets/*.toml``) and the paper's reference rows (``leaderboard/paper.csv``) are
package data: a wheel carries them as ``benchmark/tasks`` and ``benchmark/reference``
(``pyproject.toml`` maps the folders), an editable install reads them from the checkout.
Everything else the repository holds is the shelf of published results: the baseline
submission files and their checkpoints (``baselines/``) and the published board
(``leaderboard/``). Only ``bench run``, ``bench check`` and ``bench paper-demo`` need them;
they find the checkout with :func:`repository`.
"""
from __future__ import annotations

from pathlib import Path

from .errors import BenchmarkError

PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_CHECKOUT = PACKAGE_DIR.parent  # the repository, when the package runs from a checkout


def _package_data(packaged: str, checkout_folder: str) -> Path:
    """A data folder: inside an installed wheel, or the checkout's own folder."""
    inside = PACKAGE_DIR / packaged
    return inside if inside.is_dir() else _SOURCE_CHECKOUT / checkout_folder


def recipes_dir() -> Path:
    """The folder of task recipes (``NAME.toml``)."""
    return _package_data("tasks", "datasets")


def paper_csv() -> Path:
    """The paper's published numbers (``leaderboard/paper.csv``)."""
    return _package_data("reference", "leaderboard") / "paper.csv"


def _is_repository(folder: Path) -> bool:
    return (folder / "baselines").is_dir() and (folder / "leaderboard" / "published.json").is_file()


def repository() -> Path:
    """The checkout holding ``baselines/`` and ``leaderboard/``: the package's own when it runs
    from one (editable install), else the current directory or one of its parents."""
    for folder in (_SOURCE_CHECKOUT, *[Path.cwd(), *Path.cwd().parents]):
        if _is_repository(folder):
            return folder
    raise BenchmarkError("this command needs the repository (baselines/ and leaderboard/): run it inside a clone")


def baselines_dir() -> Path:
    """The shelf of baseline submission files."""
    return repository() / "baselines"


def checkpoints_dir() -> Path:
    """The shipped checkpoints, ``NETWORK/TASK.pt``."""
    return baselines_dir() / "checkpoints"


def leaderboard_dir() -> Path:
    """The published board (README.md, index.html, plots, published.json)."""
    return repository() / "leaderboard"


def paper_demo_dir() -> Path:
    """The paper's demo clips, beside the checkout (``../shared/paper-demo``)."""
    return repository().parent / "shared" / "paper-demo"
