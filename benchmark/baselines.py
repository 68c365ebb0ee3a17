"""The registry of baselines: the submission files on the repository's shelf (``baselines/``).

``bench run`` and ``bench check`` evaluate them in this order; the board shows their display
names and draws each in its own colour (the same on every task), in this order. A new baseline is one file in ``baselines/`` and one entry here. ``kind`` says what a
baseline needs and how it is shown: ``input`` (the distorted input itself), ``oracle`` (sees
the clean target, never ranked), ``declipper`` (hard-clipping tasks only), ``inverter``
(SoX-overdrive tasks only: knows the effect's form), ``network`` (needs
the checkpoint ``baselines/checkpoints/NAME/TASK.pt``; NAME is its key in
``benchmark.models.NETWORKS``).
"""
from __future__ import annotations

from dataclasses import dataclass

from . import paths
from .models import checkpoint_path


@dataclass(frozen=True)
class Baseline:
    name: str  # results folder name (and network registry name for a network)
    file: str  # the submission file in baselines/
    display: str  # its name on the board
    kind: str  # "input", "oracle", "declipper", "inverter" or "network"

    def has_what_it_needs(self, task: str) -> bool:
        """A network needs its checkpoint for the task (``baselines/checkpoints/NAME/TASK.pt``; on a
        transfer test, the trained task's); the others nothing."""
        from .dataset.recipes import model_task  # here: submission processes import this module, not the data package
        return self.kind != "network" or checkpoint_path(self.name, model_task(task), paths.checkpoints_dir()).is_file()


BASELINES = {b.name: b for b in (
    Baseline("passthrough", "passthrough.py", "distorted input", "input"),
    Baseline("oracle_irm", "oracle_irm.py", "IRM", "oracle"),
    Baseline("aspade", "aspade.py", "A-SPADE", "declipper"),
    Baseline("sox_inverse", "sox_inverse.py", "SoX overdrive inverse", "inverter"),
    Baseline("demucs", "demucs.py", "Demucs v2", "network"),
    Baseline("waveunet", "waveunet.py", "Wave-U-Net", "network"),
    Baseline("crafx", "crafx.py", "CRAFX", "network"),
    Baseline("openunmix", "openunmix.py", "Open-Unmix", "network"),
)}


def display_name(submission: str, declared: str | None = None) -> str:
    """A submission's name on the board: the one its file declares (``display_name``), else a
    baseline's display name, else its results name."""
    if declared:
        return declared
    return BASELINES[submission].display if submission in BASELINES else submission
