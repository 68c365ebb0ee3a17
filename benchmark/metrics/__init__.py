"""Evaluation metrics: SDR (as museval reports it), SI-SDR and mel-spectrogram distances.

Every metric takes ``reference`` and ``estimate`` arrays of the same shape
``(..., samples)`` (float32 or float64, computed in float64) and returns one value
per signal: an array of shape ``(...)``, e.g. ``(batch,)`` for a batch; a 1-D input
gives a NumPy float64 scalar (a ``float``). NaN marks an undefined score (silence).
Runtime needs NumPy and SciPy only. ``waveform``: SDR, SI-SDR; ``mel``: mel distances;
``registry``: the table the harness and the board loop over.
"""
from .mel import mel_distance, mr_mel_distance
from .registry import METRICS, METRICS_BY_NAME, SCORED, Metric, score
from .waveform import sdr, sdr_frames, si_sdr

__all__ = ["METRICS", "METRICS_BY_NAME", "SCORED", "Metric", "mel_distance", "mr_mel_distance", "score", "sdr",
           "sdr_frames", "si_sdr"]
