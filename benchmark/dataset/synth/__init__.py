"""Embedded clean audio: synthetic clean electric guitar (``synth_guitar``) and SignalTrain-like
mixes (``synth_mix``), each a pure function of the ``rng`` passed in.

Every random choice is drawn from that ``rng``, in a fixed order, so a clip is rebuilt bit for
bit from its seed. The modules, bottom up: ``dsp`` (primitives), ``strings`` (plucked-string
notes), ``music`` (songs, chords, feel), ``guitar`` (playing styles), ``test_signals``,
``mix`` (bass, drums and the sections of a mix).
"""
from .guitar import synth_guitar
from .mix import synth_mix

__all__ = ["synth_guitar", "synth_mix"]
