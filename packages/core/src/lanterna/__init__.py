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

from ._tensor import LEGACY_TYPES as _LEGACY, Size, Tensor  # noqa: E402
from . import ops as _ops  # noqa: E402,F401  (binds Tensor methods)
from . import autograd  # noqa: E402
from ._tensor_str import get_printoptions, set_printoptions  # noqa: E402
from .autograd.grad_mode import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops.compare import *  # noqa: E402,F401,F403
from .ops.compare import allclose, equal, isclose  # noqa: E402
from .ops.creation import (  # noqa: E402
    Generator,
    arange,
    as_tensor,
    asarray,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .ops.elementwise import (  # noqa: E402
    add,
    div,
    floor_divide,
    fmod,
    mul,
    pow,
    remainder,
    rsub,
    sub,
)
from .ops.index import (  # noqa: E402
    argsort,
    argwhere,
    gather,
    index_select,
    kthvalue,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    sort,
    take_along_dim,
    topk,
)
from .ops.linalg import (  # noqa: E402
    addmm,
    addmv,
    baddbmm,
    bmm,
    cross,
    dot,
    einsum,
    ger,
    inner,
    matmul,
    mm,
    mv,
    outer,
)
from .ops.reduce import (  # noqa: E402
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    cumprod,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from .ops.shape import (  # noqa: E402
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    clone,
    concat,
    concatenate,
    flatten,
    flip,
    fliplr,
    flipud,
    fmax,
    fmin,
    hstack,
    masked_fill,
    maximum,
    minimum,
    narrow,
    permute,
    repeat,
    reshape,
    roll,
    select,
    split,
    squeeze,
    stack,
    swapaxes,
    swapdims,
    t,
    tensor_split,
    tile,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
    where,
)
from .ops.unary import (  # noqa: E402
    abs,
    acos,
    arccos,
    arcsin,
    arctan,
    asin,
    atan,
    ceil,
    cos,
    cosh,
    erf,
    erfc,
    exp,
    expm1,
    floor,
    frac,
    isfinite,
    isinf,
    isnan,
    log,
    log1p,
    log2,
    log10,
    logical_not,
    neg,
    reciprocal,
    relu,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    tan,
    tanh,
    trunc,
)
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


def compile(model=None, **kwargs):
    """Accepted for compatibility: returns the model unchanged (Lanterna runs eagerly)."""
    if model is None:
        return lambda m: m
    return model


from . import serialization as _serialization  # noqa: E402

save = _serialization.save
load = _serialization.load
