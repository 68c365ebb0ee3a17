"""How far SoX overdrive (task A) can be undone by inverting it: a bound for the networks.

``invert_sox_overdrive`` undoes the effect sample by sample given its gain; ``blind_sox_inverse``
(the ``sox_inverse`` baseline) estimates the gain and the output level from the input alone.
Scored here (SI-SDR, dB) on the paper's CEG_OD demo inputs (16-bit files; gain from the folder
name, colour 0) and on a generated task's split (the gain stored with each example). The demo
inputs were scaled after the effect (by 0.23-0.44), so the true-gain inverse divides them by
the scale that fits our reproduction of the input from the clean clip (``reproduce_input``,
least squares) first: an oracle of the output level, printed beside the blind estimate. With
``--levels``, each generated example is scaled by a seeded level in [0.2, 1] first (how the
blind estimator's choices were made, on ``sampled-od`` val). Prints a table per source and the means.

    python benchmarks/overdrive_inverse.py [--demo-dir ../shared/paper-demo] [--data data --task sampled-od --split val --examples 8 --levels]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmark.dataset.shards import load_manifest, read_examples
from benchmark.effects import invert_sox_overdrive
from benchmark.metrics import si_sdr
from benchmark.models.sox_inverse import blind_sox_inverse
from benchmark.report.paper_demo import reproduce_input

LEVELS = (0.2, 1.0)  # --levels: the range of output levels drawn for generated examples


def score(clean: np.ndarray, distorted: np.ndarray, gain_db: float, colour: float, scale: float = 1.0) -> dict[str, float]:
    """SI-SDR (dB) of the input, of its inverse with the true gain and ``distorted / scale`` as
    the effect's output, and of the blind inverse (``blind_sox_inverse``: gain and level estimated)."""
    blind = blind_sox_inverse(distorted, colour)
    return {"gain_db": gain_db, "scale": scale, "input": float(si_sdr(clean, distorted)),
            "inverse": float(si_sdr(clean, invert_sox_overdrive(distorted / scale, gain_db, colour))),
            "blind_gain_db": blind.gain_db, "blind_scale": blind.scale, "blind": float(si_sdr(clean, blind.restored))}


def report(title: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    print(f"\n{title}\n\n| example | gain (dB) | output scale | input | inverse | blind gain (dB) | blind scale | blind |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['gain_db']:.2f} | {r['scale']:.4f} | {r['input']:.2f} | {r['inverse']:.2f} | {r['blind_gain_db']:.2f} "
              f"| {r['blind_scale']:.4f} | {r['blind']:.2f} |")
    for key in ("input", "inverse", "blind"):
        values = [r[key] for _, r in rows]
        print(f"{key}: mean {np.mean(values):.2f} dB, median {np.median(values):.2f} dB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "paper-demo")
    parser.add_argument("--data", type=Path, default=None, help="a data folder holding --task (skipped without)")
    parser.add_argument("--task", default="sampled-od")
    parser.add_argument("--split", default="val")
    parser.add_argument("--examples", type=int, default=8, help="first N examples of the split")
    parser.add_argument("--levels", action="store_true", help="scale each generated example by a level in [0.2, 1] (seed 0)")
    args = parser.parse_args()
    if (args.demo_dir / "CEG_OD").is_dir():
        rows = []
        for folder in sorted((args.demo_dir / "CEG_OD").glob("*/*"), key=lambda f: (f.parent.name, float(f.name))):
            clean, distorted = (sf.read(folder / f"{stem}.wav", dtype="float64")[0] for stem in ("tar", "inp"))
            ours = reproduce_input("CEG_OD", clean, float(folder.name))
            scale = float(np.dot(distorted, ours) / np.dot(ours, ours))
            rows.append((f"{folder.parent.name} {folder.name}", score(clean, distorted, float(folder.name), 0.0, scale)))
        report(f"The paper's CEG_OD demo inputs ({args.demo_dir})", rows)
    if args.data is not None:
        task_dir = args.data / args.task
        manifest = load_manifest(task_dir)
        colour = manifest["recipe"]["effect"]["fixed"]["colour"]
        n = min(args.examples, manifest["splits"][args.split]["examples"])
        levels = np.random.default_rng(0).uniform(*LEVELS, n) if args.levels else np.ones(n)
        rows = [(r["id"], score(r["clean"].astype(np.float64), level * r["distorted"].astype(np.float64), r["gain_db"], colour, level))
                for r, level in zip(read_examples(task_dir, args.split, 0, n, ["id", "clean", "distorted", "gain_db"]), levels)]
        report(f"{args.task}, {args.split} split, first {n} examples" + (", random output levels" if args.levels else ""), rows)


if __name__ == "__main__":
    main()
