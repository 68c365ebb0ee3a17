"""How networks hold up when the clean recordings differ from ours (run by hand; our own val split, never the demo).

Takes the first ``--clips`` examples of a task's val split, changes each clean clip as a real
recording might differ from our generated ones, brings it back to the example's peak, applies the
task's effect again with the example's own parameters, and prints the mean SI-SDR (dB) of the
input and of each checkpoint's output per condition:

- as generated;
- a noise floor: white noise at -60 and -50 dBFS (seeded per clip);
- mains hum: a 50 Hz sine at -50 dBFS (RMS);
- a band limit: 4th-order Butterworth low-pass at 5 kHz;
- dynamics: a fade, linear in dB, by 20 and 40 dB over the clip (generated clips are driven at
  one level throughout; ``bench train --dynamics-db`` trains on such shapes).

With ``--window S`` (repeatable) each network also runs on windows of S seconds at half a window's
hop, overlap-added under a Hann window, instead of on the whole clip at once.

Usage::

    python benchmarks/robustness_probe.py --data /path/to/data --task sampled-od \\
        --checkpoint demucs=baselines/checkpoints/demucs/sampled-od.pt --checkpoint waveunet=...
"""
from __future__ import annotations

import argparse
import json
from typing import Callable

import numpy as np
import torch
from scipy.signal import butter, sosfilt

from benchmark.dataset.shards import iter_examples, load_manifest
from benchmark.effects.registry import apply_effect
from benchmark.metrics import si_sdr
from benchmark.models.checkpoints import load_network
from benchmark.dataset.dynamics import at_peak
from checkpoint_arg import network_checkpoint

Change = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]  # (clean, sample rate, rng) -> changed


def fade(depth_db: float) -> Change:
    return lambda x, rate, rng: x * 10.0 ** (-depth_db * np.arange(x.size) / x.size / 20.0)


def noise(dbfs: float) -> Change:
    return lambda x, rate, rng: x + 10.0 ** (dbfs / 20.0) * rng.standard_normal(x.size)


def hum(x: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    return x + 10.0 ** (-50 / 20.0) * np.sqrt(2.0) * np.sin(2 * np.pi * 50.0 * np.arange(x.size) / rate)


def low_pass(x: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    return sosfilt(butter(4, 5000.0, fs=rate, output="sos"), x)


def restore(net: torch.nn.Module, distorted: np.ndarray, window: int | None) -> np.ndarray:
    """The network's output for (clips, samples), on whole clips or on Hann-weighted windows of ``window`` samples."""
    def run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.cat([net(torch.from_numpy(np.ascontiguousarray(x[s:s + 8]))) for s in range(0, len(x), 8)]).numpy()

    length = distorted.shape[1]
    if window is None or window >= length:
        return run(distorted)
    starts = list(range(0, length - window + 1, window // 2))
    starts += [length - window] if starts[-1] + window < length else []
    weight = np.hanning(window + 2)[1:-1]
    total, norm = np.zeros(distorted.shape), np.zeros(length)
    for start in starts:
        total[:, start:start + window] += run(distorted[:, start:start + window]) * weight
        norm[start:start + window] += weight
    return (total / norm).astype(np.float32)


CONDITIONS: dict[str, Change] = {
    "as generated": lambda x, rate, rng: x,
    "noise -60 dBFS": noise(-60.0),
    "noise -50 dBFS": noise(-50.0),
    "hum 50 Hz -50 dBFS": hum,
    "low-pass 5 kHz": low_pass,
    "fade 20 dB": fade(20.0),
    "fade 40 dB": fade(40.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--checkpoint", action="append", required=True, metavar="NETWORK=PATH",
                        type=network_checkpoint)
    parser.add_argument("--clips", type=int, default=24)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--window", type=float, action="append", default=[], metavar="SECONDS",
                        help="also run each network on overlapping windows of this length (repeatable)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    task_dir = f"{args.data}/{args.task}"
    recipe = load_manifest(task_dir)["recipe"]
    rate = recipe["sample_rate"]
    for window in args.window:
        if not window * rate >= 2:
            parser.error(f"--window {window}: a window needs at least 2 samples ({2 / rate:g} s)")
    rows = [row for _, row in zip(range(args.clips), iter_examples(task_dir, "val", columns=["clean", "params"]))]
    nets = {}
    for name, path in args.checkpoint:
        net = load_network(path, name)[0]
        for window in [None] + args.window:
            nets[f"{name} ({path}{f', {window:g} s windows' if window else ''})"] = (
                net, round(window * rate) if window else None)
    print(f"mean SI-SDR (dB) on the first {len(rows)} val examples of {args.task}")
    print("| clean clips | input | " + " | ".join(nets) + " |\n|---|" + "---:|" * (1 + len(nets)))
    for condition, change in CONDITIONS.items():
        clean = np.stack([at_peak(change(row["clean"].astype(np.float64), rate, np.random.default_rng(clip)),
                                  float(np.max(np.abs(row["clean"])))) for clip, row in enumerate(rows)])
        distorted = np.stack([apply_effect(recipe["effect"]["name"], c.astype(np.float64), json.loads(row["params"]),
                                           rate)[0].astype(np.float32) for c, row in zip(clean, rows)])
        scores = [float(np.mean(si_sdr(clean, distorted)))]
        for net, window in nets.values():
            scores.append(float(np.mean(si_sdr(clean, restore(net, distorted, window)))))
        print(f"| {condition} | " + " | ".join(f"{v:.2f}" for v in scores) + " |", flush=True)


if __name__ == "__main__":
    main()
