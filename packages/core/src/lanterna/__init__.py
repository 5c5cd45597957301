"""Lanterna: a small deep learning framework that speaks PyTorch's API.

>>> import lanterna as torch
>>> x = torch.tensor([1.0, 2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4.])
"""

from __future__ import annotations

import os as _os
import sys as _sys

__version__ = "0.1.0"


def _extend_path(path, name):
    """Other distributions (lanterna-nn, lanterna-optim, ...) add subpackages to this package:
    every ``lanterna`` folder on ``sys.path`` joins ``__path__``, as ``pkgutil.extend_path``
    does for regular packages (without importing pkgutil, which costs more than this loop)."""
    path = list(path)
    for entry in _sys.path:
        if isinstance(entry, str):
            folder = _os.path.join(entry, name)
            if folder not in path and _os.path.isdir(folder):
                path.append(folder)
    return path


__path__ = _extend_path(__path__, __name__)

from . import _dtype  # noqa: E402
from ._device import device  # noqa: E402
from ._dtype import (  # noqa: E402
    bool_ as bool,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    uint8,
    bfloat16,  # the dtypes below are names only: a tensor of one raises a TypeError naming it
    complex32,
    complex64,
    complex128,
    float8_e4m3fn,
    float8_e5m2,
    uint16,
    uint32,
    uint64,
)
from .backends.registry import REGISTRY as _REGISTRY, load_plugins as _load_plugins  # noqa: E402

_load_plugins()

from ._lazy import install_import_hook as _install_import_hook  # noqa: E402

_install_import_hook()  # `import lanterna.optim` without lanterna-optim names the package to install

import warnings as _warnings  # noqa: E402  (already imported by Python at start-up: free)

# PyTorch computes 1 / 0, log(0) and sqrt(-1) silently (inf, -inf, nan); NumPy warns about each.
# NumPy attributes those warnings to the line that called it, so this filter silences exactly the
# ones raised inside Lanterna's own ops (and its backends' modules), never the user's NumPy code.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"lanterna")

from ._tensor import LEGACY_TYPES as _LEGACY, Size, Tensor  # noqa: E402
from . import ops as _ops  # noqa: E402,F401  (binds Tensor methods)
from . import autograd  # noqa: E402
from .ops import api as _api  # noqa: E402  (op functions load on first use: see __getattr__)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """``torch.set_printoptions`` (the printing module loads on first use)."""
    from ._tensor_str import set_printoptions as _set

    _set(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth, profile=profile,
         sci_mode=sci_mode)


def get_printoptions():
    from ._tensor_str import get_printoptions as _get

    return _get()


from .autograd.grad_mode import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ._dtype import finfo, iinfo  # noqa: E402
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: E402

FloatTensor = _LEGACY["FloatTensor"]
DoubleTensor = _LEGACY["DoubleTensor"]
HalfTensor = _LEGACY["HalfTensor"]
LongTensor = _LEGACY["LongTensor"]
IntTensor = _LEGACY["IntTensor"]
ShortTensor = _LEGACY["ShortTensor"]
CharTensor = _LEGACY["CharTensor"]
ByteTensor = _LEGACY["ByteTensor"]
BoolTensor = _LEGACY["BoolTensor"]

# PyTorch's dtype aliases
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
cfloat = complex64
cdouble = complex128
chalf = complex32
newaxis = None  # (torch.strided, torch.channels_last ... load on first use: see ops/api.py)
inf = __import__("math").inf
nan = __import__("math").nan
pi = __import__("math").pi
e = __import__("math").e


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_storage(obj):
    from .storage import TypedStorage, UntypedStorage

    return isinstance(obj, (TypedStorage, UntypedStorage))


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    return False


def numel(input):
    return input.numel()


def set_default_dtype(d):
    _dtype.set_default_dtype(d)


def set_default_tensor_type(t):
    """Legacy: ``set_default_tensor_type(torch.DoubleTensor)`` or ``'torch.DoubleTensor'``."""
    if isinstance(t, str):
        t = _LEGACY[t.split(".")[-1]]
    _dtype.set_default_dtype(t._legacy_dtype)


def result_type(tensor1, tensor2):
    return _dtype.result_type(tensor1, tensor2)


def can_cast(from_, to):
    return from_._category <= to._category


def typename(obj):
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def detach(input):
    return input.detach()


def sigmoid_(input):
    return input.sigmoid_()


def compile(model=None, **kwargs):
    """Accepted for compatibility: returns the model unchanged (Lanterna runs eagerly)."""
    if model is None:
        return lambda m: m
    return model


def __getattr__(name):
    """Op families not loaded yet (``lanterna.sort``, ``lanterna.linalg``, ``lanterna.save`` ...),
    subpackages (``lanterna.nn`` ...) and device modules (``lanterna.cuda`` ...), on first use."""
    value = _api.resolve(name)
    if value is not None:
        globals()[name] = value
        return value
    from ._lazy import lazy_attribute

    return lazy_attribute(name)


def __dir__():
    return sorted({*globals(), *_api.WHERE, *_api.SUBMODULES})


# ``from lanterna import *``: every public name, loaded or not (subpackages stay attributes only:
# one that is not installed must not break the star import).
__all__ = sorted(
    {n for n in (*globals(), *_api.WHERE, *_api.SUBMODULES) if not n.startswith("_")}
    - {"annotations", "nn", "optim", "utils", "distributed"}
)
