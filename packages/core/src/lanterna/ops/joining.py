"""Joining and splitting: cat/stack, split/chunk/unbind, narrow/select, flip/roll, repeat, tril/triu."""

from __future__ import annotations

import builtins

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, attach, check_same_device
from ._argerrors import invalid_combination, no_attribute, not_a_tensor, type_name
from .shape import shape_arg

_make = Tensor._make


# ---- cat / stack -----------------------------------------------------------------------------
class CatBackward0(Node):
    def forward(self, *ts):
        self.sizes = [0 if skip else t._data.shape[self.dim] for t, skip in zip(ts, self.skip)]
        arrays = [t._data for t, skip in zip(ts, self.skip) if not skip]
        return ts[0]._backend.xp.concat(arrays, axis=self.dim)

    def backward(self, grad):
        kept = [s for s, skip in zip(self.sizes, self.skip) if not skip]
        parts = iter(grad.split(kept, self.dim))
        return tuple(grad.new_zeros((0,)) if skip else next(parts) for skip in self.skip)


def _tensor_list(tensors, name="cat"):
    """``tensors`` as a list, each element a Tensor (PyTorch's TypeError names the first that is not).
    A lone tensor is refused, not iterated over: ``torch.cat(x)`` is a mistake for ``torch.cat([x, y])``."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type_name(tensors)}")
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tensors


def _check_cat(tensors, dim, name="cat"):
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # legacy rule: 1-D empty tensors are skipped (they join any shape)
    skip = [t._data.ndim == 1 and t._data.shape[0] == 0 for t in tensors]
    live = [t for t, s in zip(tensors, skip) if not s]
    ref = live[0] if live else tensors[0]
    nd = ref._data.ndim
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    d = _wrap_dim(dim, nd)
    rt = ref.dtype
    for i, t in enumerate(tensors):
        check_same_device(ref, t, name)
        rt = D.promote_types(rt, t.dtype)
        if skip[i] or t is ref:
            continue
        if t._data.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {t._data.ndim}")
        for k in range(nd):
            if k != d and t._data.shape[k] != ref._data.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {ref._data.shape[k]} "
                    f"but got size {t._data.shape[k]} for tensor number {i} in the list."
                )
    return d, rt, skip


def cat(tensors, dim=0, *, out=None):
    """Concatenate along an existing dim (dtypes are promoted).

    >>> import lanterna as torch
    >>> torch.cat([torch.zeros(1, 2), torch.ones(1, 2)]).shape
    torch.Size([2, 2])
    """
    tensors = _tensor_list(tensors)
    d, rt, skip = _check_cat(tensors, dim)
    if builtins.all(skip):
        return tensors[0].to(rt).clone()
    tensors = [t.to(rt) for t in tensors]
    r = apply(CatBackward0, *tensors, dim=d, skip=skip)
    if out is not None:
        out.set_data_(r)
        return out
    return r


concat = concatenate = cat


class StackBackward0(Node):
    def forward(self, *ts):
        return ts[0]._backend.xp.stack([t._data for t in ts], axis=self.dim)

    def backward(self, grad):
        return grad.unbind(self.dim)


def stack(tensors, dim=0, *, out=None):
    """Join tensors of equal shape along a new dim."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    rt = tensors[0].dtype
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t.shape)} at entry {i}")
        check_same_device(tensors[0], t, "stack")
        rt = D.promote_types(rt, t.dtype)
    d = _wrap_dim(dim, len(shape) + 1)
    r = apply(StackBackward0, *[t.to(rt) for t in tensors], dim=d)
    if out is not None:
        out.set_data_(r)
        return out
    return r


def hstack(tensors):
    tensors = _tensor_list(tensors, "hstack")
    tensors = [t if t.dim() else t.reshape(1) for t in tensors]
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    tensors = _tensor_list(tensors, "vstack")
    return cat([t.reshape(1, -1) if t.dim() < 2 else t for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    from .shape import atleast_3d

    tensors = _tensor_list(tensors, "dstack")
    return cat(list(atleast_3d(*tensors)) if len(tensors) > 1 else [atleast_3d(tensors[0])], 2)


def column_stack(tensors):
    tensors = _tensor_list(tensors, "column_stack")
    return cat([t.reshape(-1, 1) if t.dim() <= 1 else t for t in tensors], 1)


# ---- split / chunk / unbind: one node, several outputs (views) -----------------------------
def apply_multi(cls, input, arrays, **params):
    """Outputs of a multi-output view node: each output is a view sharing ``input``'s storage."""
    base = input if input._base is None else input._base
    outs = []
    for a in arrays:
        o = _make(a, input._backend, input._device)
        o._version = input._version
        o._base = base
        outs.append(o)
    if GRAD_ENABLED[0] and input._requires_grad and outs:
        node = cls.__new__(cls)
        node.__dict__.update(params)
        node.n_outputs = len(outs)
        attach(node, (input,), outs[0])
        for i, o in enumerate(outs):
            o.grad_fn = node
            o._output_nr = i
            o._requires_grad = True
    return tuple(outs)


class SplitBackward0(Node):
    is_view = True  # the outputs share the input's storage

    def backward(self, *grads):
        parts = [g if g is not None else _zeros_like_part(grads, self.in_shape, self.dim, s)
                 for g, s in zip(grads, self.sizes)]
        return cat(parts, self.dim)


class SplitWithSizesBackward0(SplitBackward0):
    pass


def _zeros_like_part(grads, in_shape, dim, size):
    like = next(g for g in grads if g is not None)
    shape = list(in_shape)
    shape[dim] = size
    return like.new_zeros(shape)


def _split(tensor, sizes, d, cls):
    x = tensor._data
    arrays, start = [], 0
    for s in sizes:
        idx = [slice(None)] * x.ndim
        idx[d] = slice(start, start + s)
        arrays.append(x[tuple(idx)])
        start += s
    return apply_multi(cls, tensor, arrays, sizes=list(sizes), dim=d, in_shape=x.shape)


def split(tensor, split_size_or_sections, dim=0):
    """Split into pieces of ``split_size`` (the last may be smaller) or of the given sizes."""
    if not isinstance(tensor, Tensor):
        raise no_attribute(tensor, "split")  # torch.split (Python) calls tensor.split
    d = _wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = [builtins.min(step, size - i) for i in range(0, size, step)] if size else [0]
        return _split(tensor, sizes, d, SplitBackward0)
    sizes = [int(s) for s in split_size_or_sections]
    if builtins.any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    if builtins.sum(sizes) != size:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension "
            f"{d}), but got split_sizes={sizes}"
        )
    return _split(tensor, sizes, d, SplitWithSizesBackward0)


def chunk(input, chunks, dim=0):
    """At most ``chunks`` pieces of equal size (the last may be smaller)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("chunk", input)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = input._data.shape[_wrap_dim(dim, input._data.ndim)]
    return split(input, -(-size // chunks) if size else 0, dim)


def tensor_split(input, indices_or_sections, dim=0):
    """Split into ``n`` nearly equal parts, or at the given indices (like NumPy's array_split)."""
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds, start = [], 0
        for i in range(n):
            start += q + (1 if i < r else 0)
            bounds.append(start)
        bounds = bounds[:-1]
    else:
        bounds = list(indices_or_sections)
    edges = [0] + [builtins.min(builtins.max(b, 0), size) for b in bounds] + [size]
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        out.append(apply(SliceBackward0, input, dim=d, start=a, stop=builtins.max(a, b), step=1))
    return tuple(out)


class UnbindBackward0(Node):
    is_view = True

    def backward(self, *grads):
        like = next(g for g in grads if g is not None)
        return stack([g if g is not None else like.new_zeros(like.shape) for g in grads], self.dim)


def unbind(input, dim=0):
    """The slices along ``dim``, as a tuple of views."""
    if not input._data.ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, input._data.ndim)
    x = input._data
    arrays = []
    for i in range(x.shape[d]):
        idx = [slice(None)] * x.ndim
        idx[d] = i
        arrays.append(x[tuple(idx)])
    return apply_multi(UnbindBackward0, input, arrays, dim=d)


# ---- narrow / select ------------------------------------------------------------------------
class SliceBackward0(Node):
    """Basic slicing along one dim (narrow, tensor_split)."""

    is_view = True

    def forward(self, a):
        x = a._data
        self.in_shape = x.shape
        idx = [slice(None)] * x.ndim
        idx[self.dim] = slice(self.start, self.stop, self.step)
        return x[tuple(idx)]

    def backward(self, grad):
        idx = [slice(None)] * len(self.in_shape)
        idx[self.dim] = slice(self.start, self.stop, self.step)
        return grad.new_zeros(self.in_shape).index_put(tuple(idx), grad)


#: narrow's overloads and their parameter types, as PyTorch's TypeError for a non-tensor lists them
_NARROW_SIGNATURES = (("Tensor input, int dim, Tensor start, int length", ("Tensor", "int", "Tensor", "int")),
                      ("Tensor input, int dim, int start, int length", ("Tensor", "int", "int", "int")))


def narrow(input, dim, start, length):
    """``length`` elements of dim ``dim`` from ``start`` (a view)."""
    if not isinstance(input, Tensor):
        raise invalid_combination("narrow", (input, dim, start, length), _NARROW_SIGNATURES)
    if not input._data.ndim:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    start = given = int(start)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < 0:
        start += size
    if not 0 <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {given})")
    if start + length > size or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return apply(SliceBackward0, input, dim=d, start=start, stop=start + length, step=1)


class SelectBackward0(Node):
    is_view = True

    def forward(self, a):
        x = a._data
        self.in_shape = x.shape
        idx = [slice(None)] * x.ndim
        idx[self.dim] = self.index
        return x[tuple(idx)]

    def backward(self, grad):
        idx = [slice(None)] * len(self.in_shape)
        idx[self.dim] = self.index
        return grad.new_zeros(self.in_shape).index_put(tuple(idx), grad)


def select(input, dim, index):
    """The slice at ``index`` of dim ``dim`` (a view with that dim removed)."""
    if not input._data.ndim:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return apply(SelectBackward0, input, dim=d, index=index % size)


# ---- flip / roll / rot90 ---------------------------------------------------------------------
class FlipBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        return xp.asarray(xp.flip(a._data, axis=self.dims), copy=True)  # a copy, as in PyTorch

    def backward(self, grad):
        return grad.flip(self.dims)


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("flip", input)
    dims = shape_arg(dims)
    nd = input._data.ndim
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    for i, d in enumerate(dims):
        if d in dims[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return apply(FlipBackward0, input, dims=dims)


def fliplr(input):
    """Reverse the columns (dim 1) of an at least 2-D tensor."""
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    """Reverse the rows (dim 0) of an at least 1-D tensor."""
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class RollBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        if self.dims is None:
            return xp.reshape(xp.roll(xp.reshape(a._data, (-1,)), self.shifts), a._data.shape)
        return xp.roll(a._data, self.shifts, axis=self.dims)

    def backward(self, grad):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return grad.roll(neg, self.dims)


def roll(input, shifts, dims=None):
    """Shift elements cyclically along ``dims`` (the flattened tensor without dims)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("roll", input)
    if dims is None:
        if not isinstance(shifts, int):
            if len(shifts) != 1:
                raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
            shifts = shifts[0]
        return apply(RollBackward0, input, shifts=int(shifts), dims=None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if len(dims) != len(shifts):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    dims = tuple(_wrap_dim(d, input._data.ndim) for d in dims)
    return apply(RollBackward0, input, shifts=shifts, dims=dims)


class Rot90Backward0(Node):
    def forward(self, a):
        import numpy as np

        return a._backend.xp.asarray(np.rot90(a._data, self.k, self.dims), copy=True)

    def backward(self, grad):
        return grad.rot90(-self.k, self.dims)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``."""
    nd = input._data.ndim
    # PyTorch's checks, in its order
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = (_wrap_dim(d, nd) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    dims = (d0, d1)
    return apply(Rot90Backward0, input, k=k % 4, dims=dims)


# ---- repeat ---------------------------------------------------------------------------------
class RepeatBackward0(Node):
    def forward(self, a):
        x = a._data
        reps = self.repeats
        self.in_shape = x.shape
        xp = a._backend.xp
        x = xp.reshape(x, (1,) * (len(reps) - x.ndim) + x.shape)
        return xp.tile(x, reps)

    def backward(self, grad):
        # split each dim into (repeat, size) and sum over the repeats
        full = (1,) * (len(self.repeats) - len(self.in_shape)) + tuple(self.in_shape)
        shape = []
        for r, s in zip(self.repeats, full):
            shape += [r, s]
        g = grad.reshape(shape).sum(dim=tuple(range(0, 2 * len(full), 2))) if full else grad
        return g.reshape(self.in_shape)


def repeat(input, *repeats):
    """Tile the tensor ``repeats`` times along each dim (leading dims may be added)."""
    repeats = shape_arg(repeats)
    if len(repeats) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if builtins.any(r < 0 for r in repeats):
        _negative_repeat(input, repeats)
    return apply(RepeatBackward0, input, repeats=repeats)


def _negative_repeat(input, repeats):
    """PyTorch's error for a negative repeat: the output size it would allocate."""
    full = (1,) * (len(repeats) - input._data.ndim) + tuple(input.shape)
    sizes = [r * s for r, s in zip(repeats, full)]
    bad = next((s for s in sizes if s < 0), builtins.min(repeats))
    raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {sizes}")


def tile(input, dims):
    """Like :func:`repeat`, padding ``dims`` with ones on the left."""
    dims = tuple(dims) if not isinstance(dims, int) else (dims,)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (an int or a tensor of counts) along ``dim``."""
    if repeats is None:  # repeat_interleave(counts) -> indices
        from .creation import arange

        counts = input
        return arange(counts.numel(), device=counts.device).repeat_interleave(counts)
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = _wrap_dim(dim, input._data.ndim)
    import numpy as np

    n = input._data.shape[d]
    _check_repeats(repeats, n)
    reps = np.asarray(repeats._host() if isinstance(repeats, Tensor) else repeats).reshape(-1)
    idx = np.repeat(np.arange(n), reps if reps.size > 1 else int(reps[0]) if reps.size else 0)
    from .creation import tensor

    out = input.index_select(d, tensor(idx, device=input.device))
    return out.view(out.shape)


def _check_repeats(repeats, n):
    """PyTorch's checks of repeat_interleave's counts against ``n``, the input's size along dim."""
    if not isinstance(repeats, Tensor):
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        return
    if repeats.dim() > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if repeats.dtype is not D.int64 and repeats.dtype is not D.int32:
        from .reduce import legacy_scalar_name

        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{legacy_scalar_name(repeats.dtype)}'")
    if repeats.dim() == 1 and repeats.shape[0] != 1 and repeats.shape[0] != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{repeats.shape[0]} and input.size(0) = {n}")
    if repeats.numel() and int(repeats.min()) < 0:
        raise RuntimeError("repeats can not be negative")


# ---- triangles ------------------------------------------------------------------------------
class TrilBackward0(Node):
    lower = True

    def forward(self, a):
        xp = a._backend.xp
        return (xp.tril if self.lower else xp.triu)(a._data, k=self.k)

    def backward(self, grad):
        return grad.tril(self.k) if self.lower else grad.triu(self.k)


class TriuBackward0(TrilBackward0):
    lower = False


def _check_2d(input, name):
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


def tril(input, diagonal=0):
    """The lower triangle (below ``diagonal``) of the last two dims; the rest zeroed."""
    _check_2d(input, "tril")
    return apply(TrilBackward0, input, k=diagonal)


def triu(input, diagonal=0):
    """The upper triangle (above ``diagonal``) of the last two dims; the rest zeroed."""
    _check_2d(input, "triu")
    return apply(TriuBackward0, input, k=diagonal)
