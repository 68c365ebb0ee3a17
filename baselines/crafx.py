"""CRAFx (Martínez Ramírez et al. 2020): the network is ``benchmark.models.crafx``; this submission loads the checkpoint
``checkpoints/crafx/TASK.pt`` beside this file (made by ``bench train --model crafx``)."""
from pathlib import Path

from benchmark.models.checkpoints import NeuralSubmission


class Model(NeuralSubmission):
    network = "crafx"
    checkpoints = Path(__file__).resolve().parent / "checkpoints"
