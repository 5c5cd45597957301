"""Shape and layout ops. Views share storage and the version counter with their base."""

from __future__ import annotations

import builtins

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ._apply import Node, apply, binary_operands, check_same_device

_make = Tensor._make


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer(shape, numel, op="view"):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


class ViewBackward0(Node):
    is_view = True

    def forward(self, a):
        x = a._data
        self.in_shape = x.shape
        shape = _infer(self.shape, x.size)
        try:
            return a._backend.xp.reshape(x, shape, copy=False)
        except (ValueError, AttributeError):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension "
                "spans across two contiguous subspaces). Use .reshape(...) instead."
            ) from None

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class UnsafeViewBackward0(Node):
    """reshape that had to copy."""

    def forward(self, a):
        self.in_shape = a._data.shape
        return a._backend.xp.reshape(a._data, _infer(self.shape, a._data.size))

    def backward(self, grad):
        return grad.reshape(self.in_shape)


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return _view_dtype(input, shape[0])
    shape = _shape_arg(shape)
    if shape == input._data.shape:
        return apply(ViewBackward0, input, shape=shape)
    return apply(ViewBackward0, input, shape=shape)


def _view_dtype(input, dtype):
    return _make(input._data.view(input._backend.dtype(dtype)), input._backend, input._device)


def reshape(input, *shape):
    shape = _shape_arg(shape)
    x = input._data
    if shape == x.shape:
        return apply(ViewBackward0, input, shape=shape)
    if x.flags["C_CONTIGUOUS"] if hasattr(x, "flags") else True:
        return apply(ViewBackward0, input, shape=shape)
    return apply(UnsafeViewBackward0, input, shape=shape)


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, (1,))
    s = _wrap_dim(start_dim, nd)
    e = _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._data.shape
    new = shape[:s] + (_prod(shape[s:e + 1]),) + shape[e + 1:]
    return reshape(input, new)


def unflatten(input, dim, sizes):
    nd = input._data.ndim
    d = _wrap_dim(dim, nd)
    shape = input._data.shape
    sizes = _infer(sizes, shape[d]) if -1 in sizes else tuple(sizes)
    if _prod(sizes) != shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({shape[d]}) in the input tensor")
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


def _prod(it):
    p = 1
    for v in it:
        p *= v
    return p


class PermuteBackward0(Node):
    is_view = True

    def forward(self, a):
        return a._backend.xp.permute_dims(a._data, self.dims)

    def backward(self, grad):
        inv = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inv[d] = i
        return grad.permute(inv)


def permute(input, *dims):
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of "
            f"the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(PermuteBackward0, input, dims=dims)


class TransposeBackward0(Node):
    is_view = True

    def forward(self, a):
        return a._backend.xp.swapaxes(a._data, self.d0, self.d1) if a._backend.xp is not None and hasattr(a._backend.xp, "swapaxes") else a._backend.xp.permute_dims(a._data, self.perm)

    def backward(self, grad):
        return grad.transpose(self.d0, self.d1)


class TBackward0(TransposeBackward0):
    pass


def transpose(input, dim0, dim1):
    nd = input._data.ndim
    if nd == 0:
        return apply(ViewBackward0, input, shape=())
    d0, d1 = _wrap_dim(dim0, nd), _wrap_dim(dim1, nd)
    perm = list(range(nd))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return apply(TransposeBackward0, input, d0=d0, d1=d1, perm=tuple(perm))


swapaxes = swapdims = transpose


def t(input):
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    if nd < 2:
        return apply(ViewBackward0, input, shape=input._data.shape)
    return apply(TBackward0, input, d0=0, d1=1, perm=(1, 0))


def adjoint(input):
    return transpose(input, -2, -1)


class UnsqueezeBackward0(Node):
    is_view = True

    def forward(self, a):
        return a._backend.xp.expand_dims(a._data, axis=self.dim)

    def backward(self, grad):
        return grad.squeeze(self.dim)


def unsqueeze(input, dim):
    return apply(UnsqueezeBackward0, input, dim=_wrap_dim(dim, input._data.ndim + 1))


class SqueezeBackward0(Node):
    is_view = True

    def forward(self, a):
        self.in_shape = a._data.shape
        return a._backend.xp.reshape(a._data, self.out_shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class SqueezeBackward1(SqueezeBackward0):
    pass


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        out = tuple(s for s in shape if s != 1)
        return apply(SqueezeBackward0, input, out_shape=out)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = {_wrap_dim(d, len(shape)) for d in dims} if shape else set()
    out = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return apply(SqueezeBackward1, input, out_shape=out)


class ExpandBackward0(Node):
    is_view = True

    def forward(self, a):
        self.in_shape = a._data.shape
        return a._backend.xp.broadcast_to(a._data, self.shape)

    def backward(self, grad):
        return grad  # the engine sums broadcast dims back to the input's shape


def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.{input.type().split('.')[-1]}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}")
            out.append(s)
        else:
            cur = shape[i - lead]
            if s == -1:
                out.append(cur)
            elif cur == 1 or cur == s:
                out.append(s)
            else:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                    f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
                )
    return apply(ExpandBackward0, input, shape=tuple(out))


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, shape):
    return expand(input, shape)


def broadcast_tensors(*tensors):
    import numpy as np

    shape = np.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    import numpy as np

    from .._tensor import Size

    return Size(np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,) for s in shapes]))


class RepeatBackward0(Node):
    def forward(self, a):
        x = a._data
        reps = self.repeats
        self.in_shape = x.shape
        xp = a._backend.xp
        lead = len(reps) - x.ndim
        x = xp.reshape(x, (1,) * lead + x.shape)
        return xp.tile(x, reps)

    def backward(self, grad):
        # split each dim into (repeat, size) and sum the repeats
        lead = len(self.repeats) - len(self.in_shape)
        full = (1,) * lead + tuple(self.in_shape)
        shape = []
        for r, s in zip(self.repeats, full):
            shape += [r, s]
        g = grad.reshape(shape).sum(dim=tuple(range(0, 2 * len(full), 2)))
        return g.reshape(self.in_shape)


def repeat(input, *repeats):
    repeats = _shape_arg(repeats)
    if len(repeats) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    return apply(RepeatBackward0, input, repeats=repeats)


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class CatBackward0(Node):
    def forward(self, *ts):
        self.sizes = [t._data.shape[self.dim] for t in ts]
        return ts[0]._backend.xp.concat([t._data for t in ts], axis=self.dim)

    def backward(self, grad):
        return tuple(grad.split(self.sizes, self.dim))


def cat(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # legacy rule: 1-D empty tensors are skipped
    nonempty = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)]
    if not nonempty:
        return tensors[0].clone()
    tensors = nonempty
    ref = tensors[0]
    nd = ref._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, nd)
    rt = ref.dtype
    for i, t in enumerate(tensors[1:], 1):
        check_same_device(ref, t, "cat")
        if t._data.ndim != nd:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {nd} and {t._data.ndim}"
            )
        for k in range(nd):
            if k != d and t._data.shape[k] != ref._data.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {ref._data.shape[k]} "
                    f"but got size {t._data.shape[k]} for tensor number {i} in the list."
                )
        rt = D.promote_types(rt, t.dtype)
    tensors = [t.to(rt) for t in tensors]
    r = apply(CatBackward0, *tensors, dim=d)
    if out is not None:
        out.set_data_(r)
        return out
    return r


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                f"{list(t.shape)} at entry {i}"
            )
    d = _wrap_dim(dim, len(shape) + 1)
    r = cat([t.unsqueeze(d) for t in tensors], d)
    if r.grad_fn is not None:
        r.grad_fn.__class__ = StackBackward0
    return r


class StackBackward0(CatBackward0):
    pass


def hstack(tensors):
    tensors = [t if t.dim() else t.reshape(1) for t in tensors]
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.dim() < 2 else t for t in tensors], 0)


class SliceBackward0(Node):
    """Basic slicing along one dim (narrow, split, chunk)."""

    is_view = True

    def forward(self, a):
        x = a._data
        self.in_shape = x.shape
        idx = [slice(None)] * x.ndim
        idx[self.dim] = slice(self.start, self.stop, self.step)
        return x[tuple(idx)]

    def backward(self, grad):
        from .index import pad_slice_grad

        return pad_slice_grad(grad, self.in_shape, self.dim, self.start, self.stop, self.step)


def narrow(input, dim, start, length):
    nd = input._data.ndim
    d = _wrap_dim(dim, nd)
    size = input._data.shape[d]
    if isinstance(start, Tensor):
        start = int(start)
    if start < 0:
        start += size
    if not 0 <= start <= size or start + length > size or length < 0:
        raise IndexError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return apply(SliceBackward0, input, dim=d, start=start, stop=start + length, step=1)


def split(tensor, split_size_or_sections, dim=0):
    d = _wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = [builtins.min(step, size - i) for i in range(0, size, step)] if size else [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                f"dimension {d}), but got split_sizes={sizes}"
            )
    outs, start = [], 0
    for s in sizes:
        outs.append(apply(SliceBackward0, tensor, dim=d, start=start, stop=start + s, step=1))
        start += s
    return tuple(outs)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = input._data.shape[_wrap_dim(dim, input._data.ndim)]
    step = -(-size // chunks) if size else 1
    return split(input, step, dim)


def tensor_split(input, indices_or_sections, dim=0):
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        q, r = divmod(size, n)
        sizes = [q + 1] * r + [q] * (n - r)
    else:
        bounds = [0] + [builtins.min(builtins.max(i, 0), size) for i in indices_or_sections] + [size]
        sizes = [builtins.max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
    return split(input, sizes, d)


class SelectBackward0(Node):
    is_view = True

    def forward(self, a):
        x = a._data
        self.in_shape = x.shape
        idx = [slice(None)] * x.ndim
        idx[self.dim] = self.index
        return x[tuple(idx)]

    def backward(self, grad):
        from .index import pad_slice_grad

        g = grad.unsqueeze(self.dim)
        return pad_slice_grad(g, self.in_shape, self.dim, self.index, self.index + 1, 1)


def select(input, dim, index):
    nd = input._data.ndim
    d = _wrap_dim(dim, nd)
    size = input._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at dimension {d}")
    return apply(SelectBackward0, input, dim=d, index=index % size)


def unbind(input, dim=0):
    d = _wrap_dim(dim, input._data.ndim)
    return tuple(select(input, d, i) for i in range(input._data.shape[d]))


class FlipBackward0(Node):
    def forward(self, a):
        return a._backend.xp.flip(a._data, axis=self.dims)

    def backward(self, grad):
        return grad.flip(self.dims)


def flip(input, *dims):
    dims = _shape_arg(dims)
    nd = input._data.ndim
    return apply(FlipBackward0, input, dims=tuple(_wrap_dim(d, nd) for d in dims))


def fliplr(input):
    return flip(input, 1)


def flipud(input):
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
    if dims is not None:
        if isinstance(dims, int):
            dims = (dims,)
        if isinstance(shifts, int):
            shifts = (shifts,)
        dims = tuple(_wrap_dim(d, input._data.ndim) for d in dims)
        shifts = tuple(shifts)
    return apply(RollBackward0, input, shifts=shifts, dims=dims)


class TrilBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        return (xp.tril if self.lower else xp.triu)(a._data, k=self.k)

    def backward(self, grad):
        return grad.tril(self.k) if self.lower else grad.triu(self.k)


class TriuBackward0(TrilBackward0):
    pass


def tril(input, diagonal=0):
    return apply(TrilBackward0, input, k=diagonal, lower=True)


def triu(input, diagonal=0):
    return apply(TriuBackward0, input, k=diagonal, lower=False)


class WhereBackward0(Node):
    def forward(self, a, b):
        self.cond = self.condition
        return a._backend.xp.where(self.condition._data, a._data, b._data)

    def backward(self, grad):
        c = self.cond
        zero = grad * 0
        return where(c, grad, zero), where(c, zero, grad)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from .creation import tensor as _tensor

        input = _tensor(input, device=condition.device)
    if isinstance(input, Tensor):
        a, b = binary_operands(input, other, "where")
        if not isinstance(b, Tensor):
            b = _make(a._backend.xp.asarray(b, dtype=a._data.dtype), a._backend, a._device)
    else:
        b, a = binary_operands(other, input, "where")
        if not isinstance(a, Tensor):
            a = _make(b._backend.xp.asarray(a, dtype=b._data.dtype), b._backend, b._device)
    if condition.dtype is not D.bool_:
        condition = condition.to(D.bool_)
    check_same_device(condition, a, "where")
    return apply(WhereBackward0, a, b, condition=condition)


class MaskedFillBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        m = self.mask._data
        v = self.value
        return xp.where(m, xp.asarray(v, dtype=a._data.dtype), a._data)

    def backward(self, grad):
        return grad.masked_fill(self.mask, 0)


def masked_fill(input, mask, value):
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.dim()} dimension(s)."
            )
        if value._requires_grad:
            return where(mask, value.to(input.dtype), input)
        value = value.item()
    if mask.dtype is not D.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    return apply(MaskedFillBackward0, input, mask=mask, value=value)


class MaximumBackward0(Node):
    def forward(self, a, b):
        self.save(a, b)
        xp = a._backend.xp
        return (xp.maximum if self.is_max else xp.minimum)(a._data, b._data)

    def backward(self, grad):
        a, b = self.saved
        pick_a = (a > b) if self.is_max else (a < b)
        tie = (a == b).to(grad.dtype) * 0.5
        wa = pick_a.to(grad.dtype) + tie
        return grad * wa, grad * (1 - wa)


class MinimumBackward0(MaximumBackward0):
    pass


def maximum(input, other):
    a, b = binary_operands(input, other, "maximum")
    return apply(MaximumBackward0, a, b, is_max=True)


def minimum(input, other):
    a, b = binary_operands(input, other, "minimum")
    return apply(MinimumBackward0, a, b, is_max=False)


fmax, fmin = maximum, minimum


class ClampBackward1(Node):
    def forward(self, a):
        self.save(a)
        xp = a._backend.xp
        x = a._data
        lo, hi = self.lo, self.hi
        if lo is not None:
            x = xp.maximum(x, xp.asarray(lo, dtype=x.dtype))
        if hi is not None:
            x = xp.minimum(x, xp.asarray(hi, dtype=x.dtype))
        return x

    def backward(self, grad):
        (a,) = self.saved
        keep = None
        if self.lo is not None:
            keep = a >= self.lo
        if self.hi is not None:
            k2 = a <= self.hi
            keep = k2 if keep is None else keep & k2
        return grad * keep


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    if not input.dtype.is_floating_point and (isinstance(min, float) or isinstance(max, float)):
        input = input.to(D.get_default_dtype())
    return apply(ClampBackward1, input, lo=min, hi=max)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


class CloneBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        return xp.asarray(a._data, copy=True)

    def backward(self, grad):
        return grad


def clone(input, *, memory_format=None):
    return apply(CloneBackward0, input)


def contiguous(input, memory_format=None):
    x = input._data
    if getattr(x, "flags", None) is None or x.flags["C_CONTIGUOUS"]:
        return input
    return apply(CloneBackward0, input)


def diag_embed_simple(v):
    import numpy as np

    n = v.shape[-1]
    return v.unsqueeze(-1) * _make(np.eye(n, dtype=v._data.dtype), v._backend, v._device)
