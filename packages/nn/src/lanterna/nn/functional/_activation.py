"""Functional activations (``F.relu``, ``F.softmax`` ...)."""

from __future__ import annotations

import warnings

import lanterna
from lanterna.ops import nn_activation as A
from lanterna.ops import nn_aten
from lanterna.ops._argerrors import no_attribute as _no_attribute
from lanterna.ops.inplace_functional import celu_, selu_  # noqa: F401  (F.celu_ is torch.celu_)


def relu(input, inplace=False):
    """``max(x, 0)``.

    >>> import lanterna as torch
    >>> torch.nn.functional.relu(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return input.relu_() if inplace else lanterna.relu(input)


def relu_(input):
    return input.relu_()


def _scalar(dtype):
    from lanterna.ops.reduce import legacy_scalar_name

    return legacy_scalar_name(dtype)


def _not_implemented(kernel_name, input):
    """PyTorch's error for a CPU kernel that has no integer (or bool) version."""
    return NotImplementedError(f"\"{kernel_name}\" not implemented for '{_scalar(input.dtype)}'")


def _inplace(fn, input, *args):
    """Run ``fn`` and write the result back into ``input`` (autograd rebases its history)."""
    from lanterna.ops.inplace import inplace

    return inplace(input, fn, *args)


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``."""
    return _inplace(A.relu6, input) if inplace else A.relu6(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``clamp(x, min_val, max_val)``."""
    return _inplace(A.hardtanh, input, min_val, max_val) if inplace else A.hardtanh(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def elu(input, alpha=1.0, inplace=False):
    """``x if x > 0 else alpha * (exp(x) - 1)``."""
    return _inplace(A.elu, input, alpha) if inplace else A.elu(input, alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """Scaled ELU (self-normalising)."""
    return _inplace(A.selu, input) if inplace else A.selu(input)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return _inplace(A.celu, input, alpha) if inplace else A.celu(input, alpha)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x if x > 0 else negative_slope * x``."""
    if inplace:
        return _inplace(A.leaky_relu, input, negative_slope)
    return A.leaky_relu(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


prelu = nn_aten.prelu


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomised leaky ReLU: slopes U(lower, upper) in training, their mean otherwise."""
    if inplace:
        return nn_aten.rrelu_(input, lower, upper, training)
    return nn_aten.rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def glu(input, dim=-1):
    """``a * sigmoid(b)`` where ``a, b`` are the two halves of ``input`` along ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {n}")
    if not input.dtype.is_floating_point:
        raise _not_implemented("glu_cpu", input)
    return A.glu(input, dim)


def gelu(input, approximate="none"):
    """``x * Phi(x)``; ``approximate='tanh'`` uses the tanh approximation."""
    return A.gelu(input, approximate)


def logsigmoid(input):
    """``log(sigmoid(x))``, stable."""
    return A.logsigmoid(input)


hardshrink = nn_aten.hardshrink


def softshrink(input, lambd=0.5):
    """Shrink towards zero by ``lambd``."""
    if not input.dtype.is_floating_point:
        raise _not_implemented("softshrink_check", input)
    if lambd < 0:
        raise RuntimeError(
            f"lambda must be in range [0, {lanterna.finfo(input.dtype).max:g}] for input dtype "
            f"{_scalar(input.dtype)}, but found {lambd:g}"
        )
    return A.softshrink(input, lambd)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - input.tanh()


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``."""
    return A.softplus(input, beta, threshold)


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
        "argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, stable for large inputs."""
    if not isinstance(input, lanterna.Tensor):  # PyTorch calls ``input.softmax(dim)``
        raise _no_attribute(input, "dim" if dim is None else "softmax")
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return A.softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)``."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return A.softmax(-input if dtype is None else -input.to(dtype), dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x - logsumexp(x, dim)``."""
    if not isinstance(input, lanterna.Tensor):  # PyTorch calls ``input.log_softmax(dim)``
        raise _no_attribute(input, "dim" if dim is None else "log_softmax")
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return A.log_softmax(input, dim, dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax distribution; ``hard`` gives one-hot with straight-through gradients."""
    with lanterna.no_grad():
        gumbels = -lanterna.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = lanterna.zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def tanh(input):
    """Hyperbolic tangent."""
    return input.tanh()


def sigmoid(input):
    """Logistic sigmoid."""
    return input.sigmoid()


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``."""
    return _inplace(A.hardsigmoid, input) if inplace else A.hardsigmoid(input)


def silu(input, inplace=False):
    """``x * sigmoid(x)``."""
    return _inplace(A.silu, input) if inplace else A.silu(input)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    return _inplace(A.mish, input) if inplace else A.mish(input)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    return _inplace(A.hardswish, input) if inplace else A.hardswish(input)


def threshold(input, threshold, value, inplace=False):
    """``x if x > threshold else value``."""
    return _inplace(A.threshold, input, threshold, value) if inplace else A.threshold(input, threshold, value)


def threshold_(input, threshold, value):
    return _inplace(A.threshold, input, threshold, value)
