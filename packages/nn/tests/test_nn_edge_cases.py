"""Edge cases of nn layers and functionals where Lanterna once parted from PyTorch: checked here
against formulas and finite differences (the PyTorch comparisons are in test_nn_edge_cases_oracle.py)."""

import math

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F
from lanterna.autograd import gradcheck

rng = np.random.default_rng(0)


def t64(*shape, grad=True):
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=grad)


# ---- embedding ------------------------------------------------------------------------------------
@pytest.mark.parametrize("index", [-1, -10, 10])
def test_embedding_rejects_negative_and_large_indices(index):
    # no Python-style wrap-around: -1 is out of range, not the last row
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(torch.tensor([0, index]), torch.randn(10, 3))
    with pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(10, 3)(torch.tensor([[index]], dtype=torch.int32))


def test_embedding_scale_grad_by_freq_still_counts_rows():
    w = t64(5, 2)
    idx = torch.tensor([1, 1, 4])
    F.embedding(idx, w, scale_grad_by_freq=True).sum().backward()
    expected = np.zeros((5, 2))
    expected[1] = 1.0  # two uses, each scaled by 1/2
    expected[4] = 1.0
    assert np.allclose(w.grad.numpy(), expected)


# ---- padding --------------------------------------------------------------------------------------
def test_circular_pad_crops_before_wrapping():
    x = torch.arange(5.0).reshape(1, 1, 5)
    assert F.pad(x, (-1, 3), mode="circular").flatten().tolist() == [1, 2, 3, 4, 1, 2, 3]
    assert F.pad(x, (3, -2), mode="circular").flatten().tolist() == [0, 1, 2, 0, 1, 2]
    y = torch.arange(12.0).reshape(1, 1, 3, 4)
    out = F.pad(y, (1, -1, -1, 1), mode="circular")[0, 0].numpy()
    core = y[0, 0, 1:, :3].numpy()  # rows 1-2, columns 0-2 survive the crops
    ref = np.pad(core, ((0, 1), (1, 0)), mode="wrap")
    assert np.array_equal(out, ref)


def test_circular_pad_with_negative_padding_gradcheck():
    x = t64(2, 3, 6)
    assert gradcheck(lambda a: F.pad(a, (-2, 3), mode="circular"), (x,))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [((2, 3, 4, 5), (1, 1)), ((5,), (1, 1)), ((3, 4), (1, 1, 1, 1)),
                                        ((1, 2, 3, 4, 5, 6), (1,) * 6)])
def test_non_constant_pad_rejects_unsupported_sizes(mode, shape, pad):
    message = f"Padding size {len(pad)} is not supported for {len(shape)}D"
    with pytest.raises(NotImplementedError, match=message):
        F.pad(torch.ones(shape), pad, mode=mode)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [((3, 4), (1, 1)), ((2, 3, 4), (1, 1)), ((2, 3, 4), (1, 1, 1, 1)),
                                        ((2, 3, 4, 5), (1, 1, 1, 1)), ((2, 3, 4, 5), (1,) * 6),
                                        ((1, 2, 3, 4, 5), (1,) * 6)])
def test_non_constant_pad_supported_sizes(mode, shape, pad):
    out = F.pad(torch.ones(shape), pad, mode=mode)
    n = len(pad) // 2
    assert tuple(out.shape) == shape[:-n] + tuple(s + 2 for s in shape[-n:])


def test_constant_pad_integer_value_truncates():
    x = torch.arange(3).reshape(1, 3)
    out = F.pad(x, (1, 1), value=2.7)
    assert out.dtype == torch.int64
    assert out.tolist() == [[2, 0, 1, 2, 2]]
    assert F.pad(x, (1, 0), value=-1.9).tolist() == [[-1, 0, 1, 2]]
    assert F.pad(torch.tensor([[True, False]]), (1, 1), value=0.5).tolist() == [[True, True, False, True]]
    with pytest.raises(RuntimeError, match="without overflow"):
        F.pad(x.to(torch.uint8), (1, 1), value=-1)


# ---- activations ----------------------------------------------------------------------------------
def test_hardswish_gradient_at_the_kinks():
    # the kinks belong to the flat sides: slope 0 at -3, slope 1 at 3
    x = torch.tensor([-3.0, 3.0, -3.5, 3.5, 0.0], dtype=torch.float64, requires_grad=True)
    F.hardswish(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0, 0.5]
    assert gradcheck(F.hardswish, (torch.tensor([-2.0, 1.0, 2.5], dtype=torch.float64, requires_grad=True),))


def test_relu6_and_hardtanh_keep_integer_dtype():
    x = torch.arange(-2, 9)
    y = F.relu6(x)
    assert y.dtype == torch.int64
    assert y.tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 6, 6]
    z = F.hardtanh(torch.arange(-2, 3), -1.5, 1.5)  # bounds truncated toward zero
    assert z.dtype == torch.int64
    assert z.tolist() == [-1, -1, 0, 1, 1]
    assert nn.ReLU6()(torch.tensor([7], dtype=torch.int32)).dtype == torch.int32


def test_prelu_shapes():
    m = nn.PReLU()
    out = m(torch.tensor(-2.0))
    assert out.shape == ()
    assert out.item() == pytest.approx(-0.5)
    x = t64(3, 4)
    w = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a, s: F.prelu(a, s), (x, w))
    # a 1-D input has a single channel: 5 weights do not fit it
    with pytest.raises(RuntimeError, match="parameter numbers = 5 and channel size = 1"):
        nn.PReLU(5)(torch.randn(5))


# ---- distances ------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:overflow")
def test_cosine_similarity_overflowing_norms_are_not_nan():
    a = torch.tensor([[1e200, 2e200]], dtype=torch.float64)
    b = torch.tensor([[3e200, 1e200]], dtype=torch.float64)
    out = F.cosine_similarity(a, b)
    assert not math.isnan(out.item())
    assert out.item() == 0.0  # the norms overflow to inf, and x / inf = 0 (as PyTorch)


def test_cosine_similarity_gradcheck():
    assert gradcheck(lambda x, y: F.cosine_similarity(x, y, dim=0), (t64(3, 4), t64(3, 1)))


def test_cosine_similarity_clamps_small_norms():
    a = torch.tensor([[1e-9, 0.0]], dtype=torch.float64)
    b = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    assert F.cosine_similarity(a, b, eps=1e-6).item() == pytest.approx(1e-9 / 1e-6)


# ---- dropout --------------------------------------------------------------------------------------
def test_feature_alpha_dropout_p_one_and_bad_p():
    x = torch.randn(2, 3, 4)
    assert F.feature_alpha_dropout(x, 1.0, training=True).abs().sum().item() == 0.0
    assert nn.FeatureAlphaDropout(1.0)(x).abs().sum().item() == 0.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.feature_alpha_dropout(x, 1.5, training=True)


# ---- losses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("var_shape", [(1, 4), (3, 1)])
def test_gaussian_nll_loss_broadcast_var(var_shape):
    x, y = t64(3, 4), t64(3, 4, grad=False)
    var = torch.tensor(rng.uniform(0.5, 2.0, var_shape), dtype=torch.float64, requires_grad=True)
    out = F.gaussian_nll_loss(x, y, var, reduction="none")
    v = np.broadcast_to(var.detach().numpy(), (3, 4))
    ref = 0.5 * (np.log(v) + (x.detach().numpy() - y.numpy()) ** 2 / v)
    assert np.allclose(out.detach().numpy(), ref)
    assert gradcheck(lambda a, s: F.gaussian_nll_loss(a, y, s), (x, var))


def test_gaussian_nll_loss_var_checks():
    x = torch.randn(2, 3, 4, 4)
    F.gaussian_nll_loss(x, x, torch.ones(2, 1, 4, 4))  # one mismatched dim of size 1: fine
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, torch.ones(2, 1, 1, 4))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, -1.0)


# ---- pooling --------------------------------------------------------------------------------------
def test_max_pool_all_minus_inf_window_points_inside_the_input():
    x = torch.full((1, 1, 4, 4), -math.inf, dtype=torch.float64, requires_grad=True)
    out, idx = F.max_pool2d(x, 2, padding=1, return_indices=True)
    # the first in-bounds element of each window, never the padding
    assert idx[0, 0].tolist() == [[0, 1, 3], [4, 5, 7], [12, 13, 15]]
    out.backward(torch.ones_like(out))
    assert x.grad.sum().item() == 9.0  # every window's grad lands on the input
    xi = torch.full((1, 1, 5), torch.iinfo(torch.int64).min)
    _, idx1 = F.max_pool1d(xi, 2, 2, ceil_mode=True, return_indices=True)
    assert idx1.flatten().tolist() == [0, 2, 4]


# ---- interpolation --------------------------------------------------------------------------------
def test_interpolate_uint8_bilinear():
    x = torch.tensor([[[[0, 255], [255, 0]]]], dtype=torch.uint8)
    out = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True)
    assert out.dtype == torch.uint8
    assert out[0, 0].tolist() == [[0, 128, 255], [128, 128, 128], [255, 128, 0]]
    c = torch.full((1, 2, 5, 7), 77, dtype=torch.uint8)
    assert F.interpolate(c, scale_factor=1.7, mode="bilinear").unique().tolist() == [77]
    r = torch.tensor(rng.integers(0, 256, (1, 2, 9, 11)), dtype=torch.uint8)
    got = F.interpolate(r, size=(13, 5), mode="bilinear").numpy().astype(int)
    ref = F.interpolate(r.double(), size=(13, 5), mode="bilinear").numpy()
    assert np.abs(got - ref).max() <= 1  # fixed point, within a unit of the float result


@pytest.mark.parametrize("dtype, mode", [("int64", "bilinear"), ("uint8", "bicubic"), ("int32", "linear")])
def test_interpolate_integer_linear_modes_raise(dtype, mode):
    x = torch.ones((1, 1, 4, 4) if mode != "linear" else (1, 1, 4), dtype=getattr(torch, dtype))
    with pytest.raises(NotImplementedError, match=f'mode "{mode}"'):
        F.interpolate(x, scale_factor=2, mode=mode)


def test_interpolate_area_5d():
    x = t64(1, 2, 4, 6, 5)
    out = F.interpolate(x, size=(2, 3, 5), mode="area")
    assert np.allclose(out.detach().numpy(), F.adaptive_avg_pool3d(x, (2, 3, 5)).detach().numpy())
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=0.5, mode="area"), (x,))


# ---- argument checks ------------------------------------------------------------------------------
def test_group_norm_weight_size_message():
    with pytest.raises(RuntimeError, match="Expected weight to be a vector of size equal to the number of"):
        nn.GroupNorm(1, 2)(torch.randn(3, 4, 5))


@pytest.mark.parametrize("kwargs, message", [
    (dict(padding=-1), "negative padding is not supported"),
    (dict(stride=0), "non-positive stride is not supported"),
    (dict(dilation=0), "dilation should be greater than zero"),
])
def test_conv_argument_checks(kwargs, message):
    with pytest.raises(RuntimeError, match=message):
        F.conv2d(torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3), **kwargs)
    with pytest.raises(RuntimeError, match=message):
        F.conv_transpose1d(torch.randn(1, 2, 5), torch.randn(2, 3, 3), **kwargs)
    with pytest.raises(RuntimeError, match=message):
        nn.Conv1d(2, 3, 3, **kwargs)(torch.randn(1, 2, 6))
