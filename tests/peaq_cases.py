"""Signal pairs on which PEAQ is checked against PQevalAudio (shared by test_peaq.py and peaq_octave.py).

Deterministic: every pair is rebuilt from fixed seeds. ``as_read`` gives the samples exactly as
Octave's ``audioread`` returns them from the WAV file the pair is written to.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt

FS = 48000  # Hz, PEAQ's rate


def music(dur, fs=FS, seed=1, fmax=20000.0):
    """Sequence of harmonic notes with attack/decay envelopes + faint noise."""
    rng = np.random.default_rng(seed)
    n = int(dur * fs)
    t = np.arange(n) / fs
    x = np.zeros(n)
    note_len = 0.25
    f0s = [220.0, 277.2, 329.6, 440.0, 554.4, 659.3, 392.0, 493.9]
    for j, start in enumerate(np.arange(0, dur, note_len)):
        f0 = f0s[j % len(f0s)]
        seg = (t >= start) & (t < start + 2 * note_len)
        tt = t[seg] - start
        env = (1 - np.exp(-tt / 0.01)) * np.exp(-tt / 0.15)
        kmax = int(fmax // f0)
        k = np.arange(1, kmax + 1)
        amp = 1.0 / k ** 1.2
        ph = rng.uniform(0, 2 * np.pi, k.size)
        x[seg] += env * (amp[:, None] * np.sin(2 * np.pi * f0 * k[:, None] * tt + ph[:, None])).sum(0)
    x += 1e-3 * rng.standard_normal(n)
    return 0.9 * x / np.max(np.abs(x))


def tone(dur, f=1000.0, amp=0.5, fs=FS):
    t = np.arange(int(dur * fs)) / fs
    return amp * np.sin(2 * np.pi * f * t)


def white(n, rng):
    return rng.standard_normal(n)


def pink(n, rng):
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.size)
    f[0] = 1
    return np.fft.irfft(spec / np.sqrt(f), n)


def add_noise(x, noise, snr_db):
    g = np.sqrt(np.mean(x ** 2) / np.mean(noise ** 2) / 10 ** (snr_db / 10))
    return x + g * noise


def lowpass(x, fc, fs=FS):
    return sosfiltfilt(butter(8, fc / (fs / 2), output="sos"), x)


def to_pcm16(x):
    """Quantise to 16-bit exactly as the WAV will hold it; returns (int16, float)."""
    q = np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
    return q, q / 32768.0


def cases(quick=False):
    """Yield (name, ref, test, fs_in, wav_subtype)."""
    rng = np.random.default_rng(12345)
    d = 3.0
    m = music(d)
    for c in (0.6, 0.3, 0.1):
        yield f"music clip {c:.1f}", m, np.clip(m, -c, c), FS, "PCM_16"
    tn = tone(d, 1000.0, 0.5)
    n = len(tn)
    for snr in (80, 60, 40, 20, 10):
        yield f"tone+white {snr}dB", tn, add_noise(tn, white(n, rng), snr), FS, "PCM_16"
    yield "tone+pink 30dB", tn, add_noise(tn, pink(n, rng), 30), FS, "PCM_16"
    yield "tone 1k -1dB", tn, tn * 10 ** (-1 / 20), FS, "PCM_16"
    t5 = tone(d, 5000.0, 0.7)
    yield "tone 5k 8-bit", t5, np.round(t5 * 128) / 128, FS, "PCM_16"
    yield "music lowpass 11k", m, lowpass(m, 11000.0), FS, "PCM_16"
    yield "music vs itself", m, m, FS, "PCM_16"
    m2 = music(2.0, seed=2)
    sil = np.concatenate([np.zeros(24590), m2, np.zeros(19200)])
    sil_t = np.concatenate([np.zeros(24590), add_noise(lowpass(m2, 8000.0), white(m2.size, rng), 25),
                            np.zeros(19200)])
    yield "silence edges 0.51s", sil, sil_t, FS, "PCM_16"
    sil2 = np.concatenate([np.zeros(14500), m2, np.zeros(30000)])
    yield "silence edges 0.30s", sil2, np.clip(sil2, -0.25, 0.25), FS, "PCM_16"
    yield "test shorter by 5000", m, np.clip(m, -0.3, 0.3)[:-5000], FS, "PCM_16"
    yield "test longer by 3000", m, np.concatenate([np.clip(m, -0.3, 0.3), 0.1 * white(3000, rng)]), FS, "PCM_16"
    gap = m.copy()
    gap[60000:90000] = 0.0
    yield "ref gap, test noisy", gap, add_noise(gap, white(gap.size, rng), 30), FS, "PCM_16"
    yield "music clip 0.3 float", m, np.clip(m, -0.3, 0.3), FS, "FLOAT"
    # 16 kHz inputs: Python resamples, Octave gets the resampled WAV (64-bit float)
    m16 = music(d, fs=16000, seed=3, fmax=7900.0)
    yield "16k music clip 0.3", m16, np.clip(m16, -0.3, 0.3), 16000, "DOUBLE"
    t16 = tone(d, 1000.0, 0.5, fs=16000)
    yield "16k tone+white 20dB", t16, add_noise(t16, white(t16.size, rng), 20), 16000, "DOUBLE"
    if not quick:
        m10 = music(10.0, seed=4)
        yield "10 s music clip 0.3 (timing)", m10, np.clip(m10, -0.3, 0.3), FS, "PCM_16"


def as_read(x, subtype):
    """Samples exactly as Octave's audioread returns them for this WAV subtype."""
    if subtype == "PCM_16":
        return to_pcm16(x)[1]
    if subtype == "FLOAT":
        return np.asarray(x, dtype=np.float32).astype(float)
    return np.asarray(x, dtype=float)
