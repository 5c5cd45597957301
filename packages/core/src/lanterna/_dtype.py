"""Data types and PyTorch's type-promotion rules.

A ``dtype`` prints as ``torch.float32`` on purpose: code written for PyTorch compares and prints
dtypes, and ``import lanterna as torch`` must print what PyTorch prints.
"""

from __future__ import annotations

import numpy as np

from ._naming import TorchNamedType


class dtype(metaclass=TorchNamedType):
    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category", "is_complex")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._category = category  # 0 bool, 1 integer, 2 floating: the promotion categories
        self.is_floating_point = category == 2
        self.is_complex = False
        self.is_signed = name not in ("bool", "uint8")
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self):
        return self

    def to_complex(self):
        raise NotImplementedError("complex dtypes are not supported")


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)


class UnsupportedDtype(dtype):
    """A PyTorch dtype that code may *name* (``torch.bfloat16``, ``torch.complex64``) but that
    Lanterna cannot hold: NumPy has no bfloat16, and Lanterna has no complex tensors. Comparing,
    printing and pickling it work; making or casting a tensor to it raises a TypeError naming it."""

    __slots__ = ()

    def __init__(self, name: str, itemsize: int, category: int, complex_: bool = False):
        self.name = name
        self._category = category
        self.is_floating_point = category == 2 and not complex_
        self.is_complex = complex_
        self.is_signed = not name.startswith("uint")
        self.itemsize = itemsize

    @property
    def np(self):
        raise TypeError(
            f"torch.{self.name} is not supported by Lanterna (tensors are NumPy arrays: "
            "no bfloat16, float8, complex or wide unsigned integer arrays); use torch.float32, "
            "torch.float64 or an integer dtype instead")

    def to_real(self):
        return {"complex32": float16, "complex64": float32, "complex128": float64}.get(self.name, self)


bfloat16 = UnsupportedDtype("bfloat16", 2, 2)
complex32 = UnsupportedDtype("complex32", 4, 2, complex_=True)
complex64 = UnsupportedDtype("complex64", 8, 2, complex_=True)
complex128 = UnsupportedDtype("complex128", 16, 2, complex_=True)
uint16 = UnsupportedDtype("uint16", 2, 1)
uint32 = UnsupportedDtype("uint32", 4, 1)
uint64 = UnsupportedDtype("uint64", 8, 1)
float8_e4m3fn = UnsupportedDtype("float8_e4m3fn", 1, 2)
float8_e5m2 = UnsupportedDtype("float8_e5m2", 1, 2)
UNSUPPORTED = (bfloat16, complex32, complex64, complex128, uint16, uint32, uint64, float8_e4m3fn, float8_e5m2)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NP = {d.np: d for d in ALL_DTYPES}
# PyTorch's aliases
ALIASES = {
    "float": float32, "double": float64, "half": float16, "short": int16, "int": int32,
    "long": int64, "bool": bool_, "uint8": uint8,
}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME.get(name) or next(d for d in UNSUPPORTED if d.name == name)


def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


class _Defaults:
    float_dtype = float32


DEFAULTS = _Defaults()


def get_default_dtype() -> dtype:
    return DEFAULTS.float_dtype


def set_default_dtype(d: dtype) -> None:
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    DEFAULTS.float_dtype = d


def to_dtype(d) -> dtype:
    """Accept a lanterna dtype, a NumPy dtype, or a Python type (float, int, bool)."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    return from_numpy_dtype(d)


_promote_cache: dict = {}


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: like NumPy's table, except that a float with an integer stays that float."""
    if a is b:
        return a
    key = (a, b)
    r = _promote_cache.get(key)
    if r is None:
        if a._category != b._category and max(a._category, b._category) == 2:
            r = a if a._category == 2 else b
        else:
            r = _BY_NP[np.promote_types(a.np, b.np)]
        _promote_cache[key] = r
    return r


def scalar_dtype(value) -> dtype:
    """The dtype a Python number takes when it joins a tensor expression."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    return DEFAULTS.float_dtype


def result_type(*operands) -> dtype:
    """torch.result_type over tensors and Python scalars.

    Dimensioned tensors outrank zero-dim tensors, which outrank Python scalars; a lower-priority
    operand only matters when it is of a higher category (bool < integer < floating).
    """
    from ._tensor import Tensor

    dim_r = zero_r = wrapped_r = None
    for op in operands:
        if isinstance(op, Tensor):
            if op._data.ndim:
                dim_r = op.dtype if dim_r is None else promote_types(dim_r, op.dtype)
            else:
                zero_r = op.dtype if zero_r is None else promote_types(zero_r, op.dtype)
        else:
            d = scalar_dtype(op)
            wrapped_r = d if wrapped_r is None else promote_types(wrapped_r, d)
    return _combine(dim_r, _combine(zero_r, wrapped_r))


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


_CPP_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
    "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
}


def cpp_name(d: dtype) -> str:
    """The C++ type name PyTorch's error messages use (``float``, ``long int`` ...)."""
    return _CPP_NAMES[d.name]


def can_cast(from_: dtype, to: dtype) -> bool:
    """``torch.can_cast``: False only where the cast would lower the category (float -> int ...)."""
    return from_._category <= to._category


class finfo:
    """Machine limits of a floating dtype (``torch.finfo``).

    >>> import lanterna as torch
    >>> torch.finfo(torch.float32).eps
    1.1920928955078125e-07
    """

    def __init__(self, type=None):
        d = DEFAULTS.float_dtype if type is None else type
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'")
        self.dtype = d.name
        if d is bfloat16:  # named only (no bfloat16 arrays), but its limits are well defined
            self.bits, self.eps, self.max, self.tiny, self.resolution = 16, 0.0078125, 3.3895313892515355e38, \
                1.1754943508222875e-38, 0.01
            self.min, self.smallest_normal = -self.max, self.tiny
            return
        info = np.finfo(d.np)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype (``torch.iinfo``)."""

    def __init__(self, type):
        if type.is_floating_point:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle '{type!r}'")
        if type is bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        info = np.iinfo(type.np)
        self.dtype = type.name
        self.bits = info.bits
        self.max = int(info.max)
        self.min = int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
