"""PyTorch as the oracle for the edge cases of test_nn_edge_cases.py: the same inputs must give the same
outputs, dtypes, gradients and errors."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402
import lanterna.nn as lnn  # noqa: E402
import lanterna.nn.functional as LF  # noqa: E402

pytestmark = pytest.mark.oracle
TF = torch.nn.functional
tnn = torch.nn
rng = np.random.default_rng(0)


def _np(t):
    return t.detach().numpy()


def _same(t_out, l_out, tol=1e-10):
    assert tuple(t_out.shape) == tuple(l_out.shape)
    assert str(t_out.dtype) == str(l_out.dtype)
    np.testing.assert_allclose(_np(l_out), _np(t_out), rtol=tol, atol=tol)


def run_both(fn, *arrays, grad=True, tol=1e-10):
    """fn(F, *inputs) on both libraries; compares the output and the grads of every float input."""
    ts = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ls = [lt.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    t_out, l_out = fn(TF, *ts), fn(LF, *ls)
    _same(t_out, l_out, tol)
    if grad and t_out.requires_grad:
        g = rng.standard_normal(tuple(t_out.shape))
        t_out.backward(torch.tensor(g))
        l_out.backward(lt.tensor(g))
        for a, b in zip(ts, ls):
            if a.requires_grad:
                _same(a.grad, b.grad, tol * 10)
    return t_out, l_out


def raise_both(fn, *arrays, exc=Exception):
    with pytest.raises(exc) as t_err:
        fn(TF, *[torch.tensor(a) for a in arrays])
    with pytest.raises(type(t_err.value)) as l_err:
        fn(LF, *[lt.tensor(a) for a in arrays])
    return str(t_err.value), str(l_err.value)


# ---- embedding ------------------------------------------------------------------------------------
@pytest.mark.parametrize("index", [-1, -3, 10])
def test_embedding_out_of_range_index(index):
    w = rng.standard_normal((10, 3))
    t, l = raise_both(lambda F, i, w: F.embedding(i, w), np.array([0, index]), w, exc=IndexError)
    assert l == t


def test_embedding_scale_grad_by_freq_padding():
    run_both(lambda F, i, w: F.embedding(i, w, padding_idx=3, scale_grad_by_freq=True),
             np.array([[1, 3, 1], [9, 0, 1]]), rng.standard_normal((10, 4)))


# ---- padding --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, pad", [
    ((2, 3, 7), (-1, 2)), ((2, 3, 7), (2, -1)), ((3, 7), (3, -2)), ((2, 3, 5, 6), (2, -1, -1, 2)),
    ((2, 5, 6), (-2, 1, 1, -1)), ((1, 2, 3, 4, 5), (2, -1, 2, -1, -1, 1)),
])
def test_circular_pad_negative(shape, pad):
    run_both(lambda F, x: F.pad(x, pad, mode="circular"), rng.standard_normal(shape))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [((2, 3, 4, 5), (1, 1)), ((5,), (1, 1)), ((3, 4), (1, 1, 1, 1)),
                                        ((2, 3, 4, 5, 6), (1, 1)), ((2, 3, 4, 5, 6), (1, 1, 1, 1))])
def test_non_constant_pad_unsupported_sizes(mode, shape, pad):
    t, l = raise_both(lambda F, x: F.pad(x, pad, mode=mode), np.ones(shape), exc=NotImplementedError)
    assert l == t


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [((3, 4), (1, 2)), ((2, 3, 4), (2, 1, 1, 0)),
                                        ((2, 3, 4, 5), (1,) * 6)])
def test_non_constant_pad_supported_sizes(mode, shape, pad):
    run_both(lambda F, x: F.pad(x, pad, mode=mode), rng.standard_normal(shape))


@pytest.mark.parametrize("dtype, value", [(np.int64, 2.7), (np.int64, -1.9), (np.int32, 3.0), (np.bool_, 0.5),
                                          (np.uint8, 255)])
def test_constant_pad_value_cast(dtype, value):
    x = np.arange(6).reshape(2, 3).astype(dtype)
    run_both(lambda F, a: F.pad(a, (1, 1, 0, 1), value=value), x, grad=False)


def test_constant_pad_value_overflow():
    raise_both(lambda F, a: F.pad(a, (1, 1), value=-1), np.arange(3, dtype=np.uint8), exc=RuntimeError)


# ---- activations ----------------------------------------------------------------------------------
def test_hardswish_kinks():
    run_both(lambda F, x: F.hardswish(x), np.array([-3.0, 3.0, -3.5, 3.5, 0.0, 2.9, -2.9]))


def test_hardswish_module_inplace_kinks():
    x = np.array([-3.0, 3.0, 1.0])
    tx, lx = torch.tensor(x, requires_grad=True), lt.tensor(x, requires_grad=True)
    ty, ly = tnn.Hardswish(inplace=True)(tx * 1), lnn.Hardswish(inplace=True)(lx * 1)
    ty.sum().backward()
    ly.sum().backward()
    _same(tx.grad, lx.grad)


@pytest.mark.parametrize("fn", [lambda F, x: F.relu6(x), lambda F, x: F.hardtanh(x, -1.5, 1.5),
                                lambda F, x: F.hardtanh(x, -3, 4)])
@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_hardtanh_integer_input(fn, dtype):
    run_both(fn, np.arange(-5, 9).astype(dtype), grad=False)


def test_prelu_0d_and_1d():
    for x in (np.array(-2.0), np.array([-1.0, 2.0, -3.0])):
        tm, lm = tnn.PReLU().double(), lnn.PReLU().double()
        tx, lx = torch.tensor(x, requires_grad=True), lt.tensor(x, requires_grad=True)
        ty, ly = tm(tx), lm(lx)
        _same(ty, ly)
        ty.sum().backward()
        ly.sum().backward()
        _same(tx.grad, lx.grad)
        _same(tm.weight.grad, lm.weight.grad)
    with pytest.raises(RuntimeError) as t_err:
        tnn.PReLU(5)(torch.randn(5))
    with pytest.raises(RuntimeError) as l_err:
        lnn.PReLU(5)(lt.randn(5))
    assert str(l_err.value) == str(t_err.value)


# ---- distances ------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:overflow")
def test_cosine_similarity_overflow():
    a, b = rng.standard_normal((4, 5)) * 1e200, rng.standard_normal((4, 5)) * 1e200
    run_both(lambda F, x, y: F.cosine_similarity(x, y), a, b, grad=False)


@pytest.mark.parametrize("scale", [1.0, 1e-7])
def test_cosine_similarity_grads(scale):
    run_both(lambda F, x, y: F.cosine_similarity(x, y, eps=1e-6),
             rng.standard_normal((4, 5)) * scale, rng.standard_normal((4, 5)))


# ---- dropout --------------------------------------------------------------------------------------
def test_feature_alpha_dropout_p_one():
    x = rng.standard_normal((2, 3, 4))
    _same(tnn.FeatureAlphaDropout(1.0)(torch.tensor(x)), lnn.FeatureAlphaDropout(1.0)(lt.tensor(x)))
    t, l = raise_both(lambda F, a: F.feature_alpha_dropout(a, 1.5, True), x, exc=ValueError)
    assert l == t


# ---- losses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("in_shape, var_shape", [((3, 4), (1, 4)), ((3, 4), (3, 1)), ((3, 4), (3,)),
                                                 ((2, 3, 4, 4), (2, 1, 4, 4)), ((2, 3, 4), (2, 3, 1))])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_gaussian_nll_loss_var_shapes(in_shape, var_shape, reduction):
    run_both(lambda F, x, y, v: F.gaussian_nll_loss(x, y, v, reduction=reduction),
             rng.standard_normal(in_shape), rng.standard_normal(in_shape), rng.uniform(0.5, 2, var_shape))


@pytest.mark.parametrize("var", [np.ones((2, 1, 1, 4)), np.ones((1, 1, 4, 4)), -np.ones((2, 3, 4, 4))])
def test_gaussian_nll_loss_bad_var(var):
    x = np.ones((2, 3, 4, 4))
    t, l = raise_both(lambda F, a, v: F.gaussian_nll_loss(a, a, v), x, var, exc=ValueError)
    assert l == t


# ---- pooling --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2, padding=1),
                                    dict(kernel_size=3, stride=2, ceil_mode=True),
                                    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)])
def test_max_pool_minus_inf_windows(kwargs):
    x = rng.standard_normal((1, 2, 5, 5))
    x[0, 0] = -math.inf
    x[0, 1, :, 3:] = -math.inf
    t_out, l_out = run_both(lambda F, a: F.max_pool2d(a, return_indices=True, **kwargs)[0], x)
    ti = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)[1]
    li = LF.max_pool2d(lt.tensor(x), return_indices=True, **kwargs)[1]
    _same(ti, li)


def test_max_pool1d_integer_min_windows():
    x = np.full((1, 1, 5), np.iinfo(np.int64).min)
    ti = TF.max_pool1d(torch.tensor(x), 2, 2, 1, return_indices=True)[1]
    li = LF.max_pool1d(lt.tensor(x), 2, 2, 1, return_indices=True)[1]
    _same(ti, li)


# ---- interpolation --------------------------------------------------------------------------------
@pytest.mark.parametrize("align_corners", [None, False, True])
@pytest.mark.parametrize("kwargs", [dict(size=(31, 40)), dict(size=(9, 7)), dict(size=(4, 50)),
                                    dict(scale_factor=1.7), dict(scale_factor=(0.45, 2.0)),
                                    dict(scale_factor=1.7, recompute_scale_factor=True)])
def test_interpolate_uint8_bilinear(align_corners, kwargs):
    x = rng.integers(0, 256, (2, 3, 17, 19)).astype(np.uint8)
    run_both(lambda F, a: F.interpolate(a, mode="bilinear", align_corners=align_corners, **kwargs), x,
             grad=False)


def test_interpolate_uint8_bilinear_small():
    x = np.array([[[[0, 255], [255, 0]]]], dtype=np.uint8)
    run_both(lambda F, a: F.interpolate(a, size=(3, 3), mode="bilinear", align_corners=True), x, grad=False)


@pytest.mark.parametrize("mode, shape", [("linear", (1, 2, 4)), ("bilinear", (1, 2, 4, 4))])
def test_interpolate_integer_unsupported(mode, shape):
    x = np.ones(shape, dtype=np.int64 if mode == "bilinear" else np.uint8)
    raise_both(lambda F, a: F.interpolate(a, scale_factor=2, mode=mode), x, exc=NotImplementedError)


@pytest.mark.parametrize("kwargs", [dict(size=(2, 3, 5)), dict(size=(7, 9, 11)), dict(scale_factor=0.6),
                                    dict(scale_factor=(1.5, 1.75, 2.0))])
def test_interpolate_area_5d(kwargs):
    run_both(lambda F, a: F.interpolate(a, mode="area", **kwargs), rng.standard_normal((1, 2, 3, 4, 5)))


# ---- argument checks ------------------------------------------------------------------------------
def test_group_norm_wrong_channels():
    with pytest.raises(RuntimeError) as t_err:
        tnn.GroupNorm(1, 2)(torch.randn(3, 4, 5))
    with pytest.raises(RuntimeError) as l_err:
        lnn.GroupNorm(1, 2)(lt.randn(3, 4, 5))
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("kwargs", [dict(padding=-1), dict(stride=0), dict(dilation=0)])
def test_conv_bad_arguments(kwargs):
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    t, l = raise_both(lambda F, a, b: F.conv2d(a, b, **kwargs), x, w, exc=RuntimeError)
    assert l.split(",")[0] == t.split(",")[0]
    wt = rng.standard_normal((2, 3, 3, 3))
    t, l = raise_both(lambda F, a, b: F.conv_transpose2d(a, b, **kwargs), x, wt, exc=RuntimeError)
    assert l.split(",")[0] == t.split(",")[0]
