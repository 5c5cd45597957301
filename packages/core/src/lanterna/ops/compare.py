"""Comparisons and logical ops: results are bool tensors and carry no gradient."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ._apply import binary_operands

_make = Tensor._make
__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and",
           "logical_or", "logical_xor"]


def _compare(name):
    def op(input, other):
        a, b = binary_operands(input, other, name)
        if a is NotImplemented:
            return NotImplemented
        y = b._data if isinstance(b, Tensor) else b
        return _make(getattr(a._backend.xp, name)(a._data, y), a._backend, a._device)

    op.__name__ = name
    return op


eq = _compare("equal")
ne = _compare("not_equal")
lt = _compare("less")
le = _compare("less_equal")
gt = _compare("greater")
ge = _compare("greater_equal")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(name, bitwise):
    def op(input, other):
        a, b = binary_operands(input, other, name)
        if a is NotImplemented:
            return NotImplemented
        if bitwise and a.dtype.is_floating_point:
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{a.dtype.name.capitalize()}\'')
        xp = a._backend.xp
        y = b._data if isinstance(b, Tensor) else b
        if bitwise:
            return _make(getattr(xp, name)(a._data, y), a._backend, a._device)
        return _make(getattr(xp, name)(a._data.astype(bool), xp.asarray(y).astype(bool)), a._backend, a._device)

    return op


bitwise_and = _logical("bitwise_and", True)
bitwise_or = _logical("bitwise_or", True)
bitwise_xor = _logical("bitwise_xor", True)
logical_and = _logical("logical_and", False)
logical_or = _logical("logical_or", False)
logical_xor = _logical("logical_xor", False)


def bitwise_not(input):
    if input.dtype.is_floating_point:
        raise RuntimeError("bitwise_not is only supported for integer and boolean tensors")
    return _make(~input._data, input._backend, input._device)


def equal(input, other):
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and bool((input == other).all())


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = binary_operands(input, other, "isclose")
    xp = a._backend.xp
    x = a._data
    y = b._data if isinstance(b, Tensor) else b
    close = xp.abs(x - y) <= atol + rtol * xp.abs(y)
    close = close | (x == y)
    if equal_nan and a.dtype.is_floating_point:
        close = close | (xp.isnan(x) & xp.isnan(y))
    return _make(close, a._backend, a._device)
