"""Evaluation metrics: SDR (as museval reports it), SI-SDR, mel-spectrogram distances, PEAQ and R_nonlin.

Every metric takes ``reference`` and ``estimate`` arrays of the same shape
``(..., samples)`` (float32 or float64, computed in float64) and returns one value
per signal: an array of shape ``(...)``, e.g. ``(batch,)`` for a batch; a 1-D input
gives a NumPy float64 scalar (a ``float``). NaN marks an undefined score (silence).
Runtime needs NumPy and SciPy only. ``waveform``: SDR, SI-SDR; ``mel``: mel distances;
``peaq``: PEAQ basic version (ITU-R BS.1387, as PQevalAudio computes it); ``rnonlin``: R_nonlin
(Tan et al., JAES 2004); ``registry``: the table the harness and the board loop over.
"""
from .mel import mel_distance, mr_mel_distance
from .peaq import peaq_basic, peaq_odg
from .registry import METRICS, METRICS_BY_NAME, SCORED, Metric, score
from .rnonlin import rnonlin
from .waveform import sdr, sdr_frames, si_sdr

__all__ = ["METRICS", "METRICS_BY_NAME", "SCORED", "Metric", "mel_distance", "mr_mel_distance", "peaq_basic", "peaq_odg", "rnonlin", "score", "sdr",
           "sdr_frames", "si_sdr"]
