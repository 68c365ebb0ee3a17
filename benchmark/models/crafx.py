"""CRAFx for distortion removal (mono in, mono out).

Martínez Ramírez, Benetos, Reiss, "Deep Learning for Black-Box Modeling of
Audio Effects", Applied Sciences 10(2):638, 2020 (reference Keras code:
mchijmma/DL-AFx, ``src/Models.py``, model ``CRAFx``). Imort et al. (ISMIR 2022)
used it as the audio-effect-modelling baseline ("CRAFX").

The signal is cut into frames of ``win_length`` samples (hop ``hop_length``,
50 % overlap as in the original); every frame is processed with ``context``
past and ``context`` subsequent frames as extra input of the latent model,
and the output frames are Hann-windowed and overlap-added (the original's
evaluation procedure). Per frame (F = ``filters``, K = ``kernel_size``,
W = ``win_length``, T' = W / ``pool_size``)::

    adaptive front-end (shared by all frames)
      X  = Conv1d(1 -> F, k=K, "same")(x)                      (W, F)   learnable filterbank
      M  = softplus(depthwise Conv1d(F, k=2K, "same")(|X|))    (W, F)   smoothed envelope
      Z  = MaxPool(pool_size)(M)                               (T', F)  latent
    latent-space model (BLSTMs over the T' latent steps of a frame)
      concat Z of the 2 * context + 1 frames on channels       (T', (2c+1) F)
      BLSTM(2F per direction) -> BLSTM(F) -> BLSTM(F/2) -> SAAF  (T', F)
      M' = upsample x pool_size (repeat)                       (W, F)
    synthesis back-end (centre frame)
      Y  = X * M'                                              (W, F)   "unpooling" by the filterbank
      Y' = SE(SAAF(Dense F -> F/2 -> F/2 -> F (tanh, tanh, tanh, linear)(Y)))
      out = deconv(Y + Y')                                     (W,)     kernel tied to the front-end

SAAF = smooth adaptive activation function (Hou et al., AISTATS 2017), a
learnable piecewise 2nd-order polynomial per channel (25 break points in
[-0.2, 0.2], magnitude 100, as in the reference code); SE = squeeze-and-
excitation with |.|-global average pooling over the frame and an
amplifying ratio of 16 (as in the reference code).

Adaptations (to accept any length and to train in reasonable time on a CPU):

* The signal is zero-padded (centred frames); frames beyond the signal are
  zero frames for the context, as in the reference data generator.
* The front-end is computed once on the whole signal and then framed (frames
  start on the pooling grid, so this equals per-frame processing except that
  the convolutions see the neighbouring signal instead of zeros at the frame
  edges). The back-end runs per frame; the frames of ``Y + Y'`` are
  Hann-windowed and overlap-added *before* the tied deconvolution, which is
  linear and time-invariant, so it runs once on the whole signal (the
  original windows after the deconvolution; the difference is the variation
  of the window within K samples).
* The deconvolution is the exact adjoint (transposed, flipped kernel) of the
  filterbank; the Keras code correlates with the unflipped kernel.
* PyTorch's LSTM has a fixed tanh output where the reference's last BLSTM is
  linear (the SAAF after it can rescale); no recurrent dropout; no separate
  pre-training of the front-/back-end.
* The convolutions are computed as GEMM / FFT / GEMM + col2im (same results
  as F.conv1d; the tests check it), much faster on CPU than PyTorch's 1-channel
  and depthwise convolutions.

Sizes (measured with ``sum(p.numel() for p in model.parameters())``):

* ``CONFIGS["small"]``: F = 16, K = 32, frames 4096 / hop 2048, context 4
  -> 69,825 parameters. CRAFx is small by design (the reference has ~0.28 M);
  its cost is the F-channel processing at full rate on overlapping frames,
  hence F = 16 for the CPU default.
* ``CONFIGS["paper"]``: F = 32, K = 64, frames 4096 / hop 2048, context 4
  (the reference configuration, also at 16 kHz) -> 275,969 parameters.
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def fft_length(n: int) -> int:
    """Smallest integer >= n with no prime factors other than 2, 3 and 5 (fast FFT sizes)."""
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


class _PiecewiseQuadratic(torch.autograd.Function):
    """y = c0[k] + c1[k] x + c2[k] x^2, with k the (channel, interval) row of each element.

    Hand-written backward: it keeps dy/dx and the row index, and accumulates
    the coefficient gradients with ``index_add_`` (leaner and faster on CPU
    than autograd through three gathers).
    """

    @staticmethod
    def forward(ctx, x: Tensor, coef: Tensor, idx: Tensor) -> Tensor:
        # x: (..., C) float, coef: (C * I, 3), idx: (..., C) long, rows of coef
        c0, c1, c2 = (c[idx] for c in coef.unbind(-1))
        ctx.save_for_backward(x, torch.addcmul(c1, x, c2, value=2.0), idx)  # x, dy/dx, idx
        ctx.rows = coef.shape[0]
        return torch.addcmul(c0, x, torch.addcmul(c1, x, c2))

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, slope, idx = ctx.saved_tensors
        flat, g = idx.reshape(-1), grad.reshape(-1)
        gx = g * x.reshape(-1)
        grads = [g.new_zeros(ctx.rows).index_add_(0, flat, w) for w in (g, gx, gx * x.reshape(-1))]
        return grad * slope, torch.stack(grads, dim=-1), None


class SAAF(nn.Module):
    """Smooth adaptive activation function of order 2, one function per channel.

    With break points ``bp = linspace(-break_range, break_range, break_points)``
    and segments ``[s_j, e_j] = [bp[2j], bp[2j + 1]]`` (as in the CRAFx code)::

        f_c(x) = a_c x + magnitude * sum_j w_cj b_j(x)
        b_j(x) = 0                                          x <  s_j
               = (x - s_j)^2 / 2                            s_j <= x < e_j
               = (e_j - s_j)(x - e_j) + (e_j - s_j)^2 / 2   x >= e_j

    f is C^1 and piecewise quadratic (linear outside [-break_range, break_range]).
    It is evaluated as one quadratic per interval between consecutive knots
    (equally spaced, so the interval is a floor division): memory of a few
    times the input instead of one tensor per segment.

    Args:
        channels: number of channels (last axis of the input).
        break_points: number of break points (segments = break_points // 2).
        break_range: break points span [-break_range, break_range].
        magnitude: scale of the quadratic basis functions.
    """

    def __init__(
        self, channels: int, break_points: int = 25, break_range: float = 0.2, magnitude: float = 100.0
    ):
        super().__init__()
        bp = torch.linspace(-break_range, break_range, break_points, dtype=torch.float64)
        num_segs = break_points // 2
        knots = bp[: 2 * num_segs]  # s_0, e_0, s_1, e_1, ... equally spaced
        # basis[k, j] = (c0, c1, c2) of b_j on interval k = [knots[k-1], knots[k])
        basis = torch.zeros(len(knots) + 1, num_segs, 3, dtype=torch.float64)
        for j in range(num_segs):
            s, e = knots[2 * j].item(), knots[2 * j + 1].item()
            w = e - s
            basis[2 * j + 1, j] = torch.tensor([0.5 * s * s, -s, 0.5])
            basis[2 * j + 2 :, j] = torch.tensor([0.5 * w * w - w * e, w, 0.0])
        self.register_buffer("basis", basis.float(), persistent=False)
        self.first_knot = knots[0].item()
        self.spacing = (bp[1] - bp[0]).item()
        self.num_knots = len(knots)
        self.magnitude = float(magnitude)
        # Keras "random_normal" initialiser (std 0.05), as in the reference code
        self.weight = nn.Parameter(0.05 * torch.randn(channels, num_segs))
        self.linear = nn.Parameter(0.05 * torch.randn(channels))

    def coefficients(self) -> Tensor:
        """Polynomial coefficients (channels, intervals, 3) of f on each interval."""
        coef = self.magnitude * torch.einsum("kjp,cj->ckp", self.basis, self.weight)
        linear = F.pad(self.linear[:, None, None], (1, 1))  # (channels, 1, 3): (0, a_c, 0)
        return coef + linear

    def forward(self, x: Tensor) -> Tensor:
        # x: (..., channels) -> (..., channels)
        coef = self.coefficients()  # (channels, intervals, 3)
        channels, n_int = coef.shape[:2]
        with torch.no_grad():  # interval index = number of knots <= x
            idx = (x - self.first_knot).div_(self.spacing).floor_().add_(1).clamp_(0, self.num_knots).long()
            idx += n_int * torch.arange(channels, device=x.device)  # row of coef.reshape(-1, 3)
        return _PiecewiseQuadratic.apply(x, coef.reshape(-1, 3), idx)


class SqueezeExcitation(nn.Module):
    """Channel gains from the |.|-average over time (an amplifying ratio, as in CRAFx)."""

    def __init__(self, channels: int, ratio: int = 16):
        super().__init__()
        self.fc1 = nn.Linear(channels, channels * ratio)
        self.fc2 = nn.Linear(channels * ratio, channels)

    def forward(self, x: Tensor) -> Tensor:
        # x: (batch, time, channels)
        s = x.abs().mean(dim=1)  # (batch, channels)
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))  # (batch, channels)
        return x * s.unsqueeze(1)


class CRAFX(nn.Module):
    """Convolutional-recurrent audio effects model (CRAFx), waveform in, waveform out.

    Args:
        win_length: frame length W in samples (a multiple of hop_length and pool_size).
        hop_length: hop between frames (<= W / 2, a multiple of pool_size).
        filters: number F of front-end filters (even).
        kernel_size: front-end kernel length K (the smoothing kernel is 2K).
        pool_size: max-pooling factor W / T' (the reference uses W / 64).
        context: number of past and of subsequent frames given to the latent model.
        se_ratio: amplifying ratio of the squeeze-and-excitation block.
        dropout: dropout on the inputs of the BLSTMs (reference: 0.1).
        saaf_break_points, saaf_break_range, saaf_magnitude: SAAF settings.
    """

    def __init__(
        self,
        win_length: int = 4096,
        hop_length: int = 2048,
        filters: int = 32,
        kernel_size: int = 64,
        pool_size: int = 64,
        context: int = 4,
        se_ratio: int = 16,
        dropout: float = 0.1,
        saaf_break_points: int = 25,
        saaf_break_range: float = 0.2,
        saaf_magnitude: float = 100.0,
    ):
        super().__init__()
        if win_length % hop_length or hop_length % pool_size or 2 * hop_length > win_length:
            raise ValueError(
                "need hop_length <= win_length / 2, hop_length | win_length and pool_size | hop_length"
            )
        if filters % 2:
            raise ValueError("filters must be even")
        self.win_length = win_length
        self.hop_length = hop_length
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.context = context
        saaf = {
            "break_points": saaf_break_points,
            "break_range": saaf_break_range,
            "magnitude": saaf_magnitude,
        }
        f = filters

        # adaptive front-end
        self.conv = nn.Conv1d(1, f, kernel_size)  # learnable filterbank
        # locally connected smoothing: one kernel per channel (depthwise)
        self.conv_smoothing = nn.Conv1d(f, f, 2 * kernel_size, groups=f)
        for conv in (self.conv, self.conv_smoothing):  # Keras "lecun_uniform", zero bias
            bound = math.sqrt(3.0 / conv.weight[0].numel())
            nn.init.uniform_(conv.weight, -bound, bound)
            nn.init.zeros_(conv.bias)

        # latent-space model
        self.dropout = nn.Dropout(dropout)
        self.birnn_in = nn.LSTM((2 * context + 1) * f, 2 * f, batch_first=True, bidirectional=True)
        self.birnn_1 = nn.LSTM(4 * f, f, batch_first=True, bidirectional=True)
        self.birnn_2 = nn.LSTM(2 * f, f // 2, batch_first=True, bidirectional=True)
        self.saaf_latent = SAAF(f, **saaf)

        # synthesis back-end
        self.dense_in = nn.Linear(f, f)
        self.dense_h1 = nn.Linear(f, f // 2)
        self.dense_h2 = nn.Linear(f // 2, f // 2)
        self.dense_out = nn.Linear(f // 2, f)
        self.saaf_out = SAAF(f, **saaf)
        self.se = SqueezeExcitation(f, se_ratio)
        self.deconv_bias = nn.Parameter(torch.zeros(1))  # the deconvolution kernel is self.conv's
        self.register_buffer("window", torch.hann_window(win_length), persistent=False)

    def filterbank(self, x: Tensor) -> Tensor:
        """Front-end Conv1d(1 -> F, K, "same") as one GEMM: (batch, T) -> (batch, T, F)."""
        k = self.kernel_size
        cols = F.pad(x, ((k - 1) // 2, k // 2)).unfold(-1, k, 1)  # (batch, T, K)
        return F.linear(cols, self.conv.weight[:, 0], self.conv.bias)  # (batch, T, F)

    def smoothing(self, a: Tensor) -> Tensor:
        """Depthwise Conv1d(F, 2K, "same") via FFT along time: (batch, T, F) -> (batch, T, F)."""
        k2, length = 2 * self.kernel_size, a.shape[1]
        n = fft_length(length + k2)  # linear, not circular, convolution
        kernel = self.conv_smoothing.weight[:, 0].flip(-1).t()  # (2K, F): correlation -> convolution
        y = torch.fft.irfft(torch.fft.rfft(a, n=n, dim=1) * torch.fft.rfft(kernel, n=n, dim=0), n=n, dim=1)
        return y[:, k2 // 2 : k2 // 2 + length] + self.conv_smoothing.bias

    def deconv(self, y: Tensor) -> Tensor:
        """Adjoint of the filterbank (a transposed convolution) plus bias: (batch, T, F) -> (batch, T)."""
        k, length = self.kernel_size, y.shape[1]
        cols = y @ self.conv.weight[:, 0]  # (batch, T, K): contribution of sample t to t + j
        out = F.fold(cols.transpose(1, 2), (1, length + k - 1), (1, k))  # col2im: (batch, 1, 1, T + K - 1)
        return out.reshape(-1, length + k - 1)[:, (k - 1) // 2 : (k - 1) // 2 + length] + self.deconv_bias

    def frontend(self, x: Tensor):
        """(batch, T) -> filterbank X (batch, T, F) and latent Z (batch, T / pool, F)."""
        X = self.filterbank(x)  # (batch, T, F)
        M = F.softplus(self.smoothing(X.abs()))  # (batch, T, F)
        batch, length, f = M.shape
        return X, M.reshape(batch, length // self.pool_size, self.pool_size, f).amax(dim=2)  # max-pool

    def overlap_add(self, frames: Tensor) -> Tensor:
        """Hann-windowed overlap-add: (batch, N, W, C) -> (batch, (N - 1) * hop + W, C)."""
        batch, n_frames, _, channels = frames.shape
        r, hop = self.win_length // self.hop_length, self.hop_length
        blocks = frames.reshape(batch, n_frames, r, hop, channels)
        window = self.window.reshape(r, hop, 1)
        out = frames.new_zeros(batch, n_frames + r - 1, hop, channels)
        for j in range(r):  # block j of frame i lands on output block i + j
            out[:, j : j + n_frames] += blocks[:, :, j] * window[j]
        return out.reshape(batch, (n_frames + r - 1) * hop, channels)

    def forward(self, x: Tensor) -> Tensor:
        """Distorted waveform (batch, samples), any samples >= 1 -> clean estimate, same shape."""
        if x.dim() != 2:
            raise ValueError(f"expected (batch, samples), got {tuple(x.shape)}")
        batch, length = x.shape
        win, hop, pool, c = self.win_length, self.hop_length, self.pool_size, self.context
        t_lat = win // pool  # latent steps per frame

        # centred frames: every sample of the signal is covered by win / hop frames
        n_frames = math.ceil(length / hop) + win // hop - 1
        padded = (n_frames - 1) * hop + win
        x = F.pad(x, (win // 2, padded - length - win // 2))  # (batch, T)

        # adaptive front-end on the whole signal; frames start on the pooling grid
        X, Z = self.frontend(x)  # (batch, T, F), (batch, T / pool, F)
        f = Z.shape[-1]
        Z = Z.unfold(1, t_lat, hop // pool)  # (batch, N, F, T')

        # context: frames beyond the signal are zero frames (as in the reference generator)
        Z_zero = self.frontend(x.new_zeros(1, win))[1].transpose(1, 2)  # (1, F, T')
        pad = Z_zero.expand(batch, c, f, t_lat)
        Z = torch.cat([pad, Z, pad], dim=1)  # (batch, N + 2c, F, T')
        Z = torch.cat([Z[:, i : i + n_frames] for i in range(2 * c + 1)], dim=2)  # (batch, N, (2c+1) F, T')
        Z = Z.reshape(batch * n_frames, (2 * c + 1) * f, t_lat).transpose(1, 2)  # (batch * N, T', (2c+1) F)

        # latent-space model
        Z = self.birnn_in(self.dropout(Z))[0]  # (batch * N, T', 4F)
        Z = self.birnn_1(self.dropout(Z))[0]  # (batch * N, T', 2F)
        Z = self.birnn_2(self.dropout(Z))[0]  # (batch * N, T', F)
        Z = self.saaf_latent(Z)  # (batch * N, T', F)

        # synthesis back-end, per frame, channels last
        Xf = X.unfold(1, win, hop).transpose(2, 3)  # frames of X, a view: (batch, N, W, F)
        Xf = Xf.reshape(batch, n_frames, t_lat, pool, f)  # still a view
        Z = Z.reshape(batch, n_frames, t_lat, 1, f)  # upsampling by repetition = broadcasting
        Y = (Xf * Z).reshape(batch * n_frames, win, f)  # (batch * N, W, F)
        Yh = torch.tanh(self.dense_in(Y))  # (batch * N, W, F)
        Yh = torch.tanh(self.dense_h1(Yh))  # (batch * N, W, F/2)
        Yh = torch.tanh(self.dense_h2(Yh))  # (batch * N, W, F/2)
        Yh = self.se(self.saaf_out(self.dense_out(Yh)))  # (batch * N, W, F)
        V = (Y + Yh).reshape(batch, n_frames, win, f)  # (batch, N, W, F)

        # Hann-windowed overlap-add (normalised by the window sum), then the tied
        # deconvolution, once on the whole signal
        V = self.overlap_add(V)  # (batch, T, F)
        envelope = self.overlap_add(torch.ones_like(self.window).expand(1, n_frames, win).unsqueeze(-1))
        y = self.deconv(V / envelope.clamp(min=1e-8))  # (batch, T)
        return y[:, win // 2 : win // 2 + length]  # (batch, samples)


CONFIGS = {
    "small": {"win_length": 4096, "hop_length": 2048, "filters": 16, "kernel_size": 32, "pool_size": 64,
              "context": 4},
    "paper": {"win_length": 4096, "hop_length": 2048, "filters": 32, "kernel_size": 64, "pool_size": 64,
              "context": 4},
}
