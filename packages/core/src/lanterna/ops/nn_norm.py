"""Normalisation layers as fused ops: batch norm (with running statistics) and layer norm.

Forward computes statistics, normalisation and the affine map in one pass over arrays. Backward
is the closed form ``invstd * (gy - mean(gy) - xhat * mean(gy * xhat))`` in Tensor ops; under
``create_graph`` the statistics are recomputed from ``x`` with Tensor ops, so second derivatives
see their dependence on ``x``.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED, no_grad
from ._apply import Node, attach

_make = Tensor._make


def _prod(it):
    p = 1
    for v in it:
        p *= v
    return p


class _NormNode(Node):
    """Shared backward: stats over ``self.axes``; affine parameters broadcast as ``self.wshape``."""

    def _stats(self, x):
        if GRAD_ENABLED[0] and not self.fixed_stats:  # differentiable statistics for double backward
            mean = x.mean(self.axes, keepdim=True)
            xc = x - mean
            invstd = ((xc * xc).mean(self.axes, keepdim=True) + self.eps).rsqrt()
            return xc * invstd, invstd
        mean = _make(self.mean, x._backend, x._device)
        invstd = _make(self.invstd, x._backend, x._device)
        return (x - mean) * invstd, invstd

    def backward(self, grad):
        x = self.saved[0]
        w = self.saved[1] if self.affine else None
        xhat, invstd = self._stats(x)
        gx = gw = gb = None
        if x._requires_grad or x.grad_fn is not None:
            gy = grad * w.reshape(self.wshape) if w is not None else grad
            if self.fixed_stats:
                gx = gy * invstd
            else:
                gx = invstd * (
                    gy - gy.mean(self.axes, keepdim=True) - xhat * (gy * xhat).mean(self.axes, keepdim=True)
                )
        if self.affine:
            gw = (grad * xhat).sum(self.param_axes).reshape(w.shape)
            gb = (grad.sum(self.param_axes)).reshape(w.shape)
            return gx, gw, gb
        return gx

    def _affine(self, xp, y, w, b):
        if w is not None:
            y *= xp.reshape(w._data, self.wshape)
        if b is not None:
            y += xp.reshape(b._data, self.wshape)
        return y


class NativeBatchNormBackward0(_NormNode):
    def forward(self, x, w=None, b=None):
        xp = x._backend.xp
        a = x._data
        if self.fixed_stats:
            mean = xp.astype(xp.reshape(self.running_mean._data, self.wshape), a.dtype, copy=True)
            var = xp.astype(xp.reshape(self.running_var._data, self.wshape), a.dtype, copy=False)
        else:
            mean = xp.mean(a, axis=self.axes, keepdims=True)
            var = xp.mean((a - mean) ** 2, axis=self.axes, keepdims=True)
            self._update_running(xp, mean, var, a)
        invstd = 1 / xp.sqrt(var + self.eps)
        self.mean, self.invstd = mean, invstd
        y = (a - mean) * invstd
        self.save(*((x, w) if self.affine else (x,)))
        return self._affine(xp, y, w, b)

    def _update_running(self, xp, mean, var, a):
        rm, rv, m = self.running_mean, self.running_var, self.momentum
        if rm is None and rv is None:
            return
        n = a.size // a.shape[1]
        with no_grad():
            if rm is not None:
                rm._data[...] = (1 - m) * rm._data + m * xp.astype(xp.reshape(mean, (-1,)), rm._data.dtype)
                rm._version[0] += 1
            if rv is not None:
                unbiased = xp.reshape(var, (-1,)) * (n / max(n - 1, 1))
                rv._data[...] = (1 - m) * rv._data + m * xp.astype(unbiased, rv._data.dtype)
                rv._version[0] += 1


class NativeLayerNormBackward0(_NormNode):
    fixed_stats = False

    def forward(self, x, w=None, b=None):
        xp = x._backend.xp
        a = x._data
        mean = xp.mean(a, axis=self.axes, keepdims=True)
        xc = a - mean
        var = xp.mean(xc * xc, axis=self.axes, keepdims=True)
        invstd = 1 / xp.sqrt(var + self.eps)
        self.mean, self.invstd = mean, invstd
        xc *= invstd
        self.save(*((x, w) if self.affine else (x,)))
        return self._affine(xp, xc, w, b)


def _run(cls, inputs, **params):
    node = cls.__new__(cls)
    node.__dict__.update(params)
    x = inputs[0]
    out = _make(node.forward(*inputs), x._backend, x._device)
    if GRAD_ENABLED[0] and any(t._requires_grad for t in inputs):
        attach(node, inputs, out)
    return out


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Normalise each channel (dim 1) over the batch and spatial dims.

    In training, batch statistics are used and the running ones updated in place (unbiased
    variance, ``momentum``); otherwise the running statistics are used.
    """
    if input.dim() < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")
    c = input.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    if weight is not None and bias is None:
        bias = weight.new_zeros(weight.shape)
    if bias is not None and weight is None:
        weight = bias.new_ones(bias.shape)
    affine = weight is not None
    axes = (0,) + tuple(range(2, input.dim()))
    wshape = (1, c) + (1,) * (input.dim() - 2)
    inputs = (input, weight, bias) if affine else (input,)
    return _run(
        NativeBatchNormBackward0,
        inputs,
        axes=axes,
        param_axes=axes,
        wshape=wshape,
        eps=eps,
        affine=affine,
        fixed_stats=not training,
        momentum=momentum,
        running_mean=running_mean,
        running_var=running_var,
    )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift elementwise."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.dim() - k :]) != normalized_shape or input.dim() < k:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size{list(input.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"{list(t.shape)} and normalized_shape = {list(normalized_shape)}"
            )
    if weight is not None and bias is None:
        bias = weight.new_zeros(weight.shape)
    if bias is not None and weight is None:
        weight = bias.new_ones(bias.shape)
    affine = weight is not None
    nd = input.dim()
    axes = tuple(range(nd - k, nd))
    inputs = (input, weight, bias) if affine else (input,)
    return _run(
        NativeLayerNormBackward0,
        inputs,
        axes=axes,
        param_axes=tuple(range(nd - k)),
        wshape=normalized_shape,
        eps=eps,
        affine=affine,
    )


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise over groups of ``C // num_groups`` channels (and all spatial dims) per sample."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of "
            f"shape {list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, but got "
                f"{name} of shape {list(t.shape)} and input of shape {list(input.shape)}"
            )
    y = layer_norm(input.reshape(n, num_groups, -1), (_prod(input.shape[1:]) // num_groups,), eps=eps)
    y = y.reshape(input.shape)
    shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y
