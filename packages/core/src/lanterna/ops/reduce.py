"""Reductions over dims (int, tuple, negative) with ``keepdim``."""

from __future__ import annotations

from collections import namedtuple

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ._apply import Node, apply, output_of
from .elementwise import cast

_make = Tensor._make
ValuesIndices = namedtuple("return_types", ["values", "indices"])


def _norm_dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative axes; None means all."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes if ndim else ()
    return (_wrap_dim(dim, ndim),) if ndim else ()


def _expand_back(grad, shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    if axes is None:
        return grad.reshape([1] * len(shape)).expand(shape) if shape else grad.reshape(())
    if not keepdim and axes:
        kept = list(grad.shape)
        for ax in axes:
            kept.insert(ax, 1)
        grad = grad.reshape(kept)
    return grad.expand(shape)


class SumBackward0(Node):
    def forward(self, a):
        self.shape = a._data.shape
        xp = a._backend.xp
        return xp.sum(a._data, axis=self.axes, keepdims=self.keepdim, dtype=self.out_dtype)

    def backward(self, grad):
        return _expand_back(grad, self.shape, self.axes, self.keepdim)


class SumBackward1(SumBackward0):
    pass


def sum(input, dim=None, keepdim=False, *, dtype=None):
    axes = _norm_dims(dim, input._data.ndim)
    if dtype is not None:
        input = cast(input, dtype)
    out_dtype = None
    if not input.dtype.is_floating_point:
        out_dtype = input._backend.dtype(D.int64)
    cls = SumBackward0 if dim is None else SumBackward1
    return apply(cls, input, axes=axes, keepdim=keepdim, out_dtype=out_dtype)


class MeanBackward0(Node):
    def forward(self, a):
        self.shape = a._data.shape
        x = a._data
        self.count = x.size if self.axes is None else _prod(x.shape[i] for i in self.axes)
        return a._backend.xp.mean(x, axis=self.axes, keepdims=self.keepdim)

    def backward(self, grad):
        return _expand_back(grad / self.count, self.shape, self.axes, self.keepdim)


class MeanBackward1(MeanBackward0):
    pass


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = cast(input, dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_legacy_scalar_name(input.dtype)}"
        )
    axes = _norm_dims(dim, input._data.ndim)
    return apply(MeanBackward0 if dim is None else MeanBackward1, input, axes=axes, keepdim=keepdim)


def _legacy_scalar_name(d):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half"}[d.name]


def _prod(it):
    p = 1
    for v in it:
        p *= v
    return p


class ProdBackward0(Node):
    def forward(self, a):
        self.save(a)
        self.out = a._backend.xp.prod(a._data, axis=self.axes, keepdims=self.keepdim, dtype=self.out_dtype)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        axes = self.axes
        # product of the others: out / a where a != 0; recompute the exact product where a == 0
        out = output_of(self, self.out, a)
        g = _expand_back(grad * out, a.shape, axes, self.keepdim)
        zero = a == 0
        if not bool(zero.any()):
            return g / a
        # rare path: gradients at zeros via a product with the element removed
        safe = a.masked_fill(zero, 1)
        prod_safe = _expand_back(
            prod(safe, dim=axes, keepdim=True) if axes is not None else prod(safe).reshape([1] * a.dim()),
            a.shape, axes, True)
        nzeros = _expand_back(zero.sum(dim=axes, keepdim=True) if axes is not None else zero.sum().reshape([1] * a.dim()),
                              a.shape, axes, True)
        gexp = _expand_back(grad, a.shape, axes, self.keepdim)
        return D_where(zero & (nzeros == 1), gexp * prod_safe, D_where(zero, gexp * 0, g / safe))


def D_where(c, x, y):
    from .shape import where

    return where(c, x, y)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = cast(input, dtype)
    out_dtype = None if input.dtype.is_floating_point else input._backend.dtype(D.int64)
    axes = None if dim is None else _norm_dims(dim, input._data.ndim)
    return apply(ProdBackward0, input, axes=axes, keepdim=keepdim, out_dtype=out_dtype)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # var(input, unbiased)
        unbiased, dim = dim, None
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = _norm_dims(dim, input._data.ndim)
    n = input.numel() if axes is None else _prod(input.shape[i] for i in axes)
    mu = input.mean(dim=axes if axes is not None else None, keepdim=True) if axes is not None else input.mean()
    diff = input - mu
    sq = (diff * diff).sum(dim=axes, keepdim=keepdim) if axes is not None else (diff * diff).sum()
    return sq / max(n - correction, 0) if n - correction > 0 else sq / 0.0


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


class AmaxBackward0(Node):
    """max/min over dims: the gradient is shared evenly among tied extrema (as PyTorch's amax)."""

    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        fn = xp.max if self.is_max else xp.min
        if a._data.size == 0:
            raise IndexError(f"{'max' if self.is_max else 'min'}(): Expected reduction dim to be specified for input.numel() == 0.")
        self.out = fn(a._data, axis=self.axes, keepdims=self.keepdim)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        out = _expand_back(output_of(self, self.out, a).detach(), a.shape, self.axes, self.keepdim)
        mask = (a == out).to(grad.dtype)
        count = mask.sum(dim=self.axes, keepdim=True) if self.axes is not None else mask.sum()
        return _expand_back(grad, a.shape, self.axes, self.keepdim) * mask / count


class MaxBackward1(AmaxBackward0):
    pass


class MinBackward1(AmaxBackward0):
    pass


def amax(input, dim=(), keepdim=False):
    axes = _norm_dims(dim, input._data.ndim) if dim != () else None
    return apply(AmaxBackward0, input, axes=axes, keepdim=keepdim, is_max=True)


class AminBackward0(AmaxBackward0):
    pass


def amin(input, dim=(), keepdim=False):
    axes = _norm_dims(dim, input._data.ndim) if dim != () else None
    return apply(AminBackward0, input, axes=axes, keepdim=keepdim, is_max=False)


class MaxBackward0(Node):
    """max/min along one dim: the gradient goes to the index returned."""

    def forward(self, a):
        xp = a._backend.xp
        self.shape = a._data.shape
        idx = self.indices._data
        return xp.take_along_axis(a._data, xp.expand_dims(idx, axis=self.axis) if not self.keepdim else idx,
                                  axis=self.axis) if a._data.ndim else a._data

    def backward(self, grad):
        from .index import scatter_grad

        if len(self.shape) == 0:
            return grad
        g = grad if self.keepdim else grad.unsqueeze(self.axis)
        idx = self.indices if self.keepdim else self.indices.unsqueeze(self.axis)
        return scatter_grad(g, idx, self.axis, self.shape)


class MinBackward0(MaxBackward0):
    pass


def _max_min(input, dim, keepdim, is_max):
    if dim is None:
        return amax(input) if is_max else amin(input)
    if isinstance(dim, Tensor):  # max(a, b): elementwise
        from .shape import maximum, minimum

        return maximum(input, dim) if is_max else minimum(input, dim)
    axis = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim and input._data.shape[axis] == 0:
        raise IndexError(f"{'max' if is_max else 'min'}(): Expected reduction dim {axis} to have non-zero size.")
    indices = argmax(input, axis, keepdim) if is_max else argmin(input, axis, keepdim)
    cls = MaxBackward0 if is_max else MinBackward0
    values = apply(cls, input, axis=axis, keepdim=keepdim, indices=indices)
    return ValuesIndices(values, indices)


def max(input, dim=None, keepdim=False):
    return _max_min(input, dim, keepdim, True)


def min(input, dim=None, keepdim=False):
    return _max_min(input, dim, keepdim, False)


def _arg(input, dim, keepdim, is_max):
    xp = input._backend.xp
    x = input._data
    fn = xp.argmax if is_max else xp.argmin
    if input.dtype.is_floating_point and bool(xp.any(xp.isnan(x))):
        # NaN propagates as the extremum, as in PyTorch
        x = xp.where(xp.isnan(x), xp.inf if is_max else -xp.inf, x)
    if dim is None:
        r = fn(x.reshape(-1))
        if keepdim:
            r = xp.reshape(r, (1,) * x.ndim)
    else:
        axis = _wrap_dim(dim, x.ndim)
        r = fn(x, axis=axis, keepdims=keepdim) if x.ndim else fn(x.reshape(-1)).reshape(())
    return _make(xp.astype(r, input._backend.dtype(D.int64)), input._backend, input._device)


def argmax(input, dim=None, keepdim=False):
    return _arg(input, dim, keepdim, True)


def argmin(input, dim=None, keepdim=False):
    return _arg(input, dim, keepdim, False)


def logsumexp(input, dim, keepdim=False):
    axes = _norm_dims(dim, input._data.ndim)
    m = amax(input, dim=axes, keepdim=True).detach() if axes else amax(input).detach()
    m = m.masked_fill(~m.isfinite(), 0)
    s = (input - m).exp().sum(dim=axes, keepdim=True).log() + m
    return s if keepdim else s.squeeze(axes) if axes else s


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = cast(input, dtype)
    if p == "fro" or p is None or p == 2:
        sq = (input * input).sum(dim=dim, keepdim=keepdim) if dim is not None else (input * input).sum()
        return sq.sqrt()
    if p == float("inf"):
        return input.abs().amax(dim=dim if dim is not None else (), keepdim=keepdim)
    if p == float("-inf"):
        return input.abs().amin(dim=dim if dim is not None else (), keepdim=keepdim)
    if p == 1:
        return input.abs().sum(dim=dim, keepdim=keepdim) if dim is not None else input.abs().sum()
    if p == 0:
        return (input != 0).to(input.dtype).sum(dim=dim, keepdim=keepdim) if dim is not None else (input != 0).to(input.dtype).sum()
    s = input.abs() ** p
    s = s.sum(dim=dim, keepdim=keepdim) if dim is not None else s.sum()
    return s ** (1.0 / p)


def all(input, dim=None, keepdim=False):
    xp = input._backend.xp
    axes = None if dim is None else _norm_dims(dim, input._data.ndim)
    return _make(xp.all(input._data.astype(bool), axis=axes, keepdims=keepdim), input._backend, input._device)


def any(input, dim=None, keepdim=False):
    xp = input._backend.xp
    axes = None if dim is None else _norm_dims(dim, input._data.ndim)
    return _make(xp.any(input._data.astype(bool), axis=axes, keepdims=keepdim), input._backend, input._device)


class CumsumBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        return xp.cumsum(a._data, axis=self.axis, dtype=self.out_dtype) if a._data.ndim else a._data.copy()

    def backward(self, grad):
        if grad.dim() == 0:
            return grad
        return grad.flip(self.axis).cumsum(self.axis).flip(self.axis)


def cumsum(input, dim, *, dtype=None):
    if dtype is not None:
        input = cast(input, dtype)
    out_dtype = None if input.dtype.is_floating_point else input._backend.dtype(D.int64)
    return apply(CumsumBackward0, input, axis=_wrap_dim(dim, input._data.ndim), out_dtype=out_dtype)


class CumprodBackward0(Node):
    def forward(self, a):
        self.save(a)
        self.out = a._backend.xp.cumprod(a._data, axis=self.axis) if a._data.ndim else a._data.copy()
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        if a.dim() == 0:
            return grad
        out = output_of(self, self.out, a)
        # valid where a != 0: sum_{j>=i} grad_j * out_j / a_i
        r = (grad * out).flip(self.axis).cumsum(self.axis).flip(self.axis)
        return r / a


def cumprod(input, dim, *, dtype=None):
    if dtype is not None:
        input = cast(input, dtype)
    return apply(CumprodBackward0, input, axis=_wrap_dim(dim, input._data.ndim))


def count_nonzero(input, dim=None):
    return (input != 0).sum(dim=dim) if dim is not None else (input != 0).sum()
