"""Float64 gradient checks of the ops that record one node under PyTorch's name (see
``test_grad_fn_names_oracle.py``): interpolate, reflect/replicate padding, smooth L1, Huber and soft
margin losses, CELU, RReLU (eval), hard/soft shrink, GLU, diag of a matrix, pixel (un)shuffle."""

import numpy as np
import pytest

import lanterna
import lanterna.nn.functional as F
from lanterna.autograd import gradcheck, gradgradcheck
from lanterna.backends import REGISTRY


def _t(*shape, seed=0, low=-2.0, high=2.0):
    a = np.random.default_rng(seed + sum(shape)).uniform(low, high, size=shape)
    return lanterna.tensor(a, dtype=lanterna.float64, requires_grad=True)


_Y = np.random.default_rng(5).uniform(-2, 2, size=(3, 4))


def _target(like):
    return lanterna.tensor(_Y, dtype=lanterna.float64, device=like.device)


CASES = {
    "nearest_1d": (lambda x: F.interpolate(x, size=7), (2, 3, 4)),
    "nearest_2d": (lambda x: F.interpolate(x, scale_factor=2), (1, 2, 3, 3)),
    "nearest_2d_down": (lambda x: F.interpolate(x, size=(2, 5)), (1, 2, 4, 3)),
    "nearest_3d": (lambda x: F.interpolate(x, scale_factor=2), (1, 1, 2, 2, 3)),
    "nearest_exact_2d": (lambda x: F.interpolate(x, size=(5, 2), mode="nearest-exact"), (1, 2, 3, 3)),
    "linear": (lambda x: F.interpolate(x, size=7, mode="linear"), (2, 3, 4)),
    "bilinear": (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), (1, 2, 3, 3)),
    "bilinear_ac": (lambda x: F.interpolate(x, size=(4, 5), mode="bilinear", align_corners=True),
                    (1, 2, 3, 3)),
    "bicubic": (lambda x: F.interpolate(x, size=(5, 4), mode="bicubic"), (1, 1, 3, 3)),
    "trilinear": (lambda x: F.interpolate(x, scale_factor=2, mode="trilinear"), (1, 1, 2, 2, 3)),
    "reflect_1d": (lambda x: F.pad(x, (2, 1), mode="reflect"), (2, 3, 4)),
    "reflect_2d": (lambda x: F.pad(x, (1, 2, 2, 0), mode="reflect"), (1, 2, 3, 4)),
    "reflect_3d": (lambda x: F.pad(x, (1, 1, 1, 0, 0, 1), mode="reflect"), (1, 2, 3, 3, 3)),
    "replicate_2d": (lambda x: F.pad(x, (2, 1, 0, 3), mode="replicate"), (1, 2, 3, 4)),
    "replicate_negative": (lambda x: F.pad(x, (-1, 2), mode="replicate"), (2, 3, 4)),
    "smooth_l1": (lambda x: F.smooth_l1_loss(x, _target(x), beta=0.7), (3, 4)),
    "smooth_l1_none": (lambda x: F.smooth_l1_loss(x, _target(x), reduction="none"), (3, 4)),
    "huber": (lambda x: F.huber_loss(x, _target(x), delta=0.5), (3, 4)),
    "huber_sum": (lambda x: F.huber_loss(x, _target(x), reduction="sum"), (3, 4)),
    "soft_margin": (lambda x: F.soft_margin_loss(x, _target(x).sign()), (3, 4)),
    "soft_margin_none": (lambda x: F.soft_margin_loss(x, _target(x), reduction="none"), (3, 4)),
    "celu": (lambda x: F.celu(x, 0.7), (3, 4)),
    "rrelu_eval": (lambda x: F.rrelu(x), (3, 4)),
    "hardshrink": (lambda x: F.hardshrink(x, 0.3), (3, 4)),
    "softshrink": (lambda x: F.softshrink(x, 0.3), (3, 4)),
    "glu": (lambda x: F.glu(x), (3, 4)),
    "glu_dim0": (lambda x: F.glu(x, 0), (4, 3)),
    "diag_2d": (lambda x: lanterna.diag(x), (4, 4)),
    "diag_2d_offset": (lambda x: lanterna.diag(x, -1), (3, 4)),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), (1, 8, 2, 3)),
    "pixel_unshuffle": (lambda x: F.pixel_unshuffle(x, 2), (2, 4, 2)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn, shape = CASES[name]
    x = _t(*shape)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("loss", [F.smooth_l1_loss, F.huber_loss])
def test_loss_gradcheck_both_inputs(loss):
    x, y = _t(3, 4), _t(3, 4, seed=3)
    assert gradcheck(loss, (x, y))
    assert gradgradcheck(loss, (x, y))


def test_smooth_l1_huber_values():
    x = lanterna.tensor([-3.0, -0.5, 0.0, 0.2, 1.0, 4.0])
    y = lanterna.zeros(6)
    np.testing.assert_allclose(
        F.smooth_l1_loss(x, y, reduction="none").numpy(), [2.5, 0.125, 0.0, 0.02, 0.5, 3.5], rtol=1e-6
    )
    np.testing.assert_allclose(
        F.huber_loss(x, y, reduction="none", delta=2.0).numpy(), [4.0, 0.125, 0.0, 0.02, 0.5, 6.0], rtol=1e-6
    )


def test_outputs_are_not_views():
    x = lanterna.arange(16.0).reshape(1, 1, 4, 4)
    for out in (F.pad(x, (0, 0, 0, 0), mode="reflect"), F.interpolate(x, scale_factor=1),
                F.pixel_shuffle(x, 1), lanterna.diag(x[0, 0])):
        out.add_(1)
    assert x.sum().item() == sum(range(16))


_OTHER_DEVICES = [n for n, b in REGISTRY.backends.items() if b.is_available() and n != "cpu"]


@pytest.mark.parametrize("device", _OTHER_DEVICES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_devices_agree(name, device):
    fn, shape = CASES[name]
    results = []
    for dev in ("cpu", device):
        x = _t(*shape).detach().to(dev).requires_grad_()
        y = fn(x)
        (y * y).sum().backward()
        results.append((y.detach().to("cpu").numpy(), x.grad.to("cpu").numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)

