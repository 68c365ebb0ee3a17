"""Clip-consistent network output (benchmark.models.consistency)."""
from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import require_paper_demo

from benchmark.models.consistency import ClipConsistent, clip_consistent
from benchmark.effects import clip_to_sdr, clipped_mask, hard_clip
from benchmark.dataset.synth import synth_guitar


def clipped_pair(sdr_db: float = 5.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    clean = synth_guitar(np.random.default_rng(seed), 1.0, 16000)
    clean *= 0.5 / np.max(np.abs(clean))
    clipped, threshold = clip_to_sdr(clean, sdr_db)
    return clean, clipped, threshold


@pytest.mark.parametrize("sdr_db", [1.0, 7.0, 20.0])
def test_projection_is_consistent_and_never_moves_a_sample_away_from_the_clean_one(sdr_db):
    clean, clipped, threshold = clipped_pair(sdr_db)
    estimate = clean + np.random.default_rng(1).normal(0.0, 0.2, clean.size)  # any estimate
    out = clip_consistent(torch.from_numpy(estimate), torch.from_numpy(clipped)).numpy()
    mask = clipped_mask(clipped)
    assert 0 < mask.sum() < mask.size
    np.testing.assert_array_equal(out[~mask], clipped[~mask])  # reliable samples kept exactly
    assert np.all(np.sign(out[mask]) == np.sign(clipped[mask]))
    assert np.all(np.abs(out[mask]) >= np.abs(clipped[mask]))  # >= the threshold, up to the tolerance
    assert np.all(np.abs(out[np.abs(clipped) == threshold]) >= threshold)
    assert np.all(np.abs(out - clean) <= np.abs(estimate - clean) + 1e-15)
    assert np.mean((out - clean) ** 2) < np.mean((estimate - clean) ** 2)


def test_clipping_level_is_found_per_example_of_a_batch():
    clean = synth_guitar(np.random.default_rng(2), 1.0, 16000)
    clean *= 0.5 / np.max(np.abs(clean))
    clipped = np.stack([hard_clip(clean, 12.0), hard_clip(clean, 26.0)])
    out = clip_consistent(torch.zeros(clipped.shape, dtype=torch.float64), torch.from_numpy(clipped)).numpy()
    doubled = clip_consistent(2 * torch.from_numpy(clipped), torch.from_numpy(clipped)).numpy()
    for row_in, row_out, row_doubled in zip(clipped, out, doubled):
        mask = clipped_mask(row_in)
        np.testing.assert_array_equal(row_out, row_in)  # a zero estimate is clamped to the input
        assert mask.sum() > 10
        # a larger estimate is kept exactly where this row (not the batch) is clipped
        np.testing.assert_array_equal(row_doubled, np.where(mask, 2 * row_in, row_in))


def test_a_16_bit_file_is_clipped_at_a_level_per_polarity():
    """Written as 16-bit PCM, clip(g*x, -1, 1) sits at +32767 and -32768 steps: both plateaus are
    clipped samples, so the clean signal (at the file's scale) is kept there, not the plateau."""
    clean = synth_guitar(np.random.default_rng(3), 1.0, 16000)
    clean *= 0.5 / np.max(np.abs(clean))
    gain = 10.0 ** (20.0 / 20.0)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(gain * clean, -1.0, 1.0), 16000, subtype="PCM_16", format="WAV")
    buffer.seek(0)
    stored = sf.read(buffer)[0]
    assert stored.max() == 32767 / 32768 and stored.min() == -1.0
    estimate = gain * clean
    out = clip_consistent(torch.from_numpy(estimate), torch.from_numpy(stored)).numpy()
    high, low = stored == stored.max(), stored == stored.min()
    assert high.sum() > 100 and low.sum() > 100
    np.testing.assert_array_equal(out[high | low], estimate[high | low])  # beyond the plateaus: the estimate
    np.testing.assert_array_equal(out[~(high | low)], stored[~(high | low)])


def test_both_plateaus_of_the_paper_demo_inputs_are_clipped_samples():
    """The paper's clipped demo inputs (16-bit) have plateaus 1 to 11 steps apart; both are found."""
    demo = require_paper_demo()
    files = sorted((demo / "CEG_HC").glob("*/*/inp.wav")) + sorted((demo / "ST_HC").glob("*/*/inp.wav"))
    assert len(files) == 28
    uneven = 0
    for path in files:
        stored = torch.from_numpy(sf.read(path)[0])
        out = clip_consistent(2.0 * stored, stored)  # an estimate beyond both plateaus
        top, bottom = stored == stored.max(), stored == stored.min()
        assert top.sum() > 10 and bottom.sum() > 10, path
        assert torch.equal(out[top | bottom], 2.0 * stored[top | bottom]), path
        uneven += bool(stored.max() != -stored.min())
    assert uneven > 0  # the case the per-polarity levels are for


def test_clamp_passes_the_gradient_straight_through():
    clipped = torch.tensor([[0.1, 0.5, 0.5, -0.5, -0.2]], dtype=torch.float64)
    estimate = torch.tensor([[0.0, 0.3, 0.9, -0.1, 1.0]], dtype=torch.float64, requires_grad=True)
    out = clip_consistent(estimate, clipped)
    assert out.tolist() == [[0.1, 0.5, 0.9, -0.5, -0.2]]
    out.sum().backward()
    assert estimate.grad.tolist() == [[0.0, 1.0, 1.0, 1.0, 0.0]]  # below the level too, reliable: none


def test_wrapper_keeps_shapes_and_projects_the_network_output():
    net = ClipConsistent(torch.nn.Identity())
    x = torch.from_numpy(clipped_pair(3.0)[1]).float()
    assert torch.equal(net(x), x) and torch.equal(net(x[None])[0], x)
    doubled = ClipConsistent(Doubling())(x[None])[0]  # the projection acts on the network's output
    mask = torch.from_numpy(clipped_mask(x.numpy()))
    assert torch.equal(doubled, torch.where(mask, 2 * x, x))


class Doubling(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * x
