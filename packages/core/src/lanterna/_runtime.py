"""Process-wide settings PyTorch exposes at the top level: thread counts, deterministic
algorithms, float32 matmul precision and the default device.

Lanterna runs on NumPy, whose BLAS picks its own thread count, so the thread settings are recorded
and reported back (as code written for PyTorch expects); the default device is honoured by every
creation function (``zeros``, ``tensor``, ``rand`` ...).

>>> import lanterna as torch
>>> torch.set_num_threads(4)
>>> torch.get_num_threads()
4
>>> torch.get_float32_matmul_precision()
'highest'
"""

from __future__ import annotations

import os
import warnings

from ._device import DEFAULT_DEVICE, device as _device_cls

_THREADS = {"intra": None, "interop": None}
_DETERMINISTIC = {"on": False, "warn_only": False}
_MATMUL_PRECISION = ["highest"]


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuntimeError(f"{name} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return value


def set_num_threads(int):
    """Record the number of threads used for intra-op parallelism."""
    _THREADS["intra"] = _positive_int(int, "set_num_threads")


def get_num_threads():
    """The number of intra-op threads (what was set, else ``os.cpu_count()``)."""
    return _THREADS["intra"] or os.cpu_count() or 1


def set_num_interop_threads(int):
    """Record the number of threads used for inter-op parallelism."""
    _THREADS["interop"] = _positive_int(int, "set_num_interop_threads")


def get_num_interop_threads():
    """The number of inter-op threads (what was set, else ``os.cpu_count()``)."""
    return _THREADS["interop"] or os.cpu_count() or 1


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms (Lanterna's NumPy kernels always are)."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
                        f"{type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, not "
                        f"{type(warn_only).__name__}")
    _DETERMINISTIC["on"], _DETERMINISTIC["warn_only"] = mode, mode and warn_only


def are_deterministic_algorithms_enabled():
    return _DETERMINISTIC["on"]


def is_deterministic_algorithms_warn_only_enabled():
    return _DETERMINISTIC["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    """``'default'``/0 (off), ``'warn'``/1 (deterministic, warn only), ``'error'``/2 (deterministic)."""
    if isinstance(debug_mode, str):
        modes = {"default": 0, "warn": 1, "error": 2}
        if debug_mode not in modes:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = modes[debug_mode]
    elif isinstance(debug_mode, int) and not isinstance(debug_mode, bool):
        if debug_mode not in (0, 1, 2):
            raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    else:
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not _DETERMINISTIC["on"]:
        return 0
    return 1 if _DETERMINISTIC["warn_only"] else 2


def set_float32_matmul_precision(precision):
    """``'highest'`` (the default), ``'high'`` or ``'medium'``; recorded (NumPy always computes in
    full float32 precision). An unknown value warns and changes nothing, as in PyTorch."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _MATMUL_PRECISION[0] = precision


def get_float32_matmul_precision():
    return _MATMUL_PRECISION[0]


def set_default_device(device):
    """The device of tensors created without ``device=`` (``None`` restores the CPU). Only device
    types with a registered backend are accepted."""
    if device is None:
        DEFAULT_DEVICE[0] = None
        return
    dev = _device_cls(device)
    from .backends.registry import REGISTRY, get_backend

    if dev.type not in REGISTRY.backends:
        known = ", ".join(REGISTRY.backends)
        raise RuntimeError(f"Expected one of {known} device type at start of device string: {device}")
    if dev.type != "cpu":
        get_backend(dev.type)  # unusable here (no hardware, missing library): say why now
    DEFAULT_DEVICE[0] = None if dev.type == "cpu" and dev.index is None else dev


def get_default_device():
    """The device a tensor created without ``device=`` lands on."""
    from .ops.creation import empty

    return empty(0).device


def is_inference(input):
    """Whether ``input`` is an inference tensor (Lanterna makes none: always False)."""
    from ._tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"is_inference(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input.is_inference()


# ---- warnings, floating-point mode and build information ---------------------------------------
_WARN_ALWAYS = [False]


def set_warn_always(b):
    """Record whether warnings PyTorch gives once per process should be given every time."""
    _WARN_ALWAYS[0] = bool(b)


def is_warn_always_enabled():
    return _WARN_ALWAYS[0]


def set_flush_denormal(mode):
    """Lanterna computes through NumPy, which offers no flush-to-zero mode: like PyTorch on a CPU
    without it, this changes nothing and returns False."""
    return False


def compiled_with_cxx11_abi():
    """Lanterna has no C++ library; this answers as PyTorch's current builds do (extension
    builders read it to pick their flags)."""
    return True


# What this build computes with, as PyTorch reports it: LAPACK and FFTs come with NumPy; there is
# no MKL and no OpenMP.
has_lapack = True
has_spectral = True
has_mkl = False
has_openmp = False


def get_device(input):
    """The device index of ``input``: -1 on the CPU."""
    d = input.device
    return -1 if d.type == "cpu" else (d.index or 0)


def is_distributed(input):
    """False: no tensor here is a distributed (sharded) one."""
    return False
