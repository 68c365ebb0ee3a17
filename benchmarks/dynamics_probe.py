"""How networks hold up when a clip's dynamics change (run by hand; our own val split, never the demo).

A generated example is peak-normalised and driven at one level throughout; real recordings fade
and swell. This probe takes the first ``--clips`` examples of a task's val split, fades each clean
clip linearly in dB by 0, 20 and 40 dB over its length (then back to the example's peak), applies
the task's effect again with the example's own parameters, and prints the mean SI-SDR (dB) of the
input and of each checkpoint's output at each fade. Usage::

    python benchmarks/dynamics_probe.py --data /path/to/data --task sampled-od \\
        --checkpoint demucs=baselines/checkpoints/demucs/sampled-od.pt --checkpoint waveunet=...
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from benchmark.dataset.shards import iter_examples, load_manifest
from benchmark.effects.registry import apply_effect
from benchmark.metrics import si_sdr
from benchmark.models.checkpoints import load_network

FADES_DB = (0.0, 20.0, 40.0)


def faded(clean: np.ndarray, fade_db: float) -> np.ndarray:
    """``clean`` under a gain falling linearly in dB by ``fade_db`` over its length, at its own peak (float32)."""
    shaped = clean.astype(np.float64) * 10.0 ** (-fade_db * np.arange(clean.size) / clean.size / 20.0)
    return (shaped * (np.max(np.abs(clean)) / np.max(np.abs(shaped)))).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--checkpoint", action="append", required=True, metavar="NETWORK=PATH")
    parser.add_argument("--clips", type=int, default=24)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    task_dir = f"{args.data}/{args.task}"
    recipe = load_manifest(task_dir)["recipe"]
    rows = [row for _, row in zip(range(args.clips), iter_examples(task_dir, "val", columns=["clean", "params"]))]
    nets = {}
    for spec in args.checkpoint:
        name, path = spec.split("=", 1)
        nets[f"{name} ({path})"] = load_network(path, name)[0]
    print(f"mean SI-SDR (dB) on the first {len(rows)} val examples of {args.task}, clean faded by 0 / 20 / 40 dB")
    print("| output | " + " | ".join(f"fade {f:g} dB" for f in FADES_DB) + " |\n|---|" + "---:|" * len(FADES_DB))
    scores: dict[str, list[float]] = {"input": [], **{name: [] for name in nets}}
    for fade_db in FADES_DB:
        clean = np.stack([faded(row["clean"], fade_db) for row in rows])
        distorted = np.stack([apply_effect(recipe["effect"]["name"], c.astype(np.float64), json.loads(row["params"]),
                                           recipe["sample_rate"])[0].astype(np.float32) for c, row in zip(clean, rows)])
        scores["input"].append(float(np.mean(si_sdr(clean, distorted))))
        for name, net in nets.items():
            with torch.no_grad():
                estimate = torch.cat([net(torch.from_numpy(distorted[s:s + 8])) for s in range(0, len(rows), 8)])
            scores[name].append(float(np.mean(si_sdr(clean, estimate.numpy()))))
    for name, values in scores.items():
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in values) + " |")


if __name__ == "__main__":
    main()
