"""PEAQ basic version (ITU-R BS.1387-1), FFT ear model, in numpy.

The numerical conventions follow P. Kabal's PQevalAudio (McGill, 2004) so that
results agree with that reference implementation:

* input samples in [-1, 1) are scaled by 32768 (16-bit integer range); a full
  scale sine at 1019.5 Hz corresponds to a 92 dB SPL listening level;
* the data boundaries (start / end of audible data) are taken from the
  reference signal (sum of |x| over 5 samples > 200 in 16-bit units), frames
  before the first data frame are run through the model to warm up the filter
  memories but are excluded from the time averages;
* the frame-level "peak after valley" search for EHS, the level correction,
  the delays of the averaging, etc. are those of PQevalAudio (which in a few
  places differ from a literal reading of the standard text).

Public entry points: :func:`peaq_basic` (ODG, DI and the 11 MOVs of one pair) and
:func:`peaq_odg` (the ODG of each signal of a batch, the harness's metric). Checked against
PQevalAudio run in GNU Octave (``tests/test_peaq.py``, ``tests/peaq_octave.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from math import gcd

import numba
import numpy as np
from scipy.signal import resample_poly

from ..effects.ordered_sum import pairwise_sum
from ._batch import as_batch, unbatch

__all__ = ["peaq_basic", "peaq_odg", "outer_middle_ear_db", "PeaqResult", "MOV_NAMES"]

# ---------------------------------------------------------------------------
# General constants
FS = 48000                  # model sampling rate [Hz]
NF = 2048                   # frame length [samples]
NADV = NF // 2              # frame advance [samples]
FSS = FS / NADV             # frame rate [frames/s]
AMAX = 32768.0              # [-1, 1) -> 16-bit integer range scaling
LP_DB = 92.0                # listening level of a full-scale sine [dB SPL]
F_CAL = 1019.5              # calibration sine frequency [Hz]

# Data boundary detection (in 16-bit units)
BOUND_LEN = 5               # window length [samples]
BOUND_THR = 200.0           # threshold on sum of |x| over the window
END_MIN = NF // 2           # min. number of data samples in the last frame

# Critical bands, basic version: 109 bands of 1/4 Bark between 80 Hz and 18 kHz
DZ = 0.25                   # band spacing [Bark]
# Band edges and centres [Hz], Table 6 of BS.1387 (values as tabulated,
# including the irregularities of the printed table, as PQevalAudio uses them)
F_LOW = np.array([
    80.000, 103.445, 127.023, 150.762, 174.694, 198.849, 223.257, 247.950,
    272.959, 298.317, 324.055, 350.207, 376.805, 403.884, 431.478, 459.622,
    488.353, 517.707, 547.721, 578.434, 609.885, 642.114, 675.161, 709.071,
    743.884, 779.647, 816.404, 854.203, 893.091, 933.119, 974.336, 1016.797,
    1060.555, 1105.666, 1152.187, 1200.178, 1249.700, 1300.816, 1353.592, 1408.094,
    1464.392, 1522.559, 1582.668, 1644.795, 1709.021, 1775.427, 1844.098, 1915.121,
    1988.587, 2064.590, 2143.227, 2224.597, 2308.806, 2395.959, 2486.169, 2579.551,
    2676.223, 2776.309, 2879.937, 2987.238, 3098.350, 3213.415, 3332.579, 3455.993,
    3583.817, 3716.212, 3853.817, 3995.399, 4142.547, 4294.979, 4452.890, 4616.482,
    4785.962, 4961.548, 5143.463, 5331.939, 5527.217, 5729.545, 5939.183, 6156.396,
    6381.463, 6614.671, 6856.316, 7106.708, 7366.166, 7635.020, 7913.614, 8202.302,
    8501.454, 8811.450, 9132.688, 9465.574, 9810.536, 10168.013, 10538.460, 10922.351,
    11320.175, 11732.438, 12159.670, 12602.412, 13061.229, 13536.710, 14029.458, 14540.103,
    15069.295, 15617.710, 16186.049, 16775.035, 17385.420,
])
F_CTR = np.array([
    91.708, 115.216, 138.870, 162.702, 186.742, 211.019, 235.566, 260.413,
    285.593, 311.136, 337.077, 363.448, 390.282, 417.614, 445.479, 473.912,
    502.950, 532.629, 562.988, 594.065, 625.899, 658.533, 692.006, 726.362,
    761.644, 797.898, 835.170, 873.508, 912.959, 953.576, 995.408, 1038.511,
    1082.938, 1128.746, 1175.995, 1224.744, 1275.055, 1326.992, 1380.623, 1436.014,
    1493.237, 1552.366, 1613.474, 1676.641, 1741.946, 1809.474, 1879.310, 1951.543,
    2026.266, 2103.573, 2183.564, 2266.340, 2352.008, 2440.675, 2532.456, 2627.468,
    2725.832, 2827.672, 2933.120, 3042.309, 3155.379, 3272.475, 3393.745, 3519.344,
    3649.432, 3784.176, 3923.748, 4068.324, 4218.090, 4373.237, 4533.963, 4700.473,
    4872.978, 5051.700, 5236.866, 5428.712, 5627.484, 5833.434, 6046.825, 6267.931,
    6497.031, 6734.420, 6980.399, 7235.284, 7499.397, 7773.077, 8056.673, 8350.547,
    8655.072, 8970.639, 9297.648, 9636.520, 9987.683, 10351.586, 10728.695, 11119.490,
    11524.470, 11944.149, 12379.066, 12829.775, 13294.850, 13780.887, 14282.503, 14802.338,
    15341.057, 15899.345, 16477.914, 17077.504, 17690.045,
])
F_UPP = np.array([
    103.445, 127.023, 150.762, 174.694, 198.849, 223.257, 247.950, 272.959,
    298.317, 324.055, 350.207, 376.805, 403.884, 431.478, 459.622, 488.353,
    517.707, 547.721, 578.434, 609.885, 642.114, 675.161, 709.071, 743.884,
    779.647, 816.404, 854.203, 893.091, 933.113, 974.336, 1016.797, 1060.555,
    1105.666, 1152.187, 1200.178, 1249.700, 1300.816, 1353.592, 1408.094, 1464.392,
    1522.559, 1582.668, 1644.795, 1709.021, 1775.427, 1844.098, 1915.121, 1988.587,
    2064.590, 2143.227, 2224.597, 2308.806, 2395.959, 2486.169, 2579.551, 2676.223,
    2776.309, 2879.937, 2987.238, 3098.350, 3213.415, 3332.579, 3455.993, 3583.817,
    3716.212, 3853.348, 3995.399, 4142.547, 4294.979, 4452.890, 4643.482, 4785.962,
    4961.548, 5143.463, 5331.939, 5527.217, 5729.545, 5939.183, 6156.396, 6381.463,
    6614.671, 6856.316, 7106.708, 7366.166, 7635.020, 7913.614, 8202.302, 8501.454,
    8811.450, 9132.688, 9465.574, 9810.536, 10168.013, 10538.460, 10922.351, 11320.175,
    11732.438, 12159.670, 12602.412, 13061.229, 13536.710, 14029.458, 14540.103, 15069.295,
    15617.710, 16186.049, 16775.035, 17385.420, 18000.000,
])
NC = F_CTR.size             # number of bands (109)

E_MIN = 1e-12               # floor of band energies
SPREAD_EXP = 0.4            # power law for adding spreading contributions
SLOPE_LOW_DB = 27.0         # lower spreading slope [dB/Bark]
SLOPE_UPP_DB = 24.0         # upper slope: 24 + 230 Hz/fc - 0.2*10log10(E) [dB/Bark]
SLOPE_UPP_FHZ = 230.0
SLOPE_UPP_LEV = 0.2

# Time constants (t100 = value at 100 Hz, tmin = asymptote) [s]
T100_SMEAR, TMIN_SMEAR = 0.030, 0.008     # forward masking smoothing
T100_ADAPT, TMIN_ADAPT = 0.050, 0.008     # level/pattern adaptation, modulation
ADAPT_M1, ADAPT_M2 = 3, 4                 # pattern correction band averaging

MOD_EXP = 0.3               # exponent for the modulation envelope
MOD_EAVG_REF = 0.3          # envelope normalisation offset

LOUD_EXP = 0.23
LOUD_CONST = 1.07664        # loudness scaling constant (FFT model)
LOUD_E0 = 1e4

# Bandwidth
BW_FX = 21586.0             # start of "noise floor" region [Hz]
BW_FL = 8109.0              # lowest bandwidth considered [Hz]
BW_REF_DB = 10.0
BW_TEST_DB = 5.0

# NMR masking offset: 3 dB up to 12 Bark, then 0.25 dB/Bark * z
NMR_KNEE_BARK, NMR_OFFSET_DB, NMR_SLOPE_DB = 12.0, 3.0, 0.25

# Noise loudness
NL_ALPHA, NL_TF0, NL_S0 = 1.5, 0.15, 0.5

# Modulation difference
MD_NEG_WT2 = 0.1
MD_OFFSET1, MD_OFFSET2 = 1.0, 0.01
MD_LEV_WT = 100.0

# Probability of detection
PD_C = (-0.198719, 0.0550197, -0.00102438, 5.05622e-6, 9.01033e-11)
PD_D1, PD_D2, PD_G = 5.95072, 6.39468, 1.71332
PD_BPOS, PD_BNEG = 4.0, 6.0

# Error harmonic structure
EHS_FMAX = 9000.0           # [Hz]
EHS_LAG = 256               # correlation length (largest power of 2 < NF*FMAX/FS)
EHS_EN_THR = 8000.0         # frame energy threshold (second half of frame)

# Averaging
T_DELAY = 0.5               # [s] skip at start for modulation MOVs
T_LOUD_EXTRA = 0.050        # [s] extra delay after loudness threshold
LOUD_THR = 0.1              # [sone]
T_WIN_AVG = 0.1             # [s] sliding window for WinModDiff1B
NMR_DIST_DB = 1.5           # RelDistFramesB threshold [dB]
PD_SMOOTH = 0.9

MOV_NAMES = (
    "BandwidthRefB", "BandwidthTestB", "TotalNMRB", "WinModDiff1B", "ADBB",
    "EHSB", "AvgModDiff1B", "AvgModDiff2B", "RmsNoiseLoudB", "MFPDB",
    "RelDistFramesB",
)

# Neural network (basic version)
NN_AMIN = np.array([393.916656, 361.965332, -24.045116, 1.110661, -0.206623,
                    0.074318, 1.113683, 0.950345, 0.029985, 0.000101, 0.0])
NN_AMAX = np.array([921.0, 881.131226, 16.212030, 107.137772, 2.886017,
                    13.933351, 63.257874, 1145.018555, 14.819740, 1.0, 1.0])
NN_WX = np.array([
    [-0.502657, 0.436333, 1.219602],
    [4.307481, 3.246017, 1.123743],
    [4.984241, -2.211189, -0.192096],
    [0.051056, -1.762424, 4.331315],
    [2.321580, 1.789971, -0.754560],
    [-5.303901, -3.452257, -10.814982],
    [2.730991, -6.111805, 1.519223],
    [0.624950, -1.331523, -5.955151],
    [3.102889, 0.871260, -5.922878],
    [-1.051468, -0.939882, -0.142913],
    [-1.804679, -0.503610, -0.620456],
])
NN_WXB = np.array([-2.518254, 0.654841, -2.207228])
NN_WY = np.array([-3.817048, 4.107138, 4.629582])
NN_WYB = -0.307594
ODG_MIN, ODG_MAX = -3.98, 0.22


@dataclass(frozen=True)
class PeaqResult:
    """PEAQ output: objective difference grade, distortion index and MOVs."""
    odg: float
    di: float
    movs: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Static tables

def _hann(n: int) -> np.ndarray:
    """Hann window with period n-1 (symmetric), as used by the standard."""
    k = np.arange(n)
    return 0.5 * (1.0 - np.cos(2.0 * np.pi * k / (n - 1)))


def _frame_window() -> np.ndarray:
    """Hann window including the gain mapping full scale to LP_DB dB SPL."""
    w_len = NF - 1
    fcn = F_CAL / FS
    df = 1.0 / NF
    k = np.floor(fcn / df)
    dfn = min((k + 1) * df - fcn, fcn - k * df)   # distance to nearest bin
    dfw = dfn * w_len
    peak = np.sin(np.pi * dfw) / (np.pi * dfw * (1.0 - dfw ** 2))
    gain = 10.0 ** (LP_DB / 20.0) / (peak * AMAX / 4.0 * w_len)
    return gain * _hann(NF)


def outer_middle_ear_db(f_khz: np.ndarray) -> np.ndarray:
    """Outer and middle ear transfer function of BS.1387 (FFT model) in dB at ``f_khz`` (kHz);
    -inf at 0 Hz."""
    with np.errstate(divide="ignore"):
        return -2.184 * f_khz ** -0.8 + 6.5 * np.exp(-0.6 * (f_khz - 3.3) ** 2) - 0.001 * f_khz ** 3.6


def _outer_middle_ear() -> np.ndarray:
    """Squared-magnitude outer/middle ear weighting at the DFT bins."""
    f = np.linspace(0.0, FS / 2, NF // 2 + 1) / 1000.0
    return 10.0 ** (outer_middle_ear_db(f) / 10.0)


def _internal_noise(f: np.ndarray) -> np.ndarray:
    """Internal ear noise energy at frequencies f [Hz]."""
    return 10.0 ** (1.456 * (f / 1000.0) ** -0.8 / 10.0)


def _band_matrix() -> np.ndarray:
    """(NC, NF/2+1) weights mapping DFT bin energies to band energies."""
    df = FS / NF
    k = np.arange(NF // 2 + 1)
    lo, hi = (k - 0.5) * df, (k + 0.5) * df
    g = np.zeros((NC, k.size))
    for i in range(NC):
        kl = int(np.argmax(hi > F_LOW[i]))
        ku = int(k[-1] - np.argmax((lo < F_UPP[i])[::-1]))
        g[i, kl + 1:ku] = 1.0
        g[i, kl] = (min(F_UPP[i], hi[kl]) - max(F_LOW[i], lo[kl])) / df
        if ku != kl:
            g[i, ku] = (min(F_UPP[i], hi[ku]) - max(F_LOW[i], lo[ku])) / df
    return g


def _time_const(t100: float, tmin: float) -> tuple[np.ndarray, np.ndarray]:
    """First-order smoothing coefficients (a, 1-a) per band at the frame rate."""
    t = tmin + (100.0 / F_CTR) * (t100 - tmin)
    a = np.exp(-1.0 / (FSS * t))
    return a, 1.0 - a


class _Tables:
    """Lazily built constant tables."""
    _built = False

    @classmethod
    def get(cls):
        if not cls._built:
            cls.win = _frame_window()
            cls.w2 = _outer_middle_ear()
            cls.bands = _band_matrix()
            cls.e_in = _internal_noise(F_CTR)
            cls.a_low = 10.0 ** (-SLOPE_LOW_DB / 10.0 * DZ)
            cls.a_upp = 10.0 ** ((-SLOPE_UPP_DB / 10.0 - (SLOPE_UPP_FHZ / 10.0) / F_CTR) * DZ)
            m = np.arange(NC)
            cls.lag = m[:, None] - m[None, :]           # i - m
            cls.lower_mat = np.where(cls.lag <= 0,
                                     cls.a_low ** (SPREAD_EXP * -np.minimum(cls.lag, 0)), 0.0)
            cls.spread_norm = 1.0
            cls.spread_norm = _spread(np.ones((1, NC)))[0]
            cls.smear = _time_const(T100_SMEAR, TMIN_SMEAR)
            cls.adapt = _time_const(T100_ADAPT, TMIN_ADAPT)
            # loudness
            cls.e_thr = 10.0 ** (3.64 * (F_CTR / 1000.0) ** -0.8 / 10.0)
            s_db = (-2.0 - 2.05 * np.arctan(F_CTR / 4000.0)
                    - 0.75 * np.arctan((F_CTR / 1600.0) ** 2))
            cls.s_idx = 10.0 ** (s_db / 10.0)
            cls.loud_scale = LOUD_CONST * (cls.e_thr / (cls.s_idx * LOUD_E0)) ** LOUD_EXP
            # NMR masking offset
            mdb = np.where(m <= NMR_KNEE_BARK / DZ, NMR_OFFSET_DB, NMR_SLOPE_DB * m * DZ)
            cls.mask_gain = 10.0 ** (-mdb / 10.0)
            cls.ehs_win = np.sqrt(8.0 / 3.0) / EHS_LAG * _hann(EHS_LAG)
            cls._built = True
        return cls


# ---------------------------------------------------------------------------
# Ear model

def _spread(e: np.ndarray) -> np.ndarray:
    """Frequency spreading of band energies e (frames, NC), level dependent."""
    t = _Tables
    m = np.arange(NC)
    a_uce = t.a_upp * e ** (SLOPE_UPP_LEV * DZ)                   # upper slope per band
    g_low = (1.0 - t.a_low ** (m + 1)) / (1.0 - t.a_low)
    g_upp = (1.0 - a_uce ** (NC - m)) / (1.0 - a_uce)
    en_e = (e / (g_low + g_upp - 1.0)) ** SPREAD_EXP    # normalised, compressed
    a_e = a_uce ** SPREAD_EXP
    tot = en_e @ t.lower_mat.T                          # downward (incl. own band)
    r = en_e.copy()
    for k in range(1, NC):                              # upward, k bands up
        r *= a_e
        tot[:, k:] += r[:, :NC - k]
    return tot ** (1.0 / SPREAD_EXP) / t.spread_norm


def _data_bounds(x: np.ndarray) -> tuple[int, int]:
    """First and last sample of audible data (16-bit units), PQevalAudio rule."""
    ax = np.abs(x)
    if ax.size < BOUND_LEN:
        return (0, ax.size - 1) if ax.sum() > BOUND_THR else (0, 0)
    win = np.convolve(ax, np.ones(BOUND_LEN), mode="valid")
    idx = np.flatnonzero(win > BOUND_THR)
    if idx.size == 0:
        return 0, 0
    return int(idx[0]), int(idx[-1] + BOUND_LEN - 1)


def _frames(x: np.ndarray, n_frames: int) -> np.ndarray:
    """(n_frames, NF) overlapping frames, zero padded past the data end."""
    need = (n_frames - 1) * NADV + NF
    buf = np.zeros(max(need, x.size))
    buf[:x.size] = x
    v = np.lib.stride_tricks.sliding_window_view(buf[:need], NF)
    return v[::NADV]


def _power_spectrum(fr: np.ndarray) -> np.ndarray:
    """Squared magnitude DFT of the windowed frames (frames, NF/2+1)."""
    X = np.fft.rfft(fr * _Tables.win, axis=-1)
    return X.real * X.real + X.imag * X.imag


def _recursive_patterns(es_r, es_t, t):
    """Time smoothing, adaptation and modulation: per-frame recursions (``_recursions``)."""
    n = es_r.shape[0]
    es = np.stack([es_r, es_t])                     # (2, n, NC)
    m = np.arange(NC)                               # band-averaging ranges for the pattern correction
    lo = np.maximum(m - ADAPT_M1, 0)
    hi = np.minimum(m + ADAPT_M2, NC - 1)
    ehs, ep, mod = np.empty((2, n, NC)), np.empty((2, n, NC)), np.empty((2, n, NC))
    eavg_r = np.empty((n, NC))
    _recursions(es, es ** MOD_EXP, *t.smear, *t.adapt, lo, hi, (hi - lo + 1).astype(float), ehs, ep, mod, eavg_r)
    return ehs, ep, mod, eavg_r


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _recursions(es, ee_all, a_s, b_s, a, b, lo, hi, cnt, ehs, ep, mod, eavg_r):  # pragma: no cover (compiled)
    """The recursions of ``_recursive_patterns`` frame by frame, for the reference (row 0) and the
    test signal (row 1) of ``es`` (2, frames, bands), with the per-band time constants (a_s, b_s)
    of the smearing and (a, b) of the adaptation: forward-masking smoothing into ``ehs``,
    level and pattern adaptation into ``ep``, modulation into ``mod`` and the reference's
    average envelope into ``eavg_r``. Every operation in NumPy's order (sums pairwise, as
    ``np.sum``; cumulative sums left to right), so the result is the array code's to the bit."""
    n, nc = es.shape[1], es.shape[2]
    ef, p, pc = np.zeros((2, nc)), np.zeros((2, nc)), np.zeros((2, nc))
    de, eavg, ee_prev = np.zeros((2, nc)), np.zeros((2, nc)), np.zeros((2, nc))
    rn, rd, product = np.zeros(nc), np.zeros(nc), np.empty(nc)
    c_r, c_t = np.zeros(nc + 1), np.zeros(nc + 1)  # cumulative sums of the correction ratios, 0 first
    for i in range(n):
        for s in range(2):
            for k in range(nc):
                ef[s, k] = a_s[k] * ef[s, k] + b_s[k] * es[s, i, k]           # forward-masking smoothing
                ehs[s, i, k] = max(ef[s, k], es[s, i, k])
                p[s, k] = a[k] * p[s, k] + b[k] * ehs[s, i, k]                # level adaptation
        for k in range(nc):
            product[k] = math.sqrt(p[1, k] * p[0, k])
        cl = (pairwise_sum(product) / pairwise_sum(p[1])) ** 2
        for k in range(nc):
            epr, ept = ehs[0, i, k], ehs[1, i, k]
            if cl > 1.0:
                epr = epr / cl
            else:
                ept = ept * cl
            rn[k] = a[k] * rn[k] + ept * epr                               # pattern adaptation
            rd[k] = a[k] * rd[k] + epr * epr
            big = rn[k] >= rd[k]
            c_r[k + 1] = c_r[k] + (1.0 if big else rn[k] / rd[k])
            c_t[k + 1] = c_t[k] + (rd[k] / rn[k] if big else 1.0)
            ep[0, i, k], ep[1, i, k] = epr, ept  # times the correction below, once every ratio is summed
        for k in range(nc):
            pc[0, k] = a[k] * pc[0, k] + b[k] * (c_r[hi[k] + 1] - c_r[lo[k]]) / cnt[k]
            pc[1, k] = a[k] * pc[1, k] + b[k] * (c_t[hi[k] + 1] - c_t[lo[k]]) / cnt[k]
            ep[0, i, k] *= pc[0, k]
            ep[1, i, k] *= pc[1, k]
        for s in range(2):
            for k in range(nc):                                         # modulation (unsmeared excitation)
                de[s, k] = a[k] * de[s, k] + b[k] * FSS * abs(ee_all[s, i, k] - ee_prev[s, k])
                eavg[s, k] = a[k] * eavg[s, k] + b[k] * ee_all[s, i, k]
                ee_prev[s, k] = ee_all[s, i, k]
                mod[s, i, k] = de[s, k] / (1.0 + eavg[s, k] / MOD_EAVG_REF)
        eavg_r[i] = eavg[0]


# ---------------------------------------------------------------------------
# Frame-level MOV precursors

def _loudness(eh, t):
    """Total loudness [sone] per frame from excitation patterns eh (frames, NC)."""
    n = t.loud_scale * ((1.0 - t.s_idx + t.s_idx * eh / t.e_thr) ** LOUD_EXP - 1.0)
    return (24.0 / NC) * np.sum(np.maximum(n, 0.0), axis=-1)


def _mod_diff(mod, eavg_r, t):
    """Modulation differences (ModDiff1, ModDiff2 [%]) and level weight per frame."""
    m_r, m_t = mod
    pos = m_r > m_t
    d = np.abs(m_r - m_t)
    n2 = np.where(pos, MD_NEG_WT2 * d, d)
    mt1 = (100.0 / NC) * np.sum(d / (MD_OFFSET1 + m_r), axis=-1)
    mt2 = (100.0 / NC) * np.sum(n2 / (MD_OFFSET2 + m_r), axis=-1)
    ete = t.e_in ** MOD_EXP
    wt = np.sum(eavg_r / (eavg_r + MD_LEV_WT * ete), axis=-1)
    return mt1, mt2, wt


def _noise_loudness(mod, ep, t):
    """Partial noise loudness [sone] per frame from adapted patterns ep."""
    s_r = NL_TF0 * mod[0] + NL_S0
    s_t = NL_TF0 * mod[1] + NL_S0
    beta = np.exp(-NL_ALPHA * (ep[1] - ep[0]) / ep[0])
    num = np.maximum(s_t * ep[1] - s_r * ep[0], 0.0)
    den = t.e_in + s_r * ep[0] * beta
    nl = (24.0 / NC) * np.sum((t.e_in / s_t) ** LOUD_EXP
                              * ((1.0 + num / den) ** LOUD_EXP - 1.0), axis=-1)
    return np.maximum(nl, 0.0)


def _bandwidth(x2r, x2t):
    """Reference / test bandwidth [DFT bins] per frame, -1 where undefined."""
    kx = int(round(BW_FX / FS * NF))
    kl = int(round(BW_FL / FS * NF))
    xth = np.max(x2t[:, kx:NF // 2], axis=-1, keepdims=True)
    k = np.arange(NF // 2 + 1)
    # reference: highest k in (kl, kx) with X2r[k] >= 10 dB above test floor
    okr = (x2r >= 10.0 ** (BW_REF_DB / 10.0) * xth) & (k > kl) & (k < kx)
    bw_r = np.where(okr.any(-1), NF // 2 - np.argmax(okr[:, ::-1], -1) + 1, -1)
    okt = (x2t >= 10.0 ** (BW_TEST_DB / 10.0) * xth) & (k[None] < bw_r[:, None])
    bw_t = np.where(okt.any(-1), NF // 2 - np.argmax(okt[:, ::-1], -1) + 1, -1)
    return bw_r.astype(float), bw_t.astype(float)


def _nmr(ebn, eh_r, t):
    """Mean and max (over bands) noise-to-mask energy ratio per frame."""
    r = ebn / (t.mask_gain * eh_r)
    return r.mean(axis=-1), np.maximum(r.max(axis=-1), 0.0)


def _detection(ehs):
    """Probability of detection Pc and number of steps above threshold Qc."""
    l_r = 10.0 * np.log10(ehs[0])
    l_t = 10.0 * np.log10(ehs[1])
    e = l_r - l_t
    pos = e > 0
    lev = np.where(pos, 0.3 * l_r + 0.7 * l_t, l_t)
    bexp = np.where(pos, PD_BPOS, PD_BNEG)
    c = PD_C
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = np.where(lev > 0,
                     PD_D1 * (PD_D2 / lev) ** PD_G
                     + c[0] + lev * (c[1] + lev * (c[2] + lev * (c[3] + lev * c[4]))),
                     1e30)
    p = 1.0 - 0.5 ** ((e / s) ** bexp)
    q = np.abs(np.trunc(e)) / s
    pc = 1.0 - np.prod(1.0 - p, axis=-1)
    qc = np.sum(q, axis=-1)
    return pc, qc


def _ehs(fr_r, fr_t, x2r, x2t, t):
    """Error harmonic structure per frame (-1 for low-energy frames)."""
    n_lag = EHS_LAG
    en_r = np.sum(fr_r[:, NADV:] ** 2, axis=-1)
    en_t = np.sum(fr_t[:, NADV:] ** 2, axis=-1)
    active = ~((en_r < EHS_EN_THR) & (en_t < EHS_EN_THR))
    out = np.full(fr_r.shape[0], -1.0)
    if not active.any():
        return out
    kmax = 2 * n_lag - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.log(x2t[active, :kmax] / x2r[active, :kmax])
        nfft = 2 * n_lag
        d0 = np.fft.rfft(d[:, :n_lag], nfft, axis=-1)
        d1 = np.fft.rfft(d, nfft, axis=-1)
        c = np.fft.irfft(np.conj(d0) * d1, nfft, axis=-1)[:, :n_lag]
        csq = np.concatenate([np.zeros((d.shape[0], 1)), np.cumsum(d * d, axis=-1)], axis=-1)
        sj = csq[:, n_lag:n_lag + n_lag] - csq[:, :n_lag]   # sum of d^2 over [i, i+lag)
        den = c[:, :1] * sj
        cn = np.where(den <= 0, 1.0, c / np.sqrt(den))
    cn[:, 0] = 1.0
    cw = t.ehs_win * (cn - cn.mean(axis=-1, keepdims=True))
    C = np.fft.rfft(cw, axis=-1)
    c2 = C.real * C.real + C.imag * C.imag
    rising = c2[:, 1:] > c2[:, :1]
    out[active] = np.max(np.where(rising, c2[:, 1:], 0.0), axis=-1, initial=0.0)
    return out


# ---------------------------------------------------------------------------
# Time averages

def _lin_pos_avg(x):
    """Mean of the non-negative entries (0 if none)."""
    v = x[x >= 0]
    return float(v.mean()) if v.size else 0.0


def _win_avg(x, length):
    """Sliding-window (length frames) average of sqrt(x), 4th-power mean, sqrt."""
    if x.size < length:
        return 0.0
    r = np.sqrt(x)
    w = np.lib.stride_tricks.sliding_window_view(r, length).mean(axis=-1)
    return float(np.sqrt(np.mean(w ** 4)))


def _wt_avg(x, w):
    """Weighted mean."""
    if x.size == 0:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(w * x) / np.sum(w))


def _rms(x):
    """Root mean square (0 if empty)."""
    return float(np.sqrt(np.mean(x ** 2))) if x.size else 0.0


def _average_movs(fm: dict, n_warmup: int) -> dict:
    """Combine frame-level precursors into the 11 basic-version MOVs."""
    movs = {}
    movs["BandwidthRefB"] = _lin_pos_avg(fm["bw_ref"])
    movs["BandwidthTestB"] = _lin_pos_avg(fm["bw_test"])
    nmr_avg = fm["nmr_avg"]
    with np.errstate(divide="ignore"):
        movs["TotalNMRB"] = (float(10.0 * np.log10(np.mean(nmr_avg))) if nmr_avg.size
                             else float("nan"))
    nmr_max = fm["nmr_max"]
    movs["RelDistFramesB"] = (float(np.mean(nmr_max > 10.0 ** (NMR_DIST_DB / 10.0)))
                              if nmr_max.size else 0.0)
    n_del = max(0, int(np.ceil(T_DELAY * FSS)) - n_warmup)
    mt1 = fm["mt1"][n_del:]
    movs["WinModDiff1B"] = _win_avg(mt1, int(np.floor(T_WIN_AVG * FSS)))
    movs["AvgModDiff1B"] = _wt_avg(mt1, fm["wt"][n_del:])
    movs["AvgModDiff2B"] = _wt_avg(fm["mt2"][n_del:], fm["wt"][n_del:])
    # noise loudness: start after both loudnesses exceed the threshold + 50 ms
    loud_ok = (fm["n_ref"] > LOUD_THR) & (fm["n_test"] > LOUD_THR)
    n_loud = int(np.argmax(loud_ok)) if loud_ok.any() else loud_ok.size
    n_del_nl = max(n_loud + int(np.ceil(T_LOUD_EXTRA * FSS)), n_del)
    movs["RmsNoiseLoudB"] = _rms(fm["nl"][n_del_nl:])
    # detection probability
    pc, qc = fm["pc"], fm["qc"]
    phc, pcmax = 0.0, 0.0
    for v in pc:                 # short first-order recursion
        phc = PD_SMOOTH * phc + (1.0 - PD_SMOOTH) * v
        pcmax = max(pcmax, phc)
    det = pc > 0.5
    qsum = float(np.sum(qc[det]))
    if not det.any():
        adb = 0.0
    elif qsum > 0:
        adb = float(np.log10(qsum / det.sum()))
    else:
        adb = -0.5
    movs["ADBB"] = adb
    movs["MFPDB"] = float(pcmax)
    movs["EHSB"] = 1000.0 * _lin_pos_avg(fm["ehs"])
    return {k: movs[k] for k in MOV_NAMES}


def _neural_net(movs: dict) -> tuple[float, float]:
    """Map the MOVs to (DI, ODG) with the basic-version network."""
    x = np.array([movs[k] for k in MOV_NAMES])
    xs = (x - NN_AMIN) / (NN_AMAX - NN_AMIN)
    hidden = 1.0 / (1.0 + np.exp(-(NN_WXB + xs @ NN_WX)))
    di = float(NN_WYB + hidden @ NN_WY)
    odg = ODG_MIN + (ODG_MAX - ODG_MIN) / (1.0 + np.exp(-di))
    return di, float(odg)


# ---------------------------------------------------------------------------

def frame_precursors(ref: np.ndarray, test: np.ndarray):
    """Frame-level MOV precursors for 48 kHz signals in 16-bit units.

    Returns (dict of per-frame arrays for the averaged frames, n_warmup) where
    n_warmup is the number of leading frames run only to warm up the filters.
    """
    t = _Tables.get()
    lim0, lim1 = _data_bounds(ref)
    f_start = lim0 // NADV
    f_end = (lim1 + 1 - END_MIN) // NADV
    n_frames = f_end + 1
    if n_frames - f_start <= 0:
        # no audible reference data: PQevalAudio averages over zero frames
        # (TotalNMRB, DI and ODG become NaN, the other MOVs 0)
        keys = ("n_ref", "n_test", "mt1", "mt2", "wt", "nl", "bw_ref", "bw_test",
                "nmr_avg", "nmr_max", "pc", "qc", "ehs")
        return {k: np.zeros(0) for k in keys}, f_start
    fr_r = _frames(ref, n_frames)
    fr_t = _frames(test, n_frames)
    x2r = _power_spectrum(fr_r)
    x2t = _power_spectrum(fr_t)
    xw_r = t.w2 * x2r
    xw_t = t.w2 * x2t
    xw_n = xw_r - 2.0 * np.sqrt(xw_r * xw_t) + xw_t
    eb_r = np.maximum(xw_r @ t.bands.T, E_MIN)
    eb_t = np.maximum(xw_t @ t.bands.T, E_MIN)
    eb_n = np.maximum(xw_n @ t.bands.T, E_MIN)
    es_r = _spread(eb_r + t.e_in)
    es_t = _spread(eb_t + t.e_in)
    ehs, ep, mod, eavg_r = _recursive_patterns(es_r, es_t, t)

    sl = slice(f_start, None)
    ehs, ep, mod = ehs[:, sl], ep[:, sl], mod[:, sl]
    eavg_r = eavg_r[sl]
    fm = {}
    fm["n_ref"] = _loudness(ehs[0], t)
    fm["n_test"] = _loudness(ehs[1], t)
    fm["mt1"], fm["mt2"], fm["wt"] = _mod_diff(mod, eavg_r, t)
    fm["nl"] = _noise_loudness(mod, ep, t)
    fm["bw_ref"], fm["bw_test"] = _bandwidth(x2r[sl], x2t[sl])
    fm["nmr_avg"], fm["nmr_max"] = _nmr(eb_n[sl], ehs[0], t)
    fm["pc"], fm["qc"] = _detection(ehs)
    fm["ehs"] = _ehs(fr_r[sl], fr_t[sl], x2r[sl], x2t[sl], t)
    return fm, f_start


def peaq_basic(reference: np.ndarray, test: np.ndarray, sample_rate: int) -> PeaqResult:
    """PEAQ basic version of a mono test signal against its reference.

    reference, test: mono float arrays, full scale = [-1, 1) (a full-scale sine
    is taken as 92 dB SPL, like PQevalAudio reading a WAV file).
    sample_rate: [Hz]; if not 48000 both signals are resampled to 48 kHz with
    scipy.signal.resample_poly (default Kaiser window) before analysis.
    The data boundaries are detected on the reference (first/last 5-sample
    window with sum |x| > 200/32768); frames before the first data frame only
    warm up the filters, processing stops with the last frame holding at least
    1024 samples of data.  Both signals are zero padded past their own end (a
    longer test signal is read past the reference end within the last frame).
    An all-silent reference gives NaN ODG/DI, as PQevalAudio does.
    Returns PeaqResult(odg, di, movs) with the 11 MOVs under their BS.1387 names.
    """
    ref = np.asarray(reference, dtype=float)
    tst = np.asarray(test, dtype=float)
    if ref.ndim != 1 or tst.ndim != 1:
        raise ValueError("mono (1-D) signals expected")
    if sample_rate != FS:
        g = gcd(int(sample_rate), FS)
        ref = resample_poly(ref, FS // g, int(sample_rate) // g)
        tst = resample_poly(tst, FS // g, int(sample_rate) // g)
    fm, n_warm = frame_precursors(ref * AMAX, tst * AMAX)
    movs = _average_movs(fm, n_warm)
    di, odg = _neural_net(movs)
    return PeaqResult(odg=odg, di=di, movs=movs)


def peaq_odg(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> np.ndarray | float:
    """PEAQ objective difference grade (0 imperceptible ... -4 very annoying) of each signal of a
    batch (..., samples) against its reference; NaN where the reference is silent."""
    ref, est, lead = as_batch(reference, estimate)
    return unbatch(np.array([peaq_basic(r, e, sample_rate).odg for r, e in zip(ref, est)]), lead)
