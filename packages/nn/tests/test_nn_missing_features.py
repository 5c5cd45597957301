"""Fractional max pooling, bicubic ``grid_sample`` and antialiased ``interpolate``: values against
direct definitions (loops over pixels on small inputs, hand-computed cases), float64 gradients by
finite differences, the modules and PyTorch's argument errors."""

import itertools
import math

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F
from lanterna.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def t64(*shape, grad=True):
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=grad)


# ---- fractional max pooling -------------------------------------------------------------------
def intervals_ref(u, n_in, n_out, pool, dtype):
    """PyTorch's generate_intervals, one window start at a time, in ``dtype`` arithmetic."""
    u = dtype(u)
    seq = [0] * n_out
    if n_out > 1:
        alpha = dtype(n_in - pool) / dtype(n_out - 1)
        for i in range(n_out - 1):
            seq[i] = int((dtype(i) + u) * alpha) - int(u * alpha)
    if n_out > 0:
        seq[-1] = n_in - pool
    return seq


def fractional_ref(x, k, out, samples):
    """Max and first argmax (flat index into each plane) of every window, by loops over pixels.
    ``samples`` are (w, h) in 2-D, (t, h, w) in 3-D, as PyTorch reads them."""
    nd = len(k)
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    y = np.zeros((n, c) + tuple(out), dtype=x.dtype)
    idx = np.zeros((n, c) + tuple(out), dtype=np.int64)
    for b, ch in itertools.product(range(n), range(c)):
        u = samples[b, ch][::-1] if nd == 2 else samples[b, ch]
        starts = [intervals_ref(u[a], spatial[a], out[a], k[a], x.dtype.type) for a in range(nd)]
        for cell in itertools.product(*(range(o) for o in out)):
            window = tuple(slice(starts[a][cell[a]], starts[a][cell[a]] + k[a]) for a in range(nd))
            block = x[b, ch][window]
            j = int(np.argmax(block))
            y[(b, ch) + cell] = block.reshape(-1)[j]
            pos = np.unravel_index(j, block.shape)
            idx[(b, ch) + cell] = np.ravel_multi_index(
                tuple(starts[a][cell[a]] + pos[a] for a in range(nd)), spatial
            )
    return y, idx


def test_fractional_max_pool2d_hand_computed():
    # 5 wide, windows of 2, 2 outputs: alpha = 3, so the windows start at 0 and 3
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    y, i = F.fractional_max_pool2d(x, 2, output_size=2, return_indices=True,
                                   _random_samples=torch.full((1, 1, 2), 0.5))
    assert y.tolist() == [[[[6.0, 9.0], [21.0, 24.0]]]]
    assert i.tolist() == [[[[6, 9], [21, 24]]]]
    assert i.dtype is torch.int64


def test_fractional_intervals_are_computed_in_the_input_dtype():
    # u = 0.8, 6 -> 4 windows of 1: alpha = 5/3, and (1 + u) * alpha is 3 in exact arithmetic, just
    # under it in float32 (start 1) and at it in float64 (start 2), as PyTorch's float and double
    for dtype, starts in ((torch.float32, [0, 1, 3, 5]), (torch.float64, [0, 2, 3, 5])):
        x = torch.arange(6.0, dtype=dtype).reshape(1, 1, 1, 6)
        s = torch.tensor([[[0.8, 0.0]]], dtype=dtype)  # (w, h)
        _, i = F.fractional_max_pool2d(x, 1, output_size=(1, 4), return_indices=True, _random_samples=s)
        assert i.reshape(-1).tolist() == starts
        assert starts == intervals_ref(0.8, 6, 4, 1, dtype.np.type)
    # an increasing row: each window's maximum is its last pixel
    for u in np.linspace(0, 0.99, 12):
        x = torch.arange(13.0).reshape(1, 1, 1, 13)
        _, i = F.fractional_max_pool2d(x, (1, 3), output_size=(1, 4), return_indices=True,
                                       _random_samples=torch.tensor([[[u, 0.0]]], dtype=torch.float32))
        starts = intervals_ref(np.float32(u), 13, 4, 3, np.float32)
        assert i.reshape(-1).tolist() == [s0 + 2 for s0 in starts]


@pytest.mark.parametrize("shape, k, out", [
    ((2, 3, 9, 8), (3, 2), (4, 5)),
    ((1, 2, 6, 7), 2, (5, 6)),
    ((2, 1, 7, 8, 9), (2, 3, 2), (4, 3, 5)),
])
def test_fractional_max_pool_against_loops(shape, k, out):
    nd = len(shape) - 2
    x = np.round(rng.standard_normal(shape), 1)  # ties: the first maximum wins
    s = rng.random((shape[0], shape[1], nd))
    fn = F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d
    y, i = fn(torch.tensor(x), k, output_size=out, return_indices=True, _random_samples=torch.tensor(s))
    ky = (k,) * nd if isinstance(k, int) else k
    ry, ri = fractional_ref(x, ky, out, s)
    np.testing.assert_array_equal(y.numpy(), ry)
    np.testing.assert_array_equal(i.numpy(), ri)


def test_fractional_max_pool_unbatched_and_output_ratio():
    x = t64(3, 10, 11, grad=False)
    s = torch.rand(1, 3, 2, dtype=torch.float64)
    y, i = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.7), return_indices=True, _random_samples=s)
    assert y.shape == (3, 5, 7) and i.shape == (3, 5, 7)  # int(10 * 0.5), int(11 * 0.7)
    yb, ib = F.fractional_max_pool2d(x.unsqueeze(0), 2, output_size=(5, 7), return_indices=True,
                                     _random_samples=s)
    assert torch.equal(y, yb[0]) and torch.equal(i, ib[0])
    # the flat indices read the values back
    assert torch.equal(x.reshape(3, -1).gather(1, i.reshape(3, -1)).reshape(3, 5, 7), y)


def test_fractional_max_pool_nan_and_empty_windows():
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    x[0, 0, 0, 0] = x[0, 0, 0, 1] = float("nan")
    y, i = F.fractional_max_pool2d(x, 2, output_size=4, return_indices=True,
                                   _random_samples=torch.full((1, 1, 2), 0.5))
    assert math.isnan(y[0, 0, 0, 0]) and i[0, 0, 0, 0] == 1  # a NaN wins, the last one
    # windows of size 0: -inf at each window's start (as PyTorch)
    y, i = F.fractional_max_pool2d(torch.ones(1, 1, 5, 5), 0, output_size=1, return_indices=True,
                                   _random_samples=torch.full((1, 1, 2), 0.5))
    assert y.item() == -math.inf and i.item() == 5 * 5 + 5  # the start (5, 5)
    # an empty batch and an empty output
    assert F.fractional_max_pool2d(torch.ones(0, 2, 5, 5), 2, output_size=3).shape == (0, 2, 3, 3)
    assert F.fractional_max_pool2d(torch.ones(1, 2, 5, 5), 2, output_size=(0, 3)).shape == (1, 2, 0, 3)


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_gradcheck(nd):
    if nd == 2:
        x, k, out = t64(2, 2, 7, 6), 3, (4, 3)
    else:
        x, k, out = t64(2, 5, 6, 4), 2, (3, 3, 2)
    s = torch.rand(1 if x.dim() == nd + 1 else x.shape[0], x.shape[-nd - 1], nd, dtype=torch.float64)
    fn = F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d

    def f(x):
        return fn(x, k, output_size=out, _random_samples=s)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))
    assert f(x).grad_fn.name() == f"FractionalMaxPool{nd}DBackward0"


def test_fractional_max_pool_overlapping_windows_add_their_gradients():
    # every window of 3 over 4 pixels holds the maximum (pixel 2): its grad is the sum
    x = torch.tensor([[[[0.0, 1.0, 5.0, 2.0]]]], requires_grad=True)
    y = F.fractional_max_pool2d(x, (1, 3), output_size=(1, 2), _random_samples=torch.full((1, 1, 2), 0.5))
    y.sum().backward()
    assert x.grad.tolist() == [[[[0.0, 0.0, 2.0, 0.0]]]]


def test_fractional_max_pool_draws_its_samples_from_the_global_generator():
    x = t64(2, 3, 11, 12, grad=False)
    torch.manual_seed(7)
    a = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5), return_indices=True)
    torch.manual_seed(7)
    s = torch.rand(2, 3, 2, dtype=torch.float64)  # rand(N, C, 2) in the input's dtype
    b = F.fractional_max_pool2d(x, 2, output_size=(5, 6), return_indices=True, _random_samples=s)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    torch.manual_seed(7)
    x3 = t64(3, 6, 7, 8, grad=False)  # unbatched: rand(1, C, 3)
    c = F.fractional_max_pool3d(x3, 2, output_size=(3, 3, 3))
    torch.manual_seed(7)
    s3 = torch.rand(1, 3, 3, dtype=torch.float64)
    assert torch.equal(c, F.fractional_max_pool3d(x3, 2, output_size=(3, 3, 3), _random_samples=s3))


def test_fractional_max_pool_with_indices_forms():
    x = t64(1, 2, 6, 6, grad=False)
    s = torch.rand(1, 2, 2, dtype=torch.float64)
    y, i = F.fractional_max_pool2d_with_indices(x, 2, (3, 3), _random_samples=s)
    y2, i2 = F.fractional_max_pool2d(x, 2, (3, 3), None, True, s)  # return_indices positional
    assert torch.equal(y, y2) and torch.equal(i, i2)
    assert isinstance(F.fractional_max_pool2d(x, 2, (3, 3), _random_samples=s), torch.Tensor)
    x3 = t64(1, 2, 5, 5, 5, grad=False)
    s3 = torch.rand(1, 2, 3, dtype=torch.float64)
    y3, i3 = F.fractional_max_pool3d_with_indices(x3, 2, (3, 3, 3), _random_samples=s3)
    assert y3.shape == i3.shape == (1, 2, 3, 3, 3)


def _raises(exc, match, fn):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == match, str(info.value)


def test_fractional_max_pool_errors():
    x = torch.zeros(2, 3, 7, 8)
    s = torch.rand(2, 3, 2)
    f2 = F.fractional_max_pool2d
    _raises(ValueError, "fractional_max_pool2d requires specifying either an output_size or an output_ratio",
            lambda: f2(x, 3))
    _raises(ValueError,
            "fractional_max_pool2d requires output_ratio to either be a single Int or tuple of Ints.",
            lambda: f2(x, 3, output_ratio=(0.5, 0.5, 0.5)))
    _raises(RuntimeError, "fractional_max_pool2d(): pool height 3 too large relative to input height 7",
            lambda: f2(x, 3, output_size=(6, 5), _random_samples=s))
    _raises(RuntimeError, "fractional_max_pool2d(): pool width 3 too large relative to input width 8",
            lambda: f2(x, 3, output_size=(5, 7), _random_samples=s))
    _raises(RuntimeError, "fractional_max_pool2d: kernel_size must either be a single Int or tuple of Ints",
            lambda: f2(x, (3, 2, 1), output_size=5, _random_samples=s))
    _raises(RuntimeError, "fractional_max_pool2d: output_size must either be a single Int or tuple of Ints",
            lambda: f2(x, 3, output_size=[5], _random_samples=s))
    _raises(TypeError, "fractional_max_pool2d(): argument 'kernel_size' (position 2) must be tuple of ints, "
            "not float", lambda: f2(x, 3.0, output_size=5, _random_samples=s))
    _raises(RuntimeError, "fractional_max_pool2d(): Expected 3D or 4D tensor, but got: [7, 8]",
            lambda: f2(x[0, 0], 3, output_size=5, _random_samples=s))
    _raises(RuntimeError, "fractional_max_pool2d(): Expected input to have non-zero size for non-batch "
            "dimensions, but got[2, 3, 0, 8] with dimension 2 being empty.",
            lambda: f2(torch.zeros(2, 3, 0, 8), 3, output_size=5, _random_samples=s))
    _raises(RuntimeError, "Trying to create tensor with negative dimension -1: [2, 3, -1, 5]",
            lambda: f2(x, 3, output_size=(-1, 5), _random_samples=s))
    _raises(RuntimeError, "Expect _random_samples to have the same dtype as input",
            lambda: f2(x, 3, output_size=5, _random_samples=s.double()))
    _raises(RuntimeError, "Expect _random_samples to have 3 dimensions, got 2",
            lambda: f2(x, 3, output_size=5, _random_samples=torch.rand(6, 2)))
    _raises(RuntimeError, "Expect _random_samples.size(0) no less then input batch size.",
            lambda: f2(x, 3, output_size=5, _random_samples=torch.rand(1, 3, 2)))
    _raises(RuntimeError, "Expect _random_samples.size(1) equals to input channel size.",
            lambda: f2(x, 3, output_size=5, _random_samples=torch.rand(2, 4, 2)))
    _raises(RuntimeError, "Expect _random_samples.size(2) equals to 2; got 3.",
            lambda: f2(x, 3, output_size=5, _random_samples=torch.rand(2, 3, 3)))
    _raises(NotImplementedError, "\"fractional_max_pool2d_out_frame\" not implemented for 'Long'",
            lambda: f2(x.long(), 3, output_size=5, _random_samples=s.long()))
    _raises(NotImplementedError, "\"check_uniform_bounds\" not implemented for 'Long'",
            lambda: f2(x.long(), 3, output_size=5))
    _raises(RuntimeError,
            "The function 'fractional_max_pool2d' is not differentiable with respect to argument "
            "'random_samples'. This input cannot have requires_grad True.",
            lambda: f2(x, 3, output_size=5, _random_samples=torch.rand(2, 3, 2, requires_grad=True)))
    x3 = torch.zeros(2, 3, 6, 7, 8)
    s3 = torch.rand(2, 3, 3)
    f3 = F.fractional_max_pool3d
    # the 3-D check is strict: the output plus the pool must stay under the input's size
    _raises(RuntimeError, "fractional_max_pool3d_out(): pool time 2 too large relative to input time 6",
            lambda: f3(x3, 2, output_size=(5, 5, 6), _random_samples=s3))
    _raises(RuntimeError, "fractional_max_pool3d_out(): pool width 2 too large relative to input width 8",
            lambda: f3(x3, 2, output_size=(4, 5, 7), _random_samples=s3))
    _raises(RuntimeError,
            "fractional_max_pool3d: kernel_size must either be a single Int or tuple of three Ints",
            lambda: f3(x3, (2, 2), output_size=3, _random_samples=s3))
    _raises(RuntimeError, "fractional_max_pool3d_out(): Expected 4D or 5D tensor, but got: [6, 7, 8]",
            lambda: f3(x3[0, 0], 2, output_size=3, _random_samples=s3))
    _raises(RuntimeError, "Expect _random_samples.size(2) equals to 3; got 2.",
            lambda: f3(x3, 2, output_size=3, _random_samples=s))


def test_fractional_max_pool_modules():
    m = nn.FractionalMaxPool2d(3, output_ratio=0.5)
    assert repr(m) == "FractionalMaxPool2d()"
    assert (m.kernel_size, m.output_size, m.output_ratio) == ((3, 3), None, (0.5, 0.5))
    assert m.return_indices is False
    assert m._random_samples is None and list(m.state_dict()) == []
    assert m(torch.zeros(2, 3, 10, 11)).shape == (2, 3, 5, 5)
    s = torch.rand(1, 2, 3)
    m3 = nn.FractionalMaxPool3d(2, output_size=(2, 3, 4), return_indices=True, _random_samples=s)
    assert list(m3.state_dict()) == ["_random_samples"]
    x = torch.randn(1, 2, 6, 7, 8)
    y, i = m3(x)
    assert torch.equal(y, F.fractional_max_pool3d(x, 2, (2, 3, 4), _random_samples=s))
    assert i.shape == (1, 2, 2, 3, 4)
    _raises(ValueError, "FractionalMaxPool2d requires specifying either an output size, or a pooling ratio",
            lambda: nn.FractionalMaxPool2d(3))
    _raises(ValueError, "only one of output_size and output_ratio may be specified",
            lambda: nn.FractionalMaxPool2d(3, output_size=2, output_ratio=0.5))
    _raises(ValueError, "output_ratio must be between 0 and 1 (got (0.5, 1.0))",
            lambda: nn.FractionalMaxPool2d(3, output_ratio=(0.5, 1.0)))
    _raises(ValueError, "kernel_size must be greater than 0, but got (2, 0, 1)",
            lambda: nn.FractionalMaxPool3d((2, 0, 1), output_ratio=0.5))
    _raises(ValueError, "FractionalMaxPool3d requires specifying either an output size, or a pooling ratio",
            lambda: nn.FractionalMaxPool3d(2))


# ---- grid_sample(mode="bicubic") ----------------------------------------------------------------
A = -0.75


def cubic_weights(t):
    """Keys' cubic convolution weights of the taps at -1, 0, 1, 2 for a fractional part ``t``."""
    def w(d):
        d = abs(d)
        if d <= 1:
            return ((A + 2) * d - (A + 3)) * d * d + 1
        if d < 2:
            return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A
        return 0.0
    return [w(t + 1), w(t), w(1 - t), w(2 - t)]


def tap_ref(p, n, padding, align):
    """Where an integer tap ``p`` reads along an axis of ``n``, or None (zeros padding, outside)."""
    if padding == "border":
        p = min(max(p, 0), n - 1)
    elif padding == "reflection":
        if n == 1:
            return 0
        lo, hi = (0.0, n - 1.0) if align else (-0.5, n - 0.5)
        span = hi - lo
        d = abs(p - lo)
        flips, extra = divmod(d, span)
        p = lo + extra if flips % 2 == 0 else hi - extra
        p = min(max(p, 0), n - 1)
    return int(p) if 0 <= p < n else None


def bicubic_ref(x, grid, padding, align):
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])
    for b, i, j in itertools.product(range(n), range(grid.shape[1]), range(grid.shape[2])):
        gx, gy = grid[b, i, j]
        sx = (gx + 1) / 2 * (w - 1) if align else ((gx + 1) * w - 1) / 2
        sy = (gy + 1) / 2 * (h - 1) if align else ((gy + 1) * h - 1) / 2
        fx, fy = math.floor(sx), math.floor(sy)
        wx, wy = cubic_weights(sx - fx), cubic_weights(sy - fy)
        for a, bb in itertools.product(range(4), range(4)):
            col, row = tap_ref(fx - 1 + a, w, padding, align), tap_ref(fy - 1 + bb, h, padding, align)
            if col is not None and row is not None:
                out[b, :, i, j] += wx[a] * wy[bb] * x[b, :, row, col]
    return out


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_bicubic_against_loops(padding, align):
    x = rng.standard_normal((2, 2, 4, 5))
    grid = rng.uniform(-1.6, 1.6, (2, 3, 4, 2))
    grid[0, 0, 0] = (-1.0, 1.0)
    y = F.grid_sample(torch.tensor(x), torch.tensor(grid), mode="bicubic", padding_mode=padding,
                      align_corners=align)
    np.testing.assert_allclose(y.numpy(), bicubic_ref(x, grid, padding, align), rtol=1e-12, atol=1e-12)


def test_grid_sample_bicubic_interpolates_and_keeps_constants():
    x = t64(1, 2, 4, 5, grad=False)
    theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=torch.float64)
    for align in (False, True):
        grid = F.affine_grid(theta, (1, 2, 4, 5), align_corners=align)  # the pixel centres
        y = F.grid_sample(x, grid, mode="bicubic", align_corners=align)
        torch.testing.assert_close(y, x)
    ones = torch.ones(1, 1, 3, 3, dtype=torch.float64)
    g = torch.tensor(rng.uniform(-2, 2, (1, 5, 5, 2)))
    for padding in ("border", "reflection"):  # every tap reads the input: the weights sum to 1
        y = F.grid_sample(ones, g, mode="bicubic", padding_mode=padding, align_corners=False)
        torch.testing.assert_close(y, torch.ones_like(y))


@pytest.mark.parametrize("padding, align", [("zeros", False), ("border", True), ("reflection", False)])
def test_grid_sample_bicubic_gradcheck(padding, align):
    x = t64(1, 2, 4, 5)
    g = torch.tensor(rng.uniform(-1.3, 1.3, (1, 3, 2, 2)), requires_grad=True)

    def f(x, g):
        return F.grid_sample(x, g, mode="bicubic", padding_mode=padding, align_corners=align)

    assert gradcheck(f, (x, g))
    assert f(x, g).grad_fn.name() == "GridSampler2DBackward0"


def test_grid_sample_bicubic_gradgradcheck():
    x = t64(1, 1, 3, 4)
    g = torch.tensor(rng.uniform(-1.2, 1.2, (1, 2, 2, 2)), requires_grad=True)
    def f(x, g):
        return F.grid_sample(x, g, mode="bicubic", padding_mode="reflection", align_corners=True)

    assert gradgradcheck(f, (x, g))


def test_grid_sample_bicubic_errors():
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(torch.zeros(1, 1, 2, 2, 2), torch.zeros(1, 1, 1, 1, 3), mode="bicubic",
                      align_corners=False)
    _raises(NotImplementedError, "\"grid_sampler_2d_cpu_kernel_impl\" not implemented for 'Long'",
            lambda: F.grid_sample(torch.zeros(1, 1, 2, 2).long(), torch.zeros(1, 1, 1, 2).long(),
                                  mode="bicubic", align_corners=False))


# ---- interpolate(antialias=True) ----------------------------------------------------------------
def test_antialias_bilinear_hand_computed():
    # 4 -> 2: the triangle stretched to a support of 2 pixels each side, weights normalised:
    # centre 1: taps 0, 1, 2 weigh (0.75, 0.75, 0.25) / 1.75; centre 3: taps 1, 2, 3 the mirror
    x = torch.tensor([[[[0.0, 1.0, 2.0, 3.0]]]], dtype=torch.float64)
    y = F.interpolate(x, size=(1, 2), mode="bilinear", antialias=True)
    torch.testing.assert_close(y, torch.tensor([[[[5 / 7, 16 / 7]]]], dtype=torch.float64))


def test_antialias_bicubic_uses_the_a_minus_half_filter():
    # 6 -> 3, scale 2: centre 1 + 2i, support 4; weights of the cubic (a = -0.5) at (j - c + 0.5) / 2
    def keys(d, a=-0.5):
        d = abs(d)
        if d < 1:
            return ((a + 2) * d - (a + 3)) * d * d + 1
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a if d < 2 else 0.0

    x = rng.standard_normal(6)
    expect = []
    for i in range(3):
        c = 2 * (i + 0.5)
        lo, hi = max(int(c - 4 + 0.5), 0), min(int(c + 4 + 0.5), 6)
        w = np.array([keys((j - c + 0.5) / 2) for j in range(lo, hi)])
        expect.append(float(w @ x[lo:hi] / w.sum()))
    y = F.interpolate(torch.tensor(x).reshape(1, 1, 1, 6), size=(1, 3), mode="bicubic", antialias=True)
    np.testing.assert_allclose(y.reshape(-1).numpy(), expect, rtol=1e-12)


def test_antialias_upsampling_bilinear_is_plain_bilinear_and_constants_stay():
    x = t64(2, 3, 5, 4, grad=False)
    a = F.interpolate(x, scale_factor=2.5, mode="bilinear", antialias=True)
    b = F.interpolate(x, scale_factor=2.5, mode="bilinear")
    torch.testing.assert_close(a, b)
    ones = torch.ones(1, 1, 13, 9, dtype=torch.float64)
    for mode in ("bilinear", "bicubic", "lanczos"):
        for size in ((4, 3), (20, 5), (13, 9)):
            y = F.interpolate(ones, size=size, mode=mode, antialias=True)
            torch.testing.assert_close(y, torch.ones(1, 1, *size, dtype=torch.float64))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_antialias_gradcheck(mode):
    x = t64(1, 2, 9, 7)

    def f(x):
        return F.interpolate(x, size=(4, 11), mode=mode, antialias=True)

    assert gradcheck(f, (x,))
    assert f(x).grad_fn.name() == f"Upsample{mode.capitalize()}2DAaBackward0"
    y = F.interpolate(x, size=(9, 7), mode=mode, antialias=True)  # no axis resized: a copy
    assert torch.equal(y, x) and y.data_ptr() != x.data_ptr()


def test_antialias_errors():
    message = ("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
               "tensor as input")
    _raises(ValueError, message,
            lambda: F.interpolate(torch.zeros(1, 1, 4), size=2, mode="linear", antialias=True))
    _raises(ValueError, message, lambda: F.interpolate(torch.zeros(1, 1, 4, 4), size=2, antialias=True))
    _raises(NotImplementedError, "\"compute_index_ranges_weights\" not implemented for 'Half'",
            lambda: F.interpolate(torch.zeros(1, 1, 4, 4).half(), size=2, mode="bilinear", antialias=True))
    _raises(ValueError, "Lanczos mode requires antialias=True",
            lambda: F.interpolate(torch.zeros(1, 1, 4, 4), size=2, mode="lanczos"))
    _raises(ValueError, "Lanczos mode does not support align_corners=True",
            lambda: F.interpolate(torch.zeros(1, 1, 4, 4), size=2, mode="lanczos", align_corners=True,
                                  antialias=True))
