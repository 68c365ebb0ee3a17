"""VGGish (Hershey et al., ICASSP 2017), the embedding model of the original FAD, in torch.

The log-mel frontend is VGGish's own (``vggish_input.waveform_to_examples`` of the AudioSet
release, as harritaylor/torchvggish ports it): 16 kHz mono, 25 ms periodic-Hann frames every
10 ms, a 512-point FFT magnitude, 64 HTK-mel bands from 125 to 7500 Hz, ``log(mel + 0.01)``,
cut into non-overlapping patches of 96 frames (0.96 s; an incomplete last patch is dropped).
The network is torchvggish's ``VGG`` (4 convolution blocks, 3 fully connected layers) with the
state-dict keys of its release file ``vggish-10086976.pth``; the embedding is the 128-d output
of the last linear layer *before* its ReLU and without the AudioSet PCA/8-bit quantisation,
which is what Kilgour et al.'s FAD takes (``vggish/embedding`` of ``vggish_slim``, "the
pre-activation values") and what ``frechet-audio-distance`` and ``fadtk`` compute
(``use_pca=False, use_activation=False``).
"""
from __future__ import annotations

from math import gcd

import numpy as np
import torch
from scipy.signal import resample_poly
from torch import nn

SAMPLE_RATE = 16000  # Hz
WINDOW = 400  # STFT window, samples (25 ms)
HOP = 160  # STFT hop, samples (10 ms)
N_FFT = 512  # the next power of two above WINDOW
N_MELS = 64
MEL_MIN_HZ, MEL_MAX_HZ = 125.0, 7500.0
LOG_OFFSET = 0.01
PATCH_FRAMES = 96  # frames per example (0.96 s), also the hop between examples
EMBEDDING_SIZE = 128


def _hertz_to_mel(hertz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale."""
    return 1127.0 * np.log1p(np.asarray(hertz, dtype=np.float64) / 700.0)


def mel_matrix() -> np.ndarray:
    """(N_FFT // 2 + 1, N_MELS) triangular weights, equal-spaced in mel from 125 to 7500 Hz."""
    bins_mel = _hertz_to_mel(np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1))
    edges = np.linspace(_hertz_to_mel(MEL_MIN_HZ), _hertz_to_mel(MEL_MAX_HZ), N_MELS + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel[:, None] - lower) / (centre - lower)
    falling = (upper - bins_mel[:, None]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def log_mel_patches(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """VGGish's input examples: ``(..., patches, 96, 64)`` float64 for audio ``(..., samples)``.

    Audio at another rate than 16 kHz is resampled with ``scipy.signal.resample_poly`` (the
    AudioSet code uses ``resampy``; our tasks are at 16 kHz, so the harness never resamples).
    """
    audio = np.asarray(audio, dtype=np.float64)
    if sample_rate != SAMPLE_RATE:
        g = gcd(SAMPLE_RATE, sample_rate)
        audio = resample_poly(audio, SAMPLE_RATE // g, sample_rate // g, axis=-1)
    if audio.shape[-1] < WINDOW + (PATCH_FRAMES - 1) * HOP:
        raise ValueError(f"VGGish needs at least {(WINDOW + (PATCH_FRAMES - 1) * HOP) / SAMPLE_RATE:.3f} s "
                         f"of audio, got {audio.shape[-1]} samples at {SAMPLE_RATE} Hz")
    frames = np.lib.stride_tricks.sliding_window_view(audio, WINDOW, axis=-1)[..., ::HOP, :]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)  # periodic Hann
    magnitude = np.abs(np.fft.rfft(frames * window, N_FFT, axis=-1))
    log_mel = np.log(magnitude @ mel_matrix() + LOG_OFFSET)  # (..., frames, 64)
    patches = log_mel.shape[-2] // PATCH_FRAMES
    return log_mel[..., :patches * PATCH_FRAMES, :].reshape(*log_mel.shape[:-2], patches, PATCH_FRAMES, N_MELS)


class VGGish(nn.Module):
    """The network, up to the 128-d pre-activation embedding; keys as in ``vggish-10086976.pth``."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 1
        for width in (64, "pool", 128, "pool", 256, 256, "pool", 512, 512, "pool"):
            if width == "pool":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(channels, width, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                channels = width
        self.features = nn.Sequential(*layers)
        self.embeddings = nn.Sequential(nn.Linear(512 * 6 * 4, 4096), nn.ReLU(inplace=True),
                                        nn.Linear(4096, 4096), nn.ReLU(inplace=True),
                                        nn.Linear(4096, EMBEDDING_SIZE))

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """(n, 1, 96, 64) log-mel patches -> (n, 128) embeddings."""
        x = self.features(patches)  # (n, 512, 6, 4)
        x = x.permute(0, 2, 3, 1).flatten(1)  # flattened as TensorFlow's NHWC layout, like the release
        return self.embeddings(x)


class VGGishEmbedder:
    """Audio ``(batch, samples)`` -> VGGish embeddings ``(batch, patches, 128)`` (float64)."""

    name = "vggish"
    dim = EMBEDDING_SIZE

    def __init__(self, state_dict: dict[str, torch.Tensor], weights_sha256: str, device: str = "cpu") -> None:
        self.network = VGGish()
        self.network.load_state_dict(state_dict)  # strict: a RuntimeError names missing or odd keys
        self.network.eval().to(device)
        self.device = device
        self.weights_sha256 = weights_sha256

    @torch.no_grad()
    def __call__(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """One signal at a time, so that an embedding does not depend on the batch it came in."""
        patches = torch.from_numpy(log_mel_patches(np.atleast_2d(audio), sample_rate).astype(np.float32))
        return np.stack([self.network(signal[:, None].to(self.device)).cpu().numpy().astype(np.float64)
                         for signal in patches])
