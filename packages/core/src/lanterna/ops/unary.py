"""Unary math: one node class per op, forward (arrays) directly above backward (Tensor ops)."""

from __future__ import annotations

import math

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, output_of
from ._argerrors import invalid_combination, not_a_tensor
from .elementwise import cast
from .kernels import kernel


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


class Log1PBackward0(Node):
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
        self.out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.out

    def backward(self, grad):
        r = self.result(grad)
        return grad * r * (1 - r)


class ReluBackward0(_ResultNode):
    def forward(self, a):
        x = a._data
        # a kernel (a select, not x * (x > 0)): -1 * 0 would be -0, and the standard has no bool arithmetic
        self.out = kernel(a._backend, "relu")(x)
        return self.out

    def backward(self, grad):
        # zero where the output is <= 0 (a NaN output passes its gradient, as in PyTorch), as a
        # select: masked entries are +0.0, not the -0.0 of grad * 0
        if not GRAD_ENABLED[0]:
            return Tensor._make(kernel(grad._backend, "relu_backward")(self.out, grad._data), grad._backend,
                                grad._device)
        keep = grad._backend.xp.logical_not(self.out <= 0)
        return grad.where(Tensor._make(keep, grad._backend, grad._device), 0.0)


class AbsBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.abs(a._data)

    def backward(self, grad):
        return grad * self.saved[0].sign()


class SignBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        r = xp.sign(a._data)
        if a.dtype.is_floating_point:
            # PyTorch computes (0 < x) - (x < 0): a NaN has sign 0 (which also makes abs's
            # gradient 0 there), where xp.sign propagates the NaN
            r = xp.where(xp.isnan(r), xp.zeros((), dtype=r.dtype), r)
        return r

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
        return kernel(a._backend, "erf")(a._data)

    def backward(self, grad):
        x = self.saved[0]
        return grad * (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()


class _Rounding(Node):
    """floor/ceil/round/trunc: piecewise constant, zero gradient."""

    fn = "floor"

    def forward(self, a):
        xp = a._backend.xp
        if self.fn == "round":
            d = self.decimals
            if not d:
                return xp.round(a._data)
            # as PyTorch: nearbyint(x * 10^d) / 10^d (the standard's round takes no decimals)
            scale = 10.0 ** (d if d > 0 else -d)
            return xp.round(a._data * scale) / scale if d > 0 else xp.round(a._data / scale) * scale
        return getattr(xp, self.fn)(a._data)

    def backward(self, grad):
        return grad * 0


class FloorBackward0(_Rounding):
    fn = "floor"


class CeilBackward0(_Rounding):
    fn = "ceil"


class RoundBackward0(_Rounding):
    fn = "round"


class RoundBackward1(_Rounding):
    fn = "round"


class TruncBackward0(_Rounding):
    fn = "trunc"


def _unary_float(cls, name):
    """The public function ``name`` (PyTorch's name, which its TypeError for a non-tensor shows)."""

    def op(input):
        if not isinstance(input, Tensor):
            raise not_a_tensor(name, input)
        return apply(cls, _floating(input))

    op.__name__ = op.__qualname__ = name
    return op


exp = _unary_float(ExpBackward0, "exp")
expm1 = _unary_float(Expm1Backward0, "expm1")
log = _unary_float(LogBackward0, "log")
log2 = _unary_float(Log2Backward0, "log2")
log10 = _unary_float(Log10Backward0, "log10")
log1p = _unary_float(Log1PBackward0, "log1p")
sqrt = _unary_float(SqrtBackward0, "sqrt")
rsqrt = _unary_float(RsqrtBackward0, "rsqrt")
sin = _unary_float(SinBackward0, "sin")
cos = _unary_float(CosBackward0, "cos")
tan = _unary_float(TanBackward0, "tan")
tanh = _unary_float(TanhBackward0, "tanh")
sigmoid = _unary_float(SigmoidBackward0, "sigmoid")
erf = _unary_float(ErfBackward0, "erf")
reciprocal = _unary_float(ReciprocalBackward0, "reciprocal")


def _neg(name):
    """``neg`` under the public name ``name`` (``neg`` or its alias ``negative``): one function
    each, so a non-tensor's TypeError names the one called, with no extra call per use."""

    def neg(input):
        if not isinstance(input, Tensor):
            raise not_a_tensor(name, input)
        if GRAD_ENABLED[0] or input.dtype is D.bool_:
            return apply(NegBackward0, input)
        # no graph can be recorded (a plain backward negates every SubBackward's gradient): no node
        return Tensor._make(-input._data, input._backend, input._device)

    neg.__name__ = neg.__qualname__ = name
    return neg


neg = _neg("neg")
negative = _neg("negative")


def relu(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("relu", input)
    if input.dtype is D.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return apply(ReluBackward0, input)


def _abs(name):
    """``abs`` under the public name ``name`` (``abs`` or ``absolute``), as :func:`_neg`."""

    def abs(input):
        if not isinstance(input, Tensor):
            raise not_a_tensor(name, input)
        if input.dtype is D.bool_:
            raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
        return apply(AbsBackward0, input)

    abs.__name__ = abs.__qualname__ = name
    return abs


abs = _abs("abs")
absolute = _abs("absolute")


def sign(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("sign", input)
    if input.dtype is D.bool_:
        return input.clone()
    return apply(SignBackward0, input)


def _no_bool(input, kernel_name):
    """PyTorch's rounding kernels take integers (returned as they are) but not bools."""
    if input.dtype is D.bool_:
        raise NotImplementedError(f"\"{kernel_name}\" not implemented for 'Bool'")
    return input.clone()


def floor(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("floor", input)
    if not input.dtype.is_floating_point:
        return _no_bool(input, "floor_vml_cpu")
    return apply(FloorBackward0, input)


def ceil(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("ceil", input)
    if not input.dtype.is_floating_point:
        return _no_bool(input, "ceil_vml_cpu")
    return apply(CeilBackward0, input)


def _trunc(name):
    """``trunc`` under the public name ``name`` (``trunc`` or ``fix``), as :func:`_neg`."""

    def trunc(input):
        if not isinstance(input, Tensor):
            raise not_a_tensor(name, input)
        if not input.dtype.is_floating_point:
            return _no_bool(input, "trunc_vml_cpu")
        return apply(TruncBackward0, input)

    trunc.__name__ = trunc.__qualname__ = name
    return trunc


trunc = _trunc("trunc")
fix = _trunc("fix")


_ROUND_SIGNATURES = ("Tensor input, *, Tensor out = None", "Tensor input, *, int decimals, Tensor out = None")


def round(input, *, decimals=0):
    """Round half to even (to ``decimals`` places)."""
    if not isinstance(input, Tensor):
        if decimals:  # PyTorch's parser then lists both overloads
            raise invalid_combination("round", (input,), _ROUND_SIGNATURES, {"decimals": decimals})
        raise not_a_tensor("round", input)
    if not input.dtype.is_floating_point:
        return _no_bool(input, "round_vml_cpu")
    return apply(RoundBackward1 if decimals else RoundBackward0, input, decimals=decimals)


class FracBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        return a._data - xp.trunc(a._data)

    def backward(self, grad):
        return grad


def frac(input):
    """The fractional part, with the sign of ``input``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("frac", input)
    if not input.dtype.is_floating_point:  # PyTorch has no integer frac (it would be all zeros)
        from .reduce import legacy_scalar_name

        raise NotImplementedError(f"\"frac_cpu\" not implemented for '{legacy_scalar_name(input.dtype)}'")
    return apply(FracBackward0, input)


def square(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("square", input)
    return input.pow(2)


class ErfcBackward0(Node):
    def forward(self, a):
        self.save(a)
        return 1 - kernel(a._backend, "erf")(a._data)

    def backward(self, grad):
        x = self.saved[0]
        return grad * (-2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()


class SinhBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.sinh(a._data)

    def backward(self, grad):
        return grad * self.saved[0].cosh()


class CoshBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.cosh(a._data)

    def backward(self, grad):
        return grad * self.saved[0].sinh()


class Exp2Backward0(_ResultNode):
    def forward(self, a):
        xp = a._backend.xp
        exp2 = getattr(xp, "exp2", None)  # not in the standard: 2 ** x there
        self.out = exp2(a._data) if exp2 is not None else 2.0 ** a._data
        return self.out

    def backward(self, grad):
        return grad * self.result(grad) * math.log(2.0)


class AsinhBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.asinh(a._data)

    def backward(self, grad):
        x = self.saved[0]
        return grad / (x * x + 1).sqrt()


class AcoshBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.acosh(a._data)

    def backward(self, grad):
        x = self.saved[0]
        return grad / (x * x - 1).sqrt()


class AtanhBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.atanh(a._data)

    def backward(self, grad):
        x = self.saved[0]
        return grad / (1 - x * x)


class LogitBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        if self.eps is not None:
            x = xp.clip(x, self.eps, 1 - self.eps)
        return xp.log(x / (1 - x))

    def backward(self, grad):
        x = self.saved[0]
        g = grad / (x * (1 - x))
        if self.eps is not None:
            return g.masked_fill((x < self.eps) | (x > 1 - self.eps), 0)
        # outside [0, 1] logit is NaN, and so is PyTorch's gradient (the formula alone gives a number)
        return g.masked_fill((x < 0) | (x > 1), math.nan)


class SgnBackward0(SignBackward0):
    pass


def erfc(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("erfc", input)
    return apply(ErfcBackward0, _floating(input))


sinh = _unary_float(SinhBackward0, "sinh")
cosh = _unary_float(CoshBackward0, "cosh")
exp2 = _unary_float(Exp2Backward0, "exp2")
asinh = _unary_float(AsinhBackward0, "asinh")
acosh = _unary_float(AcoshBackward0, "acosh")
atanh = _unary_float(AtanhBackward0, "atanh")
arcsinh = _unary_float(AsinhBackward0, "arcsinh")
arccosh = _unary_float(AcoshBackward0, "arccosh")
arctanh = _unary_float(AtanhBackward0, "arctanh")


def logit(input, eps=None):
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` if ``eps`` is given."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("logit", input)
    return apply(LogitBackward0, _floating(input), eps=eps)


def sgn(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("sgn", input)
    if input.dtype is D.bool_:
        return input.clone()
    return apply(SgnBackward0, input)


def signbit(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("signbit", input)
    xp = input._backend.xp
    x = input._data
    r = xp.signbit(x) if input.dtype.is_floating_point else x < 0
    return Tensor._make(r, input._backend, input._device)


def positive(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("positive", input)
    if input.dtype is D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def deg2rad(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("deg2rad", input)
    return _floating(input) * (math.pi / 180.0)


def rad2deg(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("rad2deg", input)
    return _floating(input) * (180.0 / math.pi)


def isposinf(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("isposinf", input)
    return Tensor._make(input._data == math.inf, input._backend, input._device)


def isneginf(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("isneginf", input)
    return Tensor._make(input._data == -math.inf, input._backend, input._device)


def isreal(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("isreal", input)
    return Tensor._make(input._backend.xp.ones(input._data.shape, dtype=bool), input._backend, input._device)


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


atan = _unary_float(AtanBackward0, "atan")
asin = _unary_float(AsinBackward0, "asin")
acos = _unary_float(AcosBackward0, "acos")
arctan = _unary_float(AtanBackward0, "arctan")
arcsin = _unary_float(AsinBackward0, "arcsin")
arccos = _unary_float(AcosBackward0, "arccos")


def logical_not(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("logical_not", input)
    xp = input._backend.xp
    return Tensor._make(xp.logical_not(xp.astype(input._data, input._backend.dtype(D.bool_))), input._backend,
                        input._device)


def isnan(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("isnan", input)
    return Tensor._make(input._backend.xp.isnan(input._data), input._backend, input._device)


def isinf(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("isinf", input)
    return Tensor._make(input._backend.xp.isinf(input._data), input._backend, input._device)


def isfinite(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("isfinite", input)
    return Tensor._make(input._backend.xp.isfinite(input._data), input._backend, input._device)




class SincBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        low = a.dtype is D.float16  # PyTorch computes half in float32 (its opmath) and rounds once
        if low:
            x = xp.astype(x, a._backend.dtype(D.float32))
        x = x * math.pi
        safe = xp.where(x == 0, xp.ones_like(x), x)
        r = xp.where(x == 0, xp.ones_like(x), xp.sin(safe) / safe)
        return xp.astype(r, a._data.dtype) if low else r

    def backward(self, grad):
        x = self.saved[0] * math.pi
        safe = x.masked_fill(x == 0, 1.0)
        d = (safe.cos() * safe - safe.sin()) / (safe * safe) * math.pi
        return grad * d.masked_fill(x == 0, 0.0)


def sinc(input):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("sinc", input)
    return apply(SincBackward0, _floating(input))


# ---- complex-number views of real tensors ------------------------------------------------------
# Lanterna has no complex dtypes, so these follow PyTorch on real tensors: conj/real/resolve_* give
# the tensor itself, angle is 0 or pi (NaN stays NaN), imag refuses.
class AngleBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        x = a._data
        zero = xp.zeros_like(x)
        r = xp.where(x < 0, xp.full_like(x, math.pi), zero)
        return xp.where(xp.isnan(x), x, r)

    def backward(self, grad):
        return grad * 0  # the angle of a real number is piecewise constant


def angle(input):
    """The argument of each element: ``pi`` for negative numbers, 0 otherwise (integers give floats).

    >>> import lanterna as torch
    >>> torch.angle(torch.tensor([-2.0, 0.0, 3.0]))
    tensor([3.1416, 0.0000, 0.0000])
    """
    if not isinstance(input, Tensor):
        raise not_a_tensor("angle", input)
    return apply(AngleBackward0, _floating(input))


def conj(input):
    """The complex conjugate: a real tensor is its own conjugate (the same tensor)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("conj", input)
    return input


def conj_physical(input):
    """The complex conjugate, materialized: for a real tensor, the tensor itself."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("conj_physical", input)
    return input


def resolve_conj(input):
    """``input`` with a lazy conjugation applied (real tensors have none: the tensor itself)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("resolve_conj", input)
    return input


def resolve_neg(input):
    """``input`` with a lazy negation applied (real tensors have none: the tensor itself)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("resolve_neg", input)
    return input


def is_conj(input):
    """Whether the conjugate bit is set (never, for real tensors)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("is_conj", input)
    return False


def is_neg(input):
    """Whether the negative bit is set (never, for real tensors)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("is_neg", input)
    return False


def real(input):
    """The real part: for a real tensor, the tensor itself."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("real", input)
    return input


def imag(input):
    """The imaginary part: PyTorch refuses it for real tensors."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("imag", input)
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
