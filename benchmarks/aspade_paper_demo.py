"""Our A-SPADE against the paper's, on the paper's demo clips (hard-clipping tasks).

For every CEG_HC and ST_HC clip and level in ../shared/paper-demo, declip ``inp.wav`` and
score SI-SDR (dB, zero-mean) against ``tar.wav``, next to the paper's ``aspade.wav``.
The paper's output starts 256 samples into ``tar.wav`` (``aspade[n] = tar[n + 256]``), so
all three are scored on that common span. Prints a Markdown table and the means.

    python benchmarks/aspade_paper_demo.py [--window 1024] [--seconds 10]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmark.metrics import si_sdr
from benchmark.models.aspade import aspade

PAPER_DEMO = Path(__file__).resolve().parents[2] / "shared" / "paper-demo"
TASKS = ("CEG_HC", "ST_HC")
DELAY = 256  # samples: the paper's aspade.wav starts this far into tar.wav


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=None, help="frame length in samples (default: aspade's)")
    parser.add_argument("--seconds", type=float, default=None, help="score only the first SECONDS of each clip")
    parser.add_argument("--demo", type=Path, default=PAPER_DEMO, help="the paper-demo folder")
    args = parser.parse_args()

    print("| task | clip | level | input | paper | ours | ours - paper | SI-SDR(paper output, ours) |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    rows, audio_seconds, compute_seconds = [], 0.0, 0.0
    for folder in sorted(p for task in TASKS for p in (args.demo / task).glob("*/*") if (p / "aspade.wav").is_file()):
        clipped, clean, paper = (sf.read(folder / f"{name}.wav")[0] for name in ("inp", "tar", "aspade"))
        n = min(len(paper), len(clean) - DELAY)
        if args.seconds:
            n = min(n, round(args.seconds * 16000))
        clipped = clipped[: DELAY + n]
        start = time.perf_counter()
        ours = aspade(clipped, window=args.window)[DELAY:]
        compute_seconds += time.perf_counter() - start
        audio_seconds += len(clipped) / 16000
        clean, paper = clean[DELAY : DELAY + n], paper[:n]
        scores = [si_sdr(clean, clipped[DELAY:]), si_sdr(clean, paper), si_sdr(clean, ours)]
        rows.append((folder.parts[-3], *scores))
        task, clip, level = folder.parts[-3:]
        print(f"| {task} | {clip} | {level} | {scores[0]:.2f} | {scores[1]:.2f} | {scores[2]:.2f} | "
              f"{scores[2] - scores[1]:+.2f} | {si_sdr(paper, ours):.2f} |", flush=True)

    print("\nmean SI-SDR (dB)   input   paper    ours   ours - paper")
    for name in (*TASKS, "all"):
        scores = np.array([row[1:] for row in rows if name in (row[0], "all")])
        mean = scores.mean(axis=0)
        print(f"{name:<16} {mean[0]:7.2f} {mean[1]:7.2f} {mean[2]:7.2f} {mean[2] - mean[1]:+9.2f}   "
              f"({len(scores)} clip/levels)")
    print(f"\nwindow {args.window or 'default'}: {compute_seconds:.0f} s for {audio_seconds:.0f} s of audio "
          f"(real-time factor {compute_seconds / audio_seconds:.2f})")


if __name__ == "__main__":
    main()
