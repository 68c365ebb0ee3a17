"""SignalTrain-style test signals: sweeps, noise bursts, filtered noise, clicks, steady tones, level steps.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.signal

from .dsp import biquad, log_uniform, pick_one, pink_noise, render_partials


TEST_SIGNAL_KINDS = ("sweep", "noise", "filtered_noise", "clicks", "tone", "level_steps")


def sweep_signal(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """A sine sweep, logarithmic or linear, up or down, between ~20-200 Hz and ~2 kHz-0.45 sample_rate."""
    f_low = log_uniform(rng, 20.0, 200.0)
    f_high = log_uniform(rng, 2000.0, 0.45 * sample_rate)
    duration = max(n, 1) / sample_rate
    t = np.arange(n) / sample_rate
    if rng.random() < 0.5:
        rate = math.log(f_high / f_low) / duration
        phase = 2.0 * math.pi * f_low * np.expm1(rate * t) / rate
    else:
        phase = 2.0 * math.pi * (f_low * t + (f_high - f_low) * t * t / (2.0 * duration))
    sweep = np.sin(phase)
    return sweep[::-1] if rng.random() < 0.5 else sweep


def _burst_envelope(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Steady, or repeated bursts: 1-20 ms attack, exponential decay, period 0.1-0.6 s."""
    if rng.random() < 0.5:
        return np.ones(n)
    period = int(rng.uniform(0.1, 0.6) * sample_rate)
    attack_s, decay_s = rng.uniform(0.001, 0.02), rng.uniform(0.3, 1.0) * period / sample_rate
    t = np.arange(period) / sample_rate
    one_burst = np.minimum(t / attack_s, 1.0) * np.exp(-np.maximum(t - attack_s, 0.0) / decay_s)
    return np.resize(one_burst, n)


def noise_signal(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Broadband white or pink noise, steady or in bursts."""
    noise = rng.standard_normal(n) if rng.random() < 0.5 else pink_noise(rng, n)
    return noise * _burst_envelope(rng, n, sample_rate)


def filtered_noise_signal(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """White noise band-passed over 1-4 octaves from 100 Hz-2 kHz, steady or in bursts."""
    low = log_uniform(rng, 100.0, 2000.0)
    band = np.concatenate([biquad("highpass", low, sample_rate),
                           biquad("lowpass", low * 2.0 ** rng.uniform(1.0, 4.0), sample_rate)])
    return scipy.signal.sosfilt(band, rng.standard_normal(n)) * _burst_envelope(rng, n, sample_rate)


def clicks_signal(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Clicks at 10-80 per second, periodic or random; each decays exponentially over 0.1-2 ms."""
    rate = log_uniform(rng, 10.0, 80.0)
    if rng.random() < 0.5:
        times = np.arange(rng.uniform(0.0, 1.0 / rate), n / sample_rate, 1.0 / rate)
    else:
        times = np.cumsum(rng.exponential(1.0 / rate, int(rate * n / sample_rate) + 10))
    positions = (times[times < n / sample_rate] * sample_rate).astype(int)
    impulses = np.zeros(n)
    impulses[positions] = rng.choice([-1.0, 1.0], len(positions)) * rng.uniform(0.5, 1.0, len(positions))
    pole = math.exp(-1.0 / (rng.uniform(0.0001, 0.002) * sample_rate))
    return scipy.signal.lfilter([1.0], [1.0, -pole], impulses)


def tone_signal(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """A steady band-limited sine, square or sawtooth at 50-1000 Hz."""
    f0 = log_uniform(rng, 50.0, 1000.0)
    harmonics = np.arange(1, max(1, int(0.45 * sample_rate / f0)) + 1, dtype=np.float64)
    waveform = pick_one(rng, ("sine", "square", "saw"))
    harmonics = {"sine": harmonics[:1], "square": harmonics[::2], "saw": harmonics}[waveform]
    return render_partials(harmonics * f0, 1.0 / harmonics, np.zeros(len(harmonics)), n, sample_rate)


def level_steps_signal(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """A sine (100-2000 Hz) or pink noise whose level jumps every 0.1-0.8 s between 0 and -20 dB."""
    if rng.random() < 0.5:
        carrier = np.sin(2.0 * math.pi * log_uniform(rng, 100.0, 2000.0) * np.arange(n) / sample_rate)
    else:
        carrier = pink_noise(rng, n)
    step = max(1, int(rng.uniform(0.1, 0.8) * sample_rate))
    levels_db = rng.uniform(-20.0, 0.0, -(-n // step))
    return carrier * np.repeat(10.0 ** (levels_db / 20.0), step)[:n]
