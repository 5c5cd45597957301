"""Helpers shared by the conformance tests."""

from __future__ import annotations

import numpy as np

import lanterna


def host(t):
    """A tensor's contents as a NumPy array (through ``.cpu()``, as users do)."""
    return np.array(t.detach().cpu().numpy())


def assert_matches(on_device, on_cpu, device, *, rtol=1e-5, atol=1e-6):
    """``on_device`` (a tensor of ``device``) equals ``on_cpu`` (the CPU reference): same shape,
    dtype and values (within float32 tolerance: a GPU may sum in another order)."""
    assert isinstance(on_device, lanterna.Tensor), f"expected a Tensor, got {type(on_device).__name__}"
    assert on_device.device.type == device, f"result on {on_device.device}, expected {device}"
    assert on_device.dtype == on_cpu.dtype, f"dtype {on_device.dtype} != CPU {on_cpu.dtype}"
    shape, ref = tuple(on_device.shape), tuple(on_cpu.shape)
    assert shape == ref, f"shape {shape} != CPU {ref}"
    a, b = host(on_device), host(on_cpu)
    if a.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
