"""Activations of nn: softmax family (numerically stable) and the pointwise nonlinearities.

Each is one node: forward on arrays, backward in Tensor ops (so double backward works).
"""

from __future__ import annotations

import math

from .._tensor import Tensor, _wrap_dim
from ..autograd.grad_mode import GRAD_ENABLED
from . import nn_special
from ._argerrors import not_a_tensor
from ._apply import Node, apply, output_of
from .elementwise import cast
from .kernels import kernel
from .reduce import legacy_scalar_name
from .unary import _floating


_make = Tensor._make


def _result(node, like):
    return output_of(node, node.out, like)


# ---- softmax family -----------------------------------------------------------------------
class SoftmaxBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        x = a._data
        ax = self.dim
        e = xp.exp(x - xp.max(x, axis=ax, keepdims=True))
        e /= xp.sum(e, axis=ax, keepdims=True)
        self.out = e
        return e

    def backward(self, grad):
        y = _result(self, grad)
        return y * (grad - (grad * y).sum(self.dim, keepdim=True))


class LogSoftmaxBackward0(Node):
    def forward(self, a):
        self.out = z = kernel(a._backend, "log_softmax")(a._data, self.dim)
        return z

    def backward(self, grad):
        if not GRAD_ENABLED[0]:
            return self._plain_backward(grad)
        y = _result(self, grad)
        return grad - y.exp() * grad.sum(self.dim, keepdim=True)

    def _plain_backward(self, grad):
        """The same formula on arrays when no graph is recorded (every classifier's loss runs
        through here; four Tensor ops' dispatch would cost more than their arithmetic)."""
        y = self.out
        dirty = self.__dict__.get("_out_dirty")  # as output_of: the saved output changed in place
        if dirty is not None:
            raise dirty
        backend = grad._backend
        g = grad._data
        if g.dtype != y.dtype or g.shape != y.shape:  # promotion or broadcasting: the Tensor ops
            return grad - _result(self, grad).exp() * grad.sum(self.dim, keepdim=True)
        total = kernel(backend, "reduce_sum")(g, (self.dim,), True, None)
        return _make(g - backend.xp.exp(y) * total, backend, grad._device)


def _softmax_input(input, dim, dtype, name):
    if not isinstance(input, Tensor):
        raise not_a_tensor(name, input)
    if dtype is not None:
        input = cast(input, dtype)
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    d = _wrap_dim(dim, input._data.ndim)
    if not input.dtype.is_floating_point:
        # PyTorch's CPU kernel for the last dim has its own name
        kernel_name = f"{name}_lastdim_kernel_impl" if d >= input._data.ndim - 1 else f"{name}_kernel_impl"
        raise _not_implemented(kernel_name, input)
    return input, d


def softmax(input, dim, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, computed after subtracting the max (no overflow).

    >>> import lanterna as torch
    >>> torch.softmax(torch.tensor([1000.0, 1000.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    input, d = _softmax_input(input, dim, dtype, "softmax")
    if input._data.ndim == 0:
        return apply(SoftmaxBackward0, input.reshape(1), dim=0).reshape(())
    return apply(SoftmaxBackward0, input, dim=d)


def log_softmax(input, dim, dtype=None):
    """``x - logsumexp(x, dim)``, stable for large logits.

    >>> import lanterna as torch
    >>> torch.log_softmax(torch.tensor([0.0, 1000.0]), dim=0)
    tensor([-1000.,     0.])
    """
    input, d = _softmax_input(input, dim, dtype, "log_softmax")
    if input._data.ndim == 0:
        return apply(LogSoftmaxBackward0, input.reshape(1), dim=0).reshape(())
    return apply(LogSoftmaxBackward0, input, dim=d)


# ---- pointwise nonlinearities -------------------------------------------------------------
class LeakyReluBackward0(Node):
    def forward(self, a):
        self.save(a)
        x = a._data
        return a._backend.xp.where(x > 0, x, x * self.negative_slope)

    def backward(self, grad):
        (x,) = self.saved
        return grad * (x > 0).to(grad.dtype).mul(1 - self.negative_slope).add(self.negative_slope)


class HardtanhBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.clip(a._data, self.min_val, self.max_val)

    def backward(self, grad):
        (x,) = self.saved
        return grad * ((x > self.min_val) & (x < self.max_val))


class EluBackward0(Node):
    """ELU / SELU / CELU: ``scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))``."""

    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        neg = self.alpha * xp.expm1(xp.minimum(x, 0) * self.input_scale)
        out = xp.where(x > 0, x, neg)
        if self.scale != 1:
            out *= self.scale
        return out

    def backward(self, grad):
        (x,) = self.saved
        neg = (x.clamp(max=0) * self.input_scale).exp() * (self.alpha * self.input_scale)
        slope = (x > 0).to(grad.dtype)
        return grad * (slope + (1 - slope) * neg) * self.scale


class CeluBackward0(EluBackward0):
    """CELU: ELU with ``input_scale = 1 / alpha``."""


class RreluWithNoiseBackward0(LeakyReluBackward0):
    """RReLU in eval mode: a leaky ReLU with the mean slope."""


class HardshrinkBackward0(Node):
    def forward(self, a):
        self.save(a)
        x = a._data
        xp = a._backend.xp
        return xp.where(xp.abs(x) > self.lambd, x, xp.zeros((), dtype=x.dtype))

    def backward(self, grad):
        (x,) = self.saved
        return grad * (x.abs() > self.lambd)


class SoftshrinkBackward0(Node):
    def forward(self, a):
        self.save(a)
        x = a._data
        return x - a._backend.xp.clip(x, -self.lambd, self.lambd)

    def backward(self, grad):
        (x,) = self.saved
        return grad * (x.abs() > self.lambd)


class GluBackward0(Node):
    """``a * sigmoid(b)``, ``a`` and ``b`` the halves of the input along ``self.dim``."""

    def forward(self, x):
        self.save(x)
        xp = x._backend.xp
        half = x._data.shape[self.dim] // 2
        lead = (slice(None),) * self.dim
        a, b = x._data[lead + (slice(0, half), ...)], x._data[lead + (slice(half, None), ...)]
        return a * _sigmoid_xp(xp, b)

    def backward(self, grad):
        (x,) = self.saved
        a, b = x.chunk(2, self.dim)
        s = b.sigmoid()
        from .joining import cat

        return cat([grad * s, grad * a * s * (1 - s)], self.dim)


class GeluBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        if self.approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + xp.tanh(inner))
        return 0.5 * x * (1 + nn_special.erf(xp, x * (1 / math.sqrt(2))))

    def backward(self, grad):
        (x,) = self.saved
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            inner = k * (x + 0.044715 * x * x * x)
            t = inner.tanh()
            d_inner = k * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
        if GRAD_ENABLED[0]:  # double backward: the cdf as a differentiable Tensor op
            cdf = 0.5 * (1 + (x * (1 / math.sqrt(2))).erf())
        else:
            xp = x._backend.xp
            cdf = 0.5 * (1 + nn_special.erf(xp, x._data * (1 / math.sqrt(2))))
            cdf = Tensor._make(cdf, x._backend, x._device)
        pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
        return grad * (cdf + x * pdf)


def _sigmoid_xp(xp, x):
    e = xp.exp(-xp.abs(x))
    return xp.astype(xp.where(x >= 0, 1 / (1 + e), e / (1 + e)), x.dtype, copy=False)


class SiluBackward0(Node):
    def forward(self, a):
        self.save(a)
        x = a._data
        return x * _sigmoid_xp(a._backend.xp, x)

    def backward(self, grad):
        (x,) = self.saved
        s = x.sigmoid()
        return grad * s * (1 + x * (1 - s))


class SoftplusBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        bx = x * self.beta
        # log1p(exp(bx)) without overflow: max(bx, 0) + log1p(exp(-|bx|))
        sp = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / self.beta
        return xp.where(bx > self.threshold, x, sp)

    def backward(self, grad):
        (x,) = self.saved
        bx = x * self.beta
        lin = (bx > self.threshold).to(grad.dtype)
        return grad * (lin + (1 - lin) * bx.sigmoid())


class MishBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        sp = xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        return x * xp.tanh(sp)

    def backward(self, grad):
        (x,) = self.saved
        tsp = softplus(x).tanh()
        return grad * (tsp + x * x.sigmoid() * (1 - tsp * tsp))


class HardswishBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        return x * xp.clip(x + 3, 0, 6) / 6

    def backward(self, grad):
        (x,) = self.saved
        # the kinks belong to the flat sides, as in PyTorch: slope 0 at -3 and 1 at 3
        mid = ((x > -3) & (x < 3)).to(grad.dtype)
        hi = (x >= 3).to(grad.dtype)
        return grad * (mid * (x / 3 + 0.5) + hi)


_ONE_SIXTH_F32 = 0.1666666716337204  # PyTorch's kernel uses 1/6 rounded to float32, for every dtype


class HardsigmoidBackward0(Node):
    def forward(self, a):
        self.save(a)
        return a._backend.xp.clip(a._data + 3, 0, 6) / 6

    def backward(self, grad):
        (x,) = self.saved
        return grad * ((x > -3) & (x < 3)).to(grad.dtype) * _ONE_SIXTH_F32


class LogSigmoidBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad):
        (x,) = self.saved
        return grad * (-x).sigmoid()


class ThresholdBackward0(Node):
    def forward(self, a):
        self.save(a)
        x = a._data
        return a._backend.xp.where(x > self.threshold, x, a._backend.xp.asarray(self.value, dtype=x.dtype))

    def backward(self, grad):
        (x,) = self.saved
        return grad * (x > self.threshold)


def _not_implemented(kernel_name, input):
    return NotImplementedError(f"\"{kernel_name}\" not implemented for '{legacy_scalar_name(input.dtype)}'")


def _float_input(input, name, kernel_name=None):
    """The input of an activation that PyTorch computes for floating dtypes only: an integer or bool
    input raises as PyTorch's CPU kernel ``kernel_name`` does (``{name}_cpu`` by default)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor(name, input)
    if not input.dtype.is_floating_point:
        raise _not_implemented(kernel_name or f"{name}_cpu", input)
    return _floating(input)


def leaky_relu(input, negative_slope=0.01):
    """``x if x > 0 else negative_slope * x``."""
    return apply(LeakyReluBackward0, _float_input(input, "leaky_relu"), negative_slope=float(negative_slope))


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """``clamp(x, min_val, max_val)`` with zero gradient outside the interval."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if isinstance(input, Tensor) and input.dtype.name == "bool":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if isinstance(input, Tensor) and not input.dtype.is_floating_point:
        if input.dtype.name == "uint8" and (min_val < 0 or max_val < 0):
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        # integer input stays integer (PyTorch clamps it, the bounds truncated toward zero)
        return apply(HardtanhBackward0, input, min_val=int(min_val), max_val=int(max_val))
    return apply(HardtanhBackward0, _float_input(input, "hardtanh"), min_val=min_val, max_val=max_val)


def relu6(input):
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0)


def elu(input, alpha=1.0, scale=1.0, input_scale=1.0, _node=None):
    """``x if x > 0 else alpha * (exp(x) - 1)`` (``scale``/``input_scale`` give SELU and CELU)."""
    return apply(
        _node or EluBackward0,
        _float_input(input, "elu"),
        alpha=float(alpha),
        scale=float(scale),
        input_scale=float(input_scale),
    )


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input):
    """Scaled ELU with the self-normalising constants."""
    return elu(input, _SELU_ALPHA, _SELU_SCALE)


def celu(input, alpha=1.0):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return elu(input, alpha, 1.0, 1.0 / alpha, _node=CeluBackward0)


def rrelu_eval(input, lower=1.0 / 8, upper=1.0 / 3):
    """RReLU in eval mode: a leaky ReLU of slope ``(lower + upper) / 2``."""
    return apply(
        RreluWithNoiseBackward0, _float_input(input, "rrelu", "leaky_relu_cpu"),
        negative_slope=(lower + upper) / 2,
    )


def hardshrink(input, lambd=0.5):
    """``x if |x| > lambd else 0``."""
    return apply(HardshrinkBackward0, _float_input(input, "hardshrink"), lambd=float(lambd))


def softshrink(input, lambd=0.5):
    """Shrink towards zero by ``lambd``."""
    x = _float_input(input, "softshrink", "softshrink_check")
    return apply(SoftshrinkBackward0, x, lambd=float(lambd))


def glu(input, dim=-1):
    """Gated linear unit along ``dim`` (even size: the caller checks)."""
    return apply(GluBackward0, input, dim=_wrap_dim(dim, input.dim()))


def gelu(input, approximate="none"):
    """``x * Phi(x)`` (``approximate='tanh'`` uses the tanh formula)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(GeluBackward0, _float_input(input, "gelu", "GeluKernelImpl"), approximate=approximate)


def silu(input):
    """``x * sigmoid(x)`` (a.k.a. swish)."""
    return apply(SiluBackward0, _float_input(input, "silu"))


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""
    return apply(
        SoftplusBackward0, _float_input(input, "softplus"), beta=float(beta), threshold=float(threshold)
    )


def mish(input):
    """``x * tanh(softplus(x))``."""
    return apply(MishBackward0, _float_input(input, "mish"))


def hardswish(input):
    """``x * relu6(x + 3) / 6``."""
    return apply(HardswishBackward0, _float_input(input, "hardswish"))


def hardsigmoid(input):
    """``relu6(x + 3) / 6``."""
    return apply(HardsigmoidBackward0, _float_input(input, "hardsigmoid"))


def logsigmoid(input):
    """``log(sigmoid(x))`` without overflow."""
    return apply(LogSigmoidBackward0, _float_input(input, "log_sigmoid"))


def threshold(input, threshold, value):
    """``x if x > threshold else value``."""
    if isinstance(input, Tensor) and input.dtype.name == "bool":
        raise _not_implemented("threshold_cpu", input)
    return apply(ThresholdBackward0, input, threshold=threshold, value=value)


def _bind_methods():
    def _softmax_method(self, dim, dtype=None):
        return softmax(self, dim, dtype)

    def _log_softmax_method(self, dim, dtype=None):
        return log_softmax(self, dim, dtype)

    Tensor.softmax = _softmax_method
    Tensor.log_softmax = _log_softmax_method


_bind_methods()
