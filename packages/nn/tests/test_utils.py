"""nn.utils: gradient clipping and parameter <-> vector conversion."""

import math

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
from lanterna.nn.utils import (clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters)


def _params_with_grads(values):
    ps = []
    for v in values:
        p = nn.Parameter(torch.zeros(len(v)))
        p.grad = torch.tensor(v)
        ps.append(p)
    return ps


def test_clip_grad_norm_returns_total_norm_and_scales():
    ps = _params_with_grads([[3.0, 0.0], [0.0, 4.0]])
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert math.isclose(float(total), 5.0, rel_tol=1e-6)
    assert np.allclose(ps[0].grad.numpy(), [0.6, 0.0], atol=1e-6)
    assert np.allclose(ps[1].grad.numpy(), [0.0, 0.8], atol=1e-6)
    # below the threshold nothing changes
    ps2 = _params_with_grads([[0.3, 0.4]])
    assert math.isclose(float(clip_grad_norm_(ps2, 10.0)), 0.5, rel_tol=1e-6)
    assert np.allclose(ps2[0].grad.numpy(), [0.3, 0.4])


def test_clip_grad_norm_other_norms_single_tensor_and_nonfinite():
    ps = _params_with_grads([[1.0, -3.0], [2.0]])
    assert math.isclose(float(clip_grad_norm_(ps, 100.0, norm_type=float("inf"))), 3.0)
    assert math.isclose(float(clip_grad_norm_(ps, 100.0, norm_type=1)), 6.0)
    p = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([6.0, 8.0])
    clip_grad_norm_(p, 5.0)
    assert np.allclose(p.grad.numpy(), [3.0, 4.0], atol=1e-5)
    bad = _params_with_grads([[float("inf"), 1.0]])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    assert float(clip_grad_norm_([nn.Parameter(torch.zeros(1))], 1.0)) == 0.0  # no grads at all


def test_clip_grad_value():
    ps = _params_with_grads([[-5.0, 0.5, 5.0]])
    clip_grad_value_(ps, 1.0)
    assert np.allclose(ps[0].grad.numpy(), [-1.0, 0.5, 1.0])


def test_parameters_to_vector_and_back():
    lin = nn.Linear(3, 2)
    vec = parameters_to_vector(lin.parameters())
    assert vec.shape == (8,)
    assert np.allclose(vec[:6].detach().numpy(), lin.weight.detach().numpy().reshape(-1))
    vector_to_parameters(torch.arange(8.0), lin.parameters())
    assert np.allclose(lin.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    assert np.allclose(lin.bias.detach().numpy(), [6.0, 7.0])
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        vector_to_parameters([1.0], lin.parameters())
