"""R_nonlin of the declipping survey's clipped inputs against its published values: run by hand.

    python tests/rnonlin_survey.py --survey DIR

DIR is a checkout of rajmic/declipping2020_codes (Zaviska, Rajmic, Ozerov and Rencker, "A survey
and an extensive evaluation of popular audio declipping methods", IEEE JSTSP 15(1), 2021; commit
9b6c0e32): its ``Sounds/*.wav`` are the ten SQAM excerpts (44.1 kHz, 16 bit) and
``Numerical_results/Rnonlin_calc_declippingResults.mat`` holds ``Rnonlin_calc_clipped``, the
R_nonlin of each excerpt (rows) hard-clipped to an input SDR of 1, 3, 5, 7, 10, 15 and 20 dB
(columns), computed by ``Rnonlin_calc``. The clipped inputs are rebuilt as the survey's
``Tools/clip_sdr.m`` does (``benchmark.effects.clip_to_sdr``). Prints ours, theirs and the
differences.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import scipy.io
import soundfile as sf

from benchmark.effects import clip_to_sdr
from benchmark.metrics.rnonlin import rnonlin
from benchmark.models.aspade_reference import SURVEY_SDRS

EXCERPTS = ("a08_violin", "a16_clarinet", "a18_bassoon", "a25_harp", "a35_glockenspiel", "a41_celesta",
            "a42_accordion", "a58_guitar_sarasate", "a60_piano_schubert", "a66_wind_ensemble_stravinsky")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--survey", required=True, type=Path, help="checkout of rajmic/declipping2020_codes")
    args = parser.parse_args()
    published = scipy.io.loadmat(args.survey / "Numerical_results" / "Rnonlin_calc_declippingResults.mat")["Rnonlin_calc_clipped"]
    ours = np.empty_like(published)
    for row, name in enumerate(EXCERPTS):
        x, rate = sf.read(args.survey / "Sounds" / f"{name}.wav")
        clipped = np.stack([clip_to_sdr(x, sdr, tolerance_db=1e-9)[0] for sdr in SURVEY_SDRS])
        ours[row] = rnonlin(np.broadcast_to(x, clipped.shape), clipped, rate)
        print(f"{name:30s} " + " ".join(f"{o:.3f}/{p:.3f}" for o, p in zip(ours[row], published[row])), flush=True)
    diff = ours - published
    print("\ninput SDR (dB)        " + " ".join(f"{s:6d}" for s in SURVEY_SDRS))
    print("mean, ours            " + " ".join(f"{v:6.3f}" for v in ours.mean(0)))
    print("mean, published       " + " ".join(f"{v:6.3f}" for v in published.mean(0)))
    print("max |diff| per column " + " ".join(f"{v:6.3f}" for v in np.abs(diff).max(0)))
    others = np.array([name != "a35_glockenspiel" for name in EXCERPTS])
    print(f"\nall 70: max |diff| {np.abs(diff).max():.4f}, mean diff {diff.mean():+.4f}, "
          f"correlation {np.corrcoef(ours.ravel(), published.ravel())[0, 1]:.4f}")
    print(f"without the glockenspiel (63): max |diff| {np.abs(diff[others]).max():.4f}, mean diff "
          f"{diff[others].mean():+.4f}, correlation {np.corrcoef(ours[others].ravel(), published[others].ravel())[0, 1]:.4f}")


if __name__ == "__main__":
    main()
