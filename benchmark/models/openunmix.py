"""Open-Unmix for distortion removal (mono in, mono out).

Stöter, Uhlich, Liutkus, Mitsufuji, "Open-Unmix - A Reference Implementation
for Music Source Separation", JOSS 4(41), 2019 (sigsep/open-unmix-pytorch,
``openunmix/model.py``). Imort et al. (ISMIR 2022) used it as "UMX": a BLSTM on
the STFT magnitude that predicts a mask and reuses the distorted phase.

Architecture (F = ``n_fft // 2 + 1`` bins, H = ``hidden_size``)::

    x (batch, samples)
      -> STFT (Hann, n_fft, hop, centred, zero-padded)   X: (batch, F, frames) complex
      -> |X| -> crop to ``max_bin`` -> + input_mean, * input_scale
      -> fc1 (max_bin -> H, no bias) -> BatchNorm -> tanh
      -> 3-layer BLSTM (H/2 per direction)   + skip: concat(tanh out, LSTM out)
      -> fc2 (2H -> H) -> BatchNorm -> ReLU
      -> fc3 (H -> F) -> BatchNorm -> * output_scale + output_mean (init 1)
      -> ReLU = mask m (batch, F, frames)
      -> Y = m * X  (magnitude m |X|, phase of X) -> ISTFT, exact input length

Choice of STFT at 16 kHz: n_fft 1024 / hop 256 = 64 ms / 16 ms with 75 %
overlap (Hann satisfies COLA, perfect reconstruction with a unit mask). That
is the time-frequency trade-off of Open-Unmix's 4096 / 1024 at 44.1 kHz
(93 / 23 ms) moved towards better time resolution, which matters for clipping
(short, sample-level events) while keeping 15.6 Hz bins for guitar partials.
All 513 bins are used (``max_bin=None``): at 16 kHz the whole band up to 8 kHz
carries distortion harmonics, so there is no reason for Open-Unmix's 16 kHz
bandwidth cut.

Normalisation: BatchNorm as in Open-Unmix. At inference (``model.eval()``) it
uses running statistics, so an example's output does not depend on the rest of
the batch; in training mode it normalises over (batch x frames), as the
original does. ``input_mean`` / ``input_scale`` may be set from training-set
statistics of the magnitude (Open-Unmix does so); by default they are 0 / 1.

Sizes (measured with ``sum(p.numel() for p in model.parameters())``):

* ``CONFIGS["small"]``: hidden 128, 3 BLSTM layers, ``unit_mask_init`` ->
  465,670 parameters.
* ``CONFIGS["paper"]``: hidden 512 (the Open-Unmix default), 3 BLSTM layers,
  Open-Unmix's own initialisation -> 5,785,606 parameters (the original at
  44.1 kHz, n_fft 4096, max_bin 1487 is 8.9 M stereo; 7,078,818 built mono here).

Initialisation: with Open-Unmix's init, the training-mode mask starts as
relu(1 + unit-variance noise) per bin (the last BatchNorm normalises fc3's
output); learning to undo that takes ~1000 Adam steps at lr 1e-3 (measured
on a 1 s overfitting example: SI-SDR 0.2 dB after 1000 steps, vs 21 dB with
the unit-mask start). The small config therefore starts from the unit mask
(last BatchNorm scale 0, so the untrained model passes its input through);
the paper config keeps the original initialisation.
"""


import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class OpenUnmix(nn.Module):
    """Open-Unmix spectrogram masking network, waveform in, waveform out.

    Args:
        n_fft: STFT size (Hann window of the same length).
        n_hop: STFT hop size.
        hidden_size: width H of the bottleneck (each LSTM direction has H / 2).
        nb_layers: number of BLSTM layers.
        max_bin: number of low-frequency bins given to the network (None = all).
        unidirectional: causal LSTM (hidden H) instead of BLSTM.
        dropout: dropout between LSTM layers (Open-Unmix: 0.4).
        input_mean: optional magnitude mean per bin, shape (>= max_bin,).
        input_scale: optional magnitude std per bin, shape (>= max_bin,).
        unit_mask_init: initialise the last BatchNorm's scale to 0, so that the
            untrained network applies the unit mask (passes its input through).
            Open-Unmix's own initialisation (False) starts from a random mask of
            std ~1 in training mode, which costs the first ~1000 Adam steps.
    """

    def __init__(
        self,
        n_fft: int = 1024,
        n_hop: int = 256,
        hidden_size: int = 512,
        nb_layers: int = 3,
        max_bin: int | None = None,
        unidirectional: bool = False,
        dropout: float = 0.4,
        input_mean: np.ndarray | None = None,
        input_scale: np.ndarray | None = None,
        unit_mask_init: bool = False,
    ):
        super().__init__()
        self.n_fft = n_fft
        self.n_hop = n_hop
        self.nb_output_bins = n_fft // 2 + 1
        self.nb_bins = max_bin if max_bin else self.nb_output_bins
        self.hidden_size = hidden_size
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

        self.fc1 = nn.Linear(self.nb_bins, hidden_size, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden_size)
        lstm_hidden_size = hidden_size if unidirectional else hidden_size // 2
        self.lstm = nn.LSTM(
            input_size=hidden_size,
            hidden_size=lstm_hidden_size,
            num_layers=nb_layers,
            bidirectional=not unidirectional,
            dropout=dropout if nb_layers > 1 else 0.0,
        )
        self.fc2 = nn.Linear(2 * hidden_size, hidden_size, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden_size)
        self.fc3 = nn.Linear(hidden_size, self.nb_output_bins, bias=False)
        self.bn3 = nn.BatchNorm1d(self.nb_output_bins)
        if unit_mask_init:
            nn.init.zeros_(self.bn3.weight)  # mask = relu(0 * ... + output_mean) = 1

        mean = torch.zeros(self.nb_bins)
        scale = torch.ones(self.nb_bins)
        if input_mean is not None:
            mean = -torch.as_tensor(np.asarray(input_mean)[: self.nb_bins], dtype=torch.float32)
        if input_scale is not None:
            scale = 1.0 / torch.as_tensor(np.asarray(input_scale)[: self.nb_bins], dtype=torch.float32)
        self.input_mean = nn.Parameter(mean)
        self.input_scale = nn.Parameter(scale)
        self.output_scale = nn.Parameter(torch.ones(self.nb_output_bins))
        self.output_mean = nn.Parameter(torch.ones(self.nb_output_bins))

    def stft(self, x: Tensor) -> Tensor:
        """(batch, samples) -> complex STFT (batch, bins, frames), centred, zero padding."""
        return torch.stft(
            x,
            n_fft=self.n_fft,
            hop_length=self.n_hop,
            window=self.window,
            center=True,
            pad_mode="constant",  # "reflect" fails for inputs shorter than n_fft / 2
            normalized=False,
            onesided=True,
            return_complex=True,
        )

    def istft(self, X: Tensor, length: int) -> Tensor:
        """complex STFT (batch, bins, frames) -> (batch, length)."""
        return torch.istft(
            X,
            n_fft=self.n_fft,
            hop_length=self.n_hop,
            window=self.window,
            center=True,
            normalized=False,
            onesided=True,
            length=length,
        )

    def mask(self, mag: Tensor) -> Tensor:
        """The Open-Unmix core: magnitude (batch, bins, frames) -> mask >= 0, same shape."""
        nb_samples, _, nb_frames = mag.shape
        x = mag.permute(2, 0, 1)  # (frames, batch, bins)
        x = x[..., : self.nb_bins]
        # shift and scale input to mean=0 std=1 (per bin)
        x = (x + self.input_mean) * self.input_scale

        # encode to (frames * batch, hidden), squash to [-1, 1]
        x = self.bn1(self.fc1(x.reshape(-1, self.nb_bins)))
        x = torch.tanh(x.reshape(nb_frames, nb_samples, self.hidden_size))

        lstm_out = self.lstm(x)[0]  # (frames, batch, hidden)
        x = torch.cat([x, lstm_out], -1)  # skip connection: (frames, batch, 2 * hidden)

        x = F.relu(self.bn2(self.fc2(x.reshape(-1, 2 * self.hidden_size))))  # (frames * batch, hidden)
        x = self.bn3(self.fc3(x))  # (frames * batch, bins)
        x = x.reshape(nb_frames, nb_samples, self.nb_output_bins)
        x = x * self.output_scale + self.output_mean
        return F.relu(x).permute(1, 2, 0)  # (batch, bins, frames)

    def forward(self, x: Tensor) -> Tensor:
        """Distorted waveform (batch, samples), any samples >= 1 -> clean estimate, same shape."""
        if x.dim() != 2:
            raise ValueError(f"expected (batch, samples), got {tuple(x.shape)}")
        X = self.stft(x)  # (batch, bins, frames) complex
        mag = X.abs().detach()  # as Open-Unmix: no gradient into the input spectrogram
        m = self.mask(mag)  # (batch, bins, frames) real, >= 0
        return self.istft(m * X, length=x.shape[-1])  # magnitude m |X|, phase of X


CONFIGS = {
    "small": {"n_fft": 1024, "n_hop": 256, "hidden_size": 128, "nb_layers": 3, "unit_mask_init": True},
    "paper": {"n_fft": 1024, "n_hop": 256, "hidden_size": 512, "nb_layers": 3, "unit_mask_init": False},
}
