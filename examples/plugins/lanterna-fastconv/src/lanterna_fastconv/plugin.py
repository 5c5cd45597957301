"""A kernel-override plugin: replaces the CPU ``im2col`` named kernel, defines no device.

Lanterna's convolutions unfold their input into windows with the named kernel ``im2col``
(``lanterna.ops.kernels``). This plugin registers its own implementation for the ``cpu``
device, built on NumPy's ``sliding_window_view``, and counts its calls so that you can see it is
the one that runs::

    >>> import lanterna_fastconv.plugin as fastconv
    >>> before = fastconv.CALLS.count
    >>> # ... run a convolution on the CPU ...
    >>> fastconv.CALLS.count > before   # doctest: +SKIP
    True

The kernel gives the same values as core's default (it is a view of the same windows); it is the
place to plug a faster implementation (numba, a C extension ...). Should core's kernel contract
ever change (different parameters), the plugin steps aside on first use with a warning and
core's default runs, rather than breaking every convolution.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from lanterna.backends import PluginWarning, hookimpl

# the parameters of core's im2col this implementation was written for
CONTRACT = ("x", "kh", "kw", "stride", "padding", "dilation")


class _Counter:
    count = 0


CALLS = _Counter()
_state = {"checked": False, "fallback": None}


def im2col(x, kh, kw, stride, padding, dilation):
    """(N, C, H, W) -> a read-only view (N, C, kh, kw, OH, OW) of the padded input's windows."""
    if not _state["checked"]:
        _check_contract()
    if _state["fallback"] is not None:
        return _state["fallback"](x, kh, kw, stride, padding, dilation)
    CALLS.count += 1
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = np.lib.stride_tricks.sliding_window_view(x, span, axis=(2, 3))  # (N, C, H', W', sh', sw')
    windows = windows[:, :, ::sh, ::sw, ::dh, ::dw]  # (N, C, OH, OW, kh, kw)
    return windows.transpose(0, 1, 4, 5, 2, 3)


def _check_contract():
    """Compare core's default im2col parameters with ours once (core is fully imported by now)."""
    from lanterna.ops.kernels import DEFAULTS

    _state["checked"] = True
    default = DEFAULTS["im2col"]
    params = tuple(inspect.signature(default).parameters)
    if params != CONTRACT:
        _state["fallback"] = default
        warnings.warn(f"lanterna-fastconv: core's im2col now takes {params}, this plugin was written "
                      f"for {CONTRACT}; using core's default kernel", PluginWarning, stacklevel=3)


@hookimpl
def lanterna_register_kernels(registry):
    registry.register_kernel("cpu", "im2col", im2col)
