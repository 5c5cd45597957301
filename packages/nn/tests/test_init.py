"""nn.init: distributions, bounds, gains, fan computation, errors, and no autograd history."""

import math

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
from lanterna.nn import init


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fan_in_fan_out():
    assert init._calculate_fan_in_and_fan_out(torch.empty(3, 5)) == (5, 3)
    assert init._calculate_fan_in_and_fan_out(torch.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2"):
        init._calculate_fan_in_and_fan_out(torch.empty(3))


def test_uniform_normal_constant_are_in_place_without_history():
    w = nn.Parameter(torch.empty(200, 300))
    assert init.uniform_(w, -2, 3) is w
    a = w.detach().numpy()
    assert a.min() >= -2 and a.max() <= 3 and abs(a.mean() - 0.5) < 0.05
    assert w.grad_fn is None and w.requires_grad
    init.normal_(w, 1.0, 0.5)
    assert abs(w.detach().numpy().mean() - 1) < 0.01 and abs(w.detach().numpy().std() - 0.5) < 0.01
    init.constant_(w, 0.3)
    assert np.all(w.detach().numpy() == np.float32(0.3))
    init.ones_(w)
    init.zeros_(w)
    assert float(w.abs().sum()) == 0


def test_xavier_and_kaiming_scales():
    w = torch.empty(300, 400)
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 700)
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.95 * bound
    init.xavier_normal_(w)
    assert abs(float(w.std()) - math.sqrt(2.0 / 700)) < 0.002
    init.kaiming_uniform_(w, a=0, nonlinearity="relu")
    kb = math.sqrt(2.0) * math.sqrt(3.0 / 400)
    assert float(w.abs().max()) <= kb and float(w.abs().max()) > 0.95 * kb
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(float(w.std()) - math.sqrt(2.0 / 300)) < 0.002
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(w, mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(torch.empty(0, 3))


def test_trunc_normal_bounds_both_branches():
    torch.manual_seed(0)
    w = torch.empty(5000)
    init.trunc_normal_(w, mean=0.0, std=1.0, a=-1.0, b=1.5)  # wide interval: redraws
    a = w.numpy()
    assert a.min() >= -1.0 and a.max() <= 1.5 and abs(a.mean() - 0.17) < 0.05
    init.trunc_normal_(w, mean=0.0, std=1.0, a=2.0, b=2.5)  # narrow interval: rejection of uniform proposals
    a = w.numpy()
    assert a.min() >= 2.0 and a.max() <= 2.5 and a.mean() < 2.25  # density falls off to the right
    init.trunc_normal_(w, std=0.02)
    assert abs(float(w.std()) - 0.02) < 0.002


def test_eye_dirac_orthogonal_sparse():
    e = torch.empty(3, 5)
    init.eye_(e)
    assert np.array_equal(e.numpy(), np.eye(3, 5))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(torch.empty(2, 2, 2))
    d = torch.empty(4, 2, 3, 3)
    init.dirac_(d, groups=2)
    x = torch.randn(1, 2, 5, 5)
    out = torch.conv2d(x, d, padding=1)
    assert np.allclose(out[:, :2].numpy(), x.numpy()) and np.allclose(out[:, 2:].numpy(), x.numpy())
    q = torch.empty(6, 4)
    init.orthogonal_(q, gain=2.0)
    assert np.allclose(q.numpy().T @ q.numpy(), 4 * np.eye(4), atol=1e-5)
    wide = torch.empty(3, 2, 2)
    init.orthogonal_(wide)
    m = wide.reshape(3, 4).numpy()
    assert np.allclose(m @ m.T, np.eye(3), atol=1e-5)
    s = torch.empty(10, 6)
    init.sparse_(s, 0.3)
    assert all(int((s[:, j] == 0).sum()) >= 3 for j in range(6))


def test_default_initialisation_of_layers_uses_seeded_draws():
    torch.manual_seed(0)
    a = nn.Conv2d(3, 4, 3)
    torch.manual_seed(0)
    w = torch.empty(4, 3, 3, 3)
    init.kaiming_uniform_(w, a=math.sqrt(5))
    b = torch.empty(4)
    init.uniform_(b, -1 / math.sqrt(27), 1 / math.sqrt(27))
    assert np.array_equal(a.weight.detach().numpy(), w.numpy())
    assert np.array_equal(a.bias.detach().numpy(), b.numpy())


def test_deprecated_aliases_warn():
    with pytest.warns(FutureWarning, match="`nn.init.normal` is now deprecated in favor of `nn.init.normal_`"):
        init.normal(torch.empty(2))
