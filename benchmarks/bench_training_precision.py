"""Training speed in float32 and bfloat16 (run by hand: python benchmarks/bench_training_precision.py).

Seconds per training step of each neural baseline (small config; the clipping recipe's
wrapping for all: peak-normalised, consistent, -SI-SDR loss) at ``bench train``'s defaults,
batch 8 of 2 s crops at 16 kHz: the forward pass (in float32, then under bfloat16 autocast,
``bench train --precision bfloat16``), the loss, the backward pass and Adam's step. Best of
``--repeats`` runs of ``--steps`` steps each; the ratio float32 / bfloat16 (above 1: bfloat16 is
faster). bfloat16 pays off where the CPU has bfloat16 instructions (AVX-512 BF16, AMX); where it
has none, oneDNN emulates it (slower) or fails (a step that raises is reported as failing).
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from benchmark.dataset.synth import synth_guitar
from benchmark.effects import hard_clip
from benchmark.models import NETWORKS
from benchmark.models.checkpoints import build_network, wrap
from benchmark.models.recipe import PRECISIONS
from benchmark.models.train import batch_loss, cpu_has_bfloat16
from timing import best_of

SAMPLE_RATE = 16000
SECONDS = 2.0
BATCH = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (bench train --threads)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    clean = np.stack([synth_guitar(rng, SECONDS, SAMPLE_RATE) for _ in range(BATCH)])
    clean = clean / np.abs(clean).max(axis=1, keepdims=True) * 0.5
    clipped = np.stack([hard_clip(c, 35.0) for c in clean])
    clean, clipped = torch.from_numpy(clean).float(), torch.from_numpy(clipped).float()
    print(f"seconds per training step, batch {BATCH} of {SECONDS:g} s at 16 kHz, torch threads {args.threads}, "
          f"CPU {torch.backends.cpu.get_cpu_capability()}, oneDNN bfloat16: {cpu_has_bfloat16()}")
    print(f"| network | {' | '.join(PRECISIONS)} | ratio |\n|---|---:|---:|---:|")
    for name in NETWORKS:
        seconds = []
        for precision in PRECISIONS:
            torch.manual_seed(0)
            net, _ = build_network(name, "small")
            model = wrap(net, peak_normalised=True, consistent=True)
            optimiser = torch.optim.Adam(net.parameters())

            def steps() -> None:
                for _ in range(args.steps):
                    loss = batch_loss(model, clipped, clean, "si_sdr", precision)
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()

            try:
                steps()  # warm-up
            except RuntimeError as exc:
                seconds.append(f"fails: {str(exc).splitlines()[0][:60]}")
                continue
            seconds.append(best_of(args.repeats, steps) / args.steps)
        cells = [f"{s:.3f}" if isinstance(s, float) else s for s in seconds]
        ratio = f"{seconds[0] / seconds[1]:.2f}" if all(isinstance(s, float) for s in seconds) else "–"
        print(f"| {name} | {' | '.join(cells)} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
