"""More statistics: quantiles (every interpolation), NaN-ignoring medians, covariance and
correlation, trapezoidal integration, histograms, ``renorm`` and Vandermonde matrices.

Most are compositions of differentiable Tensor ops written as PyTorch's ATen writes them
(quantile: sort, gather, lerp; cov: centre and matmul), so their gradients (and higher ones)
follow; ``renorm`` and ``nanmedian`` are nodes of their own, named as PyTorch names them.

>>> import lanterna as torch
>>> torch.quantile(torch.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
tensor(2.5000)
>>> torch.trapezoid(torch.tensor([1.0, 2.0, 4.0]))
tensor(4.5000)
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from . import return_types
from ._apply import apply
from .kernels import from_host, to_host
from .misc import _back as _on
from .reduce import legacy_scalar_name
from .stats import MedianBackward0, MedianBackward1

_make = Tensor._make

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# ---- quantiles -------------------------------------------------------------------------------
def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    from .creation import tensor

    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        q = tensor(float(q), dtype=input.dtype, device=input.device)
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if q.dim() > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if input.dtype is not D.float32 and input.dtype is not D.float64:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if q.dtype is not input.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if not bool(((q >= 0) & (q <= 1)).all()):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    q_is_vector = q.dim() == 1
    qv = q.reshape(-1)
    if dim is None:
        srt = input.reshape(-1).sort().values  # NaN sorts last
        out_shape = [1] * input.dim() if keepdim else []
    else:
        d = _wrap_dim(dim, input.dim())
        x = input if input.dim() else input.reshape(1)
        srt = x.movedim(d, -1).sort(-1).values if input.dim() else x.sort().values
        out_shape = list(input.shape)
        if input.dim():
            if keepdim:
                out_shape[d] = 1
            else:
                del out_shape[d]
    n = srt.shape[-1]
    lead = srt.shape[:-1]
    if ignore_nan:
        valid = srt.isnan().logical_not().sum(-1, keepdim=True).to(qv.dtype)
        ranks = qv * (valid - 1)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:
        ranks = (qv * (n - 1)).expand(*lead, qv.shape[0])
        ranks = ranks.masked_fill(srt.isnan().any(-1, keepdim=True).expand_as(ranks), n - 1)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.to(D.int64)
    values = srt.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = ranks.new_full(ranks.shape, 0.5) if interpolation == "midpoint" else ranks - below
        above = ranks.ceil().to(D.int64)
        values = values.lerp(srt.gather(-1, above), weights)
    # (..., k) -> (k, *out_shape)
    values = values.movedim(-1, 0).reshape([qv.shape[0]] + out_shape)
    return _renamed(values if q_is_vector else values.squeeze(0), "SqueezeBackward4")


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-quantiles of ``input`` (over all elements, or along ``dim``); a NaN in a slice
    makes its quantiles NaN. ``interpolation``: linear, lower, higher, midpoint or nearest."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """:func:`quantile` ignoring NaN values (NaN only where a slice is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ---- nanmedian ---------------------------------------------------------------------------------
class NanmedianBackward0(MedianBackward0):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        flat = xp.sort(xp.reshape(a._data, (-1,)))
        count = int(xp.sum(xp.astype(xp.logical_not(xp.isnan(flat)), xp.int64)))
        self.out = flat[(count - 1) // 2] if count else xp.asarray(float("nan"), dtype=a._data.dtype)
        return self.out


class NanmedianBackward1(MedianBackward1):
    pass


def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the non-NaN elements, or ``(values, indices)`` along ``dim``."""
    if input.dtype is D.bool_:
        from .stats import _no_bool_median

        _no_bool_median(dim)
    if dim is None:
        return apply(NanmedianBackward0, input)
    axis = _wrap_dim(dim, input.dim())
    if input.dim() == 0:
        return return_types.nanmedian(input.clone(), input.new_zeros((), dtype=D.int64))
    host = np.moveaxis(np.asarray(to_host(input._data)), axis, -1)
    flat = host.reshape(-1, host.shape[-1])
    order = np.argsort(flat, axis=-1, kind="stable")  # NaN last, ties in index order
    valid = np.sum(~np.isnan(flat), axis=-1) if flat.dtype.kind == "f" else np.full(len(flat), flat.shape[-1])
    k = np.maximum((valid - 1) // 2, 0)
    idx = order[np.arange(len(flat)), k].reshape(host.shape[:-1]).astype(np.int64)
    if keepdim:
        idx = np.expand_dims(idx, axis)
    idx = np.asarray(idx, order="C")
    data = idx if isinstance(input._data, np.ndarray) else from_host(idx, input._data)
    indices = _make(data, input._backend, input._device)
    values = apply(NanmedianBackward1, input, axis=axis, keepdim=keepdim, indices=indices, shape=input._data.shape)
    return return_types.nanmedian(values, indices)


# ---- covariance and correlation -------------------------------------------------------------------
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables (rows) of ``input``, observations in columns; with integer
    frequency weights ``fweights`` and/or observation weights ``aweights``."""
    if input.dim() > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    num_obs = x.shape[1]
    w = None
    if fweights is not None:
        if fweights.dim() > 1:
            raise RuntimeError("cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{fweights.dim()} dimensions")
        if fweights.dtype.is_floating_point or fweights.dtype is D.bool_:
            raise RuntimeError("cov(): expected fweights to have integral dtype but got fweights with "
                               f"{legacy_scalar_name(fweights.dtype)} dtype")
        if fweights.numel() != num_obs:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {fweights.numel()} != {num_obs}")
        if num_obs > 0 and bool((fweights < 0).any()):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        if aweights.dim() > 1:
            raise RuntimeError("cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{aweights.dim()} dimensions")
        if not aweights.dtype.is_floating_point:
            raise RuntimeError("cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{legacy_scalar_name(aweights.dtype)} dtype")
        if aweights.numel() != num_obs:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {aweights.numel()} != {num_obs}")
        if num_obs > 0 and bool((aweights < 0).any()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is not None:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
    else:
        w_sum = None
        avg = x.mean(1) if x.dtype.is_floating_point else x.to(D.get_default_dtype()).mean(1)
    if w is not None and correction != 0:
        norm_factor = w_sum - correction * ((w * aweights).sum() / w_sum if aweights is not None else 1)
    elif w is not None:
        norm_factor = w_sum
    else:
        norm_factor = num_obs - correction
    if (bool(norm_factor <= 0) if isinstance(norm_factor, Tensor) else norm_factor <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm_factor = norm_factor * 0 if isinstance(norm_factor, Tensor) else 0
    xc = x - avg.unsqueeze(1)
    c = xc @ (xc * w if w is not None else xc).t()
    return (c / norm_factor).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the variables (rows) of ``input``."""
    if input.dim() > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = c.diagonal()
    std = d.sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clamp(-1, 1)


# ---- trapezoidal rule ----------------------------------------------------------------------------
def _trapezoid_x(y, x, d):
    if x.dim() == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[d] = x.shape[0]
        return x.reshape(shape)
    if x.dim() < y.dim():
        return x.reshape([1] * (y.dim() - x.dim()) + list(x.shape))
    return x


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Integral of ``y`` along ``dim`` by the trapezoidal rule, at points ``x`` (a tensor) or
    spacing ``dx`` (default 1)."""
    if isinstance(x, Tensor) and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments - got (Tensor, Tensor, dx=...)")
    if x is not None and not isinstance(x, Tensor):
        dx, x = x, None
    d = _wrap_dim(dim, y.dim())
    n = y.shape[d]
    if x is None:
        dx = 1 if dx is None else dx
        if n == 0:
            return y.sum(d) * 0 if y.dtype.is_floating_point else (y.sum(d) * 0).to(D.get_default_dtype())
        return _renamed((y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * dx, "MulBackward1")
    if n == 0:
        return (y.sum(d) * 0).to(D.result_type(y, x) if D.result_type(y, x).is_floating_point else
                                 D.get_default_dtype())
    xv = _trapezoid_x(y, x, d)
    diff = xv.narrow(d, 1, xv.shape[d] - 1) - xv.narrow(d, 0, xv.shape[d] - 1)
    return _renamed((diff * (y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1))).sum(d) / 2.0, "DivBackward1")


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of ``y`` along ``dim`` by the trapezoidal rule (one element shorter)."""
    if x is not None and not isinstance(x, Tensor):
        dx, x = x, None
    d = _wrap_dim(dim, y.dim())
    n = y.shape[d]
    if n == 0:
        return y.narrow(d, 0, 0) * 1.0
    pair = y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)
    if x is None:
        dx = 1 if dx is None else dx
        return (pair * (dx / 2.0)).cumsum(d)
    xv = _trapezoid_x(y, x, d)
    diff = xv.narrow(d, 1, xv.shape[d] - 1) - xv.narrow(d, 0, xv.shape[d] - 1)
    return _renamed((diff * pair).cumsum(d) / 2.0, "DivBackward1")


# ---- renorm ----------------------------------------------------------------------------------
def _renamed(t, name):
    """``t`` with its grad_fn reporting PyTorch's node name (composite ops)."""
    if t.grad_fn is not None:
        t.grad_fn.name = lambda: name
    return t


def renorm(input, p, dim, maxnorm):
    """``input`` with each sub-tensor along ``dim`` rescaled to ``p``-norm at most ``maxnorm``."""
    if input.dim() <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} dimensions")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if not input.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{legacy_scalar_name(input.dtype)}")
    d = _wrap_dim(dim, input.dim())
    reduce = tuple(i for i in range(input.dim()) if i != d)
    norm = input.norm(p, dim=reduce, keepdim=True)
    factor = (maxnorm / (norm + 1e-7)).masked_fill(norm <= maxnorm, 1.0)
    return _renamed(input * factor, "RenormBackward0")


# ---- histogram -------------------------------------------------------------------------------
def histogram(input, bins, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)``: counts (or summed ``weight``) of ``input`` in ``bins`` equal bins over
    ``range`` (default: the data's min and max), or in the bins with the given edges."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{legacy_scalar_name(input.dtype)}'")
    x = np.asarray(to_host(input._data)).reshape(-1)
    dt = x.dtype
    if isinstance(bins, Tensor):
        if bins.dtype is not input.dtype:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
                               f"got input with dtype {D.cpp_name(input.dtype)} and bins for dimension 0 with "
                               f"dtype {D.cpp_name(bins.dtype)}")
        if bins.dim() != 1:
            raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but got "
                               f"{bins.dim()} dimensions in the bins tensor for dimension 0")
        edges = np.asarray(to_host(bins._data))
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogramdd(): bins must be > 0, but got {bins} for dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif x.size:
            lo, hi = float(x.min()), float(x.max())
        else:
            lo, hi = 0.0, 0.0
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {_num(lo)} max "
                               f"{_num(hi)} for dimension 0")
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_num(lo)}, {_num(hi)}] is not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        from .creation import linspace

        edges = np.asarray(linspace(lo, hi, bins + 1, dtype=input.dtype)._host())
    w = None
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as "
                               "the input tensor excluding its innermost dimension")
        w = np.asarray(to_host(weight._data)).reshape(-1)
    hist = _hist_counts(x, edges, w).astype(dt)
    if density:
        widths = np.diff(edges)
        total = hist.sum()
        hist = (hist / total / widths).astype(dt)
    like = input
    return return_types.histogram(_on(hist, like), _on(edges.astype(dt), like))


def _num(v):
    return int(v) if float(v).is_integer() else v


def _hist_counts(x, edges, w):
    """Counts of ``x`` in the bins between ``edges`` (the last bin closed), NaN and out-of-range skipped."""
    n = len(edges) - 1
    keep = (x >= edges[0]) & (x <= edges[-1])
    xs = x[keep]
    pos = np.searchsorted(edges, xs, side="right") - 1
    pos = np.minimum(pos, n - 1)
    return np.bincount(pos, weights=None if w is None else w[keep], minlength=n)[:n].astype(np.float64)

# ---- Vandermonde ---------------------------------------------------------------------------------
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-D ``x``: columns ``x ** (N-1) ... x ** 0`` (reversed if
    ``increasing``); integer and bool inputs give int64."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is None:
        N = x.shape[0]
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = D.promote_types(x.dtype, D.int64)
    from .creation import ones
    from .joining import cat

    first = ones((x.shape[0], min(N, 1)), dtype=dtype, device=x.device)
    if N > 1:
        powers = x.to(dtype).unsqueeze(1).expand(x.shape[0], N - 1).cumprod(1)
        result = cat([first, powers], 1)
    else:
        result = first
    return _renamed(result, "torch::autograd::CopySlices") if increasing else result.flip(1)


def linalg_vander(x, *, N=None):
    """``torch.linalg.vander``: increasing powers ``x ** 0 ... x ** (N-1)`` along a new last dim."""
    n = x.shape[-1] if x.dim() else 1
    if N is None:
        N = n
    if N <= 1 or x.dim() == 0:
        raise RuntimeError("N must be greater than 1.")
    dtype = D.promote_types(x.dtype, D.int64)
    from .creation import ones
    from .joining import cat

    xe = x.to(dtype).unsqueeze(-1)
    first = ones((*x.shape, 1), dtype=dtype, device=x.device)
    return cat([first, xe.expand(*x.shape, N - 1).cumprod(-1)], -1)
