"""Inference speed of the baselines (run by hand: python benchmarks/bench_models.py).

Real-time factor (seconds of audio restored per second of compute, higher is faster) of
each neural baseline (the config of its shipped ``sampled-od`` checkpoint, else small; random
weights: speed does not depend on training) at batch 1 and batch 8 of 10 s clips at 16 kHz,
on this CPU, next to A-SPADE on the same clips (hard-clipped at 35 dB, the middle of the
test grid). Then Demucs' 2x upsampler (``upsample2``) against scipy's polyphase
``upfirdn`` with the same filter on the batch of 8. Best of ``--repeats`` runs.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from scipy.signal import upfirdn

from benchmark.effects import hard_clip
from benchmark.models import NETWORKS
from benchmark.models.aspade import aspade
from benchmark.models.checkpoints import build_network, network_class, parameter_count
from benchmark.models.demucs import half_band_filter, upsample2
from benchmark.dataset.synth import synth_guitar
from benchmark.paths import checkpoints_dir
from timing import best_of

SAMPLE_RATE = 16000
SECONDS = 10.0


def shipped_config(name: str) -> str | dict:
    """The config of the network's shipped sampled-od checkpoint: its name in the network's CONFIGS
    (its kwargs if it has none), "small" when there is no such checkpoint."""
    path = checkpoints_dir() / name / "sampled-od.pt"
    if not path.exists():
        return "small"
    config = torch.load(path, map_location="cpu", weights_only=True)["config"]
    return next((key for key, value in network_class(name)[1].items() if value == config), config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    clean = np.stack([synth_guitar(rng, SECONDS, SAMPLE_RATE) for _ in range(8)])
    clipped = np.stack([hard_clip(c / np.abs(c).max() * 0.5, 35.0) for c in clean]).astype(np.float32)
    print(f"real-time factor (audio s / compute s), 10 s clips at 16 kHz, torch threads {torch.get_num_threads()}")
    print("| method | config | parameters | batch 1 | batch 8 |\n|---|---|---:|---:|---:|")
    for name in NETWORKS:
        config = shipped_config(name)
        net, _ = build_network(name, config)
        net.eval()
        factors = []
        for batch in (1, 8):
            x = torch.from_numpy(clipped[:batch])
            with torch.no_grad():
                net(x)  # warm-up
                seconds = best_of(args.repeats, lambda: net(x))
            factors.append(batch * SECONDS / seconds)
        print(f"| {name} | {config} | {parameter_count(net):,} | {factors[0]:,.0f}x | {factors[1]:,.0f}x |", flush=True)
    factors = [batch * SECONDS / best_of(1, lambda: aspade(clipped[:batch])) for batch in (1, 8)]
    print(f"| A-SPADE | | 0 | {factors[0]:.2f}x | {factors[1]:.2f}x |")

    taps = half_band_filter()
    x = torch.from_numpy(clipped).unsqueeze(1)  # (8, 1, samples)
    ours = best_of(args.repeats, lambda: upsample2(x, taps))
    scipy_seconds = best_of(args.repeats, lambda: upfirdn(2 * taps.numpy(), clipped, up=2, axis=-1))
    delay = (taps.numel() - 1) // 2
    reference = upfirdn(2 * taps.numpy(), clipped, up=2, axis=-1)[:, delay:delay + 2 * clipped.shape[-1]]
    error = np.abs(upsample2(x, taps)[:, 0].numpy() - reference).max()
    print(f"\nDemucs upsample2, 8 x 10 s: {ours * 1e3:.1f} ms, scipy upfirdn {scipy_seconds * 1e3:.1f} ms "
          f"(ratio {scipy_seconds / ours:.2f}); largest difference {error:.1e}")


if __name__ == "__main__":
    main()
