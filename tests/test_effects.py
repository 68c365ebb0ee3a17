"""Effects against their references: the sox binary, closed forms, and the paper's demo audio."""
from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest
import soundfile as sf

from benchmark.effects import (apply_effect, clip_to_sdr, clipped_mask, hard_clip, invert_sox_overdrive, ordered_sum,
                               plain_sdr, soft_clip, sox_overdrive)
from benchmark.metrics import si_sdr
from benchmark.report.paper_demo import reproduce_input
from conftest import require_binary, require_module, require_paper_demo

SR = 16000


def _signals() -> dict[str, np.ndarray]:
    """Test signals, among them ones that drive overdrive into full-scale clipping."""
    rng = np.random.default_rng(7)
    t = np.arange(SR) / SR
    square = np.sign(np.sin(2 * np.pi * 3 * t))  # slow full-scale steps: DC blocker overshoot clips
    return {
        "noise_quiet": 0.01 * rng.standard_normal(SR),
        "noise_loud": np.clip(0.6 * rng.standard_normal(SR), -1, 0.999),
        "sine_chord": 0.2 * (np.sin(2 * np.pi * 196 * t) + np.sin(2 * np.pi * 247 * t) + np.sin(2 * np.pi * 294 * t)),
        "square_full_scale": 0.999 * square,
        "square_negative_full": np.where(square > 0, 0.5, -1.0),
        "decaying_pluck": np.exp(-5 * t) * np.sin(2 * np.pi * 110 * t) * 0.9,
        "impulses": np.where(np.arange(SR) % 4000 == 0, 0.9, 0.0),
        "silence": np.zeros(SR),
        "dc_offset": 0.3 + 0.05 * rng.standard_normal(SR),
    }


# The sox package prints parameters with 6 decimals, so these are exact at 6 decimals.
SETTINGS = [(20.0, 0.0), (50.0, 0.0), (33.3, 20.0), (100.0, 100.0), (0.0, 0.0), (47.123457, 5.5)]


@pytest.mark.parametrize("gain_db,colour", SETTINGS)
def test_sox_overdrive_equals_sox_python_package(gain_db, colour):
    """Through the `sox` Python package (float64 in and out, dither off): bit-exact."""
    require_binary("sox")
    pysox = require_module("sox")
    clipped_any = False
    for name, x in _signals().items():
        tfm = pysox.Transformer()
        tfm.overdrive(gain_db=gain_db, colour=colour)
        reference = tfm.build_array(input_array=x, sample_rate_in=SR)
        ours = sox_overdrive(x, gain_db, colour)
        assert np.max(np.abs(ours.astype(np.float32) - reference.astype(np.float32))) <= 1e-6, name
        assert ours.tobytes() == reference.tobytes(), name  # bit-exact, signed zeros included
        clipped_any |= bool(np.any(np.abs(reference) >= 1 - 2**-31))
    if gain_db >= 20:
        assert clipped_any, "no test signal reached full scale"


@pytest.mark.parametrize("input_subtype", ["DOUBLE", "FLOAT"])
def test_sox_overdrive_matches_sox_cli_on_wav_files(tmp_path, input_subtype):
    """The CLI on WAV files, float32 output (which SoX writes on a 24-bit grid).

    SoX rounds float64 input to int32 but truncates float32 input; one int32 step (2**-31)
    amplified by the drive stays below 1e-6 up to 50 dB, the paper's range, so float32
    input is checked up to there and float64 input over the whole range.
    """
    sox = require_binary("sox")
    for name, x in _signals().items():
        sf.write(tmp_path / "in.wav", x, SR, subtype=input_subtype)
        x_read = sf.read(tmp_path / "in.wav", dtype="float64")[0]
        for gain_db, colour in SETTINGS:
            if input_subtype == "FLOAT" and gain_db > 50:
                continue
            subprocess.run([sox, "-D", "-V1", str(tmp_path / "in.wav"), "-e", "floating-point", "-b", "32",
                            str(tmp_path / "out.wav"), "overdrive", repr(gain_db), repr(colour)], check=True)
            reference = sf.read(tmp_path / "out.wav", dtype="float32")[0]
            ours = sox_overdrive(x_read, gain_db, colour).astype(np.float32)
            assert np.max(np.abs(ours - reference)) <= 1e-6, (name, gain_db, colour)


def test_sox_binary_backend_gives_identical_data():
    require_binary("sox")
    for x in _signals().values():
        for params in ({"gain_db": 42.0, "colour": 0.0}, {"gain_db": 27.123456789012, "colour": 0.0}):
            numpy_out, _ = apply_effect("sox_overdrive", x, params, SR, "numpy")
            sox_out, _ = apply_effect("sox_overdrive", x, params, SR, "sox")
            assert numpy_out.tobytes() == sox_out.tobytes()


def test_sox_overdrive_equals_sox_binary_at_the_soft_clip_boundary_and_across_blocks():
    """At gain exactly 2 (and 4 with colour bias) inputs put d exactly at +-1, one step inside and
    outside: SoX keeps the cubic at |d| = 1 and saturates to 2/3 just above it (the one-ulp
    difference between the two rarely reaches the int32 output; the per-sample test of the soft
    clip stage catches it). The long signal spans several of sox_overdrive's blocks, so the state
    carried between them is checked too (this fails when the carried state is dropped)."""
    require_binary("sox")
    from benchmark.effects.overdrive import _BLOCK
    from benchmark.effects.sox_binary import sox_binary_overdrive

    steps = np.arange(-2000, 2001) * 2.0**-31
    edges = np.concatenate([0.5 + steps, -0.5 + steps, 0.25 + steps, -0.75 + steps])
    rng = np.random.default_rng(3)
    long_signal = np.clip(0.3 * rng.standard_normal(2 * _BLOCK + 12345), -1, 0.999)
    long_signal[::7] = rng.choice(edges, long_signal[::7].size)
    exactly_two, exactly_four = 6.020599913279624, 12.041199826559245  # dB: SoX's gain is 2.0, 4.0
    for x in (edges, long_signal):
        for gain_db, colour in ((exactly_two, 0.0), (exactly_four, 100.0), (exactly_four, 0.0), (45.0, 0.0)):
            reference = sox_binary_overdrive(x, gain_db, colour, sample_rate=SR)
            assert sox_overdrive(x, gain_db, colour).tobytes() == reference.tobytes(), (x.size, gain_db, colour)


def test_soft_clip_stage_equals_overdrive_c_expression_per_sample():
    """The branch-free soft clip against overdrive.c's expression evaluated per sample in
    Python floats (IEEE doubles, as C): bit for bit at and around the +-1 boundary, where
    f(1) is one unit in the last place above the 2/3 that saturated samples get."""
    from benchmark.effects.overdrive import _sox_soft_clip

    near_one = np.concatenate([1 - np.arange(600) * 2.0**-53, 1 + np.arange(1, 600) * 2.0**-52])  # 1 and its neighbours
    d = np.concatenate([near_one, -near_one, np.random.default_rng(5).uniform(-3, 3, 5000), [0.0, -0.0, 1e6, -1e6]])
    ours = np.empty_like(d)
    _sox_soft_clip(d, ours, np.empty_like(d), np.empty(d.size, dtype=bool))
    reference = np.array([-2 / 3 if v < -1 else 2 / 3 if v > 1 else v - v * v * v * (1.0 / 3) for v in d.tolist()])
    assert ours.tobytes() == reference.tobytes()


def test_sox_overdrive_output_carries_half_the_input():
    x = _signals()["sine_chord"]
    y = sox_overdrive(x, 30.0, 0.0)
    # out = 0.5 x + 0.75 y_dc_blocked with |y| <= ~4/3: the residual after removing 0.5x is bounded.
    assert np.max(np.abs(y - 0.5 * x)) <= 1.0 + 1e-9
    assert y.shape == x.shape and y.dtype == np.float64


@pytest.mark.parametrize("gain_db,colour", SETTINGS)
def test_sox_binarys_overdrive_is_undone_sample_by_sample(gain_db, colour):
    """The sox binary's output, inverted with the gain and colour given to it: the input again,
    within two int32 steps, wherever the output did not saturate at full scale; a gain 0.5 dB
    off leaves errors orders of magnitude larger (where samples lie in the soft clip's cubic
    part: a signal that is only zeros and saturated samples does not tell the gain)."""
    require_binary("sox")
    from benchmark.effects.sox_binary import sox_binary_overdrive

    off, other_gain = [], gain_db + 0.5 if gain_db <= 99.5 else gain_db - 0.5
    for name, x in _signals().items():
        y = sox_binary_overdrive(x, gain_db, colour, sample_rate=SR)
        if np.any(np.abs(y) >= 1 - 2**-31):
            continue  # saturated: information lost
        error = np.max(np.abs(invert_sox_overdrive(y, gain_db, colour) - x))
        assert error <= 2 * 2**-31, (name, error)
        off.append(np.max(np.abs(invert_sox_overdrive(y, other_gain, colour) - x)))
    assert len(off) >= 5
    assert max(off) > 1e3 * 2**-31


@pytest.mark.parametrize("gain_db,colour", [(20.0, 0.0), (50.0, 0.0), (35.0, 60.0)])
def test_overdrive_inverse_finds_each_root_to_the_last_bit(gain_db, colour):
    """Each sample of the inverse is the root to the last bit: its output, after the samples
    before it, is at most the sample given and the next float's at least, replayed here in plain
    Python, on an output of the effect scaled off its own level (as the blind search tries)."""
    from benchmark.effects.overdrive import DC_POLE, DRY, WET, sox_gain
    from benchmark.effects.overdrive_inverse import _soft_clip

    signals = _signals()
    x = np.concatenate([signals["silence"][:100], signals["decaying_pluck"][:2000], signals["noise_quiet"][:1000]])
    y = 0.8 * sox_overdrive(x, gain_db, colour)
    restored = invert_sox_overdrive(y, gain_db, colour)
    gain, bias = sox_gain(gain_db), colour / 200

    def output(root: float) -> float:  # DRY x + WET f(g x + c)
        return DRY * root + WET * _soft_clip(gain * root + bias)

    shaped = blocked = 0.0
    for n, (target, root) in enumerate(zip(y.tolist(), restored.tolist())):
        rest = target - WET * (DC_POLE * blocked - shaped)
        assert output(root) <= rest <= output(float(np.nextafter(root, np.inf))), n
        now = _soft_clip(gain * root + bias)
        blocked, shaped = now - shaped + DC_POLE * blocked, now


@pytest.mark.parametrize("bad", [{"gain_db": -1.0}, {"gain_db": 100.5}, {"gain_db": 20.0, "colour": 101.0}])
def test_sox_overdrive_rejects_out_of_range_parameters(bad):
    with pytest.raises(ValueError, match="outside"):
        sox_overdrive(np.zeros(10), **bad)


def test_effects_reject_non_mono_input():
    with pytest.raises(ValueError, match="mono"):
        hard_clip(np.zeros((2, 10)), 20.0)


@pytest.mark.parametrize("effect", [lambda x: sox_overdrive(x, 30.0, 0.0), lambda x: hard_clip(x, 20.0),
                                    lambda x: soft_clip(x, 20.0), lambda x: clip_to_sdr(x, 10.0)])
def test_effects_reject_non_finite_samples_naming_the_first(effect):
    x = np.sin(np.linspace(0, 100, 1000))
    x[[417, 900]] = [np.nan, np.inf]
    with pytest.raises(ValueError, match="2 non-finite samples .* the first at sample 417"):
        effect(x)


@pytest.mark.parametrize("gain_db", [0.0, 20.0, 37.5, 50.0])
def test_hard_clip_is_the_scale_preserving_paper_clipping(gain_db):
    x = 0.5 * np.sin(np.linspace(0, 40, 5000)) * np.linspace(0, 1, 5000)
    g = 10 ** (gain_db / 20)
    y = hard_clip(x, gain_db)
    np.testing.assert_allclose(y, np.clip(g * x, -1, 1) / g, rtol=0, atol=1e-15)
    mask = clipped_mask(y)
    expected = np.abs(g * x) >= 1
    if gain_db > 0:
        np.testing.assert_array_equal(mask, expected)
    np.testing.assert_array_equal(y[~mask], x[~mask])


def test_soft_clip_is_scaled_tanh_and_bounded():
    x = np.linspace(-1, 1, 1001)
    y = soft_clip(x, 20.0)
    np.testing.assert_allclose(y, np.tanh(10 * x) / 10)
    assert np.max(np.abs(y)) <= 0.1
    np.testing.assert_allclose(soft_clip(1e-6 * x, 20.0), 1e-6 * x, rtol=1e-6)  # linear for small inputs


@pytest.mark.parametrize("sdr_db", [1.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 35.0])
def test_clip_to_sdr_reaches_the_target(sdr_db):
    rng = np.random.default_rng(int(sdr_db * 10))
    for x in (rng.standard_normal(20000) * 0.1, _signals()["sine_chord"], rng.laplace(size=8000)):
        clipped, threshold = clip_to_sdr(x, sdr_db)
        assert abs(plain_sdr(x, clipped) - sdr_db) <= 0.01
        assert 0 < threshold <= 0.99 * np.max(np.abs(x))
        np.testing.assert_array_equal(clipped, np.clip(x, -threshold, threshold))


def test_clip_to_sdr_rejects_bad_targets():
    x = np.random.default_rng(0).standard_normal(1000)
    with pytest.raises(ValueError, match="> 0"):
        clip_to_sdr(x, 0.0)
    with pytest.raises(ValueError, match="0.99"):
        clip_to_sdr(x, 120.0)  # clipping at 0.99*peak already costs more than that
    with pytest.raises(ValueError, match="all-zero"):
        clip_to_sdr(np.zeros(100), 10.0)


def _ordered_sum_data(n: int) -> np.ndarray:
    """Values from integer arithmetic and one correctly rounded division: the same bits anywhere."""
    k = np.arange(n, dtype=np.int64)
    return ((k * 2654435761) % 1000003) / 1000003.0


# ordered_sum of _ordered_sum_data(n), witnessed by np.sum of NumPy 2.4.6; where they differ from
# math.fsum or from a left-to-right sum, a sum in another order fails this test.
ORDERED_SUMS = {8: "0x1.fd3a1dbdd18dap+1", 128: "0x1.088f325e7f3b2p+6", 129: "0x1.0b977fc2c1bd1p+6",
                256: "0x1.04a28b6f1fb74p+7", 1000: "0x1.f6f59e320bdb4p+8", 8193: "0x1.005a6ada40498p+12",
                160000: "0x1.3885c0172eec2p+16", 441000: "0x1.aeaca7ec708a6p+17"}


def test_ordered_sum_is_numpys_pairwise_order_whatever_the_numpy():
    for n, expected in ORDERED_SUMS.items():
        a = _ordered_sum_data(n)
        assert ordered_sum(a) == float.fromhex(expected), n
        assert abs(ordered_sum(a) - math.fsum(a)) <= 1e-15 * n * math.fsum(a)
        assert ordered_sum(a[::-1].copy()[::-1]) == ordered_sum(a.reshape(1, -1)) == ordered_sum(a)  # layout
    assert ordered_sum(np.zeros(0)) == 0.0 and ordered_sum(np.float32([0.5, 0.25])) == 0.75
    # The installed NumPy, where its order is the one fixed here (2.3, 2.4), on random lengths.
    if (2, 3) <= tuple(int(v) for v in np.__version__.split(".")[:2]) < (2, 5):
        rng = np.random.default_rng(3)
        for n in rng.integers(0, 300000, 40):
            a = rng.standard_normal(n) ** 2
            assert ordered_sum(a) == np.sum(a), n


def test_clipped_mask_with_threshold_and_tolerance():
    y = np.array([0.1, -0.1, 0.0999999, 0.05, -0.0999])
    assert clipped_mask(y, 0.1, tolerance=1e-5).tolist() == [True, True, True, False, False]
    assert clipped_mask(np.zeros(4)).sum() == 0


def _demo_folders(task: str):
    return sorted(p for p in (require_paper_demo() / task).glob("*/*") if (p / "tar.wav").is_file())


@pytest.mark.parametrize("task", ["CEG_OD", "CEG_HC", "ST_HC"])
def test_effects_reproduce_the_papers_demo_inputs(task):
    """From each demo `tar.wav`, our effect reproduces that folder's `inp.wav` at >= 45 dB SI-SDR."""
    folders = _demo_folders(task)
    assert len(folders) >= 14
    lines = []
    for folder in folders:
        clean, theirs = sf.read(folder / "tar.wav")[0], sf.read(folder / "inp.wav")[0]
        level = float(folder.name)
        score = si_sdr(theirs, reproduce_input(task, clean, level))
        measured = plain_sdr(clean, theirs) if task == "ST_HC" else float("nan")
        lines.append(f"{task}/{folder.parent.name}/{folder.name}: SI-SDR {score:.1f} dB"
                     + (f", demo input SDR {measured:.2f} dB vs nominal {level:g} dB" if task == "ST_HC" else ""))
        assert score >= 45.0, "\n".join(lines)
