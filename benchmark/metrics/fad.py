"""Fréchet Audio Distance (Kilgour et al., Interspeech 2019): the Fréchet distance between
Gaussians fitted to the embeddings of two sets of audio (lower is better; 0: same statistics).

One value per *set* (a method's outputs on a task against the clean test audio), not per
example. The pieces:

- :func:`frechet_distance`: ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 sqrt(S1 S2))`` with
  ``scipy.linalg.sqrtm``, as google-research's ``fad_utils`` and ``frechet-audio-distance``
  compute it (if the square root is not finite, ``eps`` is added to both diagonals; an
  imaginary part above 1e-3 on its diagonal is an error, a smaller one is dropped);
- :class:`EmbeddingStats`: mean and covariance (unbiased, as ``np.cov``) accumulated over
  batches of embeddings and mergeable, so that a harness can feed outputs batch by batch;
- :data:`EMBEDDING_MODELS` and :func:`load_embedding_model`: the embedding models. Weights
  are never downloaded: the user gives the file, checked by SHA-256 before it is loaded.

Runtime needs torch only to embed (the models); the statistics and the distance need NumPy
and SciPy.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
import scipy.linalg

from ..errors import BenchmarkError
from ..hashing import file_sha256


class FadError(BenchmarkError, ValueError):
    """Bad embedding-model weights, too few embeddings, or a distance that cannot be computed."""


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     eps: float = 1e-6) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (squared embedding units).

    ``eps`` is added to both diagonals only if ``sqrtm(sigma1 @ sigma2)`` is not finite
    (1e-6 as in pytorch-fid, ``frechet-audio-distance`` and ``fadtk``; google-research's FAD
    uses 1e-7).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.ndim != 1 or mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise FadError(f"means {mu1.shape}, {mu2.shape} and covariances {sigma1.shape}, {sigma2.shape} "
                       "must be (d,) and (d, d)")
    root = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(root).all():
        offset = eps * np.eye(len(mu1))
        root = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(root):
        if not np.allclose(np.diagonal(root).imag, 0, atol=1e-3):
            raise FadError(f"sqrt(sigma1 sigma2) has an imaginary part up to {np.abs(root.imag).max():.3g}")
        root = root.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(root))


class EmbeddingStats:
    """Count, mean and scatter matrix of embeddings added batch by batch (float64).

    Batches combine exactly as one set (Chan, Golub and LeVeque's pairwise update), so the
    result does not depend on how the embeddings were split, only (to rounding) on their order.
    """

    def __init__(self, dim: int) -> None:
        self.count = 0
        self.mean = np.zeros(dim)
        self.scatter = np.zeros((dim, dim))  # sum of (x - mean)(x - mean)^T

    @classmethod
    def from_arrays(cls, count: int, mean: np.ndarray, scatter: np.ndarray) -> EmbeddingStats:
        stats = cls(len(mean))
        stats.count, stats.mean, stats.scatter = int(count), np.array(mean, np.float64), np.array(scatter, np.float64)
        return stats

    def arrays(self) -> dict[str, np.ndarray]:
        """What :meth:`from_arrays` takes back (e.g. to keep in an ``.npz`` file)."""
        return {"count": np.array(self.count), "mean": self.mean, "scatter": self.scatter}

    def add(self, embeddings: np.ndarray) -> EmbeddingStats:
        """Add embeddings ``(n, dim)`` (or ``(..., dim)``); returns self."""
        x = np.asarray(embeddings, np.float64).reshape(-1, len(self.mean))
        if len(x):
            mean = x.mean(axis=0)
            centred = x - mean
            self.merge(EmbeddingStats.from_arrays(len(x), mean, centred.T @ centred))
        return self

    def merge(self, other: EmbeddingStats) -> EmbeddingStats:
        """Add another set's statistics; returns self."""
        if other.mean.shape != self.mean.shape:
            raise FadError(f"embedding sizes differ: {len(self.mean)} and {len(other.mean)}")
        total = self.count + other.count
        if other.count:
            delta = other.mean - self.mean
            self.scatter = self.scatter + other.scatter + np.outer(delta, delta) * (self.count * other.count / total)
            self.mean = self.mean + delta * (other.count / total)
            self.count = total
        return self

    @property
    def sigma(self) -> np.ndarray:
        """The unbiased covariance (``np.cov(x, rowvar=False)``); needs two embeddings."""
        if self.count < 2:
            raise FadError(f"a covariance needs at least 2 embeddings, got {self.count}")
        return self.scatter / (self.count - 1)


def frechet_audio_distance(reference: EmbeddingStats, estimate: EmbeddingStats) -> float:
    """FAD between the embedding statistics of a reference set and an evaluated set."""
    return frechet_distance(reference.mean, reference.sigma, estimate.mean, estimate.sigma)


class Embedder(Protocol):
    """A loaded embedding model: audio ``(batch, samples)`` at a rate -> ``(batch, frames, dim)``."""

    name: str
    dim: int
    weights_sha256: str

    def __call__(self, audio: np.ndarray, sample_rate: int) -> np.ndarray: ...


@dataclass(frozen=True)
class EmbeddingModel:
    name: str
    weights_file: str  # the published checkpoint's file name
    sha256: str  # of that file
    source: str  # where it is published
    build: Callable[[dict, str, str], Embedder]  # (state dict, its sha256, device) -> embedder


def _vggish(state_dict: dict, sha256: str, device: str) -> Embedder:
    from .vggish import VGGishEmbedder

    return VGGishEmbedder(state_dict, sha256, device)


EMBEDDING_MODELS = {m.name: m for m in (
    # The hash prefix is in the file name (torch hub's convention); the full SHA-256 is the
    # one recorded by uncharted-distil/distil-primitives (distil/primitives/audio_transfer.py).
    EmbeddingModel("vggish", "vggish-10086976.pth",
                   "10086976245803799d9194e9a73d9b6c1549c71d1b80106f5cade5608a561f4b",
                   "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth",
                   _vggish),
)}


def load_embedding_model(name: str, weights: str | Path, device: str = "cpu",
                         sha256: str | None = None) -> Embedder:
    """Load model ``name`` from the user's weights file, after checking its SHA-256.

    ``sha256`` defaults to the published checkpoint's; nothing is downloaded.
    """
    import torch

    if name not in EMBEDDING_MODELS:
        raise FadError(f"unknown FAD embedding model '{name}'; known: {', '.join(EMBEDDING_MODELS)}")
    model, path = EMBEDDING_MODELS[name], Path(weights)
    expected = sha256 or model.sha256
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise FadError(f"{path}: cannot read the {name} weights ({exc.strerror or exc})") from exc
    if actual != expected:
        raise FadError(f"{path}: SHA-256 {actual} is not that of the {name} checkpoint {model.weights_file} "
                       f"({expected}); download it yourself from {model.source}")
    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
        return model.build(state_dict, actual, device)
    except Exception as exc:  # unpickling or a state dict of other keys or shapes
        raise FadError(f"{path}: not a {name} state dict ({exc})") from exc
