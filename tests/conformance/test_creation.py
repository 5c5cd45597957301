"""Creation functions with ``device=``: the result lives on the device and equals the CPU's."""

import numpy as np
import pytest

import lanterna as torch

from .helpers import assert_matches, host

CREATORS = [
    ("zeros", lambda **kw: torch.zeros(2, 3, **kw)),
    ("ones", lambda **kw: torch.ones((2, 3), **kw)),
    ("full", lambda **kw: torch.full((2, 2), 1.5, **kw)),
    ("full_int", lambda **kw: torch.full((3,), 7, **kw)),
    ("tensor", lambda **kw: torch.tensor([[1.0, 2.0], [3.0, 4.0]], **kw)),
    ("tensor_int", lambda **kw: torch.tensor([1, 2, 3], **kw)),
    ("tensor_bool", lambda **kw: torch.tensor([True, False], **kw)),
    ("tensor_scalar", lambda **kw: torch.tensor(3.5, **kw)),
    ("arange", lambda **kw: torch.arange(5, **kw)),
    ("arange_float", lambda **kw: torch.arange(0.0, 1.0, 0.25, **kw)),
    ("linspace", lambda **kw: torch.linspace(-1, 1, 5, **kw)),
    ("eye", lambda **kw: torch.eye(3, **kw)),
    ("empty_shape", lambda **kw: torch.empty(4, 2, **kw).zero_()),
    ("zeros_int32", lambda **kw: torch.zeros(2, dtype=torch.int32, **kw)),
    ("ones_float64", lambda **kw: torch.ones(2, dtype=torch.float64, **kw)),
    ("as_tensor", lambda **kw: torch.as_tensor([1.0, 2.0], **kw)),
]


@pytest.mark.parametrize("make", [c[1] for c in CREATORS], ids=[c[0] for c in CREATORS])
def test_creation_matches_cpu(device, make):
    assert_matches(make(device=device), make(), device)


def test_device_object_and_string_forms(device):
    a = torch.zeros(2, device=device)
    b = torch.zeros(2, device=torch.device(device))
    assert a.device == b.device
    assert a.device.type == device
    assert str(a.device).startswith(device)
    assert a.is_cpu == (device == "cpu")


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"])
def test_like_functions_keep_the_device(device, fn):
    x = torch.ones(2, 3, device=device)
    y = getattr(torch, fn)(x)
    assert y.device == x.device and y.shape == x.shape and y.dtype == x.dtype


@pytest.mark.parametrize("fn", ["new_zeros", "new_ones", "new_empty"])
def test_new_methods_keep_the_device(device, fn):
    x = torch.ones(2, device=device, dtype=torch.float64)
    y = getattr(x, fn)((3, 1))
    assert y.device == x.device and y.shape == (3, 1) and y.dtype == torch.float64


def test_new_full_and_new_tensor(device):
    x = torch.ones(2, device=device)
    assert_matches(x.new_full((2,), 4.0), torch.ones(2).new_full((2,), 4.0), device)
    assert_matches(x.new_tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]), device)


def test_random_creation_lands_on_device(device):
    for t in (torch.rand(3, device=device), torch.randn(2, 2, device=device),
              torch.randint(0, 5, (4,), device=device), torch.randperm(6, device=device)):
        assert t.device.type == device
    r = host(torch.rand(1000, device=device))
    assert 0.0 <= r.min() and r.max() < 1.0
    p = host(torch.randperm(6, device=device))
    assert sorted(p.tolist()) == list(range(6))


def test_requires_grad_at_creation(device):
    x = torch.zeros(2, device=device, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.device.type == device


def test_from_numpy_then_to(device):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = torch.from_numpy(a).to(device)
    assert_matches(t, torch.from_numpy(a), device)
    a[0, 0] = 100  # a copy was made: moving to a device never aliases the host array
    if device != "cpu":
        assert host(t)[0, 0] == 0
