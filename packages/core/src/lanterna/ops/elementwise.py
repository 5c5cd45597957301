"""Elementwise arithmetic with broadcasting: forward on arrays, backward in Tensor ops, side by side.

Binary ops take a Tensor and a Tensor or Python number. Broadcasting is undone by the engine
(``graph._fit_shape``), so a backward returns gradients in the output's shape.
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, attach, binary_operands, output_of

_make = Tensor._make


def _run_binary(cls, a, b, opname):
    a, b = binary_operands(a, b, opname)
    if a is NotImplemented:
        return NotImplemented
    node = cls.__new__(cls)
    if type(b) is Tensor or isinstance(b, Tensor):
        node.scalar = None
        out = _make(node.forward(a._data, b._data, a, b), a._backend, a._device)
        if GRAD_ENABLED[0] and (a._requires_grad or b._requires_grad):
            attach(node, (a, b), out)
        return out
    node.scalar = b
    out = _make(node.forward(a._data, b, a, None), a._backend, a._device)
    if GRAD_ENABLED[0] and a._requires_grad:
        attach(node, (a,), out)
    return out


class AddBackward0(Node):
    def forward(self, x, y, a, b):
        return x + y

    def backward(self, grad):
        return grad if self.scalar is not None else (grad, grad)


class AddBackwardAlpha(AddBackward0):
    """``add(a, b, alpha=k)``: b is pre-scaled, so the same node as a plain add."""


class SubBackward0(Node):
    def forward(self, x, y, a, b):
        return x - y

    def backward(self, grad):
        return grad if self.scalar is not None else (grad, -grad)


class RsubBackward1(Node):
    """``number - tensor``."""

    def forward(self, x, y, a, b):
        return y - x

    def backward(self, grad):
        return -grad


class MulBackward0(Node):
    def forward(self, x, y, a, b):
        if b is not None:
            self.save(a, b)
        return x * y

    def backward(self, grad):
        if self.scalar is not None:
            return grad * self.scalar
        a, b = self.saved
        return grad * b, grad * a


class DivBackward0(Node):
    def forward(self, x, y, a, b):
        if b is not None:
            self.save(a, b)
        return x / y

    def backward(self, grad):
        if self.scalar is not None:
            return grad / self.scalar
        a, b = self.saved
        gb = None
        if b._requires_grad:
            gb = -grad * a / (b * b)
        return grad / b, gb


class RdivBackward0(Node):
    """``number / tensor``."""

    def forward(self, x, y, a, b):
        self.save(a)
        return y / x

    def backward(self, grad):
        (a,) = self.saved
        return -grad * self.scalar / (a * a)


class PowBackward0(Node):
    """``tensor ** number``."""

    def forward(self, x, y, a, b):
        self.save(a)
        return x**y

    def backward(self, grad):
        (a,) = self.saved
        p = self.scalar
        if p == 0:
            return grad * 0
        return grad * p * a ** (p - 1)


class PowBackward1(Node):
    """``tensor ** tensor``."""

    def forward(self, x, y, a, b):
        self.save(a, b)
        self.out = x**y
        return self.out

    def backward(self, grad):
        a, b = self.saved
        ga = grad * b * a ** (b - 1)
        gb = None
        if b._requires_grad:
            out = output_of(self, self.out, a) if not GRAD_ENABLED[0] else a**b
            # d(a^b)/db = a^b * log(a), defined as 0 where a == 0 and b >= 0 (as PyTorch)
            gb = (grad * out * a.log()).masked_fill((a == 0) & (b >= 0), 0)
        return ga, gb


class RpowBackward0(Node):
    """``number ** tensor``."""

    def forward(self, x, y, a, b):
        import math

        self.out = y**x
        self.log_base = math.log(y) if y > 0 else float("nan")
        return self.out

    def backward(self, grad):
        if self.scalar == 0:
            return grad * 0
        return grad * output_of(self, self.out, grad) * self.log_base


def _bool_to_int(a):
    return a


def add(input, other, *, alpha=1, out=None):
    if alpha != 1:
        other = other * alpha
    r = _run_binary(AddBackward0, input, other, "add")
    return _write_out(r, out)


def sub(input, other, *, alpha=1, out=None):
    if isinstance(input, Tensor) and input.dtype is D.bool_ and isinstance(other, Tensor) and other.dtype is D.bool_:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
            "`logical_xor()` operator instead."
        )
    if alpha != 1:
        other = other * alpha
    return _write_out(_run_binary(SubBackward0, input, other, "sub"), out)


def rsub(input, other, alpha=1):
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    return _run_binary(RsubBackward1, input, other * alpha if alpha != 1 else other, "rsub")


def mul(input, other, *, out=None):
    return _write_out(_run_binary(MulBackward0, input, other, "mul"), out)


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is not None:
        r = floor_divide(input, other) if rounding_mode == "floor" else _trunc_div(input, other)
        return _write_out(r, out)
    if isinstance(input, Tensor) and not input.dtype.is_floating_point:
        if not (isinstance(other, Tensor) and other.dtype.is_floating_point):
            input = cast(input, D.get_default_dtype())
    elif not isinstance(input, Tensor) and isinstance(other, Tensor) and not other.dtype.is_floating_point:
        other = cast(other, D.get_default_dtype())
    return _write_out(_run_binary(DivBackward0, input, other, "div"), out)


def _trunc_div(a, b):
    q = div(a, b)
    if isinstance(a, Tensor) and not a.dtype.is_floating_point and not (isinstance(b, Tensor) and b.dtype.is_floating_point) and not isinstance(b, float):
        return q.trunc().to(a.dtype)
    return q.trunc()


def rdiv(x, number):
    if not x.dtype.is_floating_point:
        x = cast(x, D.get_default_dtype())
    return _run_binary(RdivBackward0, x, number, "div")


def pow(input, exponent):
    if isinstance(exponent, Tensor):
        if not isinstance(input, Tensor):
            return _run_binary(RpowBackward0, exponent, input, "pow") if not isinstance(exponent, bool) else None
        return _run_binary(PowBackward1, input, exponent, "pow")
    if isinstance(exponent, int) and not isinstance(exponent, bool) and exponent < 0 and not input.dtype.is_floating_point:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _run_binary(PowBackward0, input, exponent, "pow")


def rpow(x, number):
    if not x.dtype.is_floating_point and isinstance(number, float):
        x = cast(x, D.get_default_dtype())
    return _run_binary(RpowBackward0, x, number, "pow")


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


# ---- floor division and remainder (not differentiable w.r.t. the divisor in a useful way) --
class FloorDivide(Node):
    def forward(self, x, y, a, b):
        xp = a._backend.xp
        return xp.floor_divide(x, y)

    def backward(self, grad):
        return (grad * 0,) if self.scalar is not None else (grad * 0, grad * 0)


def floor_divide(input, other):
    r = _run_binary(FloorDivide, input, other, "floor_divide")
    return r.detach() if r is not NotImplemented else r


class RemainderBackward0(Node):
    def forward(self, x, y, a, b):
        if b is not None:
            self.save(a, b)
        return a._backend.xp.remainder(x, y)

    def backward(self, grad):
        if self.scalar is not None:
            return grad
        a, b = self.saved
        return grad, -grad * a.div(b, rounding_mode="floor")


def remainder(input, other):
    if not isinstance(input, Tensor):
        from ._apply import as_tensor_like

        input = as_tensor_like(input, other)
    return _run_binary(RemainderBackward0, input, other, "remainder")


class FmodBackward0(Node):
    def forward(self, x, y, a, b):
        if b is not None:
            self.save(a, b)
        return a._backend.xp.fmod(x, y)

    def backward(self, grad):
        if self.scalar is not None:
            return grad
        a, b = self.saved
        return grad, -grad * a.div(b, rounding_mode="trunc")


def fmod(input, other):
    return _run_binary(FmodBackward0, input, other, "fmod")
