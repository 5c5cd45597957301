"""Normalisation layers as fused ops: batch norm (with running statistics) and layer norm.

Forward computes statistics, normalisation and the affine map in one pass over arrays. Backward
is the closed form ``invstd * (gy - mean(gy) - xhat * mean(gy * xhat))`` in Tensor ops; under
``create_graph`` the statistics are recomputed from ``x`` with Tensor ops, so second derivatives
see their dependence on ``x``.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._runtime import get_num_threads
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED, no_grad
from ._apply import Node, attach
from .reduce import legacy_scalar_name

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
        if x._device.type == "cpu" and a.dtype in (np.float32, np.float64) and all(
            t is None or t._data.dtype == a.dtype for t in (w, b, self.running_mean, self.running_var)
        ):
            y = self._forward_aten(a, w, b)
        else:
            y = self._forward_generic(xp, a, w, b)
        self.save(*((x, w) if self.affine else (x,)))
        return y

    def _forward_aten(self, a, w, b):
        """PyTorch's CPU kernels step by step, so statistics and output agree with it bit for bit.

        The batch statistics come from ``_batch_stats``; the output is ``x * alpha + beta`` with
        ``alpha = invstd * w`` and ``beta = b - mean * alpha`` per channel, both a fused
        multiply-add as the vectorised kernel compiles to (batch_norm_cpu_contiguous_impl).
        """
        dt = a.dtype.type
        a = np.ascontiguousarray(a)
        if self.fixed_stats:
            mean = self.running_mean._data.copy()
            invstd = dt(1) / np.sqrt(self.running_var._data + dt(self.eps))
        else:
            mean, var_sum = _batch_stats(a, get_num_threads())
            n = a.size // a.shape[1]
            with np.errstate(divide="ignore", invalid="ignore"):
                var = (var_sum / dt(n)).astype(np.float64)  # float / int64 in float, then InvStd in double
                invstd = 1.0 / np.sqrt(var + self.eps)
                if self.eps == 0:
                    invstd[var == 0] = 0
            invstd = invstd.astype(dt)
            self._update_running(mean, var_sum, n)
        alpha = invstd if w is None else invstd * w._data
        beta = _fma(-mean, alpha, np.zeros_like(alpha) if b is None else b._data)
        self.mean, self.invstd = np.reshape(mean, self.wshape), np.reshape(invstd, self.wshape)
        alpha, beta = np.reshape(alpha, self.wshape), np.reshape(beta, self.wshape)
        if dt is np.float32:
            return _fma(a, alpha, beta)
        # float64: the exact fused product costs some twenty passes over the activation; rounding
        # the product first differs from PyTorch by at most an ulp, and only here
        y = a * alpha
        y += beta
        return y

    def _update_running(self, mean, var_sum, n):
        """batch_norm_cpu_update_stats_template: the momentum cast to the parameter dtype, the mean
        blended in that dtype, the unbiased variance ``var_sum / (n - 1)`` (a float division, the
        divisor converted to float) blended in double and rounded once."""
        rm, rv = self.running_mean, self.running_var
        dt = mean.dtype.type
        m = dt(self.momentum)
        with no_grad():
            if rm is not None:
                rm._data[...] = m * mean + (dt(1) - m) * rm._data
                rm._version[0] += 1
            if rv is not None:
                with np.errstate(divide="ignore", invalid="ignore"):  # n == 1: NaN, as PyTorch
                    unbiased = (var_sum / dt(n - 1)).astype(np.float64)
                rv._data[...] = np.float64(m) * unbiased + ((dt(1) - m) * rv._data).astype(np.float64)
                rv._version[0] += 1

    def _forward_generic(self, xp, a, w, b):
        """Other array libraries and dtypes: the textbook formula."""
        if self.fixed_stats:
            mean = xp.astype(xp.reshape(self.running_mean._data, self.wshape), a.dtype, copy=True)
            var = xp.astype(xp.reshape(self.running_var._data, self.wshape), a.dtype, copy=False)
        else:
            mean = xp.mean(a, axis=self.axes, keepdims=True)
            var = xp.mean((a - mean) ** 2, axis=self.axes, keepdims=True)
            self._update_running_generic(xp, mean, var, a)
        invstd = 1 / xp.sqrt(var + self.eps)
        self.mean, self.invstd = mean, invstd
        y = (a - mean) * invstd
        return self._affine(xp, y, w, b)

    def _update_running_generic(self, xp, mean, var, a):
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


_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's constant, splits a float64 into two 26-bit halves


def _split(a):
    t = a * _SPLIT
    hi = t - (t - a)
    return hi, a - hi


def _two_product(a, b):
    """``a * b`` and its rounding error, exactly (Dekker): float64 operands."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ah * bh - p
    e += ah * bl
    e += al * bh
    e += al * bl
    return p, e


def _fma(a, b, c):
    """``a * b + c`` rounded once: what ATen's vectorised CPU kernels compile ``a * b + c`` to.

    float32: the float64 product of two float32 values is exact, so one float64 add and the
    rounding to float32 give the fused result. float64: Dekker's exact product and Knuth's two-sum
    carry the rounding errors into one final add.
    """
    if a.dtype == np.float32:
        y = a.astype(np.float64)
        y *= b
        return np.add(y, c, out=np.empty(y.shape, np.float32), casting="unsafe")
    return _add_product(c, *_two_product(a, b))


def _add_product(c, p, e):
    """``c + (p + e)`` rounded once (nearly always), for a product ``p`` with rounding error ``e``."""
    s = p + c
    bb = s - p
    t = p - (s - bb)
    t += c - bb
    t += e
    s += t
    return s


def _batch_stats(a, threads):
    """Per-channel mean and sum of squared deviations of a contiguous ``a`` of shape (N, C, *), in
    ``a``'s dtype, summed in the order and precision of batch_norm_cpu_collect_stats.

    With spatial dims each channel is one float64 running sum over (batch, spatial); for (N, C)
    input (the channels-last kernel) each of ``threads`` threads sums a block of rows in the input
    dtype and the per-thread sums are added in float64.
    """
    dt = a.dtype.type
    n_batch, c = a.shape[0], a.shape[1]
    n = a.size // c
    if a.size // n_batch // c != 1:
        x = a.reshape(n_batch, c, -1)
        if dt is np.float32:  # float64 sums of float32 values: any order gives the same float32
            mean = (np.sum(x, axis=(0, 2), dtype=np.float64) / n).astype(dt)
            d = x - mean[:, None]
            d *= d
            return mean, np.sum(d, axis=(0, 2), dtype=np.float64).astype(dt)
        # float64: the order matters; a cumulative sum adds the rows in turn (a reduction may pair them)
        planes = np.ascontiguousarray(x.transpose(1, 0, 2))  # (C, N, S)
        mean = np.cumsum(planes.reshape(c, n), axis=1)[:, -1] / n
        d = planes - mean[:, None, None]
        sq = d * d
        if planes.shape[2] % 2 == 0:
            return mean, np.cumsum(sq.reshape(c, n), axis=1)[:, -1]
        # the compiled loop over a plane squares pairs of elements, then adds them in turn; an odd
        # last element is squared and added in one fused multiply-add
        var_sum = np.zeros(c)
        for j in range(n_batch):
            var_sum = np.cumsum(np.concatenate((var_sum[:, None], sq[:, j, :-1]), axis=1), axis=1)[:, -1]
            var_sum = _fma(d[:, j, -1], d[:, j, -1], var_sum)
        return mean, var_sum
    if n <= threads:  # no split: one running sum, as the single-thread case
        threads = 1
    # at::parallel_for splits the rows into ``threads`` blocks of ceil(n / threads)
    chunk = -(-n // threads)
    used = -(-n // chunk)
    blocks = np.zeros((used * chunk, c), dt)
    blocks[:n] = a.reshape(n, c)
    blocks = blocks.reshape(used, chunk, c)
    part = np.cumsum(blocks, axis=1)[:, -1]  # each thread's sum, in the input dtype
    mean = (np.cumsum(part, axis=0, dtype=np.float64)[-1] / n).astype(dt)
    d = blocks - mean
    d.reshape(-1, c)[n:] = 0  # the padding rows add nothing
    buf = np.zeros((used, c), dt)
    # buf + d * d, fused, one row of each block at a time
    if dt is np.float32:
        d = d.astype(np.float64)
        d *= d  # exact
        for k in range(chunk):
            np.add(buf, d[:, k], out=buf, casting="unsafe")  # in float64, rounded once to float32
    else:
        p, e = _two_product(d, d)
        for k in range(chunk):
            buf = _add_product(buf, p[:, k], e[:, k])
    return mean, np.cumsum(buf, axis=0, dtype=np.float64)[-1].astype(dt)


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
    _floating_only(input, "batch_norm")
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


def _check_cpu_dtypes(input, params, kernel_name):
    """PyTorch's CPU kernels: parameters of another dtype than the input only as float32 ones for a
    float16 input, and no integer input."""
    ptype = next((p.dtype for p in params if p is not None), None)
    if ptype is not None and ptype is not input.dtype:
        if ptype is not D.float32:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if input.dtype is not D.float16:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    _floating_only(input, kernel_name)


def _floating_only(input, kernel_name):
    if not input.dtype.is_floating_point:
        name = legacy_scalar_name(input.dtype)
        raise NotImplementedError(f"\"{kernel_name}\" not implemented for '{name}'")


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
    _check_cpu_dtypes(input, (weight, bias), "LayerNormKernelImpl")
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
    _check_cpu_dtypes(input, (weight, bias), "GroupNormKernelImpl")
    # one node over (input, weight, bias) as PyTorch's; a missing parameter is an identity stand-in
    # that needs no gradient, so its edge is (None, 0) there too
    has_weight, has_bias = weight is not None, bias is not None
    if not has_weight:
        weight = input.new_ones((c,))
    if not has_bias:
        bias = weight.new_zeros((c,))
    return _run(
        NativeGroupNormBackward0,
        (input, weight, bias),
        groups=num_groups,
        eps=eps,
        wshape=(1, c) + (1,) * (input.dim() - 2),
        param_axes=(0,) + tuple(range(2, input.dim())),
        has_weight=has_weight,
        has_bias=has_bias,
    )


class NativeGroupNormBackward0(Node):
    """Group norm: statistics per (sample, group of channels), then a per-channel affine map."""

    def _grouped(self, a):
        return a.reshape(a.shape[0], self.groups, -1)

    def forward(self, x, w, b):
        xp = x._backend.xp
        a = self._grouped(x._data)
        mean = xp.mean(a, axis=2, keepdims=True)
        xc = a - mean
        var = xp.mean(xc * xc, axis=2, keepdims=True)
        invstd = 1 / xp.sqrt(var + self.eps)
        self.mean, self.invstd = mean, invstd
        xc *= invstd
        y = xc.reshape(x._data.shape)
        # multiply and add one after the other (not fused), as the composite this replaces did
        if self.has_weight:
            y = y * xp.reshape(w._data, self.wshape)
        if self.has_bias:
            y = y + xp.reshape(b._data, self.wshape)
        if y.dtype != x._data.dtype:  # float16 input, float32 parameters: PyTorch keeps float16
            y = y.astype(x._data.dtype)
        self.save(x, w)
        return y

    def _stats(self, xg):
        """``(xhat, invstd)`` of the grouped input; differentiable under ``create_graph``."""
        if GRAD_ENABLED[0]:
            mean = xg.mean(2, keepdim=True)
            xc = xg - mean
            invstd = ((xc * xc).mean(2, keepdim=True) + self.eps).rsqrt()
            return xc * invstd, invstd
        mean = _make(self.mean, xg._backend, xg._device)
        invstd = _make(self.invstd, xg._backend, xg._device)
        return (xg - mean) * invstd, invstd

    def backward(self, grad):
        x, w = self.saved
        xg = self._grouped(x)
        xhat, invstd = self._stats(xg)
        gx = gw = gb = None
        if x._requires_grad or x.grad_fn is not None:
            gy = self._grouped(grad * w.reshape(self.wshape) if self.has_weight else grad)
            gx = invstd * (gy - gy.mean(2, keepdim=True) - xhat * (gy * xhat).mean(2, keepdim=True))
            gx = gx.reshape(x.shape)
        if self.has_weight:
            gw = (grad * xhat.reshape(x.shape)).sum(self.param_axes)
        if self.has_bias:
            gb = grad.sum(self.param_axes)
        return gx, gw, gb
