"""ViSQOL (benchmark.metrics.visqol) on Google's audio-mode conformance pairs: run by hand.

    python tests/visqol_conformance.py --visqol DIR

DIR is a checkout of google/visqol (Apache-2.0), whose ``testdata/`` holds the pairs (the
TCDAudio14 excerpts are not in this repository). The expected MOS-LQO values are the C++
ViSQOL's ``src/include/conformance.h`` (conformance version 333; its own test allows 1e-4).
Each WAV is read as float64, its channels averaged (as ViSQOL's file reader does) and scored at
48 kHz by ``visqol_moslqo``; prints each score, the C++ value, the difference and the seconds.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmark.metrics.visqol import VISQOL_RATE, visqol_moslqo

SUBSET = "testdata/conformance_testdata_subset"
# (reference, degraded, MOS-LQO of the C++ ViSQOL v3, conformance 333), audio mode.
AUDIO_MODE = (
    (f"{SUBSET}/strauss48_stereo.wav", f"{SUBSET}/strauss48_stereo_lp35.wav", 1.3888791489130758),
    (f"{SUBSET}/steely48_stereo.wav", f"{SUBSET}/steely48_stereo_lp7.wav", 2.2501683734385183),
    (f"{SUBSET}/sopr48_stereo.wav", f"{SUBSET}/sopr48_stereo_256kbps_aac.wav", 4.68228969737946),
    (f"{SUBSET}/ravel48_stereo.wav", f"{SUBSET}/ravel48_stereo_128kbps_opus.wav", 4.465141897255348),
    (f"{SUBSET}/moonlight48_stereo.wav", f"{SUBSET}/moonlight48_stereo_128kbps_aac.wav", 4.684292801646114),
    (f"{SUBSET}/harpsichord48_stereo.wav", f"{SUBSET}/harpsichord48_stereo_96kbps_mp3.wav", 4.22374532766003),
    (f"{SUBSET}/guitar48_stereo.wav", f"{SUBSET}/guitar48_stereo_64kbps_aac.wav", 4.349722308064298),
    (f"{SUBSET}/glock48_stereo.wav", f"{SUBSET}/glock48_stereo_48kbps_aac.wav", 4.332452943882108),
    (f"{SUBSET}/contrabassoon48_stereo.wav", f"{SUBSET}/contrabassoon48_stereo_24kbps_aac.wav", 2.346868205375293),
    (f"{SUBSET}/castanets48_stereo.wav", f"{SUBSET}/castanets48_stereo.wav", 4.732101253042348),
    (f"{SUBSET}/guitar48_stereo.wav", "testdata/short_duration/5_second/guitar48_stereo_5_sec.wav", 4.314508583690198),
    ("testdata/short_duration/5_second/guitar48_stereo_5_sec.wav", f"{SUBSET}/guitar48_stereo.wav", 4.550791119387646),
)


def read_mono(path: Path) -> np.ndarray:
    data, rate = sf.read(path, dtype="float64", always_2d=True)
    if rate != VISQOL_RATE:
        raise SystemExit(f"{path}: {rate} Hz, expected {VISQOL_RATE}")
    return data.mean(axis=1)


def _package():
    from visqol import VisqolApi

    api = VisqolApi()
    api.create(mode="audio")
    return api


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visqol", required=True, type=Path, help="a checkout of google/visqol")
    args = parser.parse_args()
    worst = 0.0
    for reference, degraded, expected in AUDIO_MODE:
        ref, deg = read_mono(args.visqol / reference), read_mono(args.visqol / degraded)
        start = time.perf_counter()
        if len(ref) == len(deg):
            score, via = float(visqol_moslqo(ref, deg, VISQOL_RATE)), "ours"
        else:  # visqol_moslqo scores equal lengths (a batch); ViSQOL itself aligns unequal ones
            score, via = _package().measure_from_arrays(ref, deg, VISQOL_RATE).moslqo, "package"
        seconds = time.perf_counter() - start
        worst = max(worst, abs(score - expected))
        print(f"{Path(degraded).name:40s} {via:7s} {score:.12f}  C++ {expected:.12f}  "
              f"diff {score - expected:+.2e}  {seconds:.1f} s for {len(deg) / VISQOL_RATE:.1f} s of audio")
    print(f"max |difference| {worst:.2e} over {len(AUDIO_MODE)} pairs (C++ conformance test tolerance 1e-4)")


if __name__ == "__main__":
    main()
