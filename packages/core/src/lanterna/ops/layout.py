"""Layout and scatter utilities: ``diagflat``, ``hsplit``/``vsplit``/``dsplit``,
``split_with_sizes``, ``select_scatter``/``slice_scatter``, ``put``, ``index_reduce``,
``fill_diagonal_``, ``sum_to_size``, the deprecated out-of-place ``resize``/``resize_as``,
``empty_strided`` and ``frombuffer``.

>>> import lanterna as torch
>>> torch.slice_scatter(torch.zeros(2, 4), torch.ones(2, 2), 1, 0, None, 2)
tensor([[1., 0., 1., 0.],
        [1., 0., 1., 0.]])
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ._apply import Node, apply
from .kernels import from_host, to_host

_make = Tensor._make


def _renamed(t, name):
    """``t`` with its grad_fn reporting PyTorch's node name (composite ops)."""
    if t.grad_fn is not None:
        t.grad_fn.name = lambda: name
    return t


def _scalar_name(d):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(d)


# ---- diagonals and splits ------------------------------------------------------------------------
def diagflat(input, offset=0):
    """A 2-D matrix with the flattened ``input`` on diagonal ``offset``."""
    from .misc import diag_embed

    return diag_embed(input.reshape(-1), offset)


def _split_dir(input, indices_or_sections, dim, least, name):
    if input.dim() < least:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {least} dimension, but got a tensor with "
                           f"{input.dim()} dimensions!")
    from .joining import tensor_split

    if isinstance(indices_or_sections, int):
        size = input.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for 1-D input) into equal parts or at the given indices."""
    return _split_dir(input, indices_or_sections, 1 if input.dim() > 1 else 0, 1, "hsplit")


def vsplit(input, indices_or_sections):
    """Split along dim 0 (at least 2-D input)."""
    return _split_dir(input, indices_or_sections, 0, 2, "vsplit")


def dsplit(input, indices_or_sections):
    """Split along dim 2 (at least 3-D input)."""
    return _split_dir(input, indices_or_sections, 2, 3, "dsplit")


def split_with_sizes(input, split_sizes, dim=0):
    """Pieces of the given sizes along ``dim`` (they must add up to its length)."""
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError("split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    from .joining import split

    return split(input, sizes, dim)


# ---- scatter into slices -------------------------------------------------------------------------
def _slice_size_check(input, src, index):
    expect = np.empty(tuple(input.shape), dtype=np.bool_)[index].shape
    if tuple(src.shape) != tuple(expect):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(expect)}")


class _ScatterSlice(Node):
    """A copy of the first input with the second written at ``self.index`` (basic indexing)."""

    def forward(self, a, s):
        xp = a._backend.xp
        out = xp.asarray(a._data, copy=True)
        src = s._data if s._data.dtype == a._data.dtype else xp.astype(s._data, a._data.dtype)
        out[self.index] = src
        return out

    def backward(self, grad):
        part = grad[self.index]
        return apply(type(self), grad, part.new_zeros(part.shape), index=self.index), part


class SelectScatterBackward0(_ScatterSlice):
    pass


class SliceScatterBackward0(_ScatterSlice):
    pass


def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written at ``input.select(dim, index)``."""
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    idx = (slice(None),) * d + (index % size, Ellipsis)
    _slice_size_check(input, src, idx)
    return apply(SelectScatterBackward0, input, src.to(input.device), index=idx)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with ``src`` written at ``input[..., start:end:step, ...]`` (along ``dim``)."""
    d = _wrap_dim(dim, input.dim())
    if step is None:
        step = 1
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    idx = (slice(None),) * d + (slice(start, end, step), Ellipsis)
    _slice_size_check(input, src, idx)
    return apply(SliceScatterBackward0, input, src.to(input.device), index=idx)


# ---- put / index_reduce ---------------------------------------------------------------------------
def put(input, index, source, accumulate=False):
    """A copy of ``input`` with ``source`` written at the flat positions ``index`` (added if
    ``accumulate``); negative positions count from the end."""
    if source.dtype is not input.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_scalar_name(input.dtype)} and source.dtype = {_scalar_name(source.dtype)}")
    if index.dtype is not D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_scalar_name(index.dtype)}")
    if index.numel() != source.numel():
        raise IndexError("put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = input.numel()
    flat_index = index.reshape(-1).to(input.device)
    if flat_index.numel():
        host = np.asarray(flat_index._host())
        bad = host[(host >= n) | (host < -n)]
        if bad.size:
            raise IndexError(f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements.")
        flat_index = flat_index.remainder(n) if n else flat_index
    flat = input.reshape(-1)
    src = source.reshape(-1)
    out = flat.index_add(0, flat_index, src) if accumulate else flat.index_put((flat_index,), src)
    return _renamed(out.reshape(input.shape), "PutBackward0")


_INDEX_REDUCE = ("prod", "mean", "amax", "amin")


class IndexReduceBackward0(Node):
    """``out[index[j]] (reduce)= source[j]`` along ``dim``; the gradients are Tensor ops (the
    product's through products of the other elements, exact with zeros)."""

    def forward(self, a, src):
        self.save(a, src)
        x = np.asarray(to_host(a._data))
        s = np.moveaxis(np.asarray(to_host(src._data)), self.dim, 0)
        idx = np.asarray(to_host(self.index._data)).astype(np.int64)
        out = np.moveaxis(x.copy(), self.dim, 0)
        counts = np.zeros(out.shape[0], np.int64)
        np.add.at(counts, idx, 1)
        touched = counts > 0
        r = self.reduce
        if not self.include_self:
            if r == "prod":
                out[touched] = 1
            elif r == "mean":
                out[touched] = 0
            else:
                kind = out.dtype.kind == "f"
                big = np.inf if kind else np.iinfo(out.dtype).max
                out[touched] = -big if r == "amax" else big
                if not kind and r == "amax":
                    out[touched] = np.iinfo(out.dtype).min
        {"prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}[r].at(out, idx, s)
        if r == "mean":
            total = counts + (1 if self.include_self else 0)
            shape = (-1,) + (1,) * (out.ndim - 1)
            div = np.maximum(total, 1).reshape(shape).astype(out.dtype)
            out = out / div if out.dtype.kind == "f" else np.floor_divide(out, div)
        out = np.asarray(np.moveaxis(out, 0, self.dim), dtype=x.dtype, order="C")
        self.counts = counts
        return out if isinstance(a._data, np.ndarray) else from_host(out, a._data)

    def _along(self, v, like):
        """Per-slot values ``v`` (1-D, one per position along ``dim``) shaped to broadcast."""
        from .creation import tensor

        shape = [1] * like.dim()
        shape[self.dim] = -1
        return tensor(v, device=like.device).reshape(shape)

    def backward(self, grad):
        a, src = self.saved
        d, idx, r = self.dim, self.index, self.reduce
        touched = self._along(self.counts > 0, a)
        if r == "mean":
            total = self._along(np.maximum(self.counts + (1 if self.include_self else 0), 1), a).to(grad.dtype)
            g = grad / total
            gs = g if self.include_self else grad.masked_fill(touched, 0)
            return gs, g.index_select(d, idx)
        if r in ("amax", "amin"):
            out = index_reduce(a.detach(), d, idx, src.detach(), r, include_self=self.include_self)
            hit_self = (a == out).to(grad.dtype)
            hit_src = (src == out.index_select(d, idx)).to(grad.dtype)
            # as PyTorch: an input element equal to the result shares the gradient even when
            # include_self=False (the count includes it), and then gets none of it itself
            count = hit_self.index_add(d, idx, hit_src)
            g = grad / count
            g_self = g * hit_self
            if not self.include_self:
                g_self = g_self.masked_fill(touched, 0)
            return g_self, g.index_select(d, idx) * hit_src
        # prod: d out_i / d x = the product of the group's other elements. Written with the
        # product of the non-zero elements (p1), the number of zeros (z) and the zeros themselves
        # (zsum: value 0, but carrying their gradient), so that it is exact with zeros and its
        # own derivative is too.
        a1 = a.masked_fill(a == 0, 1)
        s1 = src.masked_fill(src == 0, 1)
        p1 = index_reduce(a1, d, idx, s1, "prod", include_self=self.include_self)
        src_zero = src == 0
        zs = src * src_zero.to(src.dtype)
        base = a * (a == 0).to(a.dtype) if self.include_self else a.new_zeros(a.shape)
        zsum = base.index_add(d, idx, zs)
        count = (a == 0).to(grad.dtype) if self.include_self else grad.new_zeros(a.shape)
        z = count.index_add(d, idx, src_zero.to(grad.dtype))
        g_src = _others_product(src, s1, p1.index_select(d, idx), z.index_select(d, idx),
                                zsum.index_select(d, idx)) * grad.index_select(d, idx)
        if self.include_self:
            g_self = _others_product(a, a1, p1, z, zsum) * grad
        else:
            g_self = grad.masked_fill(touched, 0)
        return g_self, g_src


def _others_product(v, v1, p1, z, zsum):
    """The product of the other members of each element's group (see IndexReduceBackward0)."""
    nonzero = p1 / v1 * zsum.masked_fill(z != 1, 0).masked_fill(z == 0, 1)
    zero = (p1 * (zsum - v)).masked_fill(z != 2, 0) + p1.masked_fill(z != 1, 0)
    return nonzero.where(v != 0, zero)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce the slices of ``source`` along ``dim`` into the slices of (a copy of) ``input`` that
    ``index`` names, with ``reduce`` in prod, mean, amax, amin (``include_self``: count ``input``'s
    own values in the reduction)."""
    if reduce not in _INDEX_REDUCE:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if index.dtype is not D.int64 and index.dtype is not D.int32:
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{_scalar_name(index.dtype)}")
    if index.dim() > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    d = _wrap_dim(dim, input.dim())
    if index.numel() != (source.shape[d] if source.dim() else 1):
        raise RuntimeError("index_reduce_(): Number of indices should be equal to source.size(dim)")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_reduce_(): self ({_scalar_name(input.dtype)}) and source "
                           f"({_scalar_name(source.dtype)}) must have the same scalar type")
    return apply(IndexReduceBackward0, input, source.to(input.device), dim=d, index=index.to(input.device).reshape(-1),
                 reduce=reduce, include_self=include_self)


def fill_diagonal_(input, fill_value, wrap=False):
    """Fill the main diagonal (all indices equal) in place; ``wrap`` restarts it every
    ``cols + 1`` rows down a tall matrix, as NumPy's ``fill_diagonal``."""
    nd = input.dim()
    if nd < 2:
        raise RuntimeError("dimensions must larger than 1")
    shape = tuple(input.shape)
    if nd > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(shape, dtype=bool)
    if nd == 2 and wrap and shape[0] > shape[1] + 1:
        mask.reshape(-1)[:: shape[1] + 1] = True
    else:
        k = min(shape)
        r = np.arange(k)
        mask[(r,) * nd] = True
    m = _make(mask if input._device.type == "cpu" else from_host(mask, input._data), input._backend, input._device)
    from .inplace import inplace

    out = inplace(input, lambda a: a.masked_fill(m, fill_value))
    return _renamed(out, "torch::autograd::CopySlices")


# ---- sizes ------------------------------------------------------------------------------------------
def sum_to_size(input, *size):
    """Sum ``input`` down to ``size``, which must broadcast to ``input``'s shape."""
    from .shape import shape_arg

    size = tuple(shape_arg(size))
    shape = tuple(input.shape)
    lead = len(shape) - len(size)
    ok = lead >= 0 and all(s == 1 or s == shape[lead + i] for i, s in enumerate(size))
    if not ok:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if size == shape:
        return input
    dims = list(range(lead)) + [lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1]
    r = input.sum(dims, keepdim=True) if dims else input
    return r.view(size) if lead else r


class ResizeBackward(Node):
    def forward(self, a):
        xp = a._backend.xp
        return xp.reshape(xp.asarray(a._data, copy=True), self.size)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


def _resize(input, size, name):
    n = 1
    for s in size:
        n *= s
    if n != input.numel():
        got = "x".join(str(s) for s in input.shape)
        raise RuntimeError(f"requested resize to {'x'.join(str(s) for s in size)} ({n} elements in total), but the "
                           f"given tensor has a size of {got} ({input.numel()} elements). autograd's resize can "
                           "only change the shape of a given tensor, while preserving the number of elements. ")
    return apply(ResizeBackward, input, size=tuple(size), in_shape=tuple(input.shape))


def resize(input, *sizes):
    """Deprecated out-of-place resize: a reshaped copy (the number of elements must not change)."""
    from .shape import shape_arg

    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    return _resize(input, tuple(shape_arg(sizes)), "resize")


def resize_as(input, tensor):
    """Deprecated out-of-place ``resize_as``: a copy with ``tensor``'s shape."""
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return _resize(input, tuple(tensor.shape), "resize_as")


# ---- creation ------------------------------------------------------------------------------------
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised (here: zero) tensor of ``size`` whose elements are laid out with ``stride``."""
    from .._device import CPU, DEFAULT_DEVICE
    from .._device import device as Device
    from .creation import _require_grad, empty

    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    dtype = dtype or D.get_default_dtype()
    dev = Device(device) if device is not None else (DEFAULT_DEVICE[0] or CPU)
    if dev.type != "cpu":
        return empty(size, dtype=dtype, device=dev, requires_grad=requires_grad)
    storage = 0 if any(s == 0 for s in size) else 1 + sum((s - 1) * st for s, st in zip(size, stride))
    base = np.zeros(storage, dtype=dtype.np)
    arr = np.lib.stride_tricks.as_strided(base, size, tuple(st * base.itemsize for st in stride))
    from ..backends.registry import REGISTRY

    t = _make(arr, REGISTRY.backends["cpu"], CPU)
    if requires_grad:
        _require_grad(t)
    return t


_WARNED_READONLY = [False]


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor over the bytes of an object exposing the buffer protocol (sharing its memory
    when it is writable)."""
    from .._device import CPU
    from ..backends.registry import REGISTRY
    from .creation import _require_grad

    view = memoryview(buffer).cast("B")
    length = view.nbytes
    item = dtype.itemsize
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({length} bytes) minus 1")
    if count <= 0:
        if (length - offset) % item:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                             f"multiple of element size ({item})")
        count = (length - offset) // item
    elif offset + count * item > length:
        raise ValueError(f"requested buffer length ({count} * {item} bytes) after offset ({offset} bytes) must not "
                         f"be greater than actual buffer length ({length} bytes)")
    arr = np.frombuffer(view, dtype=dtype.np, count=count, offset=offset)
    if not arr.flags.writeable:
        if not _WARNED_READONLY[0]:
            _WARNED_READONLY[0] = True
            warnings.warn("The given buffer is not writable, and PyTorch does not support non-writable tensors. "
                          "This means you can write to the underlying (supposedly non-writable) buffer using the "
                          "tensor. You may want to copy the buffer to protect its data or make it writable before "
                          "converting it to a tensor. This type of warning will be suppressed for the rest of this "
                          "program.", UserWarning, stacklevel=2)
        arr = arr.copy()
    t = _make(arr, REGISTRY.backends["cpu"], CPU)
    if requires_grad:
        _require_grad(t)
    return t
