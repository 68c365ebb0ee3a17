"""Evaluation metrics: SDR (as museval reports it), SI-SDR, mel-spectrogram distances, PEAQ, R_nonlin,
FAD and ViSQOL.

Every metric takes ``reference`` and ``estimate`` arrays of the same shape
``(..., samples)`` (float32 or float64, computed in float64) and returns one value
per signal: an array of shape ``(...)``, e.g. ``(batch,)`` for a batch; a 1-D input
gives a NumPy float64 scalar (a ``float``). NaN marks an undefined score (silence).
Runtime needs NumPy and SciPy only. ``waveform``: SDR, SI-SDR; ``mel``: mel distances;
``peaq``: PEAQ basic version (ITU-R BS.1387, as PQevalAudio computes it); ``rnonlin``: R_nonlin
(Tan et al., JAES 2004); ``registry``: the table the harness and the board loop over. Not per
signal: ``fad``, the Fréchet Audio Distance between two sets (its embedding models, ``vggish``,
need torch and the user's weights file). Opt-in (``bench evaluate --visqol``): ``visqol``
(ViSQOL audio mode, with the ``visqol`` extra installed).
"""
from .fad import (EMBEDDING_MODELS, Embedder, EmbeddingStats, FadError, frechet_audio_distance, frechet_distance,
                  load_embedding_model)
from .mel import mel_distance, mr_mel_distance
from .peaq import peaq_basic, peaq_odg
from .registry import METRICS, METRICS_BY_NAME, OPT_IN, SCORED, Metric, score, scored
from .rnonlin import rnonlin
from .visqol import VisqolUnavailable, visqol_installed, visqol_moslqo
from .waveform import sdr, sdr_frames, si_sdr

__all__ = ["EMBEDDING_MODELS", "METRICS", "METRICS_BY_NAME", "OPT_IN", "SCORED", "Embedder", "EmbeddingStats", "FadError", "Metric",
           "VisqolUnavailable", "frechet_audio_distance", "frechet_distance", "load_embedding_model", "mel_distance",
           "mr_mel_distance", "peaq_basic", "peaq_odg", "rnonlin", "score", "scored", "sdr", "sdr_frames", "si_sdr",
           "visqol_installed", "visqol_moslqo"]
