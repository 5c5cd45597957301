"""Window functions for spectral analysis: Hann, Hamming, Bartlett, Blackman, Kaiser.

Computed in the requested floating dtype with PyTorch's sequence of operations (so float32
windows round as PyTorch's do). ``periodic=True`` (the default) gives the window of length
``N + 1`` without its last element, as used before an FFT.

>>> import lanterna as torch
>>> torch.hann_window(4)
tensor([0.0000, 0.5000, 1.0000, 0.5000])
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D


def _window(name, window_length, periodic, dtype, device, requires_grad, fn):
    from .creation import tensor

    if isinstance(window_length, bool) or not isinstance(window_length, int):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    dtype = dtype or D.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype={D.cpp_name(dtype)}, "
                           "device=cpu, layout=Strided (default), requires_grad=false (default), "
                           "pinned_memory=false, memory_format=(nullopt))")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if window_length == 0:
        arr = np.zeros(0, dtype=dtype.np)
    elif window_length == 1:
        arr = np.ones(1, dtype=dtype.np)
    else:
        n = window_length + 1 if periodic else window_length
        with np.errstate(all="ignore"):
            arr = np.asarray(fn(n, dtype.np.type), dtype=dtype.np)
        if periodic:
            arr = arr[:-1]
    return tensor(np.asarray(arr, order="C"), dtype=dtype, device=device, requires_grad=requires_grad)


def _hamming(alpha, beta):
    def fn(n, f):
        w = np.arange(n, dtype=f) * f(math.pi * 2.0 / (n - 1))
        return np.cos(w) * f(-beta) + f(alpha)

    return fn


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """``0.5 - 0.5 cos(2 pi n / (N - 1))``."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _hamming(0.5, 0.5))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """``alpha - beta cos(2 pi n / (N - 1))``."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   _hamming(alpha, beta))


def _bartlett(n, f):
    w = np.arange(n, dtype=f) * f(2.0 / (n - 1))
    half = ((n - 1) >> 1) + 1
    w[half:] = w[half:] * f(-1) + f(2)
    return w


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangular window ``1 - |2n / (N - 1) - 1|``."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, _bartlett)


def _blackman(n, f):
    w = np.arange(n, dtype=f) * f(math.pi / (n - 1))
    return np.cos(w * f(4)) * f(0.08) - np.cos(w * f(2)) * f(0.5) + f(0.42)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, _blackman)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False):
    """``I0(beta sqrt(1 - ((n - a) / a) ** 2)) / I0(beta)`` with ``a = (N - 1) / 2``."""
    from .specfun import bessel_i_np

    def fn(n, f):
        alpha = (n - 1) / 2.0
        x = (np.arange(n, dtype=np.float64) - alpha) / alpha
        arg = beta * np.sqrt(np.maximum(1 - x * x, 0.0))
        return (bessel_i_np(arg, 0, False) / bessel_i_np(np.asarray([float(beta)]), 0, False)[0]).astype(f)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, fn)
