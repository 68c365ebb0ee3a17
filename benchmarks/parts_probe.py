"""How clipping networks do on each part of the sampled band alone (run by hand; our own renders, never the demo).

SignalTrain's inputs hold single-instrument recordings (the paper's two SignalTrain demo clips are
named ``bass`` and ``perc``), while the music of ``sampled-mix`` always has a guitar with the other
parts under it. This renders ``--clips`` performances of each part alone on the band of
``sampled-mix`` (``band.SEEN``, or ``band.UNSEEN`` with ``--unseen``), and that band's mix,
peak-normalised to 0.5 as every task is; clips each to every ``--sdr`` input SDR and prints, per
part, the mean SI-SDR (dB) of the input and the mean gain over it of each checkpoint's output.

Usage::

    python benchmarks/parts_probe.py --checkpoint demucs=baselines/checkpoints/demucs/sampled-sdr.pt \\
        --checkpoint waveunet=baselines/checkpoints/waveunet/sampled-sdr.pt
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from benchmark.dataset.sampled import open_pinned_soundfont
from benchmark.dataset.sampled.band import SEEN, UNSEEN, sampled_band
from benchmark.dataset.synth.guitar import draw_guitar_plan
from benchmark.dataset.synth.mix import Band, play_part, render_mix
from benchmark.effects.clipping import clip_to_sdr
from benchmark.metrics import si_sdr
from benchmark.models.checkpoints import load_network
from checkpoint_arg import network_checkpoint

SAMPLE_RATE = 16000
PEAK = 0.5


def render(part: str, seed: int, seconds: float, band: Band) -> np.ndarray:
    """A clean clip of one part of ``band`` alone (or "mix": the band's mix), peak-normalised to PEAK."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SAMPLE_RATE)
    if part == "mix":
        audio = render_mix(rng, seconds, SAMPLE_RATE, band)
    else:
        audio = play_part(rng, part, draw_guitar_plan(rng, seconds, SAMPLE_RATE), n, SAMPLE_RATE, band)
    return PEAK * audio / np.max(np.abs(audio))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", action="append", required=True, metavar="NETWORK=PATH", type=network_checkpoint,
                        help="a network's checkpoint (bench train's .pt); repeatable")
    parser.add_argument("--clips", type=int, default=6, help="performances per part")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--sdr", type=float, action="append", help="input SDR (dB); default 1, 5, 10, 20")
    parser.add_argument("--unseen", action="store_true", help="the band of sampled-mix-unseen")
    args = parser.parse_args()
    torch.set_num_threads(1)
    levels = args.sdr or [1.0, 5.0, 10.0, 20.0]
    band = sampled_band(open_pinned_soundfont(), UNSEEN if args.unseen else SEEN)
    networks = {}
    for name, path in args.checkpoint:
        networks[name] = load_network(path, name)[0].eval()
    print(f"mean SI-SDR of the input and gain of each network (dB) at input SDR {', '.join(f'{l:g}' for l in levels)} dB")
    for part in ("mix", *band.parts):
        scores = {name: np.zeros((args.clips, len(levels))) for name in ["input", *networks]}
        for clip in range(args.clips):
            clean = render(part, 1000 + clip, args.seconds, band)
            for j, level in enumerate(levels):
                clipped = clip_to_sdr(clean, level)[0]
                target, given = clean.astype(np.float32)[None], clipped.astype(np.float32)[None]
                scores["input"][clip, j] = si_sdr(target, given)[0]
                with torch.no_grad():
                    for name, net in networks.items():
                        restored = net(torch.from_numpy(given)).numpy()
                        scores[name][clip, j] = si_sdr(target, restored)[0] - scores["input"][clip, j]
        print(f"{part:>7}: " + " | ".join(f"{name} " + " ".join(f"{v:6.2f}" for v in table.mean(axis=0))
                                          for name, table in scores.items()), flush=True)


if __name__ == "__main__":
    main()
