"""R_nonlin: the predictor of the perceived quality of nonlinearly distorted audio of Tan, Moore,
Zacharov and Mattila ("Predicting the perceived quality of nonlinearly distorted music and speech
signals", J. Audio Eng. Soc. 52(7/8), 699-711, 2004) [T04], as the open MATLAB implementation
``Rnonlin_calc`` [D15] (S. Durbridge, 2015, MathWorks File Exchange 50230, on Slaney's Auditory
Toolbox; the implementation whose values the declipping survey [Z21] publishes) computes it.

Sources of the parameters. The text of [T04] was not available here, so no section or table
number can be cited: its model is an outer/middle-ear filter, an array of gammatone filters one
ERB apart, and per-frame cross-correlations of the reference and distorted filter outputs, weighted
across filters and averaged over 30 ms frames. [D15]'s author describes its steps as: outer and
middle ear filtering, 40 ERB-spaced gammatone filters (Slaney), 30 ms packets, the maximum
normalised cross-correlation over lags of -10 to +10 ms, channel weights summing to 1, the sum over
the 40 channels per packet, the mean over packets. Its code could not be obtained (File Exchange
only), so the two steps it leaves open are this module's choice, fixed by [Z21]'s published values
of its clipped inputs (``tests/rnonlin_survey.py``): the ear filter of ITU-R BS.1387 and equal
channel weights (a weight proportional to each channel's peak level in the estimate, one reading
of [D15]'s "maximum level" weights, raised the values by 0.08 on average, far from [Z21]).

1. outer and middle ear: ``A(f) = -2.184 (f/kHz)^-0.8 + 6.5 exp(-0.6 (f/kHz - 3.3)^2)
   - 0.001 (f/kHz)^3.6`` dB (BS.1387, ``peaq.outer_middle_ear_db``), a zero-phase filter applied
   to the whole signal with one real FFT;
2. :data:`N_CHANNELS` = 40 fourth-order gammatone filters exactly as Slaney's
   ``MakeERBFilters(fs, 40, 50)`` / ``ERBFilterBank`` design and run them (Patterson-Holdsworth,
   bandwidth 1.019 ERB, ERB = f/9.26449 + 24.7 Hz, four cascaded biquads per channel), centre
   frequencies equally spaced on the ERB scale from :data:`LOW_HZ` = 50 Hz to half the sample rate
   (1.02 ERB apart at 44.1 kHz up to 19.7 kHz, 0.79 ERB at 16 kHz up to 7.3 kHz);
3. non-overlapping frames of :data:`FRAME_S` = 30 ms (``round(0.03 * fs)`` samples) from the first
   sample; a trailing partial frame is dropped, a signal shorter than one frame is one frame;
4. per frame and channel, ``max over |l| <= L of sum_n x[n + l] y[n] / sqrt(sum x^2 * sum y^2)``
   (MATLAB's ``xcorr(x, y, L, 'coeff')`` within the frame), :data:`MAX_LAG_S` = 10 ms,
   ``L = round(0.01 * fs)`` samples (at most the frame length minus one);
5. the mean over the channels of a frame (equal weights), then the mean over frames.

Digital silence is judged on the input frames, before any filtering (the zero-phase ear filter
smears every signal over its whole length, so no filtered frame is exactly silent): a frame in
which the reference is all zeros is left out of the mean (nothing to compare), a frame in which
only the estimate is all zeros scores 0 (it dropped out); a silent reference scores NaN.
R_nonlin = 1 for identical signals and does not depend on the gain of either signal.

Checked (``tests/test_rnonlin.py``) against a reference run in GNU Octave: Slaney's own
``MakeERBFilters``/``ERBFilterBank`` and a lag-by-lag time-domain correlation
(``tests/rnonlin_reference.m``, ``tests/rnonlin_octave.py``): within 6.4e-8 on 20 pairs (1.7e-7 on
the channel means). The filterbank runs in float64 and its frames are kept in float32, where the
correlations' FFTs run: 1.6-2.1x faster in all (0.19-0.28 s of CPU per 10 s pair at 16 kHz,
``benchmarks/bench_metrics.py``; 0.40-0.56 s before), against 2e-13 with float64 throughout; the board's tolerance
for R_nonlin is 1e-3.
Against [Z21] (P. Zaviska et al., "A survey and an extensive evaluation of popular audio
declipping methods", IEEE JSTSP 15(1), 2021; rajmic/declipping2020_codes): the mean over its ten
SQAM excerpts clipped to 1/3/5/7/10/15/20 dB input SDR is 0.563/0.636/0.704/0.760/0.827/0.903/
0.950 here, 0.554/0.640/0.710/0.767/0.832/0.902/0.942 published; per value the largest difference
is 0.032 (correlation 0.998) on nine excerpts; the glockenspiel differs by up to 0.150, as its
published values level off at 0.83 for every method there, even near-perfect restorations.
"""
from __future__ import annotations

import functools
import warnings

import numba
import numpy as np
import scipy.fft

from ._batch import as_batch
from .peaq import outer_middle_ear_db

N_CHANNELS = 40     # gammatone filters
LOW_HZ = 50.0       # centre frequency of the lowest filter [Hz]; the highest lies below fs/2
FRAME_S = 0.030     # frame length [s]
MAX_LAG_S = 0.010   # largest lag searched in the cross-correlation [s]

_EAR_Q = 9.26449    # Glasberg and Moore (1990): ERB = f / EAR_Q + MIN_BW [Hz]
_MIN_BW = 24.7


def erb_space(low_hz: float, high_hz: float, n: int) -> np.ndarray:
    """``n`` centre frequencies [Hz] equally spaced on the ERB scale, from just below ``high_hz``
    down to ``low_hz`` (Slaney's ``ERBSpace``: the last one is ``low_hz``)."""
    k = np.arange(1, n + 1)
    step = (np.log(low_hz + _EAR_Q * _MIN_BW) - np.log(high_hz + _EAR_Q * _MIN_BW)) / n
    return -_EAR_Q * _MIN_BW + np.exp(k * step) * (high_hz + _EAR_Q * _MIN_BW)


@functools.lru_cache(maxsize=8)
def gammatone_sos(sample_rate: float, n_channels: int = N_CHANNELS, low_hz: float = LOW_HZ) -> np.ndarray:
    """Slaney's ``MakeERBFilters(sample_rate, n_channels, low_hz)`` as second-order sections,
    shape ``(n_channels, 4, 6)``: each channel is a cascade of four biquads sharing their poles,
    unit gain at the centre frequency (the gain folded into the first biquad)."""
    t = 1.0 / sample_rate
    cf = erb_space(low_hz, sample_rate / 2.0, n_channels)
    b = 1.019 * 2.0 * np.pi * (cf / _EAR_Q + _MIN_BW)
    cos, sin, decay = np.cos(2.0 * np.pi * cf * t), np.sin(2.0 * np.pi * cf * t), np.exp(b * t)
    sections = np.zeros((n_channels, 4, 6))
    for k, (sign, root) in enumerate(((-1, 3 + 2 ** 1.5), (1, 3 + 2 ** 1.5), (-1, 3 - 2 ** 1.5), (1, 3 - 2 ** 1.5))):
        sections[:, k, 0] = t
        sections[:, k, 1] = -(2.0 * t * cos / decay - sign * 2.0 * np.sqrt(root) * t * sin / decay) / 2.0
        sections[:, k, 3] = 1.0
        sections[:, k, 4] = -2.0 * cos / decay
        sections[:, k, 5] = np.exp(-2.0 * b * t)
    # |H(centre)| of the cascade, Slaney's closed form
    z = np.exp(4j * np.pi * cf * t)
    w = np.exp(-b * t + 2j * np.pi * cf * t)
    numerator = 1.0
    for root in (3 - 2 ** 1.5, 3 + 2 ** 1.5):
        for sign in (-1, 1):
            numerator = numerator * (-2.0 * z * t + 2.0 * w * t * (cos + sign * np.sqrt(root) * sin))
    gain = np.abs(numerator / (-2.0 / np.exp(2.0 * b * t) - 2.0 * z + 2.0 * (1.0 + z) / decay) ** 4)
    sections[:, 0, :3] /= gain[:, None]
    sections.flags.writeable = False
    return sections


def outer_middle_ear(signals: np.ndarray, sample_rate: float) -> np.ndarray:
    """Zero-phase outer/middle-ear weighting (ITU-R BS.1387) of signals (batch, samples)."""
    n = signals.shape[-1]
    gain = 10.0 ** (outer_middle_ear_db(scipy.fft.rfftfreq(n, 1000.0 / sample_rate)) / 20.0)
    return scipy.fft.irfft(scipy.fft.rfft(signals, axis=-1) * gain, n, axis=-1)


def _frame_layout(n_samples: int, sample_rate: float) -> tuple[int, int, int]:
    """(frame length, number of frames, largest lag), all in samples."""
    frame = min(int(round(FRAME_S * sample_rate)), n_samples)
    max_lag = min(int(round(MAX_LAG_S * sample_rate)), frame - 1)
    return frame, n_samples // frame, max_lag


@numba.njit(nogil=True, cache=True)
def _gammatone_frames(signal, coefficients, n_frames, frame, n_fft):  # pragma: no cover (compiled)
    """Every channel of the gammatone filterbank on ``signal`` (samples,), cut into ``n_frames``
    frames of ``frame`` samples, each zero-padded to ``n_fft``: frames (channels, n_frames, n_fft)
    in float32, and each frame's energy (channels, n_frames), the sum of its float32 samples'
    squares in float64.

    ``coefficients``: (sections, 6, channels), the second-order sections of
    :func:`gammatone_sos` with the channel last. Each section runs in float64 as
    ``scipy.signal.sosfilt`` runs it (transposed direct form II, its order of operations, zero
    initial state: the same bits before the rounding to float32), on all channels per sample,
    whose independent recurrences then overlap (1.5x sosfilt's speed); a frame of all channels is
    made in a small block, then copied out channel by channel."""
    n_sections, _, n_channels = coefficients.shape
    b0, b1, b2 = coefficients[:, 0].copy(), coefficients[:, 1].copy(), coefficients[:, 2].copy()
    a1, a2 = coefficients[:, 4].copy(), coefficients[:, 5].copy()  # (sections, channels); a0 = 1
    z0, z1 = np.zeros((n_sections, n_channels)), np.zeros((n_sections, n_channels))  # the filters' states
    block = np.empty((frame, n_channels))
    out = np.zeros((n_channels, n_frames, n_fft), dtype=np.float32)
    energy = np.zeros((n_channels, n_frames))
    for f in range(n_frames):
        for j in range(frame):
            row = block[j]
            row[:] = signal[f * frame + j]
            for s in range(n_sections):
                b0s, b1s, b2s, a1s, a2s, z0s, z1s = b0[s], b1[s], b2[s], a1[s], a2[s], z0[s], z1[s]
                for c in range(n_channels):
                    x = row[c]
                    y = b0s[c] * x + z0s[c]
                    z0s[c] = b1s[c] * x - a1s[c] * y + z1s[c]
                    z1s[c] = b2s[c] * x - a2s[c] * y
                    row[c] = y
        for c in range(n_channels):
            total = 0.0
            for j in range(frame):
                value = np.float32(block[j, c])
                out[c, f, j] = value
                total += np.float64(value) * np.float64(value)
            energy[c, f] = total
    return out, energy


def _peak_correlation(reference: np.ndarray, estimate: np.ndarray, reference_energy: np.ndarray,
                      estimate_energy: np.ndarray, max_lag: int) -> np.ndarray:
    """Largest normalised cross-correlation over lags ``-max_lag..max_lag`` of float32 frames
    (..., n_fft) whose first samples are the signal and the rest zeros (at least ``max_lag`` of
    them, so no lag wraps around), given each frame's energy; NaN where either frame is all zeros.
    The FFTs run in float32 (2.7x faster than float64 here; 4e-7 at most from float64 per frame
    value), clipped at 1, which only rounding can exceed."""
    n_fft = reference.shape[-1]
    spectrum = scipy.fft.rfft(reference, axis=-1)
    spectrum *= np.conj(scipy.fft.rfft(estimate, axis=-1))
    circular = scipy.fft.irfft(spectrum, n_fft, axis=-1)  # [l] = sum_n x[n + l] y[n], l mod n_fft
    peak = np.maximum(circular[..., : max_lag + 1].max(axis=-1), circular[..., n_fft - max_lag:].max(axis=-1))
    energy = np.sqrt(reference_energy * estimate_energy)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(energy > 0.0, np.minimum(peak / energy, 1.0), np.nan)


def rnonlin_frames(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray:
    """Peak correlations per channel and frame, shape ``(..., N_CHANNELS, n_frames)``: NaN in a
    frame where the reference input is all zeros, 0 where only the estimate is; :func:`rnonlin` is
    their mean over channels, then over frames."""
    if not sample_rate > 2 * LOW_HZ:
        raise ValueError(f"sample_rate must exceed {2 * LOW_HZ:g} Hz, got {sample_rate!r}")
    ref, est, lead = as_batch(reference, estimate)
    frame, n_frames, max_lag = _frame_layout(ref.shape[-1], sample_rate)
    n_fft = scipy.fft.next_fast_len(frame + max_lag, real=True)
    ref_silent = ~ref[:, : n_frames * frame].reshape(len(ref), n_frames, frame).any(axis=-1)
    est_silent = ~est[:, : n_frames * frame].reshape(len(est), n_frames, frame).any(axis=-1)
    ref = outer_middle_ear(ref, sample_rate)
    est = outer_middle_ear(est, sample_rate)
    coefficients = np.ascontiguousarray(gammatone_sos(float(sample_rate)).transpose(1, 2, 0))
    values = np.empty((len(ref), N_CHANNELS, n_frames))
    for i in range(len(ref)):  # one signal at a time: its frames take 2 x 34 MB at 10 s, 16 kHz
        x, x_energy = _gammatone_frames(ref[i], coefficients, n_frames, frame, n_fft)
        y, y_energy = _gammatone_frames(est[i], coefficients, n_frames, frame, n_fft)
        for channel in range(N_CHANNELS):  # one channel's frames at a time stay in the cache
            values[i, channel] = _peak_correlation(x[channel], y[channel], x_energy[channel], y_energy[channel], max_lag)
    values[np.broadcast_to(est_silent[:, None], values.shape)] = 0.0  # the estimate dropped out
    values[np.broadcast_to(ref_silent[:, None], values.shape)] = np.nan  # nothing to compare
    return values.reshape(lead + values.shape[1:])


def rnonlin(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray | float:
    """R_nonlin of each signal (..., samples) against its reference: 1 = identical, lower = more
    audible nonlinear distortion (the survey's clipped inputs score 0.45-0.65 at 1 dB SDR); NaN
    where the reference is silent throughout, 0 where only the estimate is. See the module
    docstring for the model."""
    values = rnonlin_frames(reference, estimate, sample_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices -> NaN
        return np.nanmean(np.nanmean(values, axis=-2), axis=-1)[()]
