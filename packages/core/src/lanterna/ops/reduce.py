"""Reductions over dims (int, tuple, negative) with ``keepdim``: sum, mean, prod, max/min ...

Statistics (var, std, norm, logsumexp) and scans (cumsum ...) are in ``stats.py``.
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ..autograd.grad_mode import GRAD_ENABLED
from . import return_types
from .kernels import kernel
from ._apply import Node, apply, attach, output_of
from ._argerrors import given, invalid_combination, not_a_tensor
from .elementwise import cast
from ._argerrors import not_a_tensor

_make = Tensor._make


def norm_dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative axes; None (or an empty list) means all."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
        for i in range(1, len(axes)):
            if axes[i] == axes[i - 1]:
                raise RuntimeError(f"dim {axes[i]} appears multiple times in the list of dims")
        return axes if ndim else ()
    return (_wrap_dim(dim, ndim),) if ndim else ()


def expand_back(grad, shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input's ``shape``."""
    if not GRAD_ENABLED[0]:
        # Plain backward: one filled array, no graph nodes. Materialised rather than a broadcast
        # view: NumPy's broadcast_to alone costs more than this whole path, and BLAS consumers
        # would copy a zero-stride view anyway.
        xp = grad._backend.xp
        g = grad._data
        if axes is not None and not keepdim and axes:
            kept = list(g.shape)
            for ax in axes:
                kept.insert(ax, 1)
            g = xp.reshape(g, tuple(kept))
        out = xp.empty(shape, dtype=g.dtype, device=g.device)
        out[...] = g
        return Tensor._make(out, grad._backend, grad._device)
    if axes is None:
        return grad.reshape([1] * len(shape)).expand(shape) if shape else grad.reshape(())
    if not keepdim and axes:
        kept = list(grad.shape)
        for ax in axes:
            kept.insert(ax, 1)
        grad = grad.reshape(kept)
    return grad.expand(shape)


def _prod(it):
    p = 1
    for v in it:
        p *= v
    return p


def _count(shape, axes):
    return _prod(shape) if axes is None else _prod(shape[i] for i in axes)


def legacy_scalar_name(d):
    """PyTorch's C++ scalar type names, used in its error messages (``Long``, ``Float`` ...)."""
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half"}[d.name]


_legacy_scalar_name = legacy_scalar_name


# ---- sum / mean / prod ---------------------------------------------------------------------
class SumBackward0(Node):
    def forward(self, a):
        self.shape = a._data.shape
        return kernel(a._backend, "reduce_sum")(a._data, self.axes, self.keepdim, self.out_dtype)

    def backward(self, grad):
        return expand_back(grad, self.shape, self.axes, self.keepdim)


class SumBackward1(SumBackward0):
    pass


def _int_accumulator(input, dtype):
    """Integer and bool sums accumulate in int64, as in PyTorch; an integer (or bool) ``dtype``
    given explicitly is kept, the sum wrapping around in it as in PyTorch."""
    if dtype is not None:
        input = cast(input, dtype)
        if not (dtype.is_floating_point or dtype.is_complex):
            return input, input._backend.dtype(dtype)
    if input.dtype is D.bool_:  # the standard does not sum or multiply bools
        input = cast(input, D.int64)
    return input, None if input.dtype.is_floating_point else input._backend.dtype(D.int64)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements, or over ``dim`` (an int or a tuple).

    >>> import lanterna as torch
    >>> torch.tensor([[1, 2], [3, 4]]).sum(0)
    tensor([4, 6])
    """
    if not isinstance(input, Tensor):
        raise not_a_tensor("sum", input)
    if dim is None and dtype is None and input.dtype.is_floating_point:
        return _sum_all(input)  # every loss ends in one: the lean path
    input, out_dtype = _int_accumulator(input, dtype)
    axes = norm_dims(dim, input._data.ndim)
    cls = SumBackward0 if dim is None else SumBackward1
    return apply(cls, input, axes=axes, keepdim=keepdim, out_dtype=out_dtype)


def _sum_all(input):
    """``input.sum()`` of a float tensor: what ``apply(SumBackward0, ...)`` does, without its
    generic keyword and input handling."""
    node = SumBackward0.__new__(SumBackward0)
    node.axes, node.keepdim, node.out_dtype = None, False, None
    out = _make(node.forward(input), input._backend, input._device)
    if GRAD_ENABLED[0] and input._requires_grad:
        attach(node, (input,), out)
    return out


class NansumBackward0(Node):
    def forward(self, a):
        self.save(a)
        self.shape = a._data.shape
        xp = a._backend.xp
        x = a._data
        if a.dtype.is_floating_point:
            x = xp.where(xp.isnan(x), xp.zeros((), dtype=x.dtype), x)
        return xp.sum(x, axis=self.axes, keepdims=self.keepdim, dtype=self.out_dtype)

    def backward(self, grad):
        (a,) = self.saved
        return expand_back(grad, self.shape, self.axes, self.keepdim) * a.isnan().logical_not()


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum treating NaN as zero."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('nansum', input)
    input, out_dtype = _int_accumulator(input, dtype)
    return apply(NansumBackward0, input, axes=norm_dims(dim, input._data.ndim), keepdim=keepdim,
                 out_dtype=out_dtype)


class MeanBackward0(Node):
    def forward(self, a):
        self.shape = a._data.shape
        self.count = _count(self.shape, self.axes)
        return a._backend.xp.mean(a._data, axis=self.axes, keepdims=self.keepdim)

    def backward(self, grad):
        return expand_back(grad / self.count, self.shape, self.axes, self.keepdim)


class MeanBackward1(MeanBackward0):
    pass


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of all elements or over ``dim``; integer inputs need ``dtype=`` (as in PyTorch)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("mean", input)
    if dtype is not None:
        input = cast(input, dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {legacy_scalar_name(input.dtype)}"
        )
    axes = norm_dims(dim, input._data.ndim)
    return apply(MeanBackward0 if dim is None else MeanBackward1, input, axes=axes, keepdim=keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over the elements that are not NaN."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('nanmean', input)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{legacy_scalar_name(input.dtype)}")
    if dtype is not None:
        input = cast(input, dtype)
    count = input.isnan().logical_not().sum(dim=dim, keepdim=keepdim)
    return nansum(input, dim, keepdim) / count


class ProdBackward0(Node):
    def forward(self, a):
        self.save(a)
        self.out = a._backend.xp.prod(a._data, axis=self.axes, keepdims=self.keepdim, dtype=self.out_dtype)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        if self.axes is None:
            flat = a.reshape(-1)
            return (others_product(flat, 0) * grad).reshape(a.shape) if a.dim() else grad
        (axis,) = self.axes
        g = grad if self.keepdim else grad.unsqueeze(axis)
        return others_product(a, axis) * g


class ProdBackward1(ProdBackward0):
    pass


def others_product(a, dim):
    """For each element, the product of the other elements along ``dim`` (zeros handled)."""
    if not bool((a == 0).any()):
        return a.prod(dim, keepdim=True) / a
    n = a.shape[dim]
    ones = a.new_ones([1 if i == dim else s for i, s in enumerate(a.shape)])
    left = cat_((ones, a.narrow(dim, 0, n - 1)), dim).cumprod(dim)
    right = cat_((a.narrow(dim, 1, n - 1), ones), dim).flip(dim).cumprod(dim).flip(dim)
    return left * right


def cat_(tensors, dim):
    from .joining import cat

    return cat(tensors, dim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one ``dim``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("prod", input)
    input, out_dtype = _int_accumulator(input, dtype)
    if dim is None:
        return apply(ProdBackward0, input, axes=None, keepdim=False, out_dtype=out_dtype)
    return apply(ProdBackward1, input, axes=norm_dims(dim, input._data.ndim), keepdim=keepdim, out_dtype=out_dtype)


# ---- max / min -------------------------------------------------------------------------------
class AmaxBackward0(Node):
    """amax/amin (and max()/min() without dim): the gradient is shared evenly among ties."""

    is_max = True
    # max()/min() share a NaN result's gradient among the NaNs; amax/amin/aminmax count only
    # elements equal to the result, so none for NaN, and the gradient there is NaN (0 / 0), as PyTorch
    nan_ties = False
    first_zero = True  # amax/amin: of tied zeros, the first one's sign (max()/aminmax keep NumPy's)

    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        out = (xp.max if self.is_max else xp.min)(a._data, axis=self.axes, keepdims=self.keepdim)
        if self.first_zero and a.dtype.is_floating_point and a._data.size and bool(xp.any(out == 0)):
            out = _first_zero(xp, a._data, out, self.axes, self.keepdim)
        self.out = out
        return out

    def backward(self, grad):
        (a,) = self.saved
        out = expand_back(output_of(self, self.out, a).detach(), a.shape, self.axes, self.keepdim)
        mask = a == out
        if self.nan_ties:
            mask = mask | (out.isnan() & a.isnan())
        mask = mask.to(grad.dtype)
        count = mask.sum(dim=self.axes, keepdim=True) if self.axes is not None else mask.sum()
        return expand_back(grad, a.shape, self.axes, self.keepdim) * mask / count


class AminBackward0(AmaxBackward0):
    is_max = False


class MaxBackward1(AmaxBackward0):
    nan_ties = True
    first_zero = False


class MinBackward1(AmaxBackward0):
    is_max = False
    nan_ties = True
    first_zero = False


def _first_zero(xp, x, out, axes, keepdim):
    """amax/amin where the extremum is a zero: PyTorch's CPU kernel keeps the first of tied 0.0 and
    -0.0 (NumPy may give either). Holds for reductions short enough to run unvectorized."""
    axes = tuple(range(x.ndim)) if axes is None else tuple(axes)
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    m = xp.reshape(xp.permute_dims(x, rest + axes), tuple(x.shape[i] for i in rest) + (-1,))
    o = xp.reshape(out, m.shape[:-1] + (1,))
    hit = xp.astype(m == o, xp.int8)  # (the standard has no argmax of bools)
    first = xp.take_along_axis(m, xp.expand_dims(xp.argmax(hit, axis=-1), axis=-1), axis=-1)
    return xp.reshape(xp.where(o == 0, first, o), out.shape)


def _check_nonempty(input, name, axes=None):
    if input._data.size == 0:
        if axes is None:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        for ax in axes:
            if input._data.shape[ax] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {ax} to have non-zero size.")


def amax(input, dim=(), keepdim=False):
    """Maximum over ``dim`` (all dims by default); ties share the gradient."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("amax", input)
    axes = norm_dims(dim, input._data.ndim)
    _check_nonempty(input, "amax", axes)
    return apply(AmaxBackward0, input, axes=axes, keepdim=keepdim)


def amin(input, dim=(), keepdim=False):
    """Minimum over ``dim`` (all dims by default); ties share the gradient."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("amin", input)
    axes = norm_dims(dim, input._data.ndim)
    _check_nonempty(input, "amin", axes)
    return apply(AminBackward0, input, axes=axes, keepdim=keepdim)


class MaxBackward0(Node):
    """max/min along one dim: the values are picked at the returned indices, which get the gradient."""

    def forward(self, a):
        xp = a._backend.xp
        self.shape = a._data.shape
        if not a._data.ndim:
            return xp.asarray(a._data, copy=True)
        idx = self.indices._data
        idx = idx if self.keepdim else xp.expand_dims(idx, axis=self.axis)
        out = xp.take_along_axis(a._data, idx, axis=self.axis)
        return out if self.keepdim else xp.squeeze(out, axis=self.axis)

    def backward(self, grad):
        from .gather import scatter_grad

        if len(self.shape) == 0:
            return grad
        g = grad if self.keepdim else grad.unsqueeze(self.axis)
        idx = self.indices if self.keepdim else self.indices.unsqueeze(self.axis)
        return scatter_grad(g, idx, self.axis, self.shape)


class MinBackward0(MaxBackward0):
    pass


def values_at_indices(cls, input, axis, keepdim, indices):
    """The values of ``input`` at ``indices`` along ``axis``, differentiable (max, median, mode ...)."""
    return apply(cls, input, axis=axis, keepdim=keepdim, indices=indices)


def _max_min(input, dim, keepdim, is_max, name):
    if dim is None:
        _check_nonempty(input, name)
        return apply(MaxBackward1 if is_max else MinBackward1, input, axes=None, keepdim=False)
    if isinstance(dim, Tensor):  # max(a, b): elementwise
        from .pointwise import maximum, minimum

        return maximum(input, dim) if is_max else minimum(input, dim)
    axis = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim:
        _check_nonempty(input, name, (axis,))
    # max/min along a dim take bools (argmax/argmin alone refuse them): indices of the same order as uint8's
    indices = _arg(input if input.dtype is not D.bool_ else input.to(D.uint8), axis, keepdim, is_max)
    values = values_at_indices(MaxBackward0 if is_max else MinBackward0, input, axis, keepdim, indices)
    return getattr(return_types, name)(values, indices)


_MAX_MIN_SIGNATURES = ("Tensor input, *, Tensor out = None", "Tensor input, Tensor other, *, Tensor out = None",
                       "Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None")


def _max_min_error(name, input, dim, keepdim):
    """PyTorch's TypeError for a non-tensor ``input`` of max/min: given more arguments, its
    parser lists all three overloads."""
    if dim is None and keepdim is False:
        return not_a_tensor(name, input)
    args, kwargs = given(input, ("dim", dim, None), ("keepdim", keepdim, False))
    return invalid_combination(name, args, _MAX_MIN_SIGNATURES, kwargs)


def max(input, dim=None, keepdim=False, *, out=None):
    """``max(x)``: the largest element; ``max(x, dim)``: ``(values, indices)``; ``max(x, y)``: elementwise.

    >>> import lanterna as torch
    >>> torch.max(torch.tensor([[1, 5], [7, 2]]), 1).indices
    tensor([1, 0])
    """
    if not isinstance(input, Tensor):
        raise _max_min_error("max", input, dim, keepdim)
    return _max_min(input, dim, keepdim, True, "max")


def min(input, dim=None, keepdim=False, *, out=None):
    """``min(x)``, ``min(x, dim)`` -> ``(values, indices)``, or ``min(x, y)`` elementwise."""
    if not isinstance(input, Tensor):
        raise _max_min_error("min", input, dim, keepdim)
    return _max_min(input, dim, keepdim, False, "min")


class AminmaxBackward0(AmaxBackward0):
    first_zero = False


def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` together, as ``torch.return_types.aminmax``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('aminmax', input)
    axes = norm_dims(dim, input._data.ndim)
    _check_nonempty(input, "aminmax", axes)
    lo = apply(AminmaxBackward0, input, axes=axes, keepdim=keepdim, is_max=False)
    hi = apply(AminmaxBackward0, input, axes=axes, keepdim=keepdim, is_max=True)
    return return_types.aminmax(lo, hi)


def _arg(input, dim, keepdim, is_max):
    xp = input._backend.xp
    x = input._data
    name = "argmax" if is_max else "argmin"
    if input.dtype is D.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if x.size == 0:
        if dim is None:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        ax = _wrap_dim(dim, x.ndim)
        if x.shape[ax] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {ax} to have non-zero size.")
    fn = xp.argmax if is_max else xp.argmin
    if dim is None:
        x = xp.reshape(x, (-1,))
        axis = 0
    else:
        axis = _wrap_dim(dim, x.ndim)
        if x.ndim == 0:
            x = xp.reshape(x, (1,))
    r = fn(x, axis=axis)
    if input.dtype.is_floating_point:
        nan = xp.isnan(x)
        if bool(xp.any(nan)):  # NaN is the extremum, as in PyTorch
            first_nan = xp.argmax(xp.astype(nan, input._backend.dtype(D.int8)), axis=axis)  # (standard: no bool argmax)
            r = xp.where(xp.any(nan, axis=axis), first_nan, r)
    r = xp.astype(xp.asarray(r), input._backend.dtype(D.int64))
    if keepdim:
        nd = input._data.ndim
        r = xp.reshape(r, (1,) * nd) if dim is None else xp.expand_dims(r, axis=axis) if nd else r
    elif input._data.ndim == 0:
        r = xp.reshape(r, ())
    return _make(r, input._backend, input._device)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (first one on ties; NaN counts as the largest)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("argmax", input)
    return _arg(input, dim, keepdim, True)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (first one on ties; NaN counts as the smallest)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("argmin", input)
    return _arg(input, dim, keepdim, False)


# ---- logical reductions --------------------------------------------------------------------
#: all/any's overloads, as PyTorch's TypeError for a non-tensor lists them
_LOGICAL_SIGNATURES = ("Tensor input, *, Tensor out = None",
                       "Tensor input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None",
                       "Tensor input, int dim, bool keepdim = False, *, Tensor out = None")


def _logical_error(name, input, dim, keepdim):
    args, kwargs = given(input, ("dim", dim, None), ("keepdim", keepdim, False))
    return invalid_combination(name, args, _LOGICAL_SIGNATURES, kwargs)


def _logical(input, dim, keepdim, fn_name):
    xp = input._backend.xp
    axes = norm_dims(dim, input._data.ndim)
    r = getattr(xp, fn_name)(xp.astype(input._data, xp.bool), axis=axes, keepdims=keepdim)
    if input.dtype is D.uint8:  # PyTorch keeps uint8 for uint8 inputs
        r = xp.astype(r, input._data.dtype)
    return _make(xp.asarray(r), input._backend, input._device)


def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``) is nonzero."""
    if not isinstance(input, Tensor):
        raise _logical_error("all", input, dim, keepdim)
    return _logical(input, dim, keepdim, "all")


def any(input, dim=None, keepdim=False):
    """True where some element (over ``dim``) is nonzero."""
    if not isinstance(input, Tensor):
        raise _logical_error("any", input, dim, keepdim)
    return _logical(input, dim, keepdim, "any")


def count_nonzero(input, dim=None):
    """Number of nonzero elements (over ``dim``), as int64."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('count_nonzero', input)
    return (input != 0).sum(dim=dim)
