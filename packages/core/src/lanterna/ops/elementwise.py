"""Elementwise arithmetic with broadcasting: forward on arrays, backward in Tensor ops, side by side.

Binary ops take a Tensor and a Tensor or Python number. Broadcasting is undone by the engine
(``graph._fit_shape``), so a backward returns gradients in the output's shape.
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ..autograd.graph import NO_EDGE
from . import kernels
from ._apply import Node, apply, attach, attach_same_shape, binary_operands, output_of
from ._argerrors import not_a_tensor, type_name

_make = Tensor._make


def _run_binary(cls, a, b, opname):
    """The hot path of every arithmetic op: promote, compute, and record a node only if needed."""
    if not (isinstance(b, Tensor) and a._device is b._device and a._data.dtype is b._data.dtype):
        a, b = binary_operands(a, b, opname)
        if a is NotImplemented:
            return NotImplemented
    if isinstance(b, Tensor):
        try:
            data = cls.compute(a._data, b._data)
        except ValueError:
            raise _broadcast_error(a, b) from None
        out = _make(data, a._backend, a._device)
        if GRAD_ENABLED[0] and (a._requires_grad or b._requires_grad):
            node = cls.__new__(cls)
            if cls.saves:
                if cls.saves_crossed:  # each input only for the other's gradient (as PyTorch saves)
                    node.save(a if b._requires_grad else None, b if a._requires_grad else None)
                else:
                    node.save(a, b)
            if cls.saves_out:
                node.out = data
            if a._data.shape == b._data.shape:
                attach_same_shape(node, a, b, out)
            else:
                attach(node, (a, b), out)
        return out
    out = _make(cls.compute(a._data, b), a._backend, a._device)
    if GRAD_ENABLED[0] and a._requires_grad:
        node = cls.__new__(cls)
        node.scalar = b
        if cls.saves_scalar:
            node.save(a)
        if cls.saves_out:
            node.out = out._data
        attach(node, (a,), out)
        if cls.scalar_edge:  # PyTorch's graph shows the number as an input with no gradient
            node.next_functions += (NO_EDGE,)
            node._in_meta += (None,)
    return out


def _broadcast_error(a, b):
    return broadcast_error(a, b) or RuntimeError(f"shapes {list(a.shape)} and {list(b.shape)} are not broadcastable")


def broadcast_error(*operands):
    """PyTorch's RuntimeError for operands (tensors or shapes) that do not broadcast together, or
    None when they do. Shapes fold left to right as in PyTorch's TensorIterator, so "tensor a" is
    what the operands before broadcast to and "tensor b" the operand that does not fit.

    For error paths only: ops let NumPy fail and call this in their ``except ValueError``, so
    the success path pays nothing for it."""
    shape = None
    for o in operands:
        s = tuple(o.shape) if hasattr(o, "shape") else tuple(o)
        if shape is None:
            shape = s
            continue
        n = max(len(shape), len(s))
        pa, pb = (1,) * (n - len(shape)) + shape, (1,) * (n - len(s)) + s
        for i in range(n - 1, -1, -1):
            if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
                return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                                    f"at non-singleton dimension {i}")
        shape = tuple(x if y == 1 else y for x, y in zip(pa, pb))
    return None


def _kind(x):
    """NumPy's dtype kind letter of an array of any Array API library ('f', 'i', 'u', 'b')."""
    kind = getattr(x.dtype, "kind", None)
    if kind is not None:
        return kind
    name = str(x.dtype)
    return "f" if "float" in name else "b" if "bool" in name else "u" if "uint" in name else "i"


def _int_pow(x, y):
    """Integer ``x ** y`` where ``y`` may hold negative values: PyTorch gives 1 for a base of 1,
    +-1 for -1, and 0 otherwise (NumPy refuses)."""
    import numpy as np

    if not bool(np.any(y < 0)):
        return x ** y
    safe = np.where(y < 0, 0, y)
    r = x ** safe
    neg = np.where(x == 1, 1, np.where(x == -1, np.where(y % 2 == 0, 1, -1), 0)).astype(r.dtype)
    return np.where(y < 0, neg, r)


class _Binary(Node):
    """An arithmetic node: ``compute`` maps arrays (or an array and a number) to the result."""

    saves = False  # save the input tensors for backward
    saves_crossed = False  # ... each only when the other input needs a gradient (a product)
    # with a number operand, next_functions ends with (None, 0) for it, as in PyTorch (add, sub,
    # mul, div); backward then returns (gradient, None)
    scalar_edge = False
    saves_out = False  # keep the output array for backward
    saves_scalar = False  # with a number operand, save the tensor (only pow needs it)
    scalar = None  # the number operand, if any


def _add(x, y):
    try:
        return x + y
    except TypeError:  # the standard has no arithmetic on bools: a sum of bools is their "or"
        return kernels.namespace(x).logical_or(x, y)


def _mul(x, y):
    try:
        return x * y
    except TypeError:  # ... and a product of bools their "and"
        return kernels.namespace(x).logical_and(x, y)


class AddBackward0(_Binary):
    compute = staticmethod(_add)
    scalar_edge = True

    def backward(self, grad):
        return (grad, None) if self.scalar is not None else (grad, grad)


class SubBackward0(_Binary):
    compute = staticmethod(lambda x, y: x - y)
    scalar_edge = True

    def backward(self, grad):
        return (grad, None) if self.scalar is not None else (grad, -grad)


class RsubBackward1(_Binary):
    """``number - tensor``."""

    compute = staticmethod(lambda x, y: y - x)

    def backward(self, grad):
        return -grad


class MulBackward0(_Binary):
    compute = staticmethod(_mul)
    scalar_edge = True
    saves = True
    saves_crossed = True

    def backward(self, grad):
        if self.scalar is not None:
            return grad * self.scalar, None
        a, b = self.saved
        edges = self.next_functions  # skip the product for an input that takes no gradient
        return (grad * b if edges[0][0] is not None else None,
                grad * a if edges[1][0] is not None else None)


class DivBackward0(_Binary):
    compute = staticmethod(lambda x, y: x / y)
    scalar_edge = True
    saves = True

    def backward(self, grad):
        if self.scalar is not None:
            return grad / self.scalar, None
        a, b = self.saved
        gb = None
        if b._requires_grad:
            gb = -grad * a / (b * b)
        return grad / b if self.next_functions[0][0] is not None else None, gb


class PowBackward0(_Binary):
    """``tensor ** number``."""

    compute = staticmethod(lambda x, y: x**y)
    saves = True
    saves_scalar = True

    def backward(self, grad):
        (a,) = self.saved
        p = self.scalar
        if p == 0:
            return grad * 0
        return grad * p * a ** (p - 1)


class PowBackward1(_Binary):
    """``tensor ** tensor``."""

    compute = staticmethod(lambda x, y: _int_pow(x, y) if _kind(x) in "iu" else x**y)
    saves = True
    saves_out = True

    def backward(self, grad):
        a, b = self.saved
        # b * a^(b-1) is 0 * inf = NaN at a == 0, b == 0; PyTorch defines the gradient as 0 wherever b == 0
        ga = (grad * b * a ** (b - 1)).masked_fill(b == 0, 0)
        gb = None
        if b._requires_grad:
            out = output_of(self, self.out, a) if not GRAD_ENABLED[0] else a**b
            # d(a^b)/db = a^b * log(a), defined as 0 where a == 0 and b >= 0 (as PyTorch)
            gb = (grad * out * a.log()).masked_fill((a == 0) & (b >= 0), 0)
        return ga, gb


class PowBackward2(_Binary):
    """``number ** tensor``."""

    # an integer exponent tensor may hold negative values: 2 ** -1 is 0 there (NumPy refuses)
    compute = staticmethod(lambda x, y: _int_pow(y, x) if _kind(x) in "iu" else y**x)
    saves_out = True

    def backward(self, grad):
        import math

        if self.scalar == 0:
            # 0 ** x is 0 or 1 (zero gradient) for x >= 0, and +-inf below: there PyTorch's
            # gradient is 0 ** x * log(0) (infinite), and NaN for a NaN exponent
            out = output_of(self, self.out, grad)
            return grad * (out * -math.inf).masked_fill(out.isfinite(), 0)
        log_base = math.log(self.scalar) if self.scalar > 0 else float("nan")
        return grad * output_of(self, self.out, grad) * log_base


RpowBackward0 = PowBackward2


class RsubBackward0(_Binary):
    """``torch.rsub(tensor, tensor)``: ``other - input``."""

    compute = staticmethod(lambda x, y: y - x)

    def backward(self, grad):
        return -grad, grad


# The operators: ``self`` is always a Tensor, so they skip add()'s alpha/out/number-first handling.
def add_operator(self, other):
    return _run_binary(AddBackward0, self, other, "add")


def mul_operator(self, other):
    return _run_binary(MulBackward0, self, other, "mul")


def sub_operator(self, other):
    if isinstance(other, Tensor):
        if self.dtype is D.bool_ or other.dtype is D.bool_:
            _check_bool_sub(self, other)
    elif self.dtype is D.bool_ or other.__class__ is bool:  # PyTorch takes True as a bool tensor
        _check_bool_sub(self, other)
    return _run_binary(SubBackward0, self, other, "sub")


def invalid_arguments(name, args, signatures=("Tensor input, Tensor other", "Tensor input, Number other")):
    """PyTorch's TypeError for arguments that fit none of an op's overloads (``fmod(2, t)``)."""
    got = ", ".join(type_name(a) for a in args)
    lines = "".join(f" * ({s}, *, Tensor out = None)\n" for s in signatures)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     f"{lines}")


def need_tensor(name, value, arg="input", position=1):
    """PyTorch's TypeError for a number (or other object) where a parameter takes only a Tensor."""
    return not_a_tensor(name, value, arg, position)


def _tensor_first(input, other, name="add"):
    """``f(number, tensor)`` as ``f(tensor, tensor)`` (the number as a 0-dim tensor); two numbers,
    as in PyTorch, make a 0-dim tensor of the first (``torch.add(1, 2)`` is ``tensor(3)``)."""
    if isinstance(input, Tensor):
        return input
    if isinstance(other, Tensor):
        from ._apply import as_tensor_like

        return as_tensor_like(input, other)
    if isinstance(input, (bool, int, float)) and isinstance(other, (bool, int, float)):
        from .creation import tensor

        return tensor(input)
    raise not_a_tensor(name, input)


def scaled_by_alpha(input, other, alpha):
    """``other * alpha`` for add/sub, after PyTorch's checks of ``alpha`` against the result dtype
    (called only when ``alpha`` is not the plain int 1)."""
    if alpha.__class__ is float and isinstance(input, Tensor) and input.dtype.is_floating_point:
        return other * alpha  # the optimizers' ``p.add_(g, alpha=-lr)``: nothing to check
    if check_alpha(input, other, alpha) is D.bool_:
        alpha = bool(alpha)  # a bool result scales by a bool, as PyTorch's kernel casts it
    return other if alpha == 1 else other * alpha


def check_alpha(input, other, alpha):
    """PyTorch's ``alpha_check``: the kind of ``alpha`` must suit the result dtype."""
    rt = D.result_type(input, other)
    if alpha.__class__ is bool and rt is not D.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, complex) and not rt.is_complex:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex number.")
    if isinstance(alpha, float) and not (rt.is_floating_point or rt.is_complex):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    return rt


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and type promotion.

    >>> import lanterna as torch
    >>> torch.add(torch.tensor([1, 2]), 2.5)
    tensor([3.5000, 4.5000])
    """
    if alpha.__class__ is not int or alpha != 1:
        other = scaled_by_alpha(input, other, alpha)
    return _write_out(_run_binary(AddBackward0, _tensor_first(input, other), other, "add"), out)


def _check_bool_sub(input, other):
    """PyTorch refuses subtraction with a bool operand, a Python bool included (``x - True``)."""
    ab = input.dtype is D.bool_ if isinstance(input, Tensor) else input.__class__ is bool
    bb = other.dtype is D.bool_ if isinstance(other, Tensor) else other.__class__ is bool
    if ab and bb:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if ab or bb:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``."""
    if (input.dtype is D.bool_ if isinstance(input, Tensor) else input.__class__ is bool) or \
            (other.dtype is D.bool_ if isinstance(other, Tensor) else other.__class__ is bool):
        _check_bool_sub(input, other)
    if alpha.__class__ is not int or alpha != 1:
        other = scaled_by_alpha(input, other, alpha)
    return _write_out(_run_binary(SubBackward0, _tensor_first(input, other, "sub"), other, "sub"), out)


def rsub(input, other, alpha=1):
    """``other - alpha * input``."""
    if (isinstance(input, Tensor) and input.dtype is D.bool_) or other.__class__ is bool or \
            (isinstance(other, Tensor) and other.dtype is D.bool_):
        _check_bool_sub(input, other)
    if alpha.__class__ is not int or alpha != 1:
        check_alpha(input, other, alpha)
        input = input * alpha if alpha != 1 else input
    if isinstance(other, Tensor):
        return _run_binary(RsubBackward0, input, other, "rsub")
    return _run_binary(RsubBackward1, input, other, "rsub")


def mul(input, other, *, out=None):
    """``input * other``."""
    return _write_out(_run_binary(MulBackward0, _tensor_first(input, other, "mul"), other, "mul"), out)


def div(input, other, *, rounding_mode=None, out=None):
    """``input / other``: true division (integers give floats), or rounded with
    ``rounding_mode='trunc'`` or ``'floor'`` (keeping integer dtypes)."""
    if rounding_mode is None:
        input, other = _true_div_first(input, other)
    else:
        input = _tensor_first(input, other, "div")
    if rounding_mode is not None:
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                               f"'{rounding_mode}'")
        cls = DivBackward2 if rounding_mode == "floor" else _DivTrunc
        return _write_out(_run_binary(cls, input, other, "div"), out)
    if not input.dtype.is_floating_point and not (isinstance(other, Tensor) and other.dtype.is_floating_point):
        input = cast(input, D.get_default_dtype())
    return _write_out(_run_binary(DivBackward0, input, other, "div"), out)


def _true_div_first(input, other):
    """The number of ``div(number, tensor)`` as a tensor. True division runs in floating point, so
    an integer ``other`` goes there first: taken into ``other``'s dtype, -3 would wrap to 253 in a
    uint8."""
    if not isinstance(input, Tensor) and isinstance(other, Tensor) and not other.dtype.is_floating_point:
        other = cast(other, D.get_default_dtype())
    return _tensor_first(input, other, "div"), other


def rdiv(x, number):
    """``number / x``, as PyTorch computes it: ``x.reciprocal() * number``."""
    return x.reciprocal() * number


def pow(input, exponent):
    """``input ** exponent`` (either may be a number)."""
    if not isinstance(input, Tensor):
        return rpow(exponent, input)
    if isinstance(exponent, Tensor):
        if input.dtype is D.bool_ and exponent.dtype is D.bool_:
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        return _run_binary(PowBackward1, input, exponent, "pow")
    if exponent.__class__ is bool and input.dtype is D.bool_:
        # a bool tensor to a bool power stays bool (PyTorch): x ** True is x, x ** False is all True
        return input.clone() if exponent else input.logical_or(input.logical_not())
    if isinstance(exponent, int) and not isinstance(exponent, bool) and exponent < 0 \
            and not input.dtype.is_floating_point:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _run_binary(PowBackward0, input, exponent, "pow")


def rpow(x, number):
    """``number ** x``."""
    if number.__class__ is bool and x.dtype is D.bool_:
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if not x.dtype.is_floating_point and isinstance(number, float):
        x = cast(x, D.get_default_dtype())
    return _run_binary(PowBackward2, x, number, "pow")


def _write_out(result, out):
    if out is None:
        return result
    out.copy_(result) if out.shape == result.shape else out.set_data_(result)
    return out


# ---- casts --------------------------------------------------------------------------------
class ToCopyBackward0(Node):
    def forward(self, a):
        self.src_dtype = a.dtype
        xp = a._backend.xp
        return xp.astype(a._data, self.dtype.np if a._backend.name == "cpu" else a._backend.dtype(self.dtype))

    def backward(self, grad):
        src = getattr(self, "source_device", None)
        if src is not None:
            return grad.to(src)
        return grad.to(self.src_dtype)


def cast(a, dtype):
    if a.dtype is dtype:
        return a
    if a._requires_grad and GRAD_ENABLED[0] and not dtype.is_floating_point:
        out = apply(ToCopyBackward0, a, dtype=dtype)
        out.grad_fn = None
        out._requires_grad = False
        return out
    return apply(ToCopyBackward0, a, dtype=dtype)


# ---- rounding division and remainder -------------------------------------------------------
def _check_int_divisor(x, y):
    """Integer division by zero raises in PyTorch (NumPy would return 0 with a warning)."""
    if kernels.is_integral(x) and (y == 0 if isinstance(y, (int, float)) else bool(kernels.namespace(y).any(y == 0))):
        raise RuntimeError("ZeroDivisionError")


class _NotImplementedGrad(_Binary):
    """An op PyTorch records but cannot differentiate: its backward raises, naming the op."""

    op = "floor_divide"

    def name(self):
        return "torch::autograd::NotImplemented"

    def backward(self, grad):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


def _no_bool(x, kernel):
    if _kind(x) == "b":  # promoted to bool: PyTorch has no bool kernel for the division family
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _floor_div(x, y):
    _no_bool(x, "div_floor_cpu")
    _check_int_divisor(x, y)
    return x // y


def _trunc_div(x, y):
    _no_bool(x, "div_trunc_cpu")
    if kernels.is_integral(x):
        _check_int_divisor(x, y)
        # the floor quotient, moved towards zero where the signs differ and the division is inexact
        q = x // y
        return kernels.namespace(x).where((x % y != 0) & ((x < 0) != (y < 0)), q + 1, q)
    return kernels.namespace(x).trunc(x / y)


class FloorDivide(_NotImplementedGrad):
    compute = staticmethod(_floor_div)


def floor_divide(input, other):
    """``input // other``: the quotient rounded down (Python's semantics)."""
    return _run_binary(FloorDivide, _tensor_first(input, other, "floor_divide"), other, "floor_divide")


class DivBackward2(_Binary):
    """``div(rounding_mode='floor')``: piecewise constant, so the gradients are zero."""
    scalar_edge = True

    compute = staticmethod(_floor_div)

    def backward(self, grad):
        return (grad * 0, None) if self.scalar is not None else (grad * 0, grad * 0)


class _DivTrunc(DivBackward2):
    """``div(rounding_mode='trunc')``."""

    compute = staticmethod(_trunc_div)

    def name(self):
        return "DivBackward2"


def _remainder(x, y):
    _no_bool(x, "remainder_cpu")
    _check_int_divisor(x, y)
    r = x % y
    if _kind(r) == "f":
        # PyTorch adjusts C's fmod, so a zero remainder keeps the dividend's sign (-0.0 % 2 is -0.0);
        # Python's % gives it the divisor's. x * 0 is a zero of x's sign wherever r is 0.
        r = kernels.namespace(r).where(r == 0, x * 0, r)
    return r


class RemainderBackward0(_Binary):
    """``tensor % number``."""

    compute = staticmethod(_remainder)

    def backward(self, grad):
        return grad


class RemainderBackward1(_Binary):
    """``tensor % tensor``."""

    compute = staticmethod(_remainder)
    saves = True

    def backward(self, grad):
        a, b = self.saved
        return grad, -grad * a.div(b, rounding_mode="floor")


class _RemainderScalarFirst(_NotImplementedGrad):
    op = "remainder"
    compute = staticmethod(_remainder)


def remainder(input, other):
    """``input % other``: the remainder has the divisor's sign (Python's semantics)."""
    if not isinstance(input, Tensor):
        return _run_binary(_RemainderScalarFirst, _tensor_first(input, other, "remainder"), other, "remainder")
    cls = RemainderBackward1 if isinstance(other, Tensor) else RemainderBackward0
    return _run_binary(cls, input, other, "remainder")


class FmodBackward0(_Binary):
    """``fmod(tensor, number)``: the remainder has the dividend's sign (C's semantics)."""

    @staticmethod
    def compute(x, y):
        _no_bool(x, "fmod_cpu")
        _check_int_divisor(x, y)
        return kernels.fmod(x, y)

    def backward(self, grad):
        return grad


class FmodBackward1(FmodBackward0):
    saves = True

    def backward(self, grad):
        a, b = self.saved
        return grad, -grad * a.div(b, rounding_mode="trunc")


def fmod(input, other):
    """C-style remainder: ``input - trunc(input / other) * other``."""
    if not isinstance(input, Tensor):
        raise invalid_arguments("fmod", (input, other))
    cls = FmodBackward1 if isinstance(other, Tensor) else FmodBackward0
    return _run_binary(cls, input, other, "fmod")
