"""Distortion effects: mono float64 arrays in, same length out.

Every effect is a pure function of its arguments, so the distorted signal of any stored
example is rebuilt from its row: ``apply_effect(row.effect, clean, json.loads(row.params))``.
A new effect is one function (a module here) and one entry in :data:`EFFECTS`.

- ``overdrive``: SoX's overdrive, bit-exact with the ``sox`` binary (``sox_binary``);
- ``overdrive_inverse``: SoX's overdrive undone sample by sample, given its gain and colour;
- ``clipping``: hard and soft clipping, clipping to a target SDR, the clipped-sample masks;
- ``pedals``: pedalboard's distortion, clipping, bitcrush and an amp-style chain (optional extra);
- ``ordered_sum``: a float64 sum in a fixed order (recorded scalars the same bits on any machine);
- ``registry``: the table of effects and level parameters, and ``apply_effect``.
"""
from .clipping import CLIP_TOLERANCE, clip_to_sdr, clipped_mask, clipping_masks, hard_clip, plain_sdr, soft_clip
from .ordered_sum import ordered_sum
from .overdrive import sox_overdrive
from .overdrive_inverse import invert_sox_overdrive
from .registry import EFFECTS, LEVELS, Effect, Level, apply_effect, get_effect

__all__ = ["CLIP_TOLERANCE", "EFFECTS", "LEVELS", "Effect", "Level", "apply_effect", "clip_to_sdr", "clipped_mask",
           "clipping_masks", "get_effect", "hard_clip", "invert_sox_overdrive", "ordered_sum", "plain_sdr", "soft_clip", "sox_overdrive"]
