"""Demucs v2 for distortion removal (mono in, mono out).

Défossez, Usunier, Bottou, Bach, "Music Source Separation in the Waveform
Domain", arXiv:1911.13254 (v2 of the paper and of facebookresearch/demucs).
Imort et al. (ISMIR 2022) used Demucs v2 "with a reduced number of layers";
here there is one "source", the clean signal.

Architecture (``depth`` = D layers; C_0 = 1, the mono input, and
``C_i = channels * growth**(i - 1)``)::

    x (batch, samples)
      -> normalise: (x - mean) / (std + eps)        per example, over time
      -> with ``resample``: upsample2 (twice the rate)
      -> zero-pad (centred) to ``valid_length``
    encoder i = 1..D:  Conv1d(C_{i-1} -> C_i, k=8, s=4) + ReLU
                       Conv1d(C_i -> 2 C_i, k=1) + GLU           ("rewrite")
    bottleneck:        BLSTM(C_D, ``lstm_layers`` layers) + Linear(2 C_D -> C_D)
    decoder i = D..1:  x = x + skip_i (U-Net skip, centre-trimmed)
                       Conv1d(C_i -> 2 C_i, k=context) + GLU
                       ConvTranspose1d(C_i -> C_{i-1}, k=8, s=4) + ReLU (no ReLU last)
      -> centre-crop, with ``resample``: downsample2; y * std + mean

Differences to the original: mono, one source; the per-example
normalisation that Demucs v2 applied outside the network (``separate.py``,
per track) is done inside ``forward`` so that the module maps raw waveform to
raw waveform; padding to a valid length and cropping also happen inside
``forward`` (Demucs v2 did that in ``apply_model``). Initialisation: Demucs
v2's rescaling of the convolution weights (reference std 0.1).

Sizes (mono, measured with ``sum(p.numel() for p in model.parameters())``):

* ``CONFIGS["small"]``: channels 16 (-> 128 at depth 4), depth 4, 2 BLSTM
  layers, context 1 (1x1 decoder convolution) -> 952,993 parameters. One
  bottleneck step = 4**4 = 256 samples (16 ms at 16 kHz).
* ``CONFIGS["small-resample"]``: the small config run at twice the sample rate
  (``resample``, Demucs v2's default) -> 952,993 parameters (the resampling
  filter is fixed); one bottleneck step = 128 input samples.
* ``CONFIGS["medium"]``: channels 24 (-> 384 at depth 5), depth 5, 2 BLSTM
  layers, context 3 -> 9,348,337 parameters; a training batch (8 x 2 s) takes
  3.1x the small config's time on one CPU thread (1.43 s against 0.46 s). One
  bottleneck step = 4**5 = 1024 samples (64 ms at 16 kHz).
* ``CONFIGS["paper"]``: channels 64 (-> 1024), depth 5 (one layer fewer than
  Demucs v2's 6), 2 BLSTM layers, context 3 (the Demucs v2 default) ->
  66,400,897 parameters (depth 6, i.e. Demucs v2 itself with one mono
  source: 265,675,393).
"""

import math

import torch
import torch.nn.functional as F
from scipy.signal import firwin
from torch import Tensor, nn

HALF_BAND_ZEROS = 24  # zero crossings each side of the 2x resampling filter (julius' default, as Demucs v2)
HALF_BAND_ROLLOFF = 0.945  # its cutoff, a fraction of the original Nyquist frequency (julius' default)


def half_band_filter() -> Tensor:
    """The low-pass FIR (taps,) of the 2x resampling: a Hann-windowed sinc cut at
    HALF_BAND_ROLLOFF x the original Nyquist frequency, 4 x HALF_BAND_ZEROS + 1 taps at the doubled rate."""
    taps = firwin(4 * HALF_BAND_ZEROS + 1, HALF_BAND_ROLLOFF / 2, window="hann")
    return torch.as_tensor(taps, dtype=torch.float32)


def upsample2(x: Tensor, taps: Tensor) -> Tensor:
    """(batch, 1, samples) -> (batch, 1, 2 samples): zeros between the samples, then the low-pass (gain 2).

    Computed in polyphase form, the zeros never multiplied: output 2m takes the even taps
    over x[m - Z .. m + Z], output 2m + 1 the odd taps over x[m - Z + 1 .. m + Z] (Z =
    HALF_BAND_ZEROS), one two-channel convolution (the same sums as filtering the
    zero-stuffed signal, a third of its time)."""
    zeros = (taps.numel() - 1) // 4  # Z
    phases = torch.stack([taps[0::2], F.pad(taps[1::2], (1, 0))]).unsqueeze(1)  # (2, 1, 2 Z + 1)
    y = F.conv1d(x, 2 * phases, padding=zeros)  # (batch, 2, samples): even, odd outputs
    return y.transpose(1, 2).reshape(x.shape[0], 1, -1)  # (batch, 1, 2 samples), interleaved


def downsample2(x: Tensor, taps: Tensor) -> Tensor:
    """(batch, 1, 2 samples) -> (batch, 1, samples): the low-pass, then every other sample."""
    return F.conv1d(x, taps.view(1, 1, -1), stride=2, padding=(taps.numel() - 1) // 2)


class BLSTM(nn.Module):
    """Bidirectional LSTM over time followed by a linear projection back to ``dim``.

    Args:
        dim: number of channels (input, hidden state per direction and output).
        layers: number of stacked BLSTM layers.
    """

    def __init__(self, dim: int, layers: int = 2):
        super().__init__()
        self.lstm = nn.LSTM(input_size=dim, hidden_size=dim, num_layers=layers, bidirectional=True)
        self.linear = nn.Linear(2 * dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        # (batch, channels, time) -> (time, batch, channels)
        x = x.permute(2, 0, 1)
        x = self.lstm(x)[0]  # (time, batch, 2 * channels)
        x = self.linear(x)  # (time, batch, channels)
        return x.permute(1, 2, 0)  # (batch, channels, time)


def center_trim(x: Tensor, length: int) -> Tensor:
    """Crop the last axis of ``x`` symmetrically to ``length`` samples."""
    delta = x.shape[-1] - length
    if delta < 0:
        raise ValueError(f"cannot trim {x.shape[-1]} samples to {length}")
    return x[..., delta // 2 : x.shape[-1] - (delta - delta // 2)]


def rescale_module(module: nn.Module, reference: float) -> None:
    """Demucs v2 initialisation: scale conv weights so their std is closer to ``reference``."""
    for sub in module.modules():
        if isinstance(sub, (nn.Conv1d, nn.ConvTranspose1d)):
            std = sub.weight.std().detach()
            scale = (std / reference) ** 0.5
            sub.weight.data /= scale
            if sub.bias is not None:
                sub.bias.data /= scale


class Demucs(nn.Module):
    """Demucs v2 waveform U-Net with a BLSTM bottleneck, mono in, mono out.

    Args:
        channels: channels of the first encoder layer.
        depth: number of encoder (and decoder) layers.
        lstm_layers: number of BLSTM layers in the bottleneck (0 = no LSTM).
        kernel_size: kernel size of the strided (transposed) convolutions.
        stride: stride of the strided (transposed) convolutions.
        growth: channel multiplier from one encoder layer to the next.
        context: kernel size of the decoder's "rewrite" convolution (1 = 1x1 conv,
            3 = Demucs v2 default; unpadded, compensated by ``valid_length``).
        glu: use a GLU after the 1x1 rewrite convolutions (else ReLU).
        rescale: reference std for the weight rescaling at init (0 = off).
        normalize: normalise the input by its mean/std and restore the scale at the output.
        resample: run the network at twice the sample rate (upsample2 before the encoder,
            downsample2 after the decoder), as Demucs v2 does by default ("improves SDR almost
            0.3 points", its v2.0.0 release notes); off here unless a config asks for it.
    """

    def __init__(
        self,
        channels: int = 64,
        depth: int = 6,
        lstm_layers: int = 2,
        kernel_size: int = 8,
        stride: int = 4,
        growth: float = 2.0,
        context: int = 3,
        glu: bool = True,
        rescale: float = 0.1,
        normalize: bool = True,
        resample: bool = False,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.depth = depth
        self.context = context
        self.normalize = normalize
        self.resample = resample
        if resample:
            self.register_buffer("half_band", half_band_filter(), persistent=False)  # (taps,), not in checkpoints

        ch_scale = 2 if glu else 1
        self.encoder = nn.ModuleList()
        self.decoder = nn.ModuleList()
        in_channels = 1
        for index in range(depth):
            self.encoder.append(
                nn.Sequential(
                    nn.Conv1d(in_channels, channels, kernel_size, stride),
                    nn.ReLU(),
                    nn.Conv1d(channels, ch_scale * channels, 1),
                    nn.GLU(dim=1) if glu else nn.ReLU(),
                )
            )
            decode: list[nn.Module] = [
                nn.Conv1d(channels, ch_scale * channels, context),
                nn.GLU(dim=1) if glu else nn.ReLU(),
                nn.ConvTranspose1d(channels, in_channels, kernel_size, stride),
            ]
            if index > 0:
                decode.append(nn.ReLU())
            self.decoder.insert(0, nn.Sequential(*decode))
            in_channels = channels
            channels = int(growth * channels)

        self.lstm = BLSTM(in_channels, lstm_layers) if lstm_layers else None

        if rescale:
            rescale_module(self, reference=rescale)

    def valid_length(self, length: int) -> int:
        """Smallest input length >= ``length`` for which no convolution drops samples
        and the output (before the final crop) is at least ``length`` long."""
        for _ in range(self.depth):
            length = math.ceil((length - self.kernel_size) / self.stride) + 1
            length = max(1, length)
            length += self.context - 1
        for _ in range(self.depth):
            length = (length - 1) * self.stride + self.kernel_size
        return int(length)

    def forward(self, x: Tensor) -> Tensor:
        """Distorted waveform (batch, samples), any samples >= 1 -> clean estimate, same shape."""
        if x.dim() != 2:
            raise ValueError(f"expected (batch, samples), got {tuple(x.shape)}")
        x = x.unsqueeze(1)  # (batch, 1, samples)

        if self.normalize:
            # statistics per example over time: no dependence on the rest of the batch
            mean = x.mean(dim=-1, keepdim=True)  # (batch, 1, 1)
            std = x.std(dim=-1, keepdim=True, correction=0)  # (batch, 1, 1)
            x = (x - mean) / (1e-5 + std)

        if self.resample:
            x = upsample2(x, self.half_band)  # (batch, 1, 2 samples)
        inner = x.shape[-1]
        delta = self.valid_length(inner) - inner
        x = F.pad(x, (delta // 2, delta - delta // 2))  # (batch, 1, valid_length)

        saved = []
        for encode in self.encoder:
            x = encode(x)  # (batch, C_i, ~T_{i-1} / stride)
            saved.append(x)
        if self.lstm is not None:
            x = self.lstm(x)  # (batch, C_D, T_D)
        for decode in self.decoder:
            skip = center_trim(saved.pop(-1), x.shape[-1])
            x = decode(x + skip)  # (batch, C_{i-1}, ~T_i * stride)

        x = center_trim(x, inner)  # (batch, 1, samples), or 2 samples with resample
        if self.resample:
            x = downsample2(x, self.half_band)  # (batch, 1, samples)
        if self.normalize:
            x = x * std + mean
        return x.squeeze(1)  # (batch, samples)


CONFIGS = {
    "small": {"channels": 16, "depth": 4, "lstm_layers": 2, "context": 1},
    "small-resample": {"channels": 16, "depth": 4, "lstm_layers": 2, "context": 1, "resample": True},
    "medium": {"channels": 24, "depth": 5, "lstm_layers": 2, "context": 3},
    "paper": {"channels": 64, "depth": 5, "lstm_layers": 2, "context": 3},
}
