"""Module hooks: forward pre-hooks, forward hooks, full backward (pre-)hooks, global hooks."""

import warnings

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
from lanterna.nn.modules import module as module_mod


def test_forward_pre_hook_can_replace_inputs():
    lin = nn.Linear(2, 2)
    h = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = lin(torch.ones(1, 2))
    assert np.allclose(out.detach().numpy(), lin.bias.detach().numpy())
    h.remove()
    assert not lin._forward_pre_hooks
    out2 = lin(torch.ones(1, 2))
    assert not np.allclose(out2.detach().numpy(), out.detach().numpy())


def test_forward_pre_hook_with_kwargs():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
    assert float(m(torch.ones(1))) == 3.0
    m2 = Scale()
    m2.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of"):
        m2(torch.ones(1))


def test_forward_hook_order_prepend_and_replacement():
    calls = []
    relu = nn.ReLU()
    relu.register_forward_hook(lambda m, i, o: calls.append("a"))
    relu.register_forward_hook(lambda m, i, o: calls.append("b"), prepend=True)
    relu.register_forward_hook(lambda m, i, o: o + 1)
    out = relu(torch.tensor([-1.0]))
    assert calls == ["b", "a"]
    assert float(out) == 1.0


def test_forward_hook_with_kwargs_and_always_call():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    m = Boom()
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(torch.ones(1))
    assert seen == [None]
    lin = nn.Linear(1, 1)
    lin.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs), with_kwargs=True)
    lin(torch.ones(1))
    assert seen[-1] == {}


def test_handle_as_context_manager():
    lin = nn.Linear(1, 1)
    with lin.register_forward_hook(lambda *a: None):
        assert len(lin._forward_hooks) == 1
    assert len(lin._forward_hooks) == 0


def test_full_backward_hook_sees_grads_and_can_replace_grad_input():
    lin = nn.Linear(3, 2)
    x = torch.randn(4, 3, requires_grad=True)
    record = {}

    def hook(module, grad_input, grad_output):
        record["gi"] = grad_input
        record["go"] = grad_output
        return (grad_input[0] * 2,)

    lin.register_full_backward_hook(hook)
    out = lin(x)
    g = torch.randn(4, 2)
    out.backward(g)
    assert record["go"][0].shape == (4, 2) and np.allclose(record["go"][0].numpy(), g.numpy())
    expected = g.numpy() @ lin.weight.detach().numpy()
    assert np.allclose(record["gi"][0].numpy(), expected, atol=1e-6)
    assert np.allclose(x.grad.numpy(), 2 * expected, atol=1e-6)


def test_full_backward_pre_hook_replaces_grad_output():
    lin = nn.Linear(2, 2)
    x = torch.randn(3, 2, requires_grad=True)
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
    lin(x).sum().backward()
    assert float(x.grad.abs().sum()) == 0.0
    assert float(lin.weight.grad.abs().sum()) == 0.0


def test_full_backward_hook_without_input_grad_fires_on_outputs():
    lin = nn.Linear(2, 2)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lin(torch.randn(3, 2)).sum().backward()
    assert len(seen) == 1 and seen[0][0] == (None,)
    assert lin.weight.grad is not None


def test_mixing_backward_hook_kinds_is_an_error():
    lin = nn.Linear(1, 1)
    lin.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
        lin.register_backward_hook(lambda *a: None)


def test_global_forward_hooks():
    seen = []
    h1 = module_mod.register_module_forward_pre_hook(lambda m, a: seen.append(("pre", type(m).__name__)))
    h2 = module_mod.register_module_forward_hook(lambda m, a, o: seen.append(("post", type(m).__name__)))
    try:
        nn.Sequential(nn.ReLU())(torch.ones(1))
    finally:
        h1.remove()
        h2.remove()
    assert seen == [("pre", "Sequential"), ("pre", "ReLU"), ("post", "ReLU"), ("post", "Sequential")]
    nn.ReLU()(torch.ones(1))
    assert len(seen) == 4


def test_registration_hooks():
    seen = []
    h = module_mod.register_module_parameter_registration_hook(lambda m, name, p: seen.append(name))
    try:
        nn.Linear(1, 1)
    finally:
        h.remove()
    assert seen == ["weight", "bias"]
