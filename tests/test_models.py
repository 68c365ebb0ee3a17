"""Tests of the four networks in benchmark/models/ (small configs unless stated)."""

import importlib
import math

import numpy as np
import pytest

import torch
import torch.nn.functional as F

from benchmark.models import NETWORKS


def load(name: str):
    """A network's module, benchmark/models/NAME.py."""
    return importlib.import_module(f"benchmark.models.{name}")


def build(name: str, config: str = "small", seed: int = 0):
    module, class_name = load(name), NETWORKS[name]
    torch.manual_seed(seed)
    return getattr(module, class_name)(**module.CONFIGS[config])


def audio(batch: int, length: int, seed: int = 1) -> "torch.Tensor":
    """Clipped-sine-like test signals, different per example, peak < 1."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(length) / 16000.0
    freqs = 100.0 + 900.0 * torch.rand(batch, 3, 1, generator=g)
    x = torch.sin(2 * math.pi * freqs * t).sum(1) / 3 + 0.05 * torch.randn(batch, length, generator=g)
    return torch.tanh(3.0 * x)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # with two threads: from 3 s to > 60 s


@pytest.mark.parametrize("name", list(NETWORKS))
def test_configs_and_api(name):
    module, class_name = load(name), NETWORKS[name]
    assert {"small", "paper"} <= set(module.CONFIGS)
    small = sum(p.numel() for p in build(name).parameters())
    assert 5e4 <= small <= 1.5e6
    assert isinstance(build(name), torch.nn.Module)
    assert getattr(module, class_name).__doc__


@pytest.mark.parametrize("name", list(NETWORKS))
def test_output_shape_any_length(name):
    model = build(name).eval()
    with torch.no_grad():
        for length in (1, 2, 100, 16000, 16001, 33333):
            for batch in (1, 2):
                x = audio(batch, length)
                y = model(x)
                assert y.shape == x.shape, (length, batch)
                assert y.dtype == torch.float32
                assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", list(NETWORKS))
def test_batch_independence(name):
    model = build(name).eval()
    x = audio(3, 16001)
    with torch.no_grad():
        y_batch = model(x)
        y_alone = model(x[:1])
        x_other = x.clone()
        x_other[1:] = audio(2, 16001, seed=7) * 0.2  # change the other examples
        y_other = model(x_other)
    assert torch.allclose(y_batch[:1], y_alone, atol=1e-5, rtol=0), (y_batch[:1] - y_alone).abs().max()
    assert torch.allclose(y_other[:1], y_alone, atol=1e-5, rtol=0)
    assert not torch.allclose(y_batch[1], y_batch[2], atol=1e-3)  # examples do differ


@pytest.mark.parametrize("name", list(NETWORKS))
def test_gradients_reach_every_parameter(name):
    model = build(name).train()
    x = audio(2, 12000)
    target = audio(2, 12000, seed=3) * 0.5
    optimiser = torch.optim.SGD(model.parameters(), lr=1e-2)
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)  # as `bench train` does on CPU
    try:
        for _ in range(2):  # after one update, so that zero-initialised gates (Open-Unmix) open
            optimiser.zero_grad()
            loss = (model(x) - target).abs().mean()
            loss.backward()
            optimiser.step()
    finally:
        torch.use_deterministic_algorithms(deterministic)
    for pname, p in model.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname


@pytest.mark.parametrize("name", list(NETWORKS))
def test_deterministic_under_seed(name):
    x = audio(2, 8000)
    outputs = []
    for _ in range(2):
        model = build(name, seed=123).train()
        torch.manual_seed(5)  # dropout masks
        y_train = model(x)
        with torch.no_grad():
            y_eval = model.eval()(x)
        outputs.append((y_train.detach(), y_eval, [p.detach().clone() for p in model.parameters()]))
    (a_train, a_eval, a_params), (b_train, b_eval, b_params) = outputs
    assert all(torch.equal(p, q) for p, q in zip(a_params, b_params))
    assert torch.equal(a_train, b_train)
    assert torch.equal(a_eval, b_eval)
    other = build(name, seed=124)
    assert not all(torch.equal(p, q) for p, q in zip(a_params, other.parameters()))


@pytest.mark.parametrize("name", list(NETWORKS))
def test_paper_config_runs(name):
    model = build(name, "paper").eval()
    n_paper = sum(p.numel() for p in model.parameters())
    n_small = sum(p.numel() for p in build(name).parameters())
    assert n_paper > n_small
    x = audio(1, 4001)
    with torch.no_grad():
        y = model(x)
    assert y.shape == x.shape and torch.isfinite(y).all()


# ---------------------------------------------------------------- Open-Unmix


def _unit_mask_openunmix(mask_value: float = 1.0):
    model = build("openunmix").eval()
    with torch.no_grad():  # fc3 -> 0, eval BatchNorm (running stats 0/1) -> 0, mask = relu(output_mean)
        model.fc3.weight.zero_()
        model.output_mean.fill_(mask_value)
    return model


@pytest.mark.parametrize("length", [1, 100, 1023, 16001])
def test_openunmix_unit_mask_reconstructs_input(length):
    model = _unit_mask_openunmix(1.0)
    x = audio(2, length)
    with torch.no_grad():
        y = model(x)
    assert torch.allclose(y, x, atol=1e-5), (y - x).abs().max()


def test_openunmix_small_starts_from_the_unit_mask():
    model = build("openunmix").train()  # unit_mask_init=True: identity even with batch statistics
    x = audio(2, 9000)
    with torch.no_grad():
        assert torch.allclose(model(x), x, atol=1e-5)


def test_openunmix_mask_scales_magnitude_per_bin():
    model = _unit_mask_openunmix(0.5)
    x = audio(2, 8000)
    with torch.no_grad():
        assert torch.allclose(model(x), 0.5 * x, atol=1e-5)
        # keep bins below 2 kHz only: a 500 Hz + 5 kHz mix becomes the 500 Hz tone
        model.output_mean.zero_()
        model.output_mean[: 2000 * model.n_fft // 16000] = 1.0
        t = torch.arange(16000) / 16000.0
        low, high = torch.sin(2 * math.pi * 500 * t), torch.sin(2 * math.pi * 5000 * t)
        y = model((low + high)[None])[0]
    assert torch.allclose(y[1000:-1000], low[1000:-1000], atol=1e-3)


# ---------------------------------------------------------------- Demucs


def test_demucs_normalisation_makes_it_scale_equivariant():
    model = build("demucs").eval()
    x = audio(2, 5000)
    with torch.no_grad():
        y1, y4 = model(x), model(4.0 * x)
    assert torch.allclose(y4, 4.0 * y1, atol=1e-4 * y4.abs().max().item())


def test_demucs_sizes_in_its_docstring_are_its_configs():
    module = load("demucs")
    for config in module.CONFIGS:
        size = sum(p.numel() for p in build("demucs", config).parameters())
        assert f"CONFIGS[\"{config}\"]" in module.__doc__ and f"{size:,} parameters" in module.__doc__, config


def test_demucs_resampling_keeps_the_band_below_its_rolloff_and_removes_the_images():
    module = load("demucs")
    taps, rate = module.half_band_filter(), 16000
    tone = lambda f, n: torch.sin(2 * math.pi * f * torch.arange(n, dtype=torch.float64) / n).float()[None, None]
    for f in (100.0, 1000.0, 7000.0):  # below the rolloff (0.945 x 8 kHz): passed at both rates
        up = module.upsample2(tone(f, rate), taps)[0, 0]
        assert torch.allclose(up[400:-400], tone(f, 2 * rate)[0, 0, 400:-400], atol=5e-3), f
        down = module.downsample2(up[None, None], taps)[0, 0]
        assert torch.allclose(down[200:-200], tone(f, rate)[0, 0, 200:-200], atol=5e-3), f
    image = torch.fft.rfft(module.upsample2(tone(3000.0, rate), taps)[0, 0, 400:-400]).abs()
    freqs = torch.fft.rfftfreq(2 * rate - 800, 1 / (2 * rate))
    assert image[(freqs - 13000).abs() < 50].max() < 1e-3 * image.max()  # the 16 kHz - 3 kHz image is gone
    noise = torch.randn(3, 1, 1001, dtype=torch.float64)
    stuffed = torch.zeros(3, 2002, dtype=torch.float64)
    stuffed[:, 0::2] = noise[:, 0]
    by_definition = [np.convolve(row, 2 * taps.double().numpy())[48:-48] for row in stuffed.numpy()]
    assert np.allclose(module.upsample2(noise, taps.double())[:, 0].numpy(), by_definition, atol=1e-12)
    model = build("demucs", "small-resample").eval()
    assert model.resample and "half_band" not in model.state_dict()  # fixed, not a weight
    seen = []
    model.encoder[0].register_forward_pre_hook(lambda _, args: seen.append(args[0].shape[-1]))
    for length in (1, 999, 16001):
        assert model(torch.randn(2, length) * 0.1).shape == (2, length)
        assert seen[-1] == model.valid_length(2 * length)  # the network ran at twice the rate


def test_demucs_valid_length():
    model = build("demucs")
    for length in (1, 100, 16001):
        valid = model.valid_length(length)
        assert valid >= length
        assert model.valid_length(valid) == valid  # a valid length stays valid


# ---------------------------------------------------------------- Wave-U-Net


def test_waveunet_upsampling_is_aligned_with_decimation():
    upsample2 = load("waveunet").upsample2
    x = torch.randn(2, 3, 11)
    up = upsample2(x)
    assert up.shape == (2, 3, 22)
    assert torch.equal(up[..., ::2], x)
    assert torch.allclose(up[..., 1:-1:2], 0.5 * (x[..., :-1] + x[..., 1:]))


# ---------------------------------------------------------------- CRAFX


def test_crafx_fast_convolutions_equal_torch_convolutions():
    model = build("crafx", "paper")  # even kernel: the asymmetric "same" padding matters
    k = model.kernel_size
    with torch.no_grad():
        torch.nn.init.normal_(model.conv.bias)
        torch.nn.init.normal_(model.conv_smoothing.bias)
        x = torch.randn(2, 1000)
        ref = F.conv1d(F.pad(x[:, None], ((k - 1) // 2, k // 2)), model.conv.weight, model.conv.bias)
        assert torch.allclose(model.filterbank(x), ref.transpose(1, 2), atol=1e-5)

        a = torch.rand(2, 1000, model.conv.out_channels)
        ref = F.conv1d(F.pad(a.transpose(1, 2), ((2 * k - 1) // 2, k)), model.conv_smoothing.weight,
                       model.conv_smoothing.bias, groups=a.shape[-1])
        assert torch.allclose(model.smoothing(a), ref.transpose(1, 2), atol=1e-4)

        # the deconvolution is the adjoint of the filterbank: <A x, v> = <x, A^T v>
        v = torch.randn(2, 1000, model.conv.out_channels)
        lhs = ((model.filterbank(x) - model.conv.bias) * v).sum()
        rhs = (x * (model.deconv(v) - model.deconv_bias)).sum()
        assert torch.allclose(lhs, rhs, rtol=1e-4)


def test_crafx_saaf_matches_its_definition_and_gradients():
    module = load("crafx")
    torch.manual_seed(0)
    saaf = module.SAAF(3).double()
    x = torch.linspace(-0.5, 0.5, 1001, dtype=torch.float64)[:, None].repeat(1, 3)
    bp = torch.linspace(-0.2, 0.2, 25, dtype=torch.float64)
    expected = saaf.linear * x
    for j in range(12):
        s, e = bp[2 * j], bp[2 * j + 1]
        basis = 0.5 * (x.clamp(s, e) - s) ** 2 + (e - s) * (x - e).clamp(min=0)
        expected = expected + 100.0 * saaf.weight[:, j] * basis
    assert torch.allclose(saaf(x), expected, atol=1e-7)  # basis stored in float32
    # hand-written backward: gradients w.r.t. the input and both parameters
    x = (0.3 * torch.randn(4, 5, 3, dtype=torch.float64)).requires_grad_()
    w = saaf.weight.detach().clone().requires_grad_()
    a = saaf.linear.detach().clone().requires_grad_()

    def f(x, w, a):
        return torch.func.functional_call(saaf, {"weight": w, "linear": a}, (x,))

    assert torch.autograd.gradcheck(f, (x, w, a))


@pytest.mark.parametrize("win, hop", [(4096, 2048), (256, 64)])
def test_crafx_overlap_add_reconstructs_framed_signal(win, hop):
    torch.manual_seed(0)
    model = load("crafx").CRAFX(win_length=win, hop_length=hop, filters=8, kernel_size=16, pool_size=16)
    n_frames = 9
    length = (n_frames - 1) * hop + win
    s = torch.randn(2, length)
    frames = s.unfold(1, win, hop).unsqueeze(-1)  # (2, N, W, 1)
    ones = torch.ones(1, n_frames, win, 1)
    out = model.overlap_add(frames) / model.overlap_add(ones)
    inner = slice(win - hop, length - (win - hop))  # covered by win / hop frames
    assert torch.allclose(out[:, inner, 0], s[:, inner], atol=1e-5)
    with torch.no_grad():
        x = audio(2, 3001)
        assert model.eval()(x).shape == x.shape
