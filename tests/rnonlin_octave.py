"""R_nonlin (benchmark.metrics.rnonlin) against the Octave reference: run by hand.

    apt-get install octave
    python tests/rnonlin_octave.py --auditory-toolbox DIR [--out DIR]

DIR holds Slaney's Auditory Toolbox (``MakeERBFilters.m``, ``ERBFilterBank.m``, ``ERBSpace.m``;
e.g. the ``auditory_toolkit`` folder of github.com/detly/gammatone); it is not in this repository.
``tests/rnonlin_reference.m`` is the driver: the toolbox's filterbank and a lag-by-lag time-domain
correlation. Writes Octave's R_nonlin and per-channel means of every pair of
``rnonlin_cases.cases()`` to ``tests/data/rnonlin_octave.json`` (what test_rnonlin.py checks
against) and prints the largest differences from ours.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmark.metrics.rnonlin import rnonlin, rnonlin_frames

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "data" / "rnonlin_octave.json"


def run_octave(toolbox: Path, ref_wav: Path, test_wav: Path, out_txt: Path) -> dict[str, float]:
    """Octave's values for one pair: {"R": ..., "CH1": ..., ..., "elapsed": seconds}."""
    script = f"addpath('{toolbox}'); addpath('{HERE}'); rnonlin_reference('{ref_wav}', '{test_wav}', '{out_txt}');"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    subprocess.run(["nice", "-n", "10", "octave-cli", "--no-gui", "--quiet", "--no-window-system", "--eval", script],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return {key: float(value) for key, value in (line.split() for line in out_txt.read_text().splitlines() if line)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--auditory-toolbox", required=True, type=Path, help="folder with MakeERBFilters.m")
    parser.add_argument("--out", type=Path, help="where the WAV pairs go (default: a temporary folder)")
    args = parser.parse_args()
    from rnonlin_cases import cases  # here, so that benchmarks/bench_rnonlin.py can load run_octave alone

    out = args.out or Path(tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)

    recorded, worst_r, worst_ch = {}, 0.0, 0.0
    for index, (name, reference, estimate, rate) in enumerate(cases()):
        ref_wav, test_wav = out / f"c{index:02d}_ref.wav", out / f"c{index:02d}_test.wav"
        sf.write(ref_wav, reference, rate, subtype="DOUBLE")
        sf.write(test_wav, estimate, rate, subtype="DOUBLE")
        octave = run_octave(args.auditory_toolbox.resolve(), ref_wav, test_wav, out / f"c{index:02d}.txt")
        ours = float(rnonlin(reference, estimate, rate))
        channels = np.nanmean(rnonlin_frames(reference, estimate, rate), axis=-1)
        octave_channels = np.array([octave[f"CH{k}"] for k in range(1, channels.size + 1)])
        d_r = abs(ours - octave["R"])
        d_ch = float(np.nanmax(np.abs(channels - octave_channels)))
        worst_r, worst_ch = max(worst_r, d_r), max(worst_ch, d_ch)
        recorded[name] = {"R": octave["R"], "channels": octave_channels.tolist(), "elapsed": octave["elapsed"]}
        print(f"[{index:2d}] {name:34s} R octave {octave['R']:.9f} ours {ours:.9f} |diff| {d_r:.1e}"
              f" channels {d_ch:.1e} | octave {octave['elapsed']:.1f} s", flush=True)

    FIXTURE.write_text(json.dumps(recorded, indent=1) + "\n")
    print(f"\nmax |diff|: R {worst_r:.2e}, per-channel means {worst_ch:.2e}; wrote {FIXTURE}")


if __name__ == "__main__":
    main()
