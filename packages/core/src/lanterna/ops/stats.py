"""Statistics and scans: var/std, vector norms, logsumexp, cumulative ops, median and mode."""

from __future__ import annotations

import math

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from . import return_types
from .special import quiet
from ._apply import Node, apply, output_of
from ._argerrors import given, invalid_combination, no_attribute, not_a_tensor
from .elementwise import cast
from .reduce import _count, expand_back, legacy_scalar_name, norm_dims

_make = Tensor._make


# ---- variance and standard deviation -------------------------------------------------------
class VarBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        self.n = _count(a._data.shape, self.axes)
        x = a._data
        half = a.dtype is D.float16
        if half:  # PyTorch accumulates float16 in float32: the squares of large halves overflow
            x = xp.astype(x, xp.float32)
        with quiet(xp):
            out = xp.var(x, axis=self.axes, keepdims=self.keepdim, correction=self.correction)
            if self.is_std:
                out = xp.sqrt(out)
        self.out = xp.astype(out, a._data.dtype) if half else out
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        centered = a - a.mean(dim=self.axes, keepdim=True)
        g = expand_back(grad, a.shape, self.axes, self.keepdim)
        denom = self.n - self.correction
        # PyTorch divides by n - correction as it is, even negative (only 0 gives inf)
        scale = 1.0 / denom if denom != 0 else math.inf
        if self.is_std:
            out = expand_back(output_of(self, self.out, a), a.shape, self.axes, self.keepdim)
            # a constant slice (std 0) gets gradient 0, not 0 / 0 (PyTorch masks it the same way)
            return (g * centered * scale / out).masked_fill(out.detach() == 0, 0)
        return g * centered * (2.0 * scale)


class StdBackward0(VarBackward0):
    pass


def _var_args(dim, unbiased, correction):
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _var(input, dim, unbiased, keepdim, correction, is_std, cls):
    dim, correction = _var_args(dim, unbiased, correction)
    if not input.dtype.is_floating_point:
        _integral_var_error(cls)
    axes = norm_dims(dim, input._data.ndim)
    return apply(cls, input, axes=axes, keepdim=keepdim, correction=correction, is_std=is_std)


#: var/std's overloads, as PyTorch's TypeError for a non-tensor lists them
_VAR_SIGNATURES = (
    "Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False, *, Tensor out = None",
    "Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False, Tensor out = None",
    "Tensor input, bool unbiased = True")


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``; ``correction=1`` (Bessel's, the default) or ``unbiased=False``."""
    if not isinstance(input, Tensor):
        args, kwargs = given(input, ("dim", dim, None), ("unbiased", unbiased, None), ("keepdim", keepdim, False),
                             correction=correction)
        raise invalid_combination("var", args, _VAR_SIGNATURES, kwargs)
    return _var(input, dim, unbiased, keepdim, correction, False, VarBackward0)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim`` (see :func:`var`)."""
    if not isinstance(input, Tensor):
        args, kwargs = given(input, ("dim", dim, None), ("unbiased", unbiased, None), ("keepdim", keepdim, False),
                             correction=correction)
        raise invalid_combination("std", args, _VAR_SIGNATURES, kwargs)
    return _var(input, dim, unbiased, keepdim, correction, True, StdBackward0)


class VarMeanBackward0(VarBackward0):
    pass


class StdMeanBackward0(VarBackward0):
    pass


def _renamed_mean(input, dim, keepdim, name):
    m = input.mean(dim=dim, keepdim=keepdim)
    if m.grad_fn is not None:
        m.grad_fn.name = lambda: name
    return m


def _integral_var_error(cls):
    """PyTorch's error for std/var of an integer or bool tensor (std_mean/var_mean name themselves)."""
    name = {"VarMeanBackward0": "var_mean", "StdMeanBackward0": "std_mean"}.get(cls.__name__)
    raise RuntimeError(f"{name} only support floating point and complex dtypes" if name else
                       "std and var only support floating point and complex dtypes")


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` in one call."""
    d, _ = _var_args(dim, unbiased, correction)
    return (_var(input, dim, unbiased, keepdim, correction, False, VarMeanBackward0),
            _renamed_mean(input, d, keepdim, "VarMeanBackward0"))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` in one call."""
    d, _ = _var_args(dim, unbiased, correction)
    return (_var(input, dim, unbiased, keepdim, correction, True, StdMeanBackward0),
            _renamed_mean(input, d, keepdim, "StdMeanBackward0"))


# ---- norms ---------------------------------------------------------------------------------
class LinalgVectorNormBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = xp.abs(a._data)
        half = a.dtype is D.float16
        if half:  # accumulated in float32, as PyTorch: x * x overflows a half above 256
            x = xp.astype(x, xp.float32)
        p, axes, kd = self.ord, self.axes, self.keepdim
        if p == math.inf:
            # only a reduction over non-empty dims reaches here with an empty x (checked in
            # vector_norm): those slices are all empty, and the max of nothing is taken as 0
            out = xp.max(x, axis=axes, keepdims=kd) if x.size else xp.sum(x, axis=axes, keepdims=kd)
        elif p == -math.inf:
            out = xp.min(x, axis=axes, keepdims=kd)
        elif p == 0:
            out = xp.sum(xp.astype(x != 0, x.dtype), axis=axes, keepdims=kd)
        elif p == 1:
            out = xp.sum(x, axis=axes, keepdims=kd)
        elif p == 2:
            out = xp.sqrt(xp.sum(x * x, axis=axes, keepdims=kd))
        else:
            out = xp.sum(x ** p, axis=axes, keepdims=kd) ** (1.0 / p)
        out = xp.asarray(out, dtype=x.dtype)
        self.out = xp.astype(out, a._data.dtype) if half else out
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        p = self.ord
        if p == 0:  # a count of nonzeros: PyTorch leaves the input's gradient undefined (None)
            return None
        g = expand_back(grad, a.shape, self.axes, self.keepdim)
        if p == 1:
            return g * a.sign()
        out = expand_back(output_of(self, self.out, a), a.shape, self.axes, self.keepdim)
        if p in (math.inf, -math.inf):
            # a NaN norm counts its NaNs as the extremes; their sign (0) then gives them no gradient
            mask = ((a.abs() == out.detach()) | (a.isnan() & out.detach().isnan())).to(a.dtype)
            count = mask.sum(dim=self.axes, keepdim=True) if self.axes is not None else mask.sum()
            return g * a.sign() * mask / count
        if p == 2:
            r = g * a / out
        else:
            # sign(a) |a|^(p-1) rather than a |a|^(p-2): finite at a == 0 for 1 < p < 2
            scaled = a.sign() * a.abs() ** (p - 1)
            if p < 1:  # |a|^(p-1) is infinite at a == 0; PyTorch gives those entries no gradient
                scaled = scaled.masked_fill(a.detach() == 0, 0)
            r = g * scaled / out ** (p - 1)
        return r.masked_fill(out.detach() == 0, 0)


class NormBackward1(LinalgVectorNormBackward0):
    """``at::norm(input, p, dim, keepdim)``, which the deprecated ``frobenius_norm`` records in
    PyTorch: the same vector norm under ATen's name for it."""


def _check_empty_norm(x, ord, axes):
    """inf, -inf and negative norms have no identity: PyTorch refuses them over an empty slice."""
    if x.numel() or not (ord < 0 or ord == math.inf):
        return
    if axes is None:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on an empty tensor because the "
                           "operation does not have an identity")
    for d in axes:
        if x.shape[d] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on the dimension {d}because "
                               "this dimension is empty and the operation does not have an identity")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.vector_norm``: the ``ord``-norm of ``x`` flattened over ``dim``."""
    if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type(ord).__name__}")
    if dtype is not None:
        x = cast(x, dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {legacy_scalar_name(x.dtype)}")
    if isinstance(dim, int):
        dim = (dim,)
    axes = norm_dims(dim, x._data.ndim)
    _check_empty_norm(x, float(ord), axes)
    return apply(LinalgVectorNormBackward0, x, ord=float(ord), axes=axes, keepdim=keepdim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """``torch.norm``: a vector norm (``p`` a number, or ``'fro'`` over at most two dims) over
    ``dim`` (all by default); other strings ('nuc') are matrix norms over exactly two dims.
    The arguments keep PyTorch's positional order: ``out`` comes before ``dtype``."""
    if not isinstance(input, Tensor):
        raise no_attribute(input, "layout")  # torch.norm (Python) reads input.layout first
    if out is not None:
        from .elementwise import _write_out

        return _write_out(norm(input, p, dim, keepdim, dtype=dtype), out)
    return norm_method(input, p, dim, keepdim, dtype)


def norm_method(input, p="fro", dim=None, keepdim=False, dtype=None):
    """``Tensor.norm``: as :func:`norm`, with ``dtype`` fourth (the method has no ``out``)."""
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, dim, keepdim, dtype=dtype)
        from . import linalg_extra

        # 'nuc', or 'fro' over more than two dims: PyTorch hands both to matrix_norm, which
        # refuses anything but a pair of dims
        dims = [dim] if isinstance(dim, int) else list(range(input.dim())) if dim is None else dim
        return linalg_extra.matrix_norm(input, p, dims, keepdim, dtype=dtype)
    return vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype)


# ---- logsumexp -------------------------------------------------------------------------------
class LogsumexpBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        # an empty slice sums to 0, so its logsumexp is -inf (max has no identity to start from)
        m = xp.max(x, axis=self.axes, keepdims=True) if x.size else xp.sum(x, axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros((), dtype=m.dtype))
        with quiet(xp):
            out = xp.log(xp.sum(xp.exp(x - m), axis=self.axes, keepdims=True)) + m
        self.out = out if self.keepdim else xp.squeeze(out, axis=self.axes)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        out = expand_back(output_of(self, self.out, a), a.shape, self.axes, self.keepdim)
        return expand_back(grad, a.shape, self.axes, self.keepdim) * (a - out).exp()


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("logsumexp", input)
    if not input.dtype.is_floating_point:
        input = cast(input, D.get_default_dtype())
    axes = norm_dims(dim, input._data.ndim)
    if axes is None:
        axes = tuple(range(input._data.ndim))
    return apply(LogsumexpBackward0, input, axes=axes, keepdim=keepdim)


# ---- scans ---------------------------------------------------------------------------------
class CumsumBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        if not a._data.ndim:
            return xp.astype(a._data, self.out_dtype) if self.out_dtype is not None else xp.asarray(a._data, copy=True)
        # the standard's name (NumPy >= 2.1), else NumPy's older one
        cumulative_sum = getattr(xp, "cumulative_sum", None) or xp.cumsum
        return cumulative_sum(a._data, axis=self.axis, dtype=self.out_dtype)

    def backward(self, grad):
        return grad if grad.dim() == 0 else grad.flip(self.axis).cumsum(self.axis).flip(self.axis)


def _scan_dtype(input, dtype, name):
    """cumsum/cumprod's accumulator: int64 for integers and bools, unless ``dtype`` names another
    integer type, in which the scan then wraps around (as PyTorch)."""
    if dtype is None:
        return input, None if input.dtype.is_floating_point else input._backend.dtype(D.int64)
    if dtype is D.bool_:
        raise NotImplementedError(f'"{name}_out_cpu" not implemented for \'Bool\'')
    input = cast(input, dtype)
    return input, None if dtype.is_floating_point else input._backend.dtype(dtype)


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim`` (integers accumulate in int64)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("cumsum", input)
    input, out_dtype = _scan_dtype(input, dtype, "cumsum")
    return apply(CumsumBackward0, input, axis=_wrap_dim(dim, input._data.ndim), out_dtype=out_dtype)


class CumprodBackward0(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        cumulative_prod = getattr(xp, "cumulative_prod", None) or xp.cumprod  # as cumulative_sum
        self.out = cumulative_prod(a._data, axis=self.axis, dtype=self.out_dtype) if a._data.ndim \
            else xp.asarray(a._data, copy=True)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        d = self.axis
        if a.dim() == 0:
            return grad
        if not bool((a == 0).any()):
            out = output_of(self, self.out, a)
            return (grad * out).flip(d).cumsum(d).flip(d) / a
        # with zeros: d out_j / d a_i = prod_{k<=j, k!=i} a_k, from cumprods with a_i set to one
        n = a.shape[d]
        from .creation import eye

        moved = a.movedim(d, -1)  # (..., n)
        rows = moved.unsqueeze(-2).expand(*moved.shape[:-1], n, n)  # row i: a with a_i -> 1
        ident = eye(n, dtype=D.bool_, device=a.device)
        rows = rows.masked_fill(ident, 1.0)
        upper = eye(n, dtype=a.dtype, device=a.device).cumsum(1)  # j >= i
        g = grad.movedim(d, -1).unsqueeze(-2)
        r = (rows.cumprod(-1) * g * upper).sum(-1)
        return r.movedim(-1, d)


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("cumprod", input)
    input, out_dtype = _scan_dtype(input, dtype, "cumprod")
    return apply(CumprodBackward0, input, axis=_wrap_dim(dim, input._data.ndim), out_dtype=out_dtype)


class CummaxBackward0(Node):
    def forward(self, a):
        from .gather import gather_array

        return gather_array(a, self.indices._data, self.axis)

    def backward(self, grad):
        from .gather import scatter_grad

        return scatter_grad(grad, self.indices, self.axis, self.in_shape)


class CumminBackward0(CummaxBackward0):
    pass


def _cum_ext(input, dim, is_max):
    xp = input._backend.xp
    x = input._data
    if x.ndim == 0:
        x = xp.reshape(x, (1,))
    axis = _wrap_dim(dim, x.ndim)
    import numpy as np

    host = np.asarray(input._backend.to_numpy(x))
    run = (np.maximum if is_max else np.minimum).accumulate(host, axis=axis)
    shape = [1] * host.ndim
    shape[axis] = host.shape[axis]
    pos = np.arange(host.shape[axis]).reshape(shape)
    hit = (host == run) | (np.isnan(host) if host.dtype.kind == "f" else False)
    idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=axis)
    if input._data.ndim == 0:
        idx = idx.reshape(())
    dev = input._device.index or 0
    indices = _make(input._backend.from_numpy(idx.astype(np.int64), dev), input._backend, input._device)
    cls = CummaxBackward0 if is_max else CumminBackward0
    values = apply(cls, input, axis=_wrap_dim(dim, input._data.ndim) if input._data.ndim else 0, indices=indices,
                   in_shape=input._data.shape) if input._data.ndim else input.clone()
    return getattr(return_types, "cummax" if is_max else "cummin")(values, indices)


def cummax(input, dim):
    """Running maximum along ``dim`` and where it was found."""
    return _cum_ext(input, dim, True)


def cummin(input, dim):
    """Running minimum along ``dim`` and where it was found."""
    return _cum_ext(input, dim, False)


class LogcumsumexpBackward0(Node):
    def forward(self, a):
        self.save(a)
        import numpy as np

        x = a._data
        host = np.asarray(a._backend.to_numpy(x))
        out = np.logaddexp.accumulate(host, axis=self.axis) if host.ndim else host.copy()
        self.out = a._backend.from_numpy(out, a._device.index or 0)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        d = self.axis
        if a.dim() == 0 or a.numel() == 0:  # (an empty input has no maximum to shift by)
            return grad
        out = output_of(self, self.out, a)
        c = out.detach().amax(d, keepdim=True).masked_fill(~out.detach().amax(d, keepdim=True).isfinite(), 0)
        w = grad * (c - out).exp()
        return w.flip(d).cumsum(d).flip(d) * (a - c).exp()


def logcumsumexp(input, dim):
    """``log(cumsum(exp(input)))`` along ``dim``, without overflow."""
    if not input.dtype.is_floating_point:
        from .reduce import legacy_scalar_name

        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{legacy_scalar_name(input.dtype)}'")
    return apply(LogcumsumexpBackward0, input, axis=_wrap_dim(dim, input._data.ndim))


# ---- median and mode -----------------------------------------------------------------------
class MedianBackward0(Node):
    """Median of all elements: the gradient is shared among elements equal to it."""

    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        flat = xp.sort(xp.reshape(a._data, (-1,)))
        n = flat.shape[0]
        self.out = flat[(n - 1) // 2] if n else xp.asarray(float("nan"), dtype=a._data.dtype)
        if n and a.dtype.is_floating_point and bool(xp.isnan(flat[n - 1])):
            self.out = flat[n - 1]  # any NaN makes the median NaN (sorting puts NaNs last)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        out = output_of(self, self.out, a).detach()
        mask = ((a == out) | (a.isnan() & out.isnan())).to(grad.dtype)  # a NaN median: shared by the NaNs
        return grad * mask / mask.sum()


class MedianBackward1(Node):
    def forward(self, a):
        from .gather import gather_array

        out = gather_array(a, self.indices._data if self.keepdim else a._backend.xp.expand_dims(
            self.indices._data, axis=self.axis), self.axis)
        return out if self.keepdim else a._backend.xp.squeeze(out, axis=self.axis)

    def backward(self, grad):
        from .gather import scatter_grad

        g = grad if self.keepdim else grad.unsqueeze(self.axis)
        idx = self.indices if self.keepdim else self.indices.unsqueeze(self.axis)
        return scatter_grad(g, idx, self.axis, self.shape)


def _no_bool_median(dim):
    raise NotImplementedError(f"\"{'median_cpu' if dim is None else 'median_out'}\" not implemented for 'Bool'")


def median(input, dim=None, keepdim=False):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``."""
    if input.dtype is D.bool_:
        _no_bool_median(dim)
    if dim is None:
        return apply(MedianBackward0, input)
    axis = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        return return_types.median(input.clone(), input.new_zeros((), dtype=D.int64))
    order = input.argsort(axis, stable=True)
    k = (input.shape[axis] - 1) // 2
    indices = order.narrow(axis, k, 1)
    if input.dtype.is_floating_point:
        # a slice holding NaN has median NaN, found at its first NaN (argmax finds the first True)
        nan = input.isnan()
        if bool(nan.any()):
            indices = nan.to(D.uint8).argmax(axis, keepdim=True).where(nan.any(axis, keepdim=True), indices)
    if not keepdim:
        indices = indices.squeeze(axis)
    values = apply(MedianBackward1, input, axis=axis, keepdim=keepdim, indices=indices, shape=input._data.shape)
    return return_types.median(values, indices)


class ModeBackward0(MedianBackward1):
    pass


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest on ties) and its last index."""
    import numpy as np

    axis = _wrap_dim(dim, input._data.ndim)
    host = np.moveaxis(np.asarray(input._host()), axis, -1) if input._data.ndim else np.asarray(input._host())[None]
    flat = host.reshape(-1, host.shape[-1])
    idx = np.asarray([_mode_row(row.tolist()) for row in flat], np.int64).reshape(host.shape[:-1])
    if keepdim and input._data.ndim:
        idx = np.expand_dims(idx, axis)
    indices = _make(input._backend.from_numpy(idx, input._device.index or 0), input._backend, input._device)
    if not input._data.ndim:
        return return_types.mode(input.clone(), indices.reshape(()))
    values = apply(ModeBackward0, input, axis=axis, keepdim=keepdim, indices=indices, shape=input._data.shape)
    return return_types.mode(values, indices)


def _mode_row(row):
    """PyTorch's CPU mode: ``std::sort`` the (value, index) pairs by value, then take the end of
    the first longest run (replayed exactly, so that ties give PyTorch's index)."""
    from . import _stl

    pairs = [(v, j) for j, v in enumerate(row)]
    _stl.sort(pairs, 0, len(pairs), lambda x, y: x[0] < y[0])
    best, best_freq, freq = 0, 0, 0
    for i, (v, j) in enumerate(pairs):
        freq += 1
        if i == len(pairs) - 1 or v != pairs[i + 1][0]:
            if freq > best_freq:
                best, best_freq = j, freq
            freq = 0
    return best
