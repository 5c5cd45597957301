"""Lanterna: a small deep learning framework that speaks PyTorch's API.

>>> import lanterna as torch
>>> x = torch.tensor([1.0, 2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4.])
"""

from __future__ import annotations

# Other distributions (lanterna-nn, lanterna-optim, ...) add subpackages to this package.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
__version__ = "0.1.0"

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
)
from .backends.registry import REGISTRY as _REGISTRY, load_plugins as _load_plugins  # noqa: E402

_load_plugins()

from ._lazy import install_import_hook as _install_import_hook  # noqa: E402

_install_import_hook()  # `import lanterna.optim` without lanterna-optim names the package to install

from ._tensor import LEGACY_TYPES as _LEGACY, Size, Tensor  # noqa: E402
from . import ops as _ops  # noqa: E402,F401  (binds Tensor methods)
from . import autograd  # noqa: E402


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
from .ops.api import *  # noqa: E402,F401,F403  (every op of the torch namespace)
from .ops import return_types  # noqa: E402
from . import linalg  # noqa: E402
from ._dtype import finfo, iinfo  # noqa: E402
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: E402
from .ops.foreach import *  # noqa: E402,F401,F403  (torch._foreach_* list ops, used by optimizers)
from .random_api import (  # noqa: E402
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

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
negative = neg
absolute = abs
multiply = mul
subtract = sub
divide = div
true_divide = div
greater = gt  # noqa: F405
less = lt  # noqa: F405
strided = "torch.strided"
channels_last = contiguous_format = preserve_format = "memory_format"
inf = __import__("math").inf
nan = __import__("math").nan
pi = __import__("math").pi
e = __import__("math").e


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_storage(obj):
    return False


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


def __getattr__(name):
    """Lazy subpackages (``lanterna.nn`` ...) and device modules (``lanterna.cuda`` ...)."""
    from ._lazy import lazy_attribute

    return lazy_attribute(name)


# nn primitives also reachable as torch.<name> (their nn.functional forms live in lanterna.nn)
from .ops.nn_activation import celu, log_softmax, selu, softmax, threshold  # noqa: E402
from .ops.nn_conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: E402
from .ops.nn_distance import cdist, cosine_similarity, pairwise_distance, pdist  # noqa: E402
from .ops.nn_dropout import alpha_dropout, dropout, feature_dropout  # noqa: E402
from .ops.nn_linear import bilinear  # noqa: E402
from .ops.nn_norm import group_norm, layer_norm  # noqa: E402
from .ops.nn_pool import (  # noqa: E402
    adaptive_avg_pool1d, adaptive_max_pool1d, avg_pool1d, max_pool1d, max_pool2d,
)
from .ops.nn_top import batch_norm, embedding  # noqa: E402


def compile(model=None, **kwargs):
    """Accepted for compatibility: returns the model unchanged (Lanterna runs eagerly)."""
    if model is None:
        return lambda m: m
    return model


from . import serialization as _serialization  # noqa: E402

save = _serialization.save
load = _serialization.load
