"""Demucs v2 (Défossez et al. 2019): the network is ``benchmark.models.demucs``; this submission loads the checkpoint
``checkpoints/demucs/TASK.pt`` beside this file (made by ``bench train --model demucs``)."""
from pathlib import Path

from benchmark.models.checkpoints import NeuralSubmission


class Model(NeuralSubmission):
    network = "demucs"
    checkpoints = Path(__file__).resolve().parent / "checkpoints"
