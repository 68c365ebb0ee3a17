"""Open-Unmix (Stöter et al. 2019): the network is ``benchmark.models.openunmix``; this submission loads the checkpoint
``checkpoints/openunmix/TASK.pt`` beside this file (made by ``bench train --model openunmix``)."""
from pathlib import Path

from benchmark.models.checkpoints import NeuralSubmission


class Model(NeuralSubmission):
    network = "openunmix"
    checkpoints = Path(__file__).resolve().parent / "checkpoints"
