"""The 'strict' example plugin end to end: discovered through its entry point, tensors and a
model moved to it, trained, results equal to the CPU's. (The device conformance suite,
``pytest tests/conformance --lanterna-device=strict``, covers every op.)"""

import numpy as np
import pytest

import lanterna as torch
from lanterna.backends import REGISTRY
from lanterna.backends.registry import _iter_entry_points

array_api_strict = pytest.importorskip("array_api_strict")


def test_discovered_through_its_entry_point():
    eps = {e.name: e for e in _iter_entry_points()}
    assert eps["strict"].value == "lanterna_array_api_strict.plugin"
    assert eps["strict"].dist == "lanterna-array-api-strict"
    assert REGISTRY.owner("strict") == "strict"
    assert torch.strict.is_available() and torch.strict.device_count() == 1


def test_tensors_hold_array_api_strict_arrays():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).to("strict")
    assert isinstance(x._data, array_api_strict._array_object.Array)
    assert x.device == torch.device("strict", 0) and str(x.device) == "strict:0"
    assert torch.strict.namespace() is array_api_strict
    y = (x @ x.t()).relu().sum(dim=1)
    assert isinstance(y._data, array_api_strict._array_object.Array)
    np.testing.assert_array_equal(y.cpu().numpy(), [16.0, 36.0])


def test_dtypes_map_both_ways_and_float16_is_refused():
    for d in (torch.bool, torch.uint8, torch.int32, torch.int64, torch.float32, torch.float64):
        t = torch.zeros(2, dtype=d, device="strict")
        assert t.dtype is d and t._data.dtype == getattr(array_api_strict, d.name)
    with pytest.raises(TypeError, match="the 'strict' device does not support torch.float16"):
        torch.zeros(2, dtype=torch.float16).to("strict")


def test_seeded_draws_equal_the_cpus():
    torch.manual_seed(42)
    cpu = [torch.rand(3), torch.randn(2, 3), torch.randint(0, 9, (4,)), torch.randperm(5)]
    torch.manual_seed(42)
    dev = [torch.rand(3, device="strict"), torch.randn(2, 3, device="strict"),
           torch.randint(0, 9, (4,), device="strict"), torch.randperm(5, device="strict")]
    for c, d in zip(cpu, dev):
        assert d.device.type == "strict"
        np.testing.assert_array_equal(d.cpu().numpy(), c.numpy())


def test_other_indices_are_refused():
    with pytest.raises(RuntimeError, match="only index 0"):
        torch.ones(2).to("strict:1")


def test_a_model_trains_on_strict_exactly_like_on_the_cpu():
    try:
        nn, optim = torch.nn, torch.optim
        nn.Linear, nn.Sequential, nn.Tanh, nn.MSELoss, optim.SGD  # noqa: B018
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"lanterna.nn / lanterna.optim not complete here: {exc}")

    def train(device):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1)).to(device)
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x = torch.linspace(-1, 1, 32).reshape(8, 4).to(device)
        y = (x.sum(dim=1, keepdim=True) ** 2).to(device)
        losses = []
        for _ in range(10):
            opt.zero_grad()
            loss = nn.MSELoss()(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.detach().cpu().numpy() for p in model.parameters()]

    cpu_losses, cpu_params = train("cpu")
    losses, params = train("strict")
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(losses, cpu_losses, rtol=1e-6)
    for p, q in zip(params, cpu_params):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-7)
