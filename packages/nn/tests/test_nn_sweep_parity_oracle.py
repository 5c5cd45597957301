"""PyTorch as the oracle for the layer differences found by a randomized parity sweep: lp pooling
with an infinite order, and the ``weight=`` forms of mse/l1/huber loss. Skipped where torch is
not installed."""

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _run(fn, *arrays):
    """``fn(F, *leaves)`` in both libraries: (output, input gradients) of each."""
    res = []
    for lib in (torch, lanterna):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = fn(lib.nn.functional, *leaves)
        y.backward(lib.ones_like(y))
        res.append((y.detach().numpy(), [t.grad.numpy() for t in leaves]))
    return res


def _same(fn, *arrays):
    (my, mg), (ty, tg) = _run(fn, *arrays)
    assert my.dtype == ty.dtype and my.shape == ty.shape
    np.testing.assert_allclose(my, ty, rtol=1e-6, atol=1e-7)
    for m, t in zip(mg, tg):
        np.testing.assert_allclose(m, t, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("p", [float("inf"), -float("inf")])
def test_lp_pool_infinite_order(p):
    _same(lambda F, x: F.lp_pool1d(x, p, 3, 2), RNG.uniform(-2, 2, (2, 3, 9)).astype(np.float32))
    _same(lambda F, x: F.lp_pool2d(x, p, (2, 3), 2, ceil_mode=True), RNG.uniform(-2, 2, (1, 2, 7, 8)).astype(np.float32))
    _same(lambda F, x: F.lp_pool3d(x, p, 2), RNG.uniform(-2, 2, (1, 2, 4, 4, 4)).astype(np.float32))


def test_lp_pool_module_infinite_order():
    x = RNG.uniform(-2, 2, (1, 2, 6, 6)).astype(np.float32)
    mine = lanterna.nn.LPPool2d(float("inf"), 2)(lanterna.tensor(x))
    theirs = torch.nn.LPPool2d(float("inf"), 2)(torch.tensor(x))
    np.testing.assert_allclose(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses(loss, reduction):
    x, y = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    w = RNG.uniform(0, 2, (5, 3))
    _same(lambda F, a, b, c: getattr(F, loss)(a, b, reduction=reduction, weight=c), x, y, w)


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "huber_loss"])
def test_weight_must_have_the_input_shape(loss):
    for lib in (torch, lanterna):
        with pytest.raises(ValueError, match="same size"):
            getattr(lib.nn.functional, loss)(lib.ones(5, 3), lib.zeros(5, 3), weight=lib.ones(3))
