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


# ---- cross-entropy / nll: nothing counted, empty batches, argument errors ------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("kwargs", [{}, dict(label_smoothing=0.2),
                                    dict(weight=torch.rand(4, dtype=torch.float64))])
@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_nll_all_ignored_mean_is_nan_with_zero_grads(fn, kwargs):
    if fn is F.nll_loss and "label_smoothing" in kwargs:
        kwargs = {}
    x = t64(3, 4)
    loss = fn(x, torch.tensor([-100, -100, -100]), **kwargs)
    assert math.isnan(loss.item())  # 0 / 0, as PyTorch
    loss.backward()
    assert np.array_equal(x.grad.numpy(), np.zeros((3, 4)))  # no 0 * nan in the ignored rows


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nll_zero_total_weight_of_counted_rows():
    # counted rows of weight 0: -w / 0 = nan there, 0 in the ignored row
    x = t64(3, 4)
    w = torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=torch.float64)
    loss = F.nll_loss(x, torch.tensor([0, 1, -100]), weight=w)
    assert math.isnan(loss.item())
    loss.backward()
    g = x.grad.numpy()
    assert np.isnan(g[0, 0]) and np.isnan(g[1, 1])
    assert np.count_nonzero(np.isnan(g)) == 2 and np.all(g[2] == 0)


def test_nll_partly_ignored_gradcheck():
    x = t64(4, 3)
    t = torch.tensor([0, -100, 2, -100])
    assert gradcheck(lambda a: F.cross_entropy(a, t, label_smoothing=0.1), (x,))
    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert gradcheck(lambda a: F.nll_loss(a, t, weight=w), (x,))


@pytest.mark.parametrize("shape, tshape", [((0, 4), (0,)), ((0, 4, 2), (0, 2)), ((2, 4, 0), (2, 0))])
@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_nll_empty_batch(fn, shape, tshape):
    x = t64(*shape)
    t = torch.zeros(tshape, dtype=torch.int64)
    assert math.isnan(fn(x, t).item())
    assert fn(x, t, reduction="sum").item() == 0.0
    assert tuple(fn(x, t, reduction="none").shape) == tshape
    fn(x, t).backward()
    assert tuple(x.grad.shape) == shape


def test_cross_entropy_empty_batch_probabilities():
    x = t64(0, 4)
    assert math.isnan(F.cross_entropy(x, torch.zeros(0, 4, dtype=torch.float64)).item())


@pytest.mark.parametrize("dtype, name", [(torch.int32, "Int"), (torch.int16, "Short"), (torch.int8, "Char"),
                                         (torch.bool, "Bool"), (torch.float32, "Float")])
def test_nll_target_dtype(dtype, name):
    with pytest.raises(RuntimeError, match=f"expected target dtype to be Long or Byte, but got {name}"):
        F.cross_entropy(torch.randn(3, 4), torch.zeros(3, dtype=dtype))
    with pytest.raises(RuntimeError, match=f"expected target dtype to be Long or Byte, but got {name}"):
        F.nll_loss(torch.randn(2, 3, 2, 2), torch.zeros(2, 2, 2, dtype=dtype))


def test_nll_uint8_target_2d_only():
    x = t64(3, 4)
    t = torch.tensor([0, 3, 1], dtype=torch.uint8)
    assert F.nll_loss(x, t).item() == pytest.approx(F.nll_loss(x, t.long()).item())
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Byte"):
        F.nll_loss(t64(2, 3, 2, 2), torch.zeros(2, 2, 2, dtype=torch.uint8))


def test_cross_entropy_probability_target_errors():
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(torch.randn(3, 4), torch.rand(3, 4), ignore_index=1)
    F.cross_entropy(torch.randn(3, 4), torch.rand(3, 4), ignore_index=-1)  # negative: accepted
    probs_dtype = "Expected floating point type for target with class probabilities"
    with pytest.raises(RuntimeError, match=probs_dtype):
        F.cross_entropy(torch.randn(3, 4), torch.zeros(3, 4, dtype=torch.int64))
    with pytest.raises(RuntimeError, match=probs_dtype):
        F.cross_entropy(torch.tensor(1.0), torch.tensor(0))  # 0-d input and target: the same shape
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)"):
        F.cross_entropy(torch.randn(3, 4), torch.rand(2, 4))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3, 2\], got \[3, 4, 3\]"):
        F.cross_entropy(torch.randn(3, 4, 2), torch.rand(3, 4, 3))


def test_cross_entropy_negative_label_smoothing_is_none():
    x, t = t64(4, 3), torch.tensor([0, 2, 1, 1])
    assert F.cross_entropy(x, t, label_smoothing=-0.5).item() == pytest.approx(F.cross_entropy(x, t).item())
    p = torch.rand(4, 3, dtype=torch.float64)
    assert F.cross_entropy(x, p, label_smoothing=-0.5).item() == pytest.approx(F.cross_entropy(x, p).item())
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, t, label_smoothing=1.5)


# ---- average pooling of integers, adaptive pooling to size 0 ---------------------------------------
def test_avg_pool_int64_rounds_toward_zero():
    x = torch.tensor([[[-7, 5, 3, -2, 9, 8, 1]]])
    out = F.avg_pool1d(x, 2)
    assert out.dtype == torch.int64 and out.tolist() == [[[-1, 0, 8]]]  # -2/2, 1/2 -> 0, 17/2 -> 8
    assert F.avg_pool1d(x, 3, 2, 1).tolist() == [[[0, 2, 5, 3]]]  # -2/3 -> 0
    y = torch.tensor([[[[-7, 5, 3], [-2, 9, 8], [1, 0, -5]]]])
    assert F.avg_pool2d(y, 2, 1, divisor_override=3).tolist() == [[[[1, 8], [2, 4]]]]
    assert nn.AvgPool3d((1, 2, 2), 1)(y.unsqueeze(0)).tolist() == [[[[[1, 6], [2, 3]]]]]


@pytest.mark.parametrize("dtype, name", [(torch.int32, "Int"), (torch.uint8, "Byte"), (torch.bool, "Bool")])
def test_avg_pool_other_integers_unsupported(dtype, name):
    x = torch.ones(1, 1, 4, 4, dtype=dtype)
    with pytest.raises(NotImplementedError, match=f"\"avg_pool2d\" not implemented for '{name}'"):
        nn.AvgPool2d(2)(x)
    with pytest.raises(NotImplementedError, match=f"\"avg_pool3d_out_frame\" not implemented for '{name}'"):
        F.avg_pool3d(x, (1, 2, 2))
    with pytest.raises(NotImplementedError, match=f"\"adaptive_avg_pool2d\" not implemented for '{name}'"):
        F.adaptive_avg_pool2d(x, 2)


@pytest.mark.parametrize("size, out", [(0, (0, 0)), ((0, 3), (0, 3)), ((3, 0), (3, 0))])
def test_adaptive_avg_pool_size_zero(size, out):
    assert tuple(nn.AdaptiveAvgPool2d(size)(torch.randn(2, 3, 5, 5)).shape) == (2, 3) + out
    assert tuple(F.adaptive_avg_pool1d(torch.randn(2, 3, 5), 0).shape) == (2, 3, 0)


# ---- RMSNorm dtypes -------------------------------------------------------------------------------
def test_rms_norm_keeps_input_dtype():
    x = torch.randn(3, 4)
    m = nn.RMSNorm(4).double()
    y = m(x)
    assert y.dtype == torch.float32
    ref = x / (x.pow(2).mean(-1, keepdim=True) + torch.finfo(torch.float32).eps).sqrt()
    assert np.allclose(y.detach().numpy(), ref.numpy(), atol=1e-6)
    assert nn.RMSNorm(4)(x.half()).dtype == torch.float16
    xd = t64(3, 4)
    assert gradcheck(lambda a, w: F.rms_norm(a, (4,), w), (xd, t64(4)))


# ---- activations on integers ----------------------------------------------------------------------
@pytest.mark.parametrize("fn, kernel", [
    (F.silu, "silu_cpu"), (F.leaky_relu, "leaky_relu_cpu"), (F.elu, "elu_cpu"), (F.selu, "elu_cpu"),
    (F.gelu, "GeluKernelImpl"), (F.mish, "mish_cpu"), (F.softplus, "softplus_cpu"),
    (F.hardswish, "hardswish_cpu"), (F.hardsigmoid, "hardsigmoid_cpu"), (F.logsigmoid, "log_sigmoid_cpu"),
    (F.hardshrink, "hardshrink_cpu"), (F.softshrink, "softshrink_check"), (F.glu, "glu_cpu"),
    (lambda x: F.softmax(x, -1), "softmax_lastdim_kernel_impl"),
    (lambda x: F.softmax(x, 0), "softmax_kernel_impl"),
    (lambda x: nn.SiLU(inplace=True)(x), "silu_cpu"),
    (lambda x: F.layer_norm(x, (2,)), "LayerNormKernelImpl"),
])
def test_activation_integer_input_raises(fn, kernel):
    with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for 'Long'"):
        fn(torch.tensor([[-2, 1], [3, 0]]))


def test_hardtanh_bool_and_unsigned_limits():
    with pytest.raises(RuntimeError, match="Bool inputs not supported for hardtanh"):
        F.relu6(torch.tensor([True, False]))
    with pytest.raises(RuntimeError, match="cannot do hardtanh on an unsigned type with negative limits"):
        F.hardtanh(torch.tensor([1, 2], dtype=torch.uint8))
    assert F.relu6(torch.tensor([9, 2], dtype=torch.uint8)).tolist() == [6, 2]


# ---- BCE-like losses: non-differentiable arguments, target gradient at 0 and 1 --------------------
def test_bce_weight_requiring_grad_is_refused():
    x, t, w = torch.rand(3), torch.rand(3), torch.rand(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.binary_cross_entropy(x, t, w)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(x, t, pos_weight=w)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'target'"):
        F.soft_margin_loss(x, w)
    with torch.no_grad():
        F.binary_cross_entropy(x, t, w)


def test_bce_target_gradient():
    x = torch.tensor([0.0, 1.0, 0.3], dtype=torch.float64)
    t = torch.tensor([0.2, 0.6, 1.0], dtype=torch.float64, requires_grad=True)
    F.binary_cross_entropy(x, t, reduction="sum").backward()
    assert t.grad[0].item() == math.inf and t.grad[1].item() == -math.inf  # log(1 - x) - log(x), unclamped
    assert t.grad[2].item() == pytest.approx(math.log(0.7) - math.log(0.3))
    xs = torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64)
    assert gradcheck(lambda b: F.binary_cross_entropy(xs, b), (t.detach().clone().requires_grad_(),))
