"""Formula checks (no PyTorch needed) for the layer fixes of the parity sweep: lp pooling with an
infinite order is the max (min) of |x| over each window, and the ``weight=`` forms of mse/l1
losses average by the total weight."""

import math

import numpy as np
import pytest

import lanterna
from lanterna.autograd import gradcheck

F = lanterna.nn.functional


def test_lp_pool_inf_is_max_of_abs():
    x = lanterna.tensor([[[1.0, -3.0, 2.0, 0.5, -0.25, 4.0]]])
    assert F.lp_pool1d(x, math.inf, 2).tolist() == [[[3.0, 2.0, 4.0]]]
    assert F.lp_pool1d(x, -math.inf, 2).tolist() == [[[1.0, 0.5, 0.25]]]
    y = lanterna.tensor(np.arange(16.0).reshape(1, 1, 4, 4) - 8)
    assert F.lp_pool2d(y, math.inf, 2).tolist() == [[[[8.0, 6.0], [5.0, 7.0]]]]


def test_lp_pool_inf_gradcheck():
    x = lanterna.tensor(np.array([[[0.3, -1.2, 2.0, 0.7, -0.4, 1.1]]]), requires_grad=True)
    assert gradcheck(lambda t: F.lp_pool1d(t, math.inf, 2), (x,))


def test_weighted_mse_and_l1_mean_divide_by_the_weight_sum():
    x = lanterna.tensor([[1.0, 2.0], [3.0, 5.0]])
    y = lanterna.zeros(2, 2)
    w = lanterna.tensor([[1.0, 0.0], [2.0, 1.0]])
    assert F.mse_loss(x, y, weight=w).item() == pytest.approx((1 + 18 + 25) / 4)
    assert F.l1_loss(x, y, weight=w).item() == pytest.approx((1 + 6 + 5) / 4)
    assert F.mse_loss(x, y, weight=w, reduction="sum").item() == pytest.approx(44)
    # huber's weighted mean is over the elements
    assert F.huber_loss(x, y, weight=w, delta=1.0).item() == pytest.approx((0.5 + 0 + 2 * 2.5 + 4.5) / 4)


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.huber_loss])
def test_weight_shape_is_checked(loss):
    with pytest.raises(ValueError, match="same size"):
        loss(lanterna.ones(2, 3), lanterna.zeros(2, 3), weight=lanterna.ones(3))
