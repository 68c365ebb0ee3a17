"""Wave-U-Net for distortion removal (mono in, mono out).

Stoller, Ewert, Dixon, "Wave-U-Net: A Multi-Scale Neural Network for End-to-End
Audio Source Separation", ISMIR 2018. Imort et al. (ISMIR 2022) used it "with a
reduced number of layers"; here there is one "source", the clean signal.

Architecture (Table 1 of the paper, ``L`` = ``num_layers``, ``Fc`` = ``num_filters``)::

    x (batch, samples) -> zero-pad on the right to a multiple of 2**L
    DS block i = 1..L:  Conv1d(-> Fc * i, k=15, "same") + LeakyReLU -> skip_i
                        decimate by 2 (keep every other sample)
    bottleneck:         Conv1d(-> Fc * (L + 1), k=15, "same") + LeakyReLU
    US block i = L..1:  upsample x2 by linear interpolation
                        concat(skip_i)
                        Conv1d(-> Fc * i, k=5, "same") + LeakyReLU
    output:             concat(input) -> Conv1d(-> 1, k=1) -> tanh (or linear)
                        -> crop to the input length

Differences to the original: "same" zero padding instead of the best model's
"valid" convolutions with extra input context (so any length works and the
output is aligned with the input), one output (no "difference output" layer),
fewer layers in both configs. Upsampling is the exact inverse of the
decimation grid: even output samples copy the coarse samples, odd samples are
the mean of their two neighbours (the last one repeats the edge), as in the
Wave-U-Net "linear interpolation" upsampling without learned weights.

Sizes (measured with ``sum(p.numel() for p in model.parameters())``):

* ``CONFIGS["small"]``: L = 6, Fc = 8 (8 ... 56 channels) -> 173,002
  parameters; one bottleneck sample = 64 input samples, receptive field of
  an output sample 2,035 samples (0.13 s at 16 kHz). Fc is small because
  the first blocks run at the full sample rate with k = 15.
* ``CONFIGS["paper"]``: L = 10, Fc = 24 -> 6,180,890 parameters (the original,
  L = 12, Fc = 24, with one mono output: 10,263,002).
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def upsample2(x: Tensor) -> Tensor:
    """Linear-interpolation upsampling by 2, aligned with ``x[..., ::2]`` decimation.

    (batch, channels, time) -> (batch, channels, 2 * time); out[2k] = x[k],
    out[2k + 1] = (x[k] + x[k + 1]) / 2 with the last sample repeated at the edge.
    """
    nxt = torch.cat([x[..., 1:], x[..., -1:]], dim=-1)  # x[k + 1], edge repeated
    mid = 0.5 * (x + nxt)
    return torch.stack([x, mid], dim=-1).flatten(-2)  # interleave even / odd samples


class WaveUNet(nn.Module):
    """Wave-U-Net on raw mono audio.

    Args:
        num_layers: number L of downsampling (and upsampling) blocks.
        num_filters: Fc, extra filters per layer (layer i has Fc * i channels).
        down_kernel: kernel size of the downsampling convolutions (fd).
        up_kernel: kernel size of the upsampling convolutions (fu).
        output_activation: "tanh" (original) or "linear".
        negative_slope: LeakyReLU slope (0.2 as in the original TensorFlow code).
    """

    def __init__(
        self,
        num_layers: int = 12,
        num_filters: int = 24,
        down_kernel: int = 15,
        up_kernel: int = 5,
        output_activation: str = "tanh",
        negative_slope: float = 0.2,
    ):
        super().__init__()
        if output_activation not in ("tanh", "linear"):
            raise ValueError(f"unknown output_activation {output_activation!r}")
        if down_kernel % 2 == 0 or up_kernel % 2 == 0:
            raise ValueError("kernel sizes must be odd for 'same' padding")
        self.num_layers = num_layers
        self.output_activation = output_activation
        self.negative_slope = negative_slope

        fc = num_filters
        self.down = nn.ModuleList()
        in_ch = 1
        for i in range(1, num_layers + 1):
            self.down.append(nn.Conv1d(in_ch, fc * i, down_kernel, padding=down_kernel // 2))
            in_ch = fc * i
        self.bottleneck = nn.Conv1d(in_ch, fc * (num_layers + 1), down_kernel, padding=down_kernel // 2)
        in_ch = fc * (num_layers + 1)
        self.up = nn.ModuleList()
        for i in range(num_layers, 0, -1):
            self.up.append(nn.Conv1d(in_ch + fc * i, fc * i, up_kernel, padding=up_kernel // 2))
            in_ch = fc * i
        self.output = nn.Conv1d(in_ch + 1, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Distorted waveform (batch, samples), any samples >= 1 -> clean estimate, same shape."""
        if x.dim() != 2:
            raise ValueError(f"expected (batch, samples), got {tuple(x.shape)}")
        length = x.shape[-1]
        multiple = 2**self.num_layers
        x = F.pad(x.unsqueeze(1), (0, (-length) % multiple))  # (batch, 1, T), T % 2**L == 0
        mix = x

        skips = []
        for conv in self.down:
            x = F.leaky_relu(conv(x), self.negative_slope)  # (batch, Fc * i, T / 2**(i-1))
            skips.append(x)
            x = x[..., ::2]  # decimate: (batch, Fc * i, T / 2**i)
        x = F.leaky_relu(self.bottleneck(x), self.negative_slope)  # (batch, Fc * (L+1), T / 2**L)

        for conv in self.up:
            x = upsample2(x)  # (batch, C, T / 2**(i-1))
            x = torch.cat([x, skips.pop()], dim=1)  # (batch, C + Fc * i, T / 2**(i-1))
            x = F.leaky_relu(conv(x), self.negative_slope)  # (batch, Fc * i, T / 2**(i-1))

        x = self.output(torch.cat([x, mix], dim=1))  # (batch, 1, T)
        if self.output_activation == "tanh":
            x = torch.tanh(x)
        return x[:, 0, :length]  # (batch, samples)


CONFIGS = {
    "small": {"num_layers": 6, "num_filters": 8},
    "small-linear": {"num_layers": 6, "num_filters": 8, "output_activation": "linear"},
    "paper": {"num_layers": 10, "num_filters": 24},
}
