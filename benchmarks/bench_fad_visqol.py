"""Speed of ViSQOL (benchmark.metrics.visqol) and of FAD's VGGish embedding, per 10 s clip.

Run by hand: ``python benchmarks/bench_fad_visqol.py [--vggish-weights PATH]``.

- ViSQOL: ``visqol_moslqo`` on a 10 s clip at 16 kHz (resampled to 48 kHz) against
  ``visqol-python`` called directly on the 48 kHz signals, in the same run (the first call,
  which compiles numba's kernels once per installation, is reported apart).
- VGGish: our frontend and network against torchvggish 0.2's (``waveform_to_examples`` and
  ``VGG``, final ReLU removed) on the same 10 s clip; with random weights unless a weights
  file is given (the speed is the same). Both at the current torch thread count; ``--threads``.
Asserts nothing; prints seconds (best of ``--repeats``) and ratios.
"""
from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.signal import resample_poly

from benchmark.metrics.fad import load_embedding_model
from benchmark.metrics.visqol import visqol_moslqo
from timing import best_of


def _clip(seconds: float = 10.0, rate: int = 16000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    clean = 0.3 * np.sin(2 * np.pi * 196 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t)) + 0.02 * rng.normal(size=t.size)
    return clean, np.clip(clean, -0.15, 0.15)


def bench_visqol(repeats: int) -> None:
    from visqol import VisqolApi

    clean, clipped = _clip()
    start = time.perf_counter()
    score = visqol_moslqo(clean, clipped, 16000)
    print(f"ViSQOL first call (includes numba compilation if not cached): {time.perf_counter() - start:.1f} s, "
          f"MOS-LQO {score:.4f}")
    ours = best_of(repeats, lambda: visqol_moslqo(clean, clipped, 16000))
    api = VisqolApi()
    api.create(mode="audio")
    up_clean, up_clipped = resample_poly(clean, 3, 1), resample_poly(clipped, 3, 1)
    package = best_of(repeats, lambda: api.measure_from_arrays(up_clean, up_clipped, 48000))
    print(f"ViSQOL per 10 s clip: ours (16 kHz in) {ours:.2f} s, visqol-python at 48 kHz {package:.2f} s, "
          f"ratio {ours / package:.2f}")


def bench_vggish(repeats: int, weights: Path | None) -> None:
    import torchvggish

    reference = torchvggish.VGG(torchvggish.make_layers(), postprocess=False)
    reference.embeddings = torch.nn.Sequential(*list(reference.embeddings.children())[:-1])
    with tempfile.TemporaryDirectory() as folder:
        if weights is None:
            weights = Path(folder) / "random.pth"
            torch.save(reference.state_dict(), weights)
            embedder = load_embedding_model("vggish", weights, sha256=hashlib.sha256(weights.read_bytes()).hexdigest())
        else:
            embedder = load_embedding_model("vggish", weights)
    reference.load_state_dict(embedder.network.state_dict())
    reference.eval()
    clean, _ = _clip()

    def theirs() -> np.ndarray:
        with torch.no_grad():
            return reference(torchvggish.waveform_to_examples(clean, 16000)).numpy()

    ours_seconds = best_of(repeats, lambda: embedder(clean, 16000))
    theirs_seconds = best_of(repeats, theirs)
    difference = np.abs(embedder(clean, 16000)[0] - theirs()).max()
    print(f"VGGish embeddings of a 10 s clip ({torch.get_num_threads()} torch threads): ours {ours_seconds:.3f} s, "
          f"torchvggish {theirs_seconds:.3f} s, ratio {ours_seconds / theirs_seconds:.2f}; max |difference| {difference:.2e}")
    print(f"  so one task's test split (42 clips of 10 s, clean + distorted + one method's outputs): "
          f"{3 * 42 * ours_seconds:.0f} s the first time, {42 * ours_seconds:.0f} s per further method")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--vggish-weights", type=Path, help="vggish-10086976.pth (default: random weights)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    bench_visqol(args.repeats)
    bench_vggish(args.repeats, args.vggish_weights)


if __name__ == "__main__":
    main()
