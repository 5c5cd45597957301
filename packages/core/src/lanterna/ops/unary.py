"""Unary math: one node class per op, forward (arrays) directly above backward (Tensor ops)."""

from __future__ import annotations

import math

from .. import _dtype as D
from .._tensor import Tensor
from ._apply import Node, apply, output_of
from .elementwise import cast


def _floating(a):
    """Float ops on integer tensors compute in the default float dtype, as in PyTorch."""
    return a if a.dtype.is_floating_point else cast(a, D.get_default_dtype())


class _ResultNode(Node):
    """A node whose backward uses its own output (exp, sqrt, tanh, sigmoid ...)."""

    def result(self, like):
        return output_of(self, self.out, like)


class NegBackward0(Node):
    def forward(self, a):
        if a.dtype is D.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                "invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return -a._data

    def backward(self, grad):
        return -grad


class ExpBackward0(_ResultNode):
    def forward(self, a):
        self.out = a._backend.xp.exp(a._data)
        return self.out

    def backward(self, grad):
        return grad * self.result(grad)


class Expm1Backward0(_ResultNode):
    def forward(self, a):
        self.out = a._backend.xp.expm1(a._data)
        return self.out

    def backward(self, grad):
        return grad * (self.result(grad) + 1)


class LogBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.log(a._data)

    def backward(self, grad):
        return grad / self.saved[0]


class Log2Backward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.log2(a._data)

    def backward(self, grad):
        return grad / (self.saved[0] * math.log(2.0))


class Log10Backward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.log10(a._data)

    def backward(self, grad):
        return grad / (self.saved[0] * math.log(10.0))


class Log1pBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.log1p(a._data)

    def backward(self, grad):
        return grad / (self.saved[0] + 1)


class SqrtBackward0(_ResultNode):
    def forward(self, a):
        self.out = a._backend.xp.sqrt(a._data)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.result(grad))


class RsqrtBackward0(_ResultNode):
    def forward(self, a):
        xp = a._backend.xp
        self.out = 1 / xp.sqrt(a._data)
        return self.out

    def backward(self, grad):
        r = self.result(grad)
        return grad * -0.5 * r * r * r


class SinBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.sin(a._data)

    def backward(self, grad):
        return grad * self.saved[0].cos()


class CosBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.cos(a._data)

    def backward(self, grad):
        return grad * -self.saved[0].sin()


class TanBackward0(_ResultNode):
    def forward(self, a):
        self.out = a._backend.xp.tan(a._data)
        return self.out

    def backward(self, grad):
        r = self.result(grad)
        return grad * (1 + r * r)


class TanhBackward0(_ResultNode):
    def forward(self, a):
        self.out = a._backend.xp.tanh(a._data)
        return self.out

    def backward(self, grad):
        r = self.result(grad)
        return grad * (1 - r * r)


class SigmoidBackward0(_ResultNode):
    def forward(self, a):
        xp = a._backend.xp
        x = a._data
        # split by sign so that exp never overflows
        e = xp.exp(-xp.abs(x))
        self.out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.out

    def backward(self, grad):
        r = self.result(grad)
        return grad * r * (1 - r)


class ReluBackward0(_ResultNode):
    def forward(self, a):
        x = a._data
        self.out = x * (x > 0)
        return self.out

    def backward(self, grad):
        return grad * (self.result(grad) > 0)


class AbsBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.abs(a._data)

    def backward(self, grad):
        return grad * self.saved[0].sign()


class SignBackward0(Node):
    def forward(self, a):
        return a._backend.xp.sign(a._data)

    def backward(self, grad):
        return grad * 0


class ReciprocalBackward0(_ResultNode):
    def forward(self, a):
        self.out = 1 / a._data
        return self.out

    def backward(self, grad):
        r = self.result(grad)
        return -grad * r * r


class ErfBackward0(Node):
    def forward(self, a):
        self.save(a)
        from . import special

        return special.erf(a._backend.xp, a._data)

    def backward(self, grad):
        x = self.saved[0]
        return grad * (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()


class _Rounding(Node):
    """floor/ceil/round/trunc: piecewise constant, zero gradient."""

    fn = "floor"

    def forward(self, a):
        xp = a._backend.xp
        if self.fn == "round":
            return xp.round(a._data, self.decimals) if self.decimals else xp.round(a._data)
        return getattr(xp, self.fn)(a._data)

    def backward(self, grad):
        return grad * 0


class FloorBackward0(_Rounding):
    fn = "floor"


class CeilBackward0(_Rounding):
    fn = "ceil"


class RoundBackward0(_Rounding):
    fn = "round"


class TruncBackward0(_Rounding):
    fn = "trunc"


def _unary_float(cls):
    def op(input):
        return apply(cls, _floating(input))

    return op


exp = _unary_float(ExpBackward0)
expm1 = _unary_float(Expm1Backward0)
log = _unary_float(LogBackward0)
log2 = _unary_float(Log2Backward0)
log10 = _unary_float(Log10Backward0)
log1p = _unary_float(Log1pBackward0)
sqrt = _unary_float(SqrtBackward0)
rsqrt = _unary_float(RsqrtBackward0)
sin = _unary_float(SinBackward0)
cos = _unary_float(CosBackward0)
tan = _unary_float(TanBackward0)
tanh = _unary_float(TanhBackward0)
sigmoid = _unary_float(SigmoidBackward0)
erf = _unary_float(ErfBackward0)
reciprocal = _unary_float(ReciprocalBackward0)


def neg(input):
    return apply(NegBackward0, input)


def relu(input):
    return apply(ReluBackward0, input)


def abs(input):
    return apply(AbsBackward0, input)


def sign(input):
    if input.dtype is D.bool_:
        return input.clone()
    return apply(SignBackward0, input)


def floor(input):
    return input.clone() if not input.dtype.is_floating_point else apply(FloorBackward0, input)


def ceil(input):
    return input.clone() if not input.dtype.is_floating_point else apply(CeilBackward0, input)


def trunc(input):
    return input.clone() if not input.dtype.is_floating_point else apply(TruncBackward0, input)


def round(input, *, decimals=0):
    return input.clone() if not input.dtype.is_floating_point else apply(RoundBackward0, input, decimals=decimals)


def frac(input):
    return input - trunc(input)


def square(input):
    return input * input


def erfc(input):
    return 1 - erf(input)


def sinh(input):
    e = exp(input)
    return (e - 1 / e) / 2


def cosh(input):
    e = exp(input)
    return (e + 1 / e) / 2


def _atan_xp(a):
    return a._backend.xp.atan(a._data)


class AtanBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.atan(a._data)

    def backward(self, grad):
        x = self.saved[0]
        return grad / (1 + x * x)


class AsinBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.asin(a._data)

    def backward(self, grad):
        x = self.saved[0]
        return grad / (1 - x * x).sqrt()


class AcosBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.acos(a._data)

    def backward(self, grad):
        x = self.saved[0]
        return -grad / (1 - x * x).sqrt()


atan = _unary_float(AtanBackward0)
asin = _unary_float(AsinBackward0)
acos = _unary_float(AcosBackward0)
arctan, arcsin, arccos = atan, asin, acos


def logical_not(input):
    return Tensor._make(~input._data.astype(bool), input._backend, input._device)


def isnan(input):
    return Tensor._make(input._backend.xp.isnan(input._data), input._backend, input._device)


def isinf(input):
    return Tensor._make(input._backend.xp.isinf(input._data), input._backend, input._device)


def isfinite(input):
    return Tensor._make(input._backend.xp.isfinite(input._data), input._backend, input._device)
