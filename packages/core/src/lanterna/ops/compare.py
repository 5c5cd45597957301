"""Comparisons, logical and bitwise ops: bool (or integer) results that carry no gradient."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from .special import quiet
from ._apply import binary_operands
from .elementwise import _broadcast_error
from ._argerrors import not_a_tensor

_make = Tensor._make
__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and",
           "logical_or", "logical_xor", "bitwise_left_shift", "bitwise_right_shift"]


def _operands(input, other, name):
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise _two_numbers_error(name, input, other)
        from ._apply import as_tensor_like

        input = as_tensor_like(input, other)
    return binary_operands(input, other, name)


_PUBLIC_NAMES = {"lshift": "bitwise_left_shift", "rshift": "bitwise_right_shift"}


def _two_numbers_error(name, input, other):
    """PyTorch's "invalid combination" TypeError for a bitwise op given no tensor at all."""
    from ._argerrors import invalid_combination

    return invalid_combination(_PUBLIC_NAMES.get(name, name), (input, other),
                               ("Tensor input, Tensor other, *, Tensor out = None",
                                ("Number self, Tensor other", ("Number", "Tensor")),
                                "Tensor input, Number other, *, Tensor out = None"))


def _tensor_operands(input, other, name):
    """Operands of an op with no number overloads (logical_and, isclose): both must be tensors."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        from .pointwise import tensor_pair

        tensor_pair(name, input, other)
    return binary_operands(input, other, name)


def _run(fn, a, b):
    y = b._data if isinstance(b, Tensor) else b
    try:
        return _make(fn(a._data, y), a._backend, a._device)
    except ValueError:
        if isinstance(b, Tensor):
            raise _broadcast_error(a, b) from None
        raise


def _compare(name, fn_name):
    def op(input, other):
        if not isinstance(input, Tensor):  # the operators always pass a Tensor first
            from .elementwise import invalid_arguments

            raise invalid_arguments(name, (input, other))
        a, b = _operands(input, other, name)
        if a is NotImplemented:
            return NotImplemented
        return _run(getattr(a._backend.xp, fn_name), a, b)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` with broadcasting and type promotion; a bool tensor."
    return op


eq = _compare("eq", "equal")
ne = _compare("ne", "not_equal")
lt = _compare("lt", "less")
le = _compare("le", "less_equal")
gt = _compare("gt", "greater")
ge = _compare("ge", "greater_equal")
# the aliases are ops of their own so that their errors name them, as PyTorch's do
greater = _compare("greater", "greater")
greater_equal = _compare("greater_equal", "greater_equal")
less = _compare("less", "less")
less_equal = _compare("less_equal", "less_equal")
not_equal = _compare("not_equal", "not_equal")


def _bitwise(name, fn_name, shift=False):
    def op(input, other):
        a, b = _operands(input, other, name)
        if a is NotImplemented:
            return NotImplemented
        if a.dtype.is_floating_point or (shift and a.dtype is D.bool_):
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_scalar_name(a.dtype)}\'')
        return _run(getattr(a._backend.xp, fn_name), a, b)

    op.__name__ = name
    return op


def _scalar_name(d):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(d)


bitwise_and = _bitwise("bitwise_and", "bitwise_and")
bitwise_or = _bitwise("bitwise_or", "bitwise_or")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor")
bitwise_left_shift = _bitwise("lshift", "bitwise_left_shift", shift=True)
bitwise_right_shift = _bitwise("rshift", "bitwise_right_shift", shift=True)


def _logical(name, fn_name):
    def op(input, other):
        a, b = _tensor_operands(input, other, name)
        if a is NotImplemented:
            return NotImplemented
        xp = a._backend.xp
        fn = getattr(xp, fn_name)
        y = b._data if isinstance(b, Tensor) else b
        try:
            r = fn(xp.astype(a._data, xp.bool), xp.astype(xp.asarray(y), xp.bool))
        except ValueError:
            raise _broadcast_error(a, b) from None
        return _make(r, a._backend, a._device)

    op.__name__ = name
    return op


logical_and = _logical("logical_and", "logical_and")
logical_or = _logical("logical_or", "logical_or")
logical_xor = _logical("logical_xor", "logical_xor")


def bitwise_not(input):
    """``~input``: bitwise NOT of an integer tensor, logical NOT of a bool tensor."""
    if input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{_scalar_name(input.dtype)}'")
    return _make(input._backend.xp.bitwise_invert(input._data), input._backend, input._device)


def invert(input):
    """``~input`` (the operator refuses floating tensors with a TypeError, as in PyTorch)."""
    if input.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(input)


def equal(input, other):
    """True when both tensors have the same shape and elements."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('equal', input)
    return tuple(input.shape) == tuple(other.shape) and bool((input == other).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (infinities equal themselves)."""
    a, b = _tensor_operands(input, other, "isclose")
    if isinstance(b, Tensor) and a.dtype is not b.dtype:
        raise RuntimeError(f"{_scalar_name(a.dtype)} did not match {_scalar_name(b.dtype)}")
    xp = a._backend.xp
    x = a._data
    y = b._data if isinstance(b, Tensor) else b
    if not a.dtype.is_floating_point:
        x = xp.astype(x, xp.float64)
        y = xp.astype(xp.asarray(y), xp.float64)
    try:
        with quiet(xp):
            close = (x == y) | (xp.abs(x - y) <= atol + rtol * xp.abs(y))
    except ValueError:
        raise _broadcast_error(a, b) from None
    if equal_nan and a.dtype.is_floating_point:
        close = close | (xp.isnan(x) & xp.isnan(y))
    return _make(close, a._backend, a._device)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when :func:`isclose` holds everywhere."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("allclose", input)
    return bool(isclose(input, other, rtol, atol, equal_nan).all())
