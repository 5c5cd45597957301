"""The fast paths of convolution and pooling give what the general ones give.

Convolutions with few output channels build their im2col matrix block by block (``nn_conv._streamed``);
2x2 max pooling with stride 2 has its own kernel. Both are checked against the general code on the
same data, values and gradients, in float64.
"""

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn.functional as F
from lanterna.ops import nn_conv

rng = np.random.default_rng(0)


def t64(*shape):
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True)


def conv_results(x, w, b, **kw):
    """Output, input/weight/bias gradients and a double-backward weight gradient."""
    for t in (x, w, b):
        t.grad = None
    y = F.conv2d(x, w, b, **kw)
    gy = torch.tensor(rng.standard_normal(tuple(y.shape)), dtype=torch.float64)
    gx, gw = torch.autograd.grad((y * gy).sum(), (x, w), create_graph=True)
    (ggw,) = torch.autograd.grad((gx**2).sum(), (w,))
    (y * gy).sum().backward()
    return [a.detach().numpy().copy() for a in (y, x.grad, w.grad, b.grad, gw, ggw)]


@pytest.mark.parametrize(
    "shape, kw",
    [
        ((5, 1, 13, 11), {"padding": 2}),  # LeNet's first layer, smaller
        ((3, 4, 12, 12), {"stride": 2, "padding": 1, "groups": 2}),
        ((2, 3, 15, 9), {"dilation": (2, 1), "stride": (1, 2)}),
    ],
)
def test_streamed_conv_matches_one_gemm(monkeypatch, shape, kw):
    g = kw.get("groups", 1)
    x, w, b = t64(*shape), t64(6, shape[1] // g, 5, 3), t64(6)
    state = rng.bit_generator.state
    monkeypatch.setattr(nn_conv, "STREAM_MAX_OUT", 0)  # never streamed: one GEMM
    assert not nn_conv._streamed(nn_conv._Geometry((1, 1), (0, 0), (1, 1), g, 5, 3), w.shape, x._data)
    whole = conv_results(x, w, b, **kw)
    monkeypatch.setattr(nn_conv, "STREAM_MAX_OUT", 12)
    monkeypatch.setattr(nn_conv, "BLOCK_BYTES", 9000)  # blocks of 1 to 3 rows, some last ones short
    sizes = []
    col_blocks = nn_conv._col_blocks

    def counted(*args):
        for cols, block in col_blocks(*args):
            sizes.append(cols.stop - cols.start)
            yield cols, block

    monkeypatch.setattr(nn_conv, "_col_blocks", counted)
    rng.bit_generator.state = state
    blocks = conv_results(x, w, b, **kw)
    assert len(sizes) > 6  # streamed: forward, backward and double backward, in several blocks
    for a, c in zip(whole, blocks):
        assert np.allclose(a, c, rtol=1e-12, atol=1e-12)


def test_streamed_conv_is_used_for_lenet_first_layer():
    x = torch.zeros(64, 1, 28, 28)
    geo = nn_conv._Geometry((1, 1), (2, 2), (1, 1), 1, 5, 5)
    assert nn_conv._streamed(geo, (6, 1, 5, 5), x._data)
    assert not nn_conv._streamed(geo, (32, 1, 5, 5), x._data)


def pool_results(x, **kw):
    """Output, indices, gradient and double-backward gradients of 2x2 max pooling."""
    x = x.detach().requires_grad_(True)
    y, idx = F.max_pool2d(x, 2, return_indices=True, **kw)
    gy = torch.tensor(rng.standard_normal(tuple(y.shape)), dtype=x.dtype, requires_grad=True)
    (gx,) = torch.autograd.grad((y * gy).sum(), (x,), create_graph=True)  # the scatter
    h = torch.tensor(rng.standard_normal(tuple(x.shape)), dtype=x.dtype, requires_grad=True)
    (ggy,) = torch.autograd.grad((gx * h).sum(), (gy,), create_graph=True)  # its adjoint, a gather
    k = torch.tensor(rng.standard_normal(tuple(y.shape)), dtype=x.dtype)
    (gh,) = torch.autograd.grad((ggy * k).sum(), (h,))  # and the gather's adjoint
    return [a.detach().numpy().copy() for a in (y, idx, gx, ggy, gh)]


def _ties_and_nans(shape):
    a = rng.integers(0, 3, shape).astype(np.float64)  # many ties
    a[rng.random(shape) < 0.1] = np.nan
    a[rng.random(shape) < 0.05] = -np.inf
    return a


@pytest.mark.parametrize(
    "data, kw",
    [
        (rng.standard_normal((3, 4, 8, 6)), {}),
        (rng.integers(0, 3, (2, 3, 6, 8)).astype(np.float64), {}),  # ties: the first max wins
        (_ties_and_nans((2, 3, 6, 8)), {}),  # NaNs: the last NaN wins
        (rng.standard_normal((2, 3, 7, 9)), {}),  # the last row and column are in no window
        (rng.standard_normal((2, 3, 7, 9)), {"stride": 2, "ceil_mode": False}),
        (rng.standard_normal((3, 6, 8)), {}),  # unbatched
    ],
)
def test_max_pool_2x2_matches_general_path(monkeypatch, data, kw):
    from lanterna.ops import nn_pool

    x = torch.tensor(data, dtype=torch.float64)
    state = rng.bit_generator.state
    fast = pool_results(x, **kw)
    monkeypatch.setattr(nn_pool, "_is_2x2", lambda geo: False)
    rng.bit_generator.state = state
    general = pool_results(x, **kw)
    for a, b in zip(fast, general):
        np.testing.assert_array_equal(a, b)


def test_max_pool_2x2_integers_and_backward_twice():
    x = torch.tensor(rng.integers(-5, 5, (2, 2, 4, 6)))
    assert np.array_equal(F.max_pool2d(x, 2).numpy(), x.numpy().reshape(2, 2, 2, 2, 3, 2).max((3, 5)))
    y = F.max_pool2d(t64(1, 2, 4, 4), 2).sum()
    y.backward()
    with pytest.raises(RuntimeError):
        y.backward()
