"""Signal pairs on which R_nonlin is checked against the Octave reference (shared by
test_rnonlin.py and rnonlin_octave.py). Deterministic: every pair is rebuilt from fixed seeds, in
float64, and handed to Octave as 64-bit float WAV files, so both sides read the same samples.
"""
from __future__ import annotations

import numpy as np

from peaq_cases import add_noise, lowpass, music, pink, tone, white


def cases():
    """Yield (name, reference, estimate, sample_rate)."""
    rng = np.random.default_rng(2004)
    fs = 16000
    m = music(2.0, fs=fs, seed=5, fmax=7900.0)
    for c in (0.5, 0.2, 0.05):
        yield f"music clip {c:.2f}", m, np.clip(m, -c, c), fs
    yield "music tanh drive 10", m, np.tanh(10 * m) / np.tanh(10), fs
    yield "music vs itself", m, m, fs
    yield "music gain -6 dB", m, m * 10 ** (-6 / 20), fs
    yield "music lowpass 3k", m, lowpass(m, 3000.0, fs=fs), fs
    yield "music delayed 2.5 ms", m, np.concatenate([np.zeros(40), m[:-40]]), fs
    yield "music inverted", m, -m, fs
    n = m.size
    w = 0.1 * white(n, rng)
    yield "white noise clip", w, np.clip(w, -0.1, 0.1), fs
    yield "white noise + pink 10 dB", w, add_noise(w, pink(n, rng), 10), fs
    t = tone(2.0, 1000.0, 0.5, fs=fs)
    yield "tone 1k clip 0.25", t, np.clip(t, -0.25, 0.25), fs
    yield "tone 1k + white 20 dB", t, add_noise(t, white(n, rng), 20), fs
    t100 = tone(2.0, 100.0, 0.5, fs=fs)
    yield "tone 100 Hz cubic", t100, t100 + 0.3 * t100 ** 3, fs
    edges = np.concatenate([np.zeros(8000), m[:16000], np.zeros(12345)])
    yield "silence at the edges, clipped", edges, np.clip(edges, -0.2, 0.2), fs
    gap = m.copy()
    gap[9000:20000] = 0.0
    yield "reference gap, estimate noisy", gap, add_noise(gap, white(n, rng), 25), fs
    yield "estimate drops out", m, gap, fs
    yield "shorter than a frame", m[3000:3300], np.clip(m[3000:3300], -0.2, 0.2), fs
    fs44 = 44100
    m44 = music(1.0, fs=fs44, seed=6, fmax=20000.0)
    yield "44.1k music clip 0.2", m44, np.clip(m44, -0.2, 0.2), fs44
    yield "44.1k music + white 30 dB", m44, add_noise(m44, white(m44.size, rng), 30), fs44
