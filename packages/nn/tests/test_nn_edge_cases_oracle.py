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


# ---- cross-entropy / nll: nothing counted, empty batches, argument errors ------------------------
_CE_CASES = [
    ((3, 4), np.array([-100, -100, -100]), {}),
    ((3, 4), np.array([2, 2, 2]), dict(ignore_index=2)),
    ((3, 4), np.array([-100, -100, -100]), dict(label_smoothing=0.1)),
    ((3, 4), np.array([1, -100, 1]), dict(weight=np.array([1.0, 0.0, 2.0, 3.0]))),  # counted, weight 0
    ((3, 4), np.array([0, 1, -100]), dict(weight=np.array([1.0, -1.0, 2.0, 3.0]))),  # total 0, not empty
    ((3, 4), np.array([-100, -100, -100]), dict(weight=np.array([1.0, 2.0, 3.0, 4.0]), label_smoothing=0.2)),
    ((2, 3, 2, 2), np.full((2, 2, 2), 1), dict(ignore_index=1)),
    ((2, 3, 2, 2), np.full((2, 2, 2), 1), dict(ignore_index=1, label_smoothing=0.3)),
    ((2, 3, 4), np.full((2, 4), -100), {}),
    ((0, 4), np.zeros(0, dtype=np.int64), {}),
    ((0, 4), np.zeros(0, dtype=np.int64), dict(weight=np.ones(4))),
    ((0, 4), np.zeros(0, dtype=np.int64), dict(label_smoothing=0.1)),
    ((0, 4, 2), np.zeros((0, 2), dtype=np.int64), {}),
    ((2, 4, 0), np.zeros((2, 0), dtype=np.int64), {}),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape, target, kwargs", _CE_CASES)
def test_nll_nothing_counted_or_empty(fn, reduction, shape, target, kwargs):
    if fn == "nll_loss" and "label_smoothing" in kwargs:
        pytest.skip("nll_loss has no label_smoothing")
    weight = kwargs.get("weight")
    rest = {k: v for k, v in kwargs.items() if k != "weight"}
    x = rng.standard_normal(shape)

    def call(F, a, t, *w):
        return getattr(F, fn)(a, t, *w, reduction=reduction, **rest)

    arrays = (x, target) if weight is None else (x, target, weight)
    ts = [torch.tensor(a, requires_grad=a is x) for a in arrays]
    ls = [lt.tensor(a, requires_grad=a is x) for a in arrays]
    t_out, l_out = call(TF, *ts), call(LF, *ls)
    _same(t_out, l_out)
    t_out.sum().backward()
    l_out.sum().backward()
    _same(ts[0].grad, ls[0].grad)  # nan/inf only where PyTorch has them, and in the same places


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2, 2), (2, 3, 4)])
def test_cross_entropy_probabilities_empty_and_negative_smoothing(shape):
    for n in (shape[0], 0):
        s = (n,) + shape[1:]
        x, p = rng.standard_normal(s), rng.uniform(0, 1, s)
        run_both(lambda F, a, b: F.cross_entropy(a, b), x, p)
    x, p = rng.standard_normal(shape), rng.uniform(0, 1, shape)
    run_both(lambda F, a, b: F.cross_entropy(a, b, label_smoothing=-0.2), x, p)  # <= 0: no smoothing
    run_both(lambda F, a, b: F.cross_entropy(a, b, ignore_index=-1, label_smoothing=0.2), x, p)


def test_cross_entropy_negative_label_smoothing_means_none():
    x = rng.standard_normal((4, 3))
    run_both(lambda F, a, t: F.cross_entropy(a, t, label_smoothing=-0.3), x, np.array([0, 2, 1, 1]))


_I64, _U8 = np.int64, np.uint8


@pytest.mark.parametrize("x_shape, t, kwargs", [
    ((3, 4), np.zeros(3, np.int32), {}),
    ((3, 4), np.zeros(3, np.int16), {}),
    ((3, 4), np.zeros(3, np.int8), {}),
    ((3, 4), np.zeros(3, np.bool_), {}),
    ((3, 4), np.zeros(3, np.float32), {}),
    ((4,), np.array(1, np.int32), {}),
    ((2, 3, 2, 2), np.zeros((2, 2, 2), np.int32), {}),
    ((2, 3, 2), np.zeros((2, 2), np.int32), {}),
    ((2, 3, 2, 2, 2), np.zeros((2, 2, 2, 2), np.int32), {}),
    ((2, 3, 2), np.zeros((2, 2), _U8), {}),
    ((2, 3, 2, 2), np.zeros((2, 2, 2), _U8), {}),
    ((2, 3, 2, 2), np.zeros((2, 3, 3), _U8), {}),
    ((2, 3, 2, 2), np.zeros((2, 3, 3), np.int32), {}),
    ((2, 3, 2, 2), np.zeros(2, np.float32), {}),
    ((2, 3, 2, 2), np.zeros(2, _I64), {}),
    ((2, 3, 2, 2), np.zeros((2, 2, 2), _I64), dict(weight=np.ones(4))),
    ((2, 3, 2, 2), np.zeros((2, 2, 2), np.int32), dict(weight=np.ones(4))),
    ((2, 3, 2), np.zeros((2, 3), _I64), {}),
    ((2, 3, 2), np.zeros(2, _I64), {}),
    ((2, 3, 2, 2, 2), np.zeros((2, 3, 3, 3), _I64), {}),
    ((2, 3, 2, 2), np.zeros((3, 2, 2), _I64), {}),
    ((3, 4), np.zeros(2, np.int32), {}),
    ((3, 4), np.zeros((3, 1), np.int32), {}),
    ((3, 4), np.zeros(3, np.int32), dict(weight=np.ones(3))),
    ((3, 4), np.zeros(3, _U8), dict(weight=np.ones(3))),
    ((3, 4), np.full(3, 7, np.int32), {}),
    ((3, 4), np.full(3, 7, _I64), {}),
    ((4,), np.array([1, 2], _I64), {}),
    ((4,), np.array([1, 2], np.int32), {}),
    ((4,), np.array([[1]], np.int32), {}),
    ((1, 4), np.array(1, _I64), {}),
    ((), np.array(0, _I64), {}),
])
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_nll_argument_errors(fn, x_shape, t, kwargs):
    x = rng.standard_normal(x_shape)
    w = kwargs.get("weight")
    arrays = (x, t) if w is None else (x, t, w)
    t_msg, l_msg = raise_both(lambda F, *a: getattr(F, fn)(*a), *arrays)
    assert l_msg == t_msg


@pytest.mark.parametrize("x_shape, t_shape, t_dtype, kwargs", [
    ((3, 4), (3, 4), np.int64, {}),
    ((3, 4), (3, 4), np.int32, {}),
    ((3, 4), (3, 4), np.uint8, {}),
    ((3, 4), (3, 4), np.bool_, {}),
    ((4,), (4,), np.int64, {}),
    ((), (), np.int64, {}),
    ((), (), np.float64, {}),
    ((3, 4), (3, 4), np.float64, dict(ignore_index=0)),
    ((3, 4), (3, 4), np.float64, dict(ignore_index=2, label_smoothing=0.1)),
    ((3, 4), (3, 4), np.float64, dict(label_smoothing=1.5)),
    ((3, 4), (3,), np.int64, dict(label_smoothing=2)),
    ((3, 4), (2, 4), np.float64, {}),
    ((3, 4), (3, 5), np.float64, {}),
    ((3, 4, 2), (3, 4, 3), np.float64, {}),
    ((3, 4), (3,), np.float64, {}),
])
def test_cross_entropy_argument_errors(x_shape, t_shape, t_dtype, kwargs):
    x, t = rng.standard_normal(x_shape), np.zeros(t_shape, t_dtype)
    t_msg, l_msg = raise_both(lambda F, a, b: F.cross_entropy(a, b, **kwargs), x, t)
    assert l_msg == t_msg


def test_cross_entropy_probabilities_bad_weight():
    t_msg, l_msg = raise_both(lambda F, a, b, w: F.cross_entropy(a, b, weight=w),
                              rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4)), np.ones(3))
    assert l_msg == t_msg


@pytest.mark.parametrize("nd", [3, 4, 5])
def test_nll_k_dim_grad_fn_and_uint8_target(nd):
    x = rng.standard_normal((2, 3) + (2,) * (nd - 2))
    t = rng.integers(0, 3, (2,) + (2,) * (nd - 2))
    t_out, l_out = run_both(lambda F, a, b: F.nll_loss(a, b), x, t)
    assert l_out.grad_fn.name() == t_out.grad_fn.name()
    # K-d inputs take any weight of C numbers
    w = (torch.ones(3, 1, dtype=torch.float64), lt.ones(3, 1, dtype=lt.float64))
    run_both(lambda F, a, b: F.cross_entropy(a, b, weight=w[F is LF]), x, t)


# ---- average pooling of integers, adaptive pooling to size 0 ---------------------------------------
_INT_POOL_CALLS = [
    lambda F, a: F.avg_pool1d(a[0], 2),
    lambda F, a: F.avg_pool1d(a[0], 3, 2, 1),
    lambda F, a: F.avg_pool1d(a[0], 3, 2, 1, count_include_pad=False),
    lambda F, a: F.avg_pool2d(a, 2, 1),
    lambda F, a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True),
    lambda F, a: F.avg_pool2d(a, 2, 1, divisor_override=3),
    lambda F, a: F.avg_pool3d(a.unsqueeze(0), (1, 2, 2), 1),
    lambda F, a: F.avg_pool3d(a.unsqueeze(0), 2, 1, 1, count_include_pad=False),
    lambda F, a: F.lp_pool1d(a[0], 2, 2),
]


@pytest.mark.parametrize("call", _INT_POOL_CALLS)
def test_avg_pool_int64_truncates(call):
    x = rng.integers(-50, 50, (1, 2, 5, 6))
    run_both(call, x, grad=False, tol=1e-6)  # exact for the integer results; lp_pool's is float32


@pytest.mark.parametrize("call", _INT_POOL_CALLS[:-1] + [
    lambda F, a: F.adaptive_avg_pool1d(a[0], 3), lambda F, a: F.adaptive_avg_pool2d(a, 2),
    lambda F, a: F.adaptive_avg_pool3d(a.unsqueeze(0), 2)])
@pytest.mark.parametrize("dtype", [np.int32, np.int16, np.int8, np.uint8, np.bool_])
def test_avg_pool_other_integers_unsupported(call, dtype):
    x = rng.integers(0, 5, (1, 2, 5, 6)).astype(dtype)
    t, l = raise_both(call, x, exc=NotImplementedError)
    assert l == t


def test_adaptive_avg_pool_int64_and_avg_pool3d_half_unsupported():
    x = rng.integers(0, 5, (1, 2, 4, 4))
    for call in (lambda F, a: F.adaptive_avg_pool2d(a, 2), lambda F, a: F.adaptive_avg_pool3d(a, 2)):
        t, l = raise_both(call, x, exc=NotImplementedError)
        assert l == t
    t, l = raise_both(lambda F, a: F.avg_pool3d(a, 2), x.astype(np.float16), exc=NotImplementedError)
    assert l == t


@pytest.mark.parametrize("size", [0, (0, 2), (2, 0), (None, 0)])
def test_adaptive_avg_pool2d_size_zero(size):
    x = rng.standard_normal((1, 2, 4, 4))
    _same(TF.adaptive_avg_pool2d(torch.tensor(x), size), LF.adaptive_avg_pool2d(lt.tensor(x), size))
    _same(tnn.AdaptiveAvgPool2d(size)(torch.tensor(x[0])), lnn.AdaptiveAvgPool2d(size)(lt.tensor(x[0])))
    _same(TF.adaptive_avg_pool1d(torch.tensor(x[0]), 0), LF.adaptive_avg_pool1d(lt.tensor(x[0]), 0))


@pytest.mark.parametrize("shape, size", [((1, 2, 0, 4), 2), ((2, 0, 4), 2), ((1, 2, 4, 4), -1),
                                         ((1, 2, 4, 4), (2, -3))])
def test_adaptive_avg_pool2d_bad_sizes(shape, size):
    t, l = raise_both(lambda F, a: F.adaptive_avg_pool2d(a, size), np.ones(shape), exc=RuntimeError)
    assert l == t


# ---- RMSNorm dtypes -------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Mismatch dtype")
@pytest.mark.parametrize("module_dtype, input_dtype", [("float64", "float32"), ("float32", "float64"),
                                                       ("float16", "float32"), ("float32", "float16"),
                                                       ("float16", "float16")])
def test_rms_norm_keeps_input_dtype(module_dtype, input_dtype):
    x = rng.standard_normal((3, 5)) * 1e-3  # small: eps (float32's for float16 input) matters
    w = rng.standard_normal(5)
    res = []
    for lib in (torch, lt):
        xx = lib.tensor(x, dtype=getattr(lib, input_dtype), requires_grad=True)
        m = lib.nn.RMSNorm(5).to(getattr(lib, module_dtype))
        with lib.no_grad():
            m.weight.copy_(lib.tensor(w))
        y = m(xx)
        y.sum().backward()
        res.append((y, xx.grad, m.weight.grad))
    tol = 2e-3 if "float16" in (module_dtype, input_dtype) else 1e-4
    for a, b in zip(*res):
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(b.detach().double().numpy(), a.detach().double().numpy(),
                                   rtol=tol, atol=tol)


@pytest.mark.parametrize("fn", [
    lambda F, a, w: F.layer_norm(a, (4,), w), lambda F, a, w: F.group_norm(a, 2, w),
])
@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.float64, np.float32),
                                    (np.float32, np.float16)])
def test_norm_mixed_dtypes(fn, dtypes):
    x, w = rng.standard_normal((2, 4)).astype(dtypes[0]), np.ones(4, dtypes[1])
    t, l = raise_both(fn, x, w, exc=RuntimeError)
    assert l == t


# ---- activations on integers ----------------------------------------------------------------------
_INT_ACTIVATIONS = [
    lambda F, x: F.elu(x), lambda F, x: F.selu(x), lambda F, x: F.celu(x), lambda F, x: F.leaky_relu(x),
    lambda F, x: F.gelu(x), lambda F, x: F.silu(x), lambda F, x: F.mish(x), lambda F, x: F.softplus(x),
    lambda F, x: F.hardsigmoid(x), lambda F, x: F.hardswish(x), lambda F, x: F.logsigmoid(x),
    lambda F, x: F.softshrink(x), lambda F, x: F.hardshrink(x), lambda F, x: F.glu(x),
    lambda F, x: F.softmax(x, 0), lambda F, x: F.softmax(x, 1), lambda F, x: F.log_softmax(x, 0),
    lambda F, x: F.log_softmax(x, -1), lambda F, x: F.softmin(x, 0), lambda F, x: F.rrelu(x),
    lambda F, x: F.rrelu(x, training=True), lambda F, x: F.leaky_relu(x, inplace=True),
    lambda F, x: F.silu(x, inplace=True), lambda F, x: F.elu_(x), lambda F, x: F.layer_norm(x, (2,)),
    lambda F, x: F.group_norm(x, 1), lambda F, x: F.instance_norm(x[None]), lambda F, x: F.rms_norm(x, (2,)),
    lambda F, x: F.batch_norm(x, None, None, training=True),
    lambda F, x: F.prelu(x, x[0, :1]), lambda F, x: F.prelu(x, x[0, :1] * 0.5),
]


@pytest.mark.parametrize("fn", _INT_ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_activation_integer_input_raises(fn, dtype):
    x = np.array([[-2, 1], [3, 0]]).astype(dtype)
    t, l = raise_both(fn, x)
    assert l == t


@pytest.mark.parametrize("fn", [lambda F, x: F.hardtanh(x), lambda F, x: F.relu6(x),
                                lambda F, x: F.hardtanh(x, -1.0, 5.0), lambda F, x: F.threshold(x, 0.5, 1.0),
                                lambda F, x: F.celu(x.double(), 0.0),
                                lambda F, x: F.softshrink(x.float(), -1),
                                lambda F, x: F.prelu(x.double(), x[0, :1].float())])
def test_activation_bool_and_uint8_errors(fn):
    for x in (np.array([[0, 1], [1, 0]], dtype=np.bool_), np.array([[2, 1], [3, 0]], dtype=np.uint8)):
        try:
            fn(TF, torch.tensor(x))
        except (RuntimeError, NotImplementedError) as e:
            with pytest.raises(type(e)) as l_err:
                fn(LF, lt.tensor(x))
            assert str(l_err.value) == str(e)
        else:
            run_both(fn, x, grad=False)


# ---- BCE-like losses: non-differentiable arguments, target gradient at 0 and 1 --------------------
@pytest.mark.parametrize("fn, arg", [
    (lambda F, x, t, w: F.binary_cross_entropy(x, t, w), "weight"),
    (lambda F, x, t, w: F.binary_cross_entropy(x, t, w[:1], reduction="sum"), "weight"),
    (lambda F, x, t, w: F.binary_cross_entropy_with_logits(x, t, w), "weight"),
    (lambda F, x, t, w: F.binary_cross_entropy_with_logits(x, t, pos_weight=w), "pos_weight"),
    (lambda F, x, t, w: F.soft_margin_loss(x, w), "target"),
])
def test_loss_non_differentiable_argument(fn, arg):
    x, t, w = rng.uniform(0.1, 0.9, 4), rng.uniform(0, 1, 4), rng.uniform(0.5, 2, 4)
    msgs = []
    for lib, F in ((torch, TF), (lt, LF)):
        with pytest.raises(RuntimeError) as err:
            fn(F, lib.tensor(x), lib.tensor(t), lib.tensor(w, requires_grad=True))
        msgs.append(str(err.value))
        with lib.no_grad():  # no graph: nothing to refuse
            fn(F, lib.tensor(x), lib.tensor(t), lib.tensor(w, requires_grad=True))
    assert msgs[1] == msgs[0] and f"argument '{arg}'" in msgs[0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_gradients_at_zero_and_one(reduction):
    x, t = np.array([0.0, 1.0, 0.3, 0.7, 0.0]), np.array([0.2, 0.6, 1.0, 0.0, 0.0])
    run_both(lambda F, a, b: F.binary_cross_entropy(a, b, reduction=reduction), x, t, tol=1e-9)
