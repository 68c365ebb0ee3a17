"""How far SoX overdrive (task A) can be undone by inverting it: a bound for the networks.

``invert_sox_overdrive`` undoes the effect sample by sample given its gain. Scored here (SI-SDR,
dB) on the paper's CEG_OD demo inputs (16-bit files; gain from the folder name, colour 0) and
on a generated task's split (the gain stored with each example), each with the true gain and
with a blind one. The demo inputs were scaled after the effect (by 0.23-0.28 on ``mel1``), so
they are divided by the scale that fits our reproduction of the input from the clean clip
(``reproduce_input``, least squares) first: an oracle of the output level, printed. The blind gain is the gain in [20, 50] dB whose inverse is smoothest (least energy of the
second difference), a 1 dB grid then golden-section search. Prints a table per source
and the means.

    python benchmarks/overdrive_inverse.py [--demo-dir ../shared/paper-demo] [--data data --task sampled-od --split val --examples 8]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmark.dataset.shards import load_manifest, read_examples
from benchmark.effects import invert_sox_overdrive
from benchmark.metrics import si_sdr
from benchmark.report.paper_demo import reproduce_input

GAINS_DB = (20.0, 50.0)  # the tasks' range of drive


def roughness(x: np.ndarray) -> float:
    return float(np.sum(np.diff(x, 2) ** 2))


def blind_gain(y: np.ndarray, colour: float) -> float:
    """The gain (dB) in GAINS_DB whose inverse of ``y`` is smoothest."""
    cost = lambda gain_db: roughness(invert_sox_overdrive(y, gain_db, colour))  # noqa: E731
    grid = np.arange(GAINS_DB[0], GAINS_DB[1] + 1e-9, 1.0)
    best = int(np.argmin([cost(g) for g in grid]))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    for _ in range(25):
        a, b = low + 0.382 * (high - low), low + 0.618 * (high - low)
        if cost(a) < cost(b):
            high = b
        else:
            low = a
    return 0.5 * (low + high)


def score(clean: np.ndarray, distorted: np.ndarray, gain_db: float, colour: float, scale: float = 1.0) -> dict[str, float]:
    """SI-SDR (dB) of the input and of its inverses; ``distorted / scale`` is the effect's output."""
    input_sdr = float(si_sdr(clean, distorted))
    distorted = distorted / scale
    blind = blind_gain(distorted, colour)
    return {"gain_db": gain_db, "scale": scale, "input": input_sdr,
            "inverse": float(si_sdr(clean, invert_sox_overdrive(distorted, gain_db, colour))),
            "blind_gain_db": blind, "blind": float(si_sdr(clean, invert_sox_overdrive(distorted, blind, colour)))}


def report(title: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    print(f"\n{title}\n\n| example | gain (dB) | output scale | input | inverse | blind gain (dB) | blind |\n"
          "|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['gain_db']:.2f} | {r['scale']:.4f} | {r['input']:.2f} | {r['inverse']:.2f} | {r['blind_gain_db']:.2f} "
              f"| {r['blind']:.2f} |")
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
        rows = [(r["id"], score(r["clean"].astype(np.float64), r["distorted"].astype(np.float64), r["gain_db"], colour))
                for r in read_examples(task_dir, args.split, 0, n, ["id", "clean", "distorted", "gain_db"])]
        report(f"{args.task}, {args.split} split, first {n} examples", rows)


if __name__ == "__main__":
    main()
