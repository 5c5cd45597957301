"""nn.functional against NumPy formulas, plus float64 finite-difference gradient checks."""

import math

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn.functional as F
from lanterna.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def t64(*shape, low=None, grad=True):
    a = rng.standard_normal(shape) if low is None else rng.uniform(low[0], low[1], shape)
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def close(a, b, tol=1e-8):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    return np.allclose(a, b, atol=tol, rtol=tol)


# ---- references ---------------------------------------------------------------------------------
def conv2d_ref(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                hs, ws = i * stride[0], j * stride[1]
                patch = xp[:, g * cg:(g + 1) * cg, hs:hs + dilation[0] * (kh - 1) + 1:dilation[0],
                           ws:ws + dilation[1] * (kw - 1) + 1:dilation[1]]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pool_ref(x, k, s, p, fn, pad_value):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad_value)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = fn(xp[:, :, i * s:i * s + k, j * s:j * s + k], axis=(2, 3))
    return out


# ---- activations --------------------------------------------------------------------------------
def _sig(x):
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = [
    ("relu", lambda x: F.relu(x), lambda a: np.maximum(a, 0)),
    ("relu6", lambda x: F.relu6(x * 4), lambda a: np.clip(a * 4, 0, 6)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda a: np.where(a > 0, a, 0.2 * a)),
    ("elu", lambda x: F.elu(x, 1.5), lambda a: np.where(a > 0, a, 1.5 * (np.exp(a) - 1))),
    ("selu", lambda x: F.selu(x), lambda a: 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 * (np.exp(a) - 1))),
    ("celu", lambda x: F.celu(x, 0.5), lambda a: np.maximum(a, 0) + np.minimum(0, 0.5 * (np.exp(a / 0.5) - 1))),
    ("gelu", lambda x: F.gelu(x), lambda a: 0.5 * a * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))),
    ("silu", lambda x: F.silu(x), lambda a: a * _sig(a)),
    ("mish", lambda x: F.mish(x), lambda a: a * np.tanh(np.log1p(np.exp(a)))),
    ("softplus", lambda x: F.softplus(x, beta=2, threshold=3), lambda a: np.where(2 * a > 3, a, np.log1p(np.exp(2 * a)) / 2)),
    ("softsign", lambda x: F.softsign(x), lambda a: a / (1 + np.abs(a))),
    ("hardtanh", lambda x: F.hardtanh(x, -0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7)),
    ("hardswish", lambda x: F.hardswish(x * 3), lambda a: 3 * a * np.clip(3 * a + 3, 0, 6) / 6),
    ("hardsigmoid", lambda x: F.hardsigmoid(x * 3), lambda a: np.clip(3 * a + 3, 0, 6) / 6),
    ("logsigmoid", lambda x: F.logsigmoid(x), lambda a: np.log(_sig(a))),
    ("tanhshrink", lambda x: F.tanhshrink(x), lambda a: a - np.tanh(a)),
    ("softshrink", lambda x: F.softshrink(x, 0.3), lambda a: np.where(a > 0.3, a - 0.3, np.where(a < -0.3, a + 0.3, 0))),
    ("hardshrink", lambda x: F.hardshrink(x, 0.3), lambda a: np.where(np.abs(a) > 0.3, a, 0)),
    ("threshold", lambda x: F.threshold(x, 0.1, -2.0), lambda a: np.where(a > 0.1, a, -2.0)),
    ("sigmoid", lambda x: F.sigmoid(x), _sig),
    ("tanh", lambda x: F.tanh(x), np.tanh),
    ("glu", lambda x: F.glu(x, 1), lambda a: a[:, :2] * _sig(a[:, 2:])),
    ("softmax", lambda x: F.softmax(x, 1), lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    ("log_softmax", lambda x: F.log_softmax(x, 0), lambda a: a - np.log(np.exp(a).sum(0, keepdims=True))),
    ("softmin", lambda x: F.softmin(x, 1), lambda a: np.exp(-a) / np.exp(-a).sum(1, keepdims=True)),
]


@pytest.mark.parametrize("name, fn, ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_formula_and_gradcheck(name, fn, ref):
    x = t64(3, 4)
    with torch.no_grad():  # keep inputs off the kinks so finite differences are valid
        x.add_((x.abs() < 0.02).to(x.dtype) * 0.1)
    assert close(fn(x), ref(x.detach().numpy()))
    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("fn", [lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, 1), F.gelu, F.silu, F.elu,
                                F.softplus, F.mish, F.logsigmoid])
def test_activation_double_backward(fn):
    assert gradgradcheck(fn, (t64(2, 3),))


def test_softmax_stable_for_large_logits():
    x = torch.tensor([[1000.0, 1000.0, -1000.0]])
    assert close(F.softmax(x, 1), [[0.5, 0.5, 0.0]])
    assert close(F.log_softmax(x, 1), [[-math.log(2), -math.log(2), -2000 - math.log(2)]], 1e-4)
    assert torch.isfinite(F.log_softmax(torch.tensor([1e30, 0.0]), 0)).all()


def test_softmax_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        out = F.softmax(torch.ones(2, 3))
    assert close(out, np.full((2, 3), 1 / 3))


def test_prelu():
    x = t64(2, 3, 2)
    w = t64(3)
    ref = np.where(x.detach().numpy() > 0, x.detach().numpy(), w.detach().numpy().reshape(3, 1) * x.detach().numpy())
    assert close(F.prelu(x, w), ref)
    assert gradcheck(F.prelu, (x, w))


def test_inplace_activations_write_into_input():
    x = torch.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and close(x, [0, 2])
    y = torch.tensor([-1.0, 2.0])
    F.leaky_relu_(y, 0.5)
    assert close(y, [-0.5, 2])
    z = torch.tensor([-9.0, 9.0])
    F.hardtanh(z, inplace=True)
    assert close(z, [-1, 1])


# ---- linear -----------------------------------------------------------------------------------
def test_linear_formula_gradcheck_and_double_backward():
    x, w, b = t64(4, 3), t64(2, 3), t64(2)
    ref = x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy()
    assert close(F.linear(x, w, b), ref)
    assert F.linear(x, w, b).grad_fn.name() == "AddmmBackward0"
    assert F.linear(x, w).grad_fn.name() == "MmBackward0"
    assert gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(F.linear, (x, w, b))
    x3 = t64(2, 2, 3)
    assert F.linear(x3, w, b).shape == (2, 2, 2)
    assert gradcheck(F.linear, (x3, w))
    assert F.linear(t64(3), w, b).shape == (2,)


def test_linear_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 5x4\)"):
        F.linear(torch.randn(2, 3), torch.randn(4, 5))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 5x4\)"):
        F.linear(torch.randn(2, 2, 3), torch.randn(4, 5))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        F.linear(torch.randn(2, 3).double(), torch.randn(4, 3), torch.randn(4))


def test_bilinear():
    x1, x2, w, b = t64(3, 2), t64(3, 4), t64(5, 2, 4), t64(5)
    ref = np.einsum("bi,oij,bj->bo", x1.detach().numpy(), w.detach().numpy(), x2.detach().numpy()) + b.detach().numpy()
    assert close(F.bilinear(x1, x2, w, b), ref)
    assert gradcheck(F.bilinear, (x1, x2, w, b))


# ---- convolution ------------------------------------------------------------------------------
CONV_CASES = [
    dict(),
    dict(stride=(2, 1)),
    dict(padding=(1, 2)),
    dict(dilation=(2, 1), padding=(2, 0)),
    dict(groups=2),
]


@pytest.mark.parametrize("kw", CONV_CASES, ids=[str(k) for k in CONV_CASES])
def test_conv2d_formula_and_gradcheck(kw):
    g = kw.get("groups", 1)
    x, w, b = t64(2, 4, 5, 5), t64(4, 4 // g, 3, 2), t64(4)
    ref = conv2d_ref(x.detach().numpy(), w.detach().numpy(), b.detach().numpy(), **{
        k: v for k, v in kw.items()})
    out = F.conv2d(x, w, b, **kw)
    assert out.grad_fn.name() == "ConvolutionBackward0"
    assert close(out, ref)
    small_x, small_w = t64(1, 2 * g, 4, 4), t64(2, 2, 2, 2)
    assert gradcheck(lambda a, c, d: F.conv2d(a, c, d, **kw), (small_x, small_w, t64(2)))


def test_conv2d_double_backward():
    x, w = t64(1, 2, 4, 4), t64(2, 2, 2, 2)
    assert gradgradcheck(lambda a, c: F.conv2d(a, c, stride=2, padding=1), (x, w))


def test_conv2d_same_valid_unbatched_and_errors():
    x, w = t64(1, 2, 6, 5), t64(3, 2, 4, 3)
    same = F.conv2d(x, w, padding="same")
    assert same.shape == (1, 3, 6, 5)
    # PyTorch puts the odd extra padding row/column at the end
    ref = conv2d_ref(np.pad(x.detach().numpy(), ((0, 0), (0, 0), (1, 2), (1, 1))), w.detach().numpy())
    assert close(same, ref)
    assert F.conv2d(x, w, padding="valid").shape == (1, 3, 3, 3)
    assert F.conv2d(x[0], w).shape == (3, 3, 3)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got "
                                           r"input of size: \[2, 3\]"):
        F.conv2d(torch.randn(2, 3), torch.randn(1, 1, 1, 1))
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[6, 3, 5, 5\], expected input\[1, 1, 28, 28\] "
                                           r"to have 3 channels, but got 1 channels instead"):
        F.conv2d(torch.randn(1, 1, 28, 28), torch.randn(6, 3, 5, 5))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(torch.randn(1, 3, 4, 4), torch.randn(6, 3, 5, 5))
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(torch.randn(1, 3, 8, 8), torch.randn(6, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(torch.randn(1, 3, 8, 8).double(), torch.randn(6, 3, 5, 5))


def test_conv1d_matches_conv2d_of_height_one():
    x, w, b = t64(2, 3, 7), t64(4, 3, 3), t64(4)
    ref = conv2d_ref(x.detach().numpy()[:, :, None], w.detach().numpy()[:, :, None], b.detach().numpy(),
                     stride=(1, 2), padding=(0, 1))[:, :, 0]
    assert close(F.conv1d(x, w, b, stride=2, padding=1), ref)
    assert gradcheck(lambda a, c: F.conv1d(a, c, padding=1), (t64(1, 2, 5), t64(2, 2, 3)))


def test_conv_transpose2d_is_adjoint_of_conv2d():
    # <conv(x, w), y> == <x, conv_transpose(y, w)> when the geometries match
    x, w = t64(2, 3, 5, 6, grad=False), t64(4, 3, 3, 3, grad=False)
    y = t64(2, 4, 3, 3, grad=False)
    lhs = float((F.conv2d(x, w, stride=2, padding=1) * y).sum())
    xt = F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=(0, 1))
    assert xt.shape == (2, 3, 5, 6)
    assert math.isclose(lhs, float((x * xt).sum()), rel_tol=1e-9)


def test_conv_transpose_gradcheck_and_groups():
    assert gradcheck(lambda a, c, d: F.conv_transpose2d(a, c, d, stride=2, padding=1, output_padding=1),
                     (t64(1, 2, 3, 3), t64(2, 2, 2, 2), t64(2)))
    assert gradcheck(lambda a, c: F.conv_transpose2d(a, c, groups=2), (t64(1, 4, 2, 2), t64(4, 1, 2, 2)))
    assert gradcheck(lambda a, c: F.conv_transpose1d(a, c, stride=2), (t64(1, 2, 3), t64(2, 3, 2)))
    assert gradgradcheck(lambda a, c: F.conv_transpose2d(a, c, stride=2), (t64(1, 1, 2, 2), t64(1, 2, 2, 2)))


def test_unfold_fold():
    x = t64(1, 2, 4, 5)
    cols = F.unfold(x, (2, 3), padding=1, stride=2)
    ref = conv2d_ref(x.detach().numpy().reshape(2, 1, 4, 5), np.eye(6).reshape(6, 1, 2, 3), padding=(1, 1),
                     stride=(2, 2)).reshape(1, 12, -1)
    assert close(cols, ref)
    assert gradcheck(lambda a: F.fold(a, (3, 3), 2), (t64(1, 4, 4),))
    ones = torch.ones(1, 4, 4, dtype=torch.float64)
    # fold sums overlapping windows: the centre of a 3x3 image is covered by all four 2x2 windows
    assert float(F.fold(ones, (3, 3), 2)[0, 0, 1, 1]) == 4.0


# ---- pooling ------------------------------------------------------------------------------------
@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_max_and_avg_pool_formula_and_gradcheck(k, s, p):
    x = t64(2, 2, 5, 5)
    a = x.detach().numpy()
    assert close(F.max_pool2d(x, k, s, p), pool_ref(a, k, s, p, np.max, -np.inf))
    assert close(F.avg_pool2d(x, k, s, p), pool_ref(a, k, s, p, np.sum, 0) / (k * k))
    small = t64(1, 1, 4, 4)
    assert gradcheck(lambda t: F.max_pool2d(t, k, s, p), (small,))
    assert gradcheck(lambda t: F.avg_pool2d(t, k, s, p), (small,))


def test_pool_double_backward_and_indices():
    assert gradgradcheck(lambda t: F.max_pool2d(t, 2), (t64(1, 1, 4, 4),))
    assert gradgradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1), (t64(1, 1, 4, 4),))
    x = torch.tensor([[[[1.0, 5.0, 2.0], [3.0, 4.0, 9.0], [0.0, 7.0, 8.0]]]])
    out, idx = F.max_pool2d(x, 2, 1, return_indices=True)
    assert close(out, [[[[5, 9], [7, 9]]]])
    assert idx.tolist() == [[[[1, 5], [7, 5]]]]
    assert close(F.max_unpool2d(out, idx, 2, 1), [[[[0, 5, 0], [0, 0, 9], [0, 7, 0]]]])


def test_pool_ceil_mode_count_include_pad_and_nan():
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    assert close(F.avg_pool2d(x, 2, ceil_mode=True), [[[[3, 5, 6.5], [13, 15, 16.5], [20.5, 22.5, 24]]]])
    assert close(F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [[[[3, 4.5, 6], [10.5, 12, 13.5], [18, 19.5, 21]]]])
    assert close(F.max_pool2d(x, 2, ceil_mode=True), [[[[6, 8, 9], [16, 18, 19], [21, 23, 24]]]])
    y = x.clone()
    y[0, 0, 0, 0] = float("nan")
    assert math.isnan(float(F.max_pool2d(y, 2)[0, 0, 0, 0]))
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match=r"Output size is too small"):
        F.max_pool2d(torch.randn(1, 3, 2, 2), 3)


def test_pool1d_and_adaptive():
    x = t64(2, 3, 7)
    a = x.detach().numpy()
    assert close(F.max_pool1d(x, 3, 2), np.stack([a[:, :, i:i + 3].max(-1) for i in range(0, 5, 2)], -1))
    assert close(F.avg_pool1d(x, 3, 2), np.stack([a[:, :, i:i + 3].mean(-1) for i in range(0, 5, 2)], -1))
    y = t64(1, 2, 5, 7)
    b = y.detach().numpy()
    ref = np.zeros((1, 2, 3, 2))
    for i in range(3):
        for j in range(2):
            h0, h1 = (i * 5) // 3, -(-(i + 1) * 5 // 3)
            w0, w1 = (j * 7) // 2, -(-(j + 1) * 7 // 2)
            ref[:, :, i, j] = b[:, :, h0:h1, w0:w1].mean((2, 3))
    assert close(F.adaptive_avg_pool2d(y, (3, 2)), ref)
    assert close(F.adaptive_avg_pool2d(y, 1), b.mean((2, 3), keepdims=True))
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 2)), (t64(1, 1, 5, 4),))
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, (2, 3)), (t64(1, 1, 5, 4),))
    out, idx = F.adaptive_max_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    assert idx.tolist() == [[[[5, 7], [13, 15]]]] and close(out, [[[[5, 7], [13, 15]]]])


# ---- normalisation ------------------------------------------------------------------------------
def test_batch_norm_training_and_running_stats():
    x, w, b = t64(4, 3, 2, 2), t64(3), t64(3)
    rm, rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    out = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1)
    a = x.detach().numpy()
    mean, var = a.mean((0, 2, 3)), a.var((0, 2, 3))
    ref = (a - mean.reshape(1, 3, 1, 1)) / np.sqrt(var.reshape(1, 3, 1, 1) + 1e-5)
    ref = ref * w.detach().numpy().reshape(1, 3, 1, 1) + b.detach().numpy().reshape(1, 3, 1, 1)
    assert close(out, ref) and out.grad_fn.name() == "NativeBatchNormBackward0"
    assert close(rm, 0.1 * mean) and close(rv, 0.9 + 0.1 * var * 16 / 15)
    ev = F.batch_norm(x, rm, rv, w, b, training=False)
    ref_ev = (a - rm.numpy().reshape(1, 3, 1, 1)) / np.sqrt(rv.numpy().reshape(1, 3, 1, 1) + 1e-5)
    assert close(ev, ref_ev * w.detach().numpy().reshape(1, 3, 1, 1) + b.detach().numpy().reshape(1, 3, 1, 1))
    assert gradcheck(lambda t, c, d: F.batch_norm(t, None, None, c, d, True), (t64(3, 2, 2), t64(2), t64(2)))
    assert gradcheck(lambda t, c, d: F.batch_norm(t, rm[:2], rv[:2], c, d, False), (t64(3, 2), t64(2), t64(2)))
    assert gradgradcheck(lambda t, c: F.batch_norm(t, None, None, c, None, True), (t64(3, 2), t64(2)))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(torch.randn(1, 3), None, None, training=True)


def test_layer_group_instance_norm():
    x, w, b = t64(2, 3, 4), t64(3, 4), t64(3, 4)
    a = x.detach().numpy()
    mean, var = a.mean((1, 2), keepdims=True), a.var((1, 2), keepdims=True)
    ref = (a - mean) / np.sqrt(var + 1e-5) * w.detach().numpy() + b.detach().numpy()
    assert close(F.layer_norm(x, (3, 4), w, b), ref)
    assert gradcheck(lambda t, c, d: F.layer_norm(t, (4,), c, d), (t64(2, 4), t64(4), t64(4)))
    assert gradgradcheck(lambda t, c: F.layer_norm(t, (3,), c), (t64(2, 3), t64(3)))
    y, gw, gb = t64(2, 4, 3), t64(4), t64(4)
    c = y.detach().numpy().reshape(2, 2, -1)
    gref = ((c - c.mean(-1, keepdims=True)) / np.sqrt(c.var(-1, keepdims=True) + 1e-5)).reshape(2, 4, 3)
    gref = gref * gw.detach().numpy().reshape(1, 4, 1) + gb.detach().numpy().reshape(1, 4, 1)
    assert close(F.group_norm(y, 2, gw, gb), gref)
    assert gradcheck(lambda t, c2, d: F.group_norm(t, 2, c2, d), (t64(2, 4, 2), t64(4), t64(4)))
    z = t64(2, 3, 4)
    e = z.detach().numpy()
    assert close(F.instance_norm(z), (e - e.mean(-1, keepdims=True)) / np.sqrt(e.var(-1, keepdims=True) + 1e-5))
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\]"):
        F.layer_norm(torch.randn(2, 4), (5,))


def test_local_response_norm_and_rms_norm():
    x = t64(1, 4, 2, 2)
    a = x.detach().numpy()
    sq = np.pad(a ** 2, ((0, 0), (1, 1), (0, 0), (0, 0)))
    div = np.stack([sq[:, c:c + 3].sum(1) / 3 for c in range(4)], 1)
    assert close(F.local_response_norm(x, 3), a / (1 + 1e-4 * div) ** 0.75)
    w = t64(2)
    y = t64(3, 2)
    ref = y.detach().numpy() / np.sqrt((y.detach().numpy() ** 2).mean(-1, keepdims=True) + 1e-6) * w.detach().numpy()
    assert close(F.rms_norm(y, (2,), w, 1e-6), ref)


# ---- dropout ------------------------------------------------------------------------------------
def test_dropout_statistics_scaling_and_eval():
    torch.manual_seed(0)
    x = torch.ones(200, 100)
    out = F.dropout(x, 0.3, training=True)
    kept = out != 0
    assert abs(float(kept.float().mean()) - 0.7) < 0.02
    assert close(out[kept], np.full(int(kept.sum()), 1 / 0.7), 1e-6)
    assert F.dropout(x, 0.3, training=False) is x
    assert float(F.dropout(x, 1.0).abs().sum()) == 0.0
    y = torch.ones(4, 6, 3, 3, requires_grad=True)
    out2 = F.dropout2d(y, 0.5)
    flat = out2.detach().reshape(4, 6, 9)
    assert bool(((flat == 0).all(-1) | (flat == 2).all(-1)).all())  # whole channels dropped
    out2.sum().backward()
    assert close(y.grad, out2.detach())
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)


def test_alpha_dropout_keeps_moments():
    torch.manual_seed(1)
    x = torch.randn(100000)
    out = F.alpha_dropout(x, 0.2, training=True)
    assert abs(float(out.mean())) < 0.02 and abs(float(out.std()) - 1) < 0.02


# ---- embedding, one-hot, padding, resampling, distances -----------------------------------------
def test_embedding_padding_idx_and_freq_scaling():
    w = t64(5, 3)
    idx = torch.tensor([[0, 2, 2], [4, 0, 1]])
    out = F.embedding(idx, w, padding_idx=2)
    assert close(out, w.detach().numpy()[idx.numpy()]) and out.grad_fn.name() == "EmbeddingBackward0"
    out.sum().backward()
    assert close(w.grad, [[2] * 3, [1] * 3, [0] * 3, [0] * 3, [1] * 3])
    w.grad = None
    F.embedding(idx, w, scale_grad_by_freq=True).sum().backward()
    assert close(w.grad, [[1] * 3, [1] * 3, [1] * 3, [0] * 3, [1] * 3])
    assert gradcheck(lambda t: F.embedding(idx, t), (t64(5, 2),))
    assert gradgradcheck(lambda t: F.embedding(idx, t) ** 2, (t64(5, 2),))
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(torch.tensor([5]), w)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int"):
        F.embedding(torch.tensor([1.0]), w)


def test_embedding_max_norm_renormalises_rows_in_place():
    w = torch.tensor([[3.0, 4.0], [0.3, 0.4]])
    F.embedding(torch.tensor([0, 1]), w, max_norm=1.0)
    assert close(w, [[0.6, 0.8], [0.3, 0.4]], 1e-6)


def test_one_hot():
    assert F.one_hot(torch.tensor([0, 2])).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(torch.tensor([[1]]), 3).shape == (1, 1, 3)
    assert F.one_hot(torch.tensor([1])).dtype == torch.int64
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(torch.tensor([3]), 2)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes(mode):
    x = t64(1, 1, 3, 4)
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    ref = np.pad(x.detach().numpy(), ((0, 0), (0, 0), (2, 1), (1, 2)), mode=np_mode)
    assert close(F.pad(x, (1, 2, 2, 1), mode=mode), ref)
    assert gradcheck(lambda t: F.pad(t, (1, 2, 2, 1), mode=mode), (x,))


def test_pad_negative_and_value():
    x = torch.arange(6.0).reshape(2, 3)
    assert close(F.pad(x, (-1, 1), value=9.0), [[1, 2, 9], [4, 5, 9]])
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1,))


def _bilinear_ref(a, oh, ow, align):
    n, c, h, w = a.shape

    def coords(o, i):
        if align:
            return np.arange(o) * ((i - 1) / (o - 1) if o > 1 else 0)
        return np.maximum((np.arange(o) + 0.5) * i / o - 0.5, 0)

    ys, xs = coords(oh, h), coords(ow, w)
    y0 = np.minimum(np.floor(ys).astype(int), h - 1)
    x0 = np.minimum(np.floor(xs).astype(int), w - 1)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    ly, lx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = a[:, :, y0][:, :, :, x0] * (1 - lx) + a[:, :, y0][:, :, :, x1] * lx
    bot = a[:, :, y1][:, :, :, x0] * (1 - lx) + a[:, :, y1][:, :, :, x1] * lx
    return top * (1 - ly) + bot * ly


def test_interpolate_nearest_bilinear_area():
    x = t64(1, 2, 3, 4)
    a = x.detach().numpy()
    assert close(F.interpolate(x, scale_factor=2), a.repeat(2, 2).repeat(2, 3))
    assert close(F.interpolate(x, size=(5, 7), mode="bilinear"), _bilinear_ref(a, 5, 7, False))
    assert close(F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True), _bilinear_ref(a, 5, 7, True))
    assert close(F.interpolate(x, size=(1, 2), mode="area"), a.reshape(1, 2, 1, 3, 2, 2).mean((3, 5)))
    assert gradcheck(lambda t: F.interpolate(t, size=(3, 5), mode="bilinear"), (t64(1, 1, 2, 3),))
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=2, mode="nearest"), (t64(1, 1, 2, 2),))
    assert gradcheck(lambda t: F.interpolate(t, size=(4, 5), mode="bicubic"), (t64(1, 1, 3, 3),))
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)


def test_distances():
    x1, x2 = t64(3, 4), t64(3, 4)
    a, b = x1.detach().numpy(), x2.detach().numpy()
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert close(F.cosine_similarity(x1, x2), cos)
    assert close(F.pairwise_distance(x1, x2), np.linalg.norm(a - b + 1e-6, axis=1))
    assert close(F.normalize(x1), a / np.linalg.norm(a, axis=1, keepdims=True))
    assert close(F.pdist(x1), [np.linalg.norm(a[i] - a[j]) for i in range(3) for j in range(i + 1, 3)])
    assert gradcheck(F.cosine_similarity, (x1, x2))
    assert gradcheck(F.pairwise_distance, (x1, x2))
    assert gradcheck(F.normalize, (x1,))


def test_pixel_shuffle_roundtrip():
    x = t64(1, 8, 2, 3)
    y = F.pixel_shuffle(x, 2)
    assert y.shape == (1, 2, 4, 6)
    assert close(y[0, 0, 1, 0], x.detach().numpy()[0, 2, 0, 0])  # channel c*4 + i*2 + j -> (i, j) offset
    assert close(F.pixel_unshuffle(y, 2), x.detach().numpy())


def test_conv_workspace_reuse_never_aliases_live_graphs():
    """im2col buffers are recycled between steps: live graphs must keep their own, results must not
    depend on what ran before."""
    from lanterna.ops import nn_conv

    w = torch.randn(8, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    xs = [torch.randn(16, 3, 20, 20, dtype=torch.float64) for _ in range(3)]

    def grad_for(x):
        w.grad = None
        (F.conv2d(x, w, padding=1) ** 2).sum().backward()
        return w.grad.clone()

    first = [grad_for(x) for x in xs]
    nn_conv.POOL.clear()
    again = [grad_for(x) for x in reversed(xs)][::-1]
    for a, b in zip(first, again):
        assert close(a, b.numpy(), 1e-12)
    w.grad = None
    ys = [(F.conv2d(x, w, padding=1) ** 2).sum() for x in xs]  # three graphs alive at once
    for y in ys:
        y.backward()
    assert close(w.grad, sum(g.numpy() for g in first), 1e-10)
