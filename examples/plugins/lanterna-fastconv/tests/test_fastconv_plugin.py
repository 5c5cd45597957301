"""The kernel-override example: installed, it replaces the CPU ``im2col`` kernel; convolutions
run through it (its call counter moves) and give the values of core's default."""

import numpy as np
import pytest

import lanterna as torch
from lanterna.backends import REGISTRY, PluginWarning
from lanterna.ops.kernels import DEFAULTS, kernel

import lanterna_fastconv.plugin as fastconv

CASES = [  # (kh, kw), stride, padding, dilation
    ((3, 3), (1, 1), (0, 0), (1, 1)),
    ((3, 2), (2, 1), (1, 2), (1, 1)),
    ((2, 3), (1, 2), (2, 0), (2, 3)),
    ((1, 1), (3, 3), (0, 0), (1, 1)),
]


def test_registered_for_the_cpu_without_a_device():
    assert REGISTRY.plugins["fastconv"] is fastconv
    assert REGISTRY.backends["cpu"].kernels["im2col"] is fastconv.im2col
    assert kernel(REGISTRY.backends["cpu"], "im2col") is fastconv.im2col
    assert not any(REGISTRY.owner(d) == "fastconv" for d in REGISTRY.backends)


@pytest.mark.parametrize("case", CASES)
def test_same_windows_as_core_default(case):
    (kh, kw), stride, padding, dilation = case
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    got = fastconv.im2col(x, kh, kw, stride, padding, dilation)
    want = DEFAULTS["im2col"](x, kh, kw, stride, padding, dilation)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_convolutions_run_through_it():
    try:
        conv2d = torch.nn.functional.conv2d
    except (ImportError, AttributeError):
        pytest.skip("lanterna.nn.functional.conv2d is not available")
    x = torch.randn(1, 2, 6, 6, requires_grad=True)
    w = torch.randn(4, 2, 3, 3, requires_grad=True)
    before = fastconv.CALLS.count
    conv2d(x, w, padding=1).sum().backward()
    assert fastconv.CALLS.count > before
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


def test_core_kernel_lookup_reaches_it():
    before = fastconv.CALLS.count
    x = np.ones((1, 1, 4, 4), np.float32)
    kernel(REGISTRY.backends["cpu"], "im2col")(x, 2, 2, (1, 1), (0, 0), (1, 1))
    assert fastconv.CALLS.count == before + 1


def test_steps_aside_if_core_changes_the_contract(monkeypatch):
    def new_default(x, kh, kw, stride, padding, dilation, groups=1):
        return "core's"

    monkeypatch.setitem(DEFAULTS, "im2col", new_default)
    monkeypatch.setitem(fastconv._state, "checked", False)
    monkeypatch.setitem(fastconv._state, "fallback", None)
    with pytest.warns(PluginWarning, match="using core's default kernel"):
        assert fastconv.im2col(np.ones((1, 1, 2, 2)), 1, 1, (1, 1), (0, 0), (1, 1)) == "core's"
