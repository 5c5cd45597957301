"""Everything a device is besides ops: moving data, dtypes, RNG, module functions, save/load,
pin_memory."""

import io

import numpy as np
import pytest

import lanterna as torch
from lanterna.backends import REGISTRY

from .helpers import assert_matches, host

ALL_DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
              torch.float32, torch.float64]


def _supported(device, dtype):
    return dtype.name in REGISTRY.backends[device].supported_dtypes


# ---- moving data -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_to_device_and_back_round_trips(device, dtype):
    x = (torch.arange(12) - 4).reshape(3, 4).to(dtype)
    if not _supported(device, dtype):
        with pytest.raises(TypeError, match=dtype.name):
            x.to(device)
        return
    y = x.to(device)
    assert y.device.type == device and y.dtype == dtype and y.shape == x.shape
    back = y.cpu()
    assert back.device == torch.device("cpu") and torch.equal(back, x)


def test_to_forms(device):
    x = torch.tensor([[1.5, -2.0]])
    for y in (x.to(device), x.to(torch.device(device)), x.to(device=device), x.to(device, torch.float64),
              x.to(torch.ones(1, device=device))):
        assert y.device.type == device
    assert x.to(device, torch.float64).dtype == torch.float64
    y = x.to(device)
    assert y.to(device) is y  # already there: no copy
    assert y.to(y.device, copy=True) is not y


def test_scalar_and_empty_tensors_move(device):
    for x in (torch.tensor(2.5), torch.zeros(0, 3), torch.ones(1, 1, 1)):
        assert_matches(x.to(device), x, device)
    assert torch.tensor(2.5).to(device).item() == 2.5


def test_gradient_flows_back_through_to(device):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to(device)
    if device == "cpu":
        assert y is x
    else:
        assert y.requires_grad and y.grad_fn is not None and y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert x.grad.device == torch.device("cpu")
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_conversions_to_python(device):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert x.sum().item() == 10.0 and float(x[1, 1]) == 4.0 and int(x[0, 1]) == 2
    assert bool(x.max() > 3)
    np.testing.assert_array_equal(np.asarray(x.cpu()), host(x))
    if device != "cpu":
        with pytest.raises(TypeError, match="cpu"):
            x.numpy()


def test_printing_names_the_device(device):
    text = repr(torch.tensor([1.0, 2.0], device=device))
    assert text.startswith("tensor([1., 2.]")
    assert (f"device='{device}" in text) == (device != "cpu")


def test_stride_contiguity_and_size(device):
    x = torch.zeros(2, 3, 4, device=device)
    assert x.stride() == (12, 4, 1) and x.is_contiguous()
    assert x.shape == (2, 3, 4) and x.numel() == 24 and x.element_size() == 4
    assert x.permute(2, 0, 1).contiguous().is_contiguous()


def test_clone_detach_and_deepcopy(device):
    import copy

    x = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    for y in (x.clone().detach(), x.detach().clone(), copy.deepcopy(x)):
        assert y.device == x.device and torch.equal(y.detach().cpu(), x.detach().cpu())


def test_in_place_ops_keep_storage_and_device(device):
    x = torch.zeros(3, device=device)
    x += 1
    x.mul_(3).add_(torch.ones(3, device=device))
    x[1] = 7.0
    assert x.device.type == device and x.tolist() == [4.0, 7.0, 4.0]


# ---- dtype promotion -------------------------------------------------------------------------
PROMOTIONS = [
    (torch.int64, torch.float32), (torch.int32, torch.int64), (torch.uint8, torch.int8),
    (torch.bool, torch.int16), (torch.bool, torch.float32), (torch.float32, torch.float64),
    (torch.int16, torch.float64), (torch.uint8, torch.bool),
]


@pytest.mark.parametrize("a,b", PROMOTIONS, ids=lambda d: d.name)
def test_promotion_matches_cpu(device, a, b):
    x = torch.tensor([1, 0, 1]).to(a)
    y = torch.tensor([2, 1, 0]).to(b)
    for op in (lambda p, q: p + q, lambda p, q: p * q, lambda p, q: torch.maximum(p, q), lambda p, q: p == q):
        if a is torch.bool and b is torch.bool:
            continue
        assert_matches(op(x.to(device), y.to(device)), op(x, y), device)


@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.float32, torch.bool], ids=lambda d: d.name)
def test_scalar_promotion_matches_cpu(device, dtype, scalar):
    x = torch.tensor([1, 0, 3]).to(dtype)
    ops = [lambda t: t + scalar, lambda t: t * scalar]
    if dtype is not torch.bool and scalar is not True:  # subtraction with a bool raises, as in PyTorch
        ops.append(lambda t: scalar - t)
    for op in ops:
        assert_matches(op(x.to(device)), op(x), device)


def test_zero_dim_tensors_do_not_win_promotion(device):
    x = torch.tensor([1, 2], dtype=torch.int32, device=device)
    assert (x + torch.tensor(5, device=device)).dtype == torch.int32
    assert (x + torch.tensor(5.0, device=device)).dtype == torch.float32
    low = torch.float16 if _supported(device, torch.float16) else torch.float32
    one64 = torch.tensor(1.0, dtype=torch.float64, device=device)
    assert (torch.ones(2, dtype=low, device=device) + one64).dtype == low


# ---- random numbers ------------------------------------------------------------------------
def test_manual_seed_makes_draws_reproducible(device):
    draws = []
    for _ in range(2):
        torch.manual_seed(1234)
        draws.append([host(torch.rand(5, device=device)), host(torch.randn(3, 2, device=device)),
                      host(torch.randint(0, 10, (6,), device=device)),
                      host(torch.randperm(7, device=device))])
    for a, b in zip(*draws):
        np.testing.assert_array_equal(a, b)
    torch.manual_seed(1235)
    assert not np.array_equal(host(torch.rand(5, device=device)), draws[0][0])


def test_in_place_random_fills_on_device(device):
    torch.manual_seed(0)
    x = torch.empty(1000, device=device).uniform_(-2, 2)
    assert x.device.type == device and -2 <= float(x.min()) and float(x.max()) < 2
    y = torch.empty(2000, device=device).normal_(3.0, 0.5)
    assert abs(float(y.mean()) - 3.0) < 0.1
    m = torch.empty(1000, device=device).bernoulli_(0.25)
    assert set(host(m).tolist()) <= {0.0, 1.0}


def test_device_generator_object(device):
    g = torch.Generator(device=device).manual_seed(3)
    a = host(torch.rand(4, generator=g, device=device))
    g.manual_seed(3)
    np.testing.assert_array_equal(host(torch.rand(4, generator=g, device=device)), a)
    assert g.initial_seed() == 3


def test_module_functions(device):
    mod = getattr(torch, device)
    assert mod.is_available() is True
    assert mod.device_count() >= 1
    mod.synchronize()
    mod.manual_seed(1)
    mod.manual_seed_all(1)
    if device != "cpu":
        assert 0 <= mod.current_device() < mod.device_count()


# ---- save / load with map_location ------------------------------------------------------------
def _roundtrip(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **kw)


def test_save_load_keeps_the_device(device):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    y = _roundtrip({"w": x})["w"]
    assert y.device == x.device
    assert_matches(y, x.cpu(), device)


def test_load_with_map_location(device):
    x = torch.arange(6.0).reshape(2, 3)
    assert_matches(_roundtrip(x, map_location=device), x, device)
    assert_matches(_roundtrip(x, map_location=torch.device(device)), x, device)
    y = _roundtrip(x.to(device), map_location="cpu")
    assert y.device == torch.device("cpu") and torch.equal(y, x)
    z = _roundtrip(x.to(device), map_location=lambda storage, loc: storage)
    assert torch.equal(z.cpu(), x)


# ---- pin_memory ----------------------------------------------------------------------------
def test_pin_memory_returns_equal_host_tensor(device):
    from lanterna.backends.registry import accelerator

    x = torch.arange(4.0)
    if device == "cpu" and accelerator() is None:
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            x.pin_memory()
        return
    p = x.pin_memory() if device == "cpu" else x.pin_memory(device)
    assert p.device == torch.device("cpu") and torch.equal(p, x)
    assert torch.equal(p.to(device, non_blocking=True).cpu(), x)
    if device != "cpu":
        with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
            x.to(device).pin_memory()
