"""Mel-spectrogram distances: log-mel distance (librosa's conventions) and auraloss' multi-resolution mel-STFT loss."""
from __future__ import annotations

import functools
import math

import numba
import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from ._batch import as_batch, unbatch

# mel_distance: 64 ms / 16 ms frames at 16 kHz; 80 Slaney bands (the usual choice at
# 16 kHz; every band spans at least two FFT bins at n_fft = 1024, so none is empty);
# eps = librosa.power_to_db's default floor (-100 dB).
MEL_N_FFT = 1024
MEL_HOP = 256
MEL_N_MELS = 80
MEL_EPS = 1e-10

# mr_mel_distance: auraloss.freq.MultiResolutionSTFTLoss defaults, (n_fft, hop, window length) in samples.
MR_RESOLUTIONS = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))
MR_N_MELS = 128
MR_EPS = 1e-8

_CHUNK_FRAMES = 256  # STFT frames per step of _mel_spectrogram: its work arrays stay in the cache


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney mel scale (librosa ``htk=False``): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    log_part = 15.0 + np.log(np.maximum(hz, 1000.0) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, hz / (200.0 / 3.0))


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_hz_to_mel`."""
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (np.maximum(mel, 15.0) - 15.0))
    return np.where(mel >= 15.0, log_part, mel * (200.0 / 3.0))


@functools.lru_cache(maxsize=32)
def _mel_filterbank(sample_rate: float, n_fft: int, n_mels: int) -> np.ndarray:
    """Slaney-normalised triangular mel filters from 0 Hz to Nyquist, shape (n_mels, n_fft//2+1).

    The same matrix as ``librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels)``
    (librosa rounds it to float32). Raises ValueError if a band contains no FFT bin.
    """
    fft_hz = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    edges = _mel_to_hz(np.linspace(0.0, _hz_to_mel(sample_rate / 2.0), n_mels + 2))
    rising = (fft_hz - edges[:-2, None]) / np.diff(edges)[:-1, None]
    falling = (edges[2:, None] - fft_hz) / np.diff(edges)[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    if not weights.max(axis=1).all():
        raise ValueError(
            f"{n_mels} mel bands at n_fft={n_fft} leave empty bands at sample_rate={sample_rate}"
        )
    weights.flags.writeable = False
    return weights


@functools.lru_cache(maxsize=32)
def _band_bins(sample_rate: float, n_fft: int, n_mels: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, stop): band m of ``_mel_filterbank(sample_rate, n_fft, n_mels)`` has its non-zero
    weights on the FFT bins ``first[m] <= k < stop[m]``."""
    nonzero = _mel_filterbank(sample_rate, n_fft, n_mels) > 0.0
    return nonzero.argmax(axis=1), nonzero.shape[1] - nonzero[:, ::-1].argmax(axis=1)


def _mel_spectrogram(x: np.ndarray, sample_rate: float, n_fft: int, hop: int, win_length: int, n_mels: int,
                     pad_mode: str, magnitude: bool) -> np.ndarray:
    """Mel spectrogram of each row of x, shape (rows, frames, n_mels): the power |STFT|² projected
    on the bands of ``_mel_filterbank(sample_rate, n_fft, n_mels)``, or with ``magnitude`` the
    magnitude ``sqrt(max(|STFT|², MR_EPS))``.

    Centred frames as ``torch.stft(center=True)`` / ``librosa.stft``: the signal is padded
    by n_fft//2 on both sides (``pad_mode`` of ``np.pad``), frame t starts at t·hop, and
    a periodic Hann window of ``win_length`` sits in the middle of each n_fft frame. Computed
    ``_CHUNK_FRAMES`` frames at a time (each frame on its own: the same values as all at once).
    """
    x = np.pad(x, ((0, 0), (n_fft // 2, n_fft // 2)), mode=pad_mode)
    n_frames = 1 + (x.shape[-1] - n_fft) // hop
    offset = (n_fft - win_length) // 2
    frames = sliding_window_view(x[:, offset:], win_length, axis=-1)[:, : (n_frames - 1) * hop + 1 : hop]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(win_length) / win_length)
    # The window sits at the frame start instead of the middle: a circular shift of the
    # n_fft-point DFT input, which leaves |DFT| unchanged.
    filterbank = _mel_filterbank(sample_rate, n_fft, n_mels)
    first, stop = _band_bins(sample_rate, n_fft, n_mels)
    # a chunk of windowed frames, zero-padded; the magnitudes' FFTs in float32 (auraloss' precision,
    # 1.5-1.9x faster), the power's in float64 (in float32 mel_distance fails its librosa test)
    padded = np.zeros((min(_CHUNK_FRAMES, n_frames), n_fft), dtype=np.float32 if magnitude else np.float64)
    out = np.empty((len(x), n_frames, len(filterbank)))
    for row in range(len(x)):
        for start in range(0, n_frames, _CHUNK_FRAMES):
            chunk = padded[: min(_CHUNK_FRAMES, n_frames - start)]
            np.multiply(frames[row, start: start + len(chunk)], window, out=chunk[:, :win_length])
            _project_on_bands(scipy.fft.rfft(chunk, axis=-1), first, stop, filterbank, magnitude,
                              out[row, start: start + len(chunk)])
    return out


@numba.njit(nogil=True, cache=True)
def _project_on_bands(spectrum, first, stop, filterbank, magnitude, out):  # pragma: no cover (compiled)
    """``out[f, m] = sum_k v[f, k] * filterbank[m, k]`` over the bins ``first[m] <= k < stop[m]`` where
    band m's weights are non-zero, in increasing k: ``v = |spectrum|²``, or ``sqrt(max(|spectrum|²,
    MR_EPS))`` with ``magnitude``. spectrum: (frames, bins) complex; out: (frames, bands). A
    band touches a few bins, so this costs a fraction of the dense product, and its order of
    additions is fixed (a BLAS product's depends on the library and the CPU)."""
    n_frames, n_bins = spectrum.shape
    values = np.empty(n_bins)
    for f in range(n_frames):
        for k in range(n_bins):
            re, im = spectrum[f, k].real, spectrum[f, k].imag
            power = re * re + im * im
            values[k] = math.sqrt(max(power, MR_EPS)) if magnitude else power
        for m in range(len(first)):
            total = 0.0
            for k in range(first[m], stop[m]):
                total += values[k] * filterbank[m, k]
            out[f, m] = total


def mel_distance(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray | float:
    """Log-mel spectral distance in dB: mean over bands and frames of |L_ref - L_est|.

    ``L = 10·log10(mel power + 1e-10)``; power STFT with n_fft = 1024 samples, hop =
    256 samples, periodic Hann window of 1024 samples, centred frames with zero padding
    (librosa's defaults); 80 Slaney-normalised mel bands from 0 Hz to sample_rate/2
    (librosa's default filterbank). Made for 16 kHz audio (64 ms frames). 0 for
    identical signals, symmetric.
    """
    ref, est, lead = as_batch(reference, estimate)
    log_ref, log_est = (
        10.0 * np.log10(_mel_spectrogram(x, sample_rate, MEL_N_FFT, MEL_HOP, MEL_N_FFT, MEL_N_MELS, "constant",
                                         magnitude=False) + MEL_EPS)
        for x in (ref, est)
    )
    return unbatch(np.abs(log_ref - log_est).mean(axis=(-2, -1)), lead)


def mr_mel_distance(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray | float:
    """Multi-resolution mel-STFT distance, as auraloss computes it for one example.

    Equals ``auraloss.freq.MultiResolutionSTFTLoss(scale="mel", n_bins=128,
    sample_rate=sample_rate)(estimate, reference)`` called on each example alone:
    for (n_fft, hop, Hann window length) in (1024, 120, 600), (2048, 240, 1200),
    (512, 50, 240) samples, with reflect-padded centred frames (``torch.stft``),
    magnitudes ``M = sqrt(max(|STFT|², 1e-8))`` projected on 128 Slaney mel bands
    (0 Hz to Nyquist): spectral convergence ``‖M_ref - M_est‖_F / ‖M_ref‖_F`` plus
    mean ``|ln M_est - ln M_ref|``; the mean of the three. Dimensionless; the FFTs run in
    float32, as auraloss', the rest in float64.

    Needs more than 1024 samples (reflect padding). Raises ValueError for sample
    rates at which a 512-point FFT leaves empty mel bands (32 kHz and above, e.g.
    44.1 kHz, where auraloss returns NaN).
    """
    ref, est, lead = as_batch(reference, estimate)
    if ref.shape[-1] <= max(n_fft for n_fft, _, _ in MR_RESOLUTIONS) // 2:
        raise ValueError(f"mr_mel_distance needs more than 1024 samples, got {ref.shape[-1]}")
    total = np.zeros(len(ref))
    for n_fft, hop, win_length in MR_RESOLUTIONS:
        mag_ref, mag_est = (_mel_spectrogram(x, sample_rate, n_fft, hop, win_length, MR_N_MELS, "reflect",
                                             magnitude=True) for x in (ref, est))
        convergence = np.sqrt(np.square(mag_ref - mag_est).sum(axis=(-2, -1)) / np.square(mag_ref).sum(axis=(-2, -1)))
        log_magnitude = np.abs(np.log(mag_est) - np.log(mag_ref)).mean(axis=(-2, -1))
        total += convergence + log_magnitude
    return unbatch(total / len(MR_RESOLUTIONS), lead)
