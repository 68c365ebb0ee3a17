"""Wave-U-Net (Stoller et al. 2018): the network is ``benchmark.models.waveunet``; this submission loads the checkpoint
``checkpoints/waveunet/TASK.pt`` beside this file (made by ``bench train --model waveunet``)."""
from pathlib import Path

from benchmark.models.checkpoints import NeuralSubmission


class Model(NeuralSubmission):
    network = "waveunet"
    checkpoints = Path(__file__).resolve().parent / "checkpoints"
