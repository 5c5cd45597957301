"""Gather/scatter and the index_* family, take, masked_select/masked_scatter, nonzero."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ._apply import Node, apply, output_of
from . import kernels
from .kernels import kernel
from ._argerrors import not_a_tensor

_make = Tensor._make


def _check_index_tensor(index, name):
    if index.dtype is not D.int64 and index.dtype is not D.int32:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _out_of_bounds(e):
    return RuntimeError(str(e).replace("axis", "dimension"))


def _name(dtype):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(dtype)


def _dims(t):
    """A tensor's shape with a 0-d tensor counted as one element, as PyTorch's index ops see it."""
    return tuple(t.shape) or (1,)


def _check_scatter(input, dim, index, src):
    """PyTorch's scatter checks: ``src`` of ``input``'s dtype, and ``index`` no larger than
    ``input`` (off ``dim``) nor than ``src``. Nothing is read for an empty index."""
    is_src = isinstance(src, Tensor)
    if is_src and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if not index.numel():
        return
    ishape, sshape = _dims(index), _dims(input)
    if len(ishape) != len(sshape):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if is_src and len(_dims(src)) != len(ishape):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    srcshape = _dims(src) if is_src else None
    for i, n in enumerate(ishape):
        if (i != dim and n > sshape[i]) or (is_src and n > srcshape[i]):
            msg = f"Expected index {list(index.shape)} to be no larger than self {list(input.shape)} apart from dimension {dim}"
            if is_src:
                msg += f" and to be no larger size than src {list(src.shape)}"
            raise RuntimeError(msg)


def _check_index_source(input, dim, index, source, name):
    """index_add/index_copy: ``source`` is ``input`` with ``dim`` resized to ``index``'s length."""
    ishape, sshape = _dims(input), _dims(source)
    if source.dim() and source.dim() != input.dim() or any(
            a != b for i, (a, b) in enumerate(zip(ishape, sshape)) if i != dim):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}")
    if index.numel() != sshape[dim]:
        err = IndexError if name == "index_copy_" else RuntimeError
        # (index_add's message has a colon and names the dim, index_copy's not: PyTorch's words)
        tail = f": ({sshape[dim]}), for dim: {dim}" if name == "index_add_" else f" ({sshape[dim]})"
        raise err(f"{name}(): Number of indices ({index.numel()}) should be equal to source.size(dim){tail}")


def _check_index_bounds(input, dim, index, err=IndexError, prefix="", negative=False):
    """PyTorch's bounds check for the index_* ops (``negative``: index_fill reads -1 as the last)."""
    if index.numel():
        n = _dims(input)[dim]
        host = np.asarray(index._host())
        bad = host[(host >= n) | (host < (-n if negative else 0))]
        if bad.size:
            raise err(f"{prefix}index {int(bad[0])} is out of bounds for dimension {dim} with size {n}")


def _as_1d(t):
    """0-d tensors take part in index_add/index_copy/index_fill as one-element vectors."""
    return t.reshape(1) if not t.dim() else t


def gather_array(a, idx, axis):
    """``take_along_axis`` where the index may be smaller than ``a`` off ``axis`` (as torch.gather)."""
    x = a._data
    if x.ndim != idx.ndim or x.ndim == 0:  # a 0-d input or index counts as one element
        xp = a._backend.xp
        x1, i1 = xp.reshape(x, (-1,)), xp.reshape(idx, (-1,))
        try:
            return xp.reshape(xp.take_along_axis(x1, i1, axis=0), idx.shape)
        except IndexError as e:
            raise _out_of_bounds(e) from None
    if idx.shape != x.shape:
        x = x[tuple(slice(None) if i == axis else slice(0, s) for i, s in enumerate(idx.shape))]
    try:
        return a._backend.xp.take_along_axis(x, idx, axis=axis)
    except IndexError as e:
        raise _out_of_bounds(e) from None


def _full_index(index, dim, backend):
    """A fancy-index tuple: ``index`` along ``dim``, each element's own position elsewhere."""
    xp = backend.xp
    shape = index._data.shape
    idx = []
    for i, n in enumerate(shape):
        if i == dim:
            idx.append(index._data)
        else:
            idx.append(xp.reshape(xp.arange(n), tuple(n if j == i else 1 for j in range(len(shape)))))
    return tuple(idx)


def _src_part(src, index):
    return src._data[tuple(slice(0, n) for n in index._data.shape)]


def _vector_view(xp, x):
    """A 0-d array as a one-element vector that writes through (PyTorch's scatter into a 0-d tensor)."""
    return xp.reshape(x, (1,)) if x.ndim == 0 else x


def _vector_operands(input, index, src):
    """scatter's index and src, 0-d ones as one-element vectors, when ``input`` has at most one dim."""
    if input._data.ndim <= 1:
        if index._data.ndim == 0:
            index = index.reshape(1)
        if isinstance(src, Tensor) and src._data.ndim == 0 and index._data.ndim == 1:
            src = src.reshape(1)
    return index, src


def _scatter_backward_src(node, grad):
    """The source's gradient: ``grad`` read back at the index (zeros when nothing was scattered)."""
    if not node.index._data.size:
        return grad.new_zeros(node.src_shape)
    return grad.gather(node.dim, node.index)


# ---- gather ---------------------------------------------------------------------------------
class GatherBackward0(Node):
    def forward(self, a):
        self.in_shape = a._data.shape
        return gather_array(a, self.index._data, self.dim)

    def backward(self, grad):
        return scatter_grad(grad, self.index, self.dim, self.in_shape)


def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[index[i][j]][j]`` for ``dim=0`` (and likewise for other dims)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('gather', input)
    _check_index_tensor(index, "gather")
    d = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim != input._data.ndim and not (index._data.ndim <= 1 and input._data.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for i in range(index._data.ndim):
        if i != d and index._data.shape[i] > input._data.shape[i]:
            raise RuntimeError(f"Size does not match at dimension {i} expected index {list(index.shape)} to be no "
                               f"larger than self {list(input.shape)} apart from dimension {d}")
    if index._data.size:
        # take_along_axis reads a negative index from the end; PyTorch's gather refuses it
        low = int(index._backend.xp.min(index._data))
        if low < 0:
            n = input._data.shape[d] if input._data.ndim else 1
            raise RuntimeError(f"index {low} is out of bounds for dimension {d} with size {n}")
    return apply(GatherBackward0, input, dim=d, index=index)


def scatter_grad(grad, index, dim, in_shape):
    """Gradient of a gather along ``dim``: ``grad`` added into zeros of ``in_shape`` at ``index``."""
    return scatter_add(grad.new_zeros(in_shape), dim, index, grad)


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (broadcast), or of the flattened input."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = _wrap_dim(dim, input._data.ndim)
    shape, ishape = list(input.shape), list(indices.shape)
    shape[d] = ishape[d] = 1
    try:
        b = list(np.broadcast_shapes(tuple(shape), tuple(ishape)))
    except ValueError:
        from .elementwise import broadcast_error

        raise broadcast_error(shape, ishape) from None
    in_b, idx_b = list(b), list(b)
    in_b[d], idx_b[d] = input.shape[d], indices.shape[d]
    return gather(input.expand(in_b), d, indices.expand(idx_b))


class TakeBackward0(Node):
    def forward(self, a):
        self.in_shape = a._data.shape
        try:
            return a._backend.xp.reshape(a._data, (-1,))[self.index._data]
        except IndexError:
            raise IndexError(f"out of range: tried to access index {int(self.index.max())} on a tensor of "
                             f"{a._data.size} elements.") from None

    def backward(self, grad):
        from .index import index_add_grad

        n = 1
        for s in self.in_shape:
            n *= s
        return index_add_grad(grad, (n,), (self.index._data,)).reshape(self.in_shape)


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (the result has ``index``'s shape)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('take', input)
    if index.dtype is not D.int64:
        from .reduce import legacy_scalar_name

        raise RuntimeError(f"take(): Expected a long tensor for index, but got {legacy_scalar_name(index.dtype)}")
    return apply(TakeBackward0, input, index=index)


# ---- scatter ---------------------------------------------------------------------------------
class ScatterBackward0(Node):
    def forward(self, a, src):
        out = a._backend.xp.asarray(a._data, copy=True)
        self.src_shape = src._data.shape
        if not self.index._data.size:  # nothing is read from src, whatever its shape
            return out
        idx = _full_index(self.index, self.dim, a._backend)
        s = _src_part(src, self.index)
        target = _vector_view(a._backend.xp, out)
        try:
            if self.reduce is None:
                kernel(a._backend, "index_set")(target, idx, s)
            elif self.reduce == "add":
                kernel(a._backend, "index_add")(target, idx, s)
            else:
                kernel(a._backend, "index_mul")(target, idx, s)
        except IndexError as e:
            raise _out_of_bounds(e) from None
        return out

    def backward(self, grad):
        return grad.scatter(self.dim, self.index, 0), _scatter_backward_src(self, grad)


class ScatterBackward1(Node):
    def forward(self, a):
        out = a._backend.xp.asarray(a._data, copy=True)
        if not self.index._data.size:
            return out
        try:
            kernel(a._backend, "index_set")(_vector_view(a._backend.xp, out),
                                            _full_index(self.index, self.dim, a._backend), self.value)
        except IndexError as e:
            raise _out_of_bounds(e) from None
        return out

    def backward(self, grad):
        return grad.scatter(self.dim, self.index, 0)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """Write ``src`` (or a number) into a copy of ``input`` at ``index`` along ``dim``."""
    if not isinstance(input, Tensor):
        raise _scatter_error(input, dim, index, src, value, reduce)
    if src is None:
        src = value
    _check_index_tensor(index, "scatter")
    d = _wrap_dim(dim, input._data.ndim)
    _check_scatter(input, d, index, src)
    index, src = _vector_operands(input, index, src)
    if not isinstance(src, Tensor):
        return apply(ScatterBackward1, input, dim=d, index=index, value=src)
    return apply(ScatterBackward0, input, src.to(input.dtype), dim=d, index=index, reduce=reduce)


def _scatter_error(input, dim, index, src, value, reduce):
    """PyTorch's "invalid combination" TypeError for ``scatter(<not a tensor>, ...)``."""
    from ._argerrors import given, invalid_combination

    args, kwargs = given(input, ("src", src, None), ("value", value, None), reduce=reduce)
    return invalid_combination("scatter", (args[0], dim, index, *args[1:]), (
        "Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None",
        "Tensor input, int dim, Tensor index, Tensor src, *, str reduce, Tensor out = None",
        "Tensor input, int dim, Tensor index, Number value, *, Tensor out = None",
        "Tensor input, int dim, Tensor index, Number value, *, str reduce, Tensor out = None"), kwargs)


class ScatterAddBackward0(Node):
    def forward(self, a, src):
        out = a._backend.xp.asarray(a._data, copy=True)
        self.src_shape = src._data.shape
        if not self.index._data.size:  # nothing is read from src, whatever its shape
            return out
        try:
            kernel(a._backend, "index_add")(_vector_view(a._backend.xp, out),
                                            _full_index(self.index, self.dim, a._backend), _src_part(src, self.index))
        except IndexError as e:
            raise _out_of_bounds(e) from None
        return out

    def backward(self, grad):
        return grad, _scatter_backward_src(self, grad)


def scatter_add(input, dim, index, src):
    """Add ``src`` into a copy of ``input`` at ``index`` along ``dim`` (repeated indices add up)."""
    _check_index_tensor(index, "scatter")
    d = _wrap_dim(dim, input._data.ndim)
    _check_scatter(input, d, index, src)
    index, src = _vector_operands(input, index, src)
    return apply(ScatterAddBackward0, input, src.to(input.dtype), dim=d, index=index)


class ScatterReduceBackward0(Node):
    _ufuncs = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum, "mean": np.add}

    def forward(self, a, src):
        self.save(a, src)
        xp = a._backend.xp
        self.src_shape = src._data.shape
        if not self.index._data.size:  # nothing is read from src, whatever its shape
            self.out = xp.asarray(a._data, copy=True)
            return self.out
        x = _vector_view(xp, a._data)  # a 0-d input reduces as a one-element vector
        idx = _full_index(self.index, self.dim, a._backend)
        s = _src_part(src, self.index)
        like = None
        if not isinstance(x, np.ndarray):  # ufunc.at has no standard equivalent: reduce on the host
            like, x, s = x, kernels.to_host(x), kernels.to_host(s)
            idx, xp = tuple(kernels.to_host(i) for i in idx), np
        r = self.reduce
        if self.include_self:
            out = xp.asarray(x, copy=True)
        else:
            ident = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[r]
            if x.dtype.kind != "f" and r in ("amax", "amin"):
                info = np.iinfo(x.dtype)
                ident = info.min if r == "amax" else info.max
            out = xp.asarray(x, copy=True)
            out[idx] = ident
        self._ufuncs[r].at(out, idx, s)
        counts = np.zeros(x.shape, np.int64)
        np.add.at(counts, idx, 1)
        self.touched = counts > 0
        if r == "mean":
            total = counts + (1 if self.include_self else 0)
            out = np.where(total > 0, out / np.maximum(total, 1), out)
            out = out.astype(x.dtype) if x.dtype.kind == "f" else np.floor_divide(out, 1).astype(x.dtype)
            self.total = np.maximum(total, 1).astype(x.dtype)
        if not self.include_self:
            out = np.where(self.touched, out, x)
        if like is not None:  # back to the device
            out, self.touched = kernels.from_host(np.ascontiguousarray(out), like), kernels.from_host(self.touched, like)
            if r == "mean":
                self.total = kernels.from_host(self.total, like)
        if a._data.ndim == 0:
            out, self.touched = xp.reshape(out, ()), xp.reshape(self.touched, ())
            if r == "mean":
                self.total = xp.reshape(self.total, ())
        self.out = out
        return out

    def backward(self, grad):
        a, src = self.saved
        r, d, idx = self.reduce, self.dim, self.index
        if not idx._data.size:
            return grad, grad.new_zeros(self.src_shape)
        touched = _make(self.touched, a._backend, a._device)
        if r == "sum":
            gs = grad if self.include_self else grad.masked_fill(touched, 0)
            return gs, grad.gather(d, idx)
        if r == "mean":
            total = _make(self.total, a._backend, a._device)
            g = grad / total
            gs = g if self.include_self else grad.masked_fill(touched, 0)
            return gs, g.gather(d, idx)
        if r in ("amax", "amin"):
            out = _make(self.out, a._backend, a._device)
            hit_src = (_narrow_like(src, idx) == out.gather(d, idx)).to(grad.dtype)
            hit_self = (a == out).to(grad.dtype)
            # as PyTorch: an input element equal to the result shares the gradient even when
            # include_self=False (the count includes it), and then gets none of it itself
            count = hit_self.scatter_add(d, idx, hit_src)
            g = grad / count
            g_self = g * hit_self
            if not self.include_self:
                g_self = g_self.masked_fill(touched, 0)
            return g_self, g.gather(d, idx) * hit_src
        if r == "prod":
            return self._prod_backward(grad, a, src, d, idx)
        raise NotImplementedError(f"scatter_reduce backward with reduce='{r}' is not implemented")

    def _prod_backward(self, grad, a, src, d, idx):
        """PyTorch's formula: ``grad * result / x`` for each factor ``x``, with the product of the
        other factors computed outright where ``x`` is a lone zero (an input zero, or the only zero
        among the sources scattered to one place); with two zeros the gradient is 0."""
        from .pointwise import where

        s = _narrow_like(src, idx)
        inc = self.include_self
        masked_self = a.masked_fill(a == 0, 1)
        g_self = grad * masked_self.scatter_reduce(d, idx, s, "prod", include_self=inc) / masked_self
        src_zero = s == 0
        zeros_there = a.new_zeros(a.shape).scatter_add(d, idx, src_zero.to(a.dtype)).gather(d, idx)
        single_zero = src_zero & (zeros_there == 1)
        others = a.scatter_reduce(d, idx, s.masked_fill(single_zero, 1), "prod", include_self=inc)
        out = output_of(self, self.out, a)
        g_src = where(single_zero, (grad * others).gather(d, idx), (grad * out).gather(d, idx) / s.masked_fill(src_zero, 1))
        if not inc:  # the input's values there were replaced: they get no gradient
            g_self = g_self.scatter(d, idx, 0)
        return g_self, g_src


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into a copy of ``input`` at ``index``: 'sum', 'prod', 'mean', 'amax', 'amin'."""
    if reduce not in ScatterReduceBackward0._ufuncs:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    _check_index_tensor(index, "scatter_reduce")
    d = _wrap_dim(dim, input._data.ndim)
    _check_scatter(input, d, index, src)
    index, src = _vector_operands(input, index, src)
    return apply(ScatterReduceBackward0, input, src.to(input.dtype), dim=d, index=index, reduce=reduce,
                 include_self=include_self)


def _narrow_like(src, index):
    """``src`` cut to ``index``'s shape (scatter reads only that part)."""
    if tuple(src.shape) == tuple(index.shape):
        return src
    return src[tuple(slice(0, n) for n in index.shape)]



# ---- index_select and friends ---------------------------------------------------------------
def _check_index_vector(index, name):
    if index.dtype is not D.int64 and index.dtype is not D.int32:
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")
    if index.dim() > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")


class IndexSelectBackward0(Node):
    def forward(self, a):
        self.in_shape = a._data.shape
        x = a._data if a._data.ndim else a._backend.xp.reshape(a._data, (1,))
        out = a._backend.xp.take(x, self.index._data, axis=self.dim)
        return out if a._data.ndim else a._backend.xp.reshape(out, ())

    def backward(self, grad):
        from .index import index_add_grad

        if not self.in_shape:
            return grad.reshape(())
        idx = [slice(None)] * len(self.in_shape)
        idx[self.dim] = self.index._data
        return index_add_grad(grad, self.in_shape, tuple(idx))


def index_select(input, dim, index):
    """The slices of ``dim`` listed in the 1-D ``index``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('index_select', input)
    _check_index_vector(index, "index_select")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if index.numel() and (int(index.max()) >= n or int(index.min()) < 0):  # no negative indices either
        raise IndexError("index out of range in self")
    return apply(IndexSelectBackward0, input, dim=d, index=index.reshape(-1))


def _dim_index(ndim, dim, index):
    idx = [slice(None)] * ndim
    idx[dim] = index._data
    return tuple(idx)


class IndexAddBackward0(Node):
    def forward(self, a, src):
        out = a._backend.xp.asarray(a._data, copy=True)
        s = src._data * self.alpha if self.alpha != 1 else src._data
        kernel(a._backend, "index_add")(out, _dim_index(out.ndim, self.dim, self.index), s)
        return out

    def backward(self, grad):
        gs = grad.index_select(self.dim, self.index)
        return grad, gs * self.alpha if self.alpha != 1 else gs


def index_add(input, dim, index, source, *, alpha=1):
    """Add ``alpha * source`` into a copy of ``input`` at the slices ``index`` of ``dim``."""
    if index.dtype is not D.int64 and index.dtype is not D.int32:
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_name(index.dtype)}")
    if index.dim() > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index.dim()} with type: "
                         f"{_name(index.dtype)} and size: {list(index.shape)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_add_(): self ({_name(input.dtype)}) and source ({_name(source.dtype)}) must "
                           "have the same scalar type")
    d = _wrap_dim(dim, input._data.ndim)
    _check_index_source(input, d, index, source, "index_add_")
    _check_index_bounds(input, d, index, RuntimeError)
    if not input.dim():
        return index_add(input.reshape(1), 0, index, _as_1d(source), alpha=alpha).reshape(())
    return apply(IndexAddBackward0, input, source, dim=d, index=index.reshape(-1), alpha=alpha)


class IndexCopyBackward0(Node):
    def forward(self, a, src):
        out = a._backend.xp.asarray(a._data, copy=True)
        kernel(a._backend, "index_set")(out, _dim_index(out.ndim, self.dim, self.index), src._data)
        return out

    def backward(self, grad):
        return grad.index_fill(self.dim, self.index, 0), grad.index_select(self.dim, self.index)


def index_copy(input, dim, index, source):
    """A copy of ``input`` with the slices ``index`` of ``dim`` replaced by ``source``."""
    if index.dim() > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.dim()})")
    if index.dtype is not D.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_name(index.dtype)}")
    if source.dtype is not input.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_name(input.dtype)} and (source) {_name(source.dtype)}")
    d = _wrap_dim(dim, input._data.ndim)
    _check_index_source(input, d, index, source, "index_copy_")
    _check_index_bounds(input, d, index, prefix="index_copy_(): ")
    if not input.dim():
        return index_copy(input.reshape(1), 0, index, _as_1d(source)).reshape(())
    return apply(IndexCopyBackward0, input, source, dim=d, index=index.reshape(-1))


class IndexFillBackward0(Node):
    def forward(self, a):
        out = a._backend.xp.asarray(a._data, copy=True)
        kernel(a._backend, "index_set")(out, _dim_index(out.ndim, self.dim, self.index), self.value)
        return out

    def backward(self, grad):
        return grad.index_fill(self.dim, self.index, 0)


class IndexFillBackward1(Node):
    """``index_fill`` with a 0-d tensor value: the value gets the gradient of every filled element."""

    def forward(self, a, value):
        out = a._backend.xp.asarray(a._data, copy=True)
        v = a._backend.xp.astype(value._data, out.dtype)
        kernel(a._backend, "index_set")(out, _dim_index(out.ndim, self.dim, self.index), v)
        return out

    def backward(self, grad):
        return grad.index_fill(self.dim, self.index, 0), grad.index_select(self.dim, self.index).sum()


def index_fill(input, dim, index, value):
    """A copy of ``input`` with the slices ``index`` of ``dim`` set to ``value``."""
    if index.dim() > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if index.dtype is not D.int64:  # int32 too: index_fill alone takes only int64
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    d = _wrap_dim(dim, input._data.ndim)
    _check_index_bounds(input, d, index, negative=True)
    if not input.dim():
        return index_fill(input.reshape(1), 0, index, value).reshape(())
    index = index.reshape(-1)
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        return apply(IndexFillBackward1, input, value.to(input.device), dim=d, index=index)
    return apply(IndexFillBackward0, input, dim=d, index=index, value=value)


# ---- masks ----------------------------------------------------------------------------------
class MaskedSelectBackward0(Node):
    def forward(self, a):
        self.in_shape = a._data.shape
        return a._data[self.mask._data]

    def backward(self, grad):
        return grad.new_zeros(self.in_shape).masked_scatter(self.mask, grad)


def masked_select(input, mask):
    """The elements where ``mask`` (broadcast with ``input``) is True, as a 1-D tensor."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('masked_select', input)
    if mask.dtype is not D.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    try:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    except ValueError:
        from .elementwise import _broadcast_error

        raise _broadcast_error(mask, input) from None  # PyTorch names the mask "tensor a"
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    return apply(MaskedSelectBackward0, input, mask=mask.expand(shape))


class MaskedScatterBackward0(Node):
    def forward(self, a, src):
        xp = a._backend.xp
        out = xp.asarray(a._data, copy=True)
        m = self.mask._data
        n = int(xp.count_nonzero(m))
        if n > src._data.size:
            raise RuntimeError("masked_scatter: expected source to have at least as many elements as ones in mask")
        kernel(a._backend, "index_set")(out, m, xp.reshape(src._data, (-1,))[:n])
        self.src_shape = src._data.shape
        return out

    def backward(self, grad):
        picked = grad[self.mask]
        size = 1
        for s in self.src_shape:
            size *= s
        pad = grad.new_zeros((size - picked.shape[0],))
        from .joining import cat

        return grad.masked_fill(self.mask, 0), cat([picked, pad]).reshape(self.src_shape)


def masked_scatter(input, mask, source):
    """A copy of ``input`` with the elements where ``mask`` is True taken, in order, from ``source``."""
    if mask.dtype is not D.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {_name(mask.dtype)}")
    if source.dtype is not input.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got "
                           f"{_name(input.dtype)} and {_name(source.dtype)}")
    if mask._data.shape != input._data.shape:  # out of place, both broadcast (PyTorch's expand_outplace)
        from .pointwise import _broadcast_mask

        input, mask = _broadcast_mask(input, mask)
    return apply(MaskedScatterBackward0, input, source.to(input.dtype), mask=mask)


def masked_scatter_(input, mask, source):
    """In place: the mask is expanded to ``input``'s shape (PyTorch's error when it cannot be)."""
    if isinstance(mask, Tensor) and mask.dtype is D.bool_ and mask._data.shape != input._data.shape:
        mask.expand(input.shape)
    from .inplace import inplace

    return inplace(input, masked_scatter, mask, source)


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('nonzero', input)
    xp = input._backend.xp
    x = input._data if input._data.ndim else xp.reshape(input._data, (1,))
    idx = [xp.astype(i, input._backend.dtype(D.int64)) for i in xp.nonzero(x)]
    if as_tuple:
        return tuple(_make(i, input._backend, input._device) for i in idx)
    if input._data.ndim == 0:
        return _make(xp.zeros((len(idx[0]), 0), dtype=input._backend.dtype(D.int64)), input._backend, input._device)
    return _make(xp.stack(idx, axis=1), input._backend, input._device)


def argwhere(input):
    return nonzero(input)
