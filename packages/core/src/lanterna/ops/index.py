"""Indexing: ``__getitem__``/``__setitem__``, gather/scatter, index_select, sort and topk.

Backward of an index is a scatter-add, which the Array API lacks: it is the named kernel
``index_add`` (``kernels.py``), portable by default and overridable by a backend.
"""

from __future__ import annotations

from collections import namedtuple

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, attach
from .kernels import kernel

_make = Tensor._make
ValuesIndices = namedtuple("return_types", ["values", "indices"])


# ---- __getitem__ --------------------------------------------------------------------------
def _convert_index(index, t):
    """Turn a PyTorch index into one for the backend's arrays; report whether it is basic."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for item in index:
        if isinstance(item, Tensor):
            if item._device is not t._device and item._data.ndim and item._device.type != "cpu":
                raise RuntimeError(
                    f"indices should be either on cpu or on the same device as the indexed tensor ({t.device})"
                )
            arr = item._data if item._device is t._device else t._backend.from_numpy(item._host(), 0)
            if item.dtype is D.bool_ or item.dtype is D.uint8:
                out.append(arr.astype(bool) if item.dtype is D.uint8 else arr)
            elif item.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            else:
                out.append(arr)
            basic = False
        elif isinstance(item, (list,)):
            import numpy as np

            a = np.asarray(item)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(t._backend.from_numpy(a, 0) if t._device.type != "cpu" else a)
            basic = False
        elif item is None or item is Ellipsis or isinstance(item, slice):
            if isinstance(item, slice):
                item = slice(_int_or_none(item.start), _int_or_none(item.stop), _int_or_none(item.step))
                if item.step is not None and item.step <= 0:
                    raise ValueError("step must be greater than zero")
            out.append(item)
        elif isinstance(item, bool):
            out.append(item)
            basic = False
        else:
            out.append(int(item) if not isinstance(item, int) else item)
    return tuple(out), basic


def _int_or_none(v):
    return None if v is None else int(v)


def _check_bounds(t, index):
    """IndexError with PyTorch's message for out-of-range integer indices."""
    dim = 0
    for item in index:
        if item is None:
            continue
        if item is Ellipsis:
            dim = t._data.ndim - sum(1 for i in index if i is not None and i is not Ellipsis and not (hasattr(i, "dtype") and i.dtype == bool and False))
            continue
        if isinstance(item, int) and not isinstance(item, bool):
            if dim >= t._data.ndim:
                raise IndexError(f"too many indices for tensor of dimension {t._data.ndim}")
            size = t._data.shape[dim]
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {size}")
        dim += 1


class SliceIndexBackward(Node):
    """Basic indexing (ints, slices, None, ...): a view."""

    is_view = True

    def forward(self, a):
        self.in_shape = a._data.shape
        self.dtype_ = a._data.dtype
        return a._data[self.index]

    def backward(self, grad):
        if GRAD_ENABLED[0]:
            return index_put(grad.new_zeros(self.in_shape), self.index, grad)
        g = grad._backend.xp.zeros(self.in_shape, dtype=grad._data.dtype)
        g[self.index] = grad._data
        return _make(g, grad._backend, grad._device)


class IndexBackward0(Node):
    """Advanced indexing: a copy; backward scatters (adds) into zeros."""

    def forward(self, a):
        self.in_shape = a._data.shape
        return a._data[self.index]

    def backward(self, grad):
        return index_add_grad(grad, self.in_shape, self.index)


def index_add_grad(grad, in_shape, index):
    """Sum ``grad`` into a zero tensor of ``in_shape`` at ``index`` (repeated indices add up)."""
    if GRAD_ENABLED[0]:
        return index_put(grad.new_zeros(in_shape), index, grad, accumulate=True)
    out = grad._backend.xp.zeros(in_shape, dtype=grad._data.dtype)
    kernel(grad._backend, "index_add")(out, index, grad._data)
    return _make(out, grad._backend, grad._device)


def getitem(t, index):
    idx, basic = _convert_index(index, t)
    if basic:
        _check_bounds(t, idx)
        cls = _basic_node_name(idx)
        return apply(cls, t, index=idx)
    try:
        return apply(IndexBackward0, t, index=idx)
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None


def _basic_node_name(idx):
    ints = sum(1 for i in idx if isinstance(i, int) and not isinstance(i, bool))
    slices = sum(1 for i in idx if isinstance(i, slice))
    if ints == 1 and not slices:
        return SelectBackward0
    if slices and not ints:
        return SliceBackward0
    return AliasBackward0


class SelectBackward0(SliceIndexBackward):
    pass


class SliceBackward0(SliceIndexBackward):
    pass


class AliasBackward0(SliceIndexBackward):
    pass


# ---- index_put / __setitem__ --------------------------------------------------------------
class IndexPutBackward0(Node):
    def forward(self, a, v):
        xp = a._backend.xp
        out = xp.asarray(a._data, copy=True)
        vals = xp.astype(v._data, out.dtype) if v._data.dtype != out.dtype else v._data
        if self.accumulate:
            kernel(a._backend, "index_add")(out, self.index, vals)
        else:
            out[self.index] = vals
        return out

    def backward(self, grad):
        ga = grad if self.accumulate else index_put(grad, self.index, grad.new_zeros(()), accumulate=False)
        gv = grad[self.index]
        return ga, gv


def index_put(t, index, values, accumulate=False):
    idx, _ = _convert_index(index, t) if not _is_converted(index) else (index, False)
    if not isinstance(values, Tensor):
        from .creation import tensor

        values = tensor(values, dtype=t.dtype, device=t.device)
    return apply(IndexPutBackward0, t, values, index=idx, accumulate=accumulate)


def _is_converted(index):
    return isinstance(index, tuple) and not any(isinstance(i, (Tensor, list)) for i in index)


def setitem(t, index, value):
    """``t[index] = value``: in place, recorded by autograd when gradients flow."""
    from .inplace import check_inplace

    check_inplace(t)
    idx, _ = _convert_index(index, t)
    needs_graph = GRAD_ENABLED[0] and (t._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if not needs_graph:
        v = value._data if isinstance(value, Tensor) else value
        if isinstance(value, Tensor) and value._device is not t._device:
            v = t._backend.from_numpy(value._host(), 0)
        try:
            t._data[idx] = v
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None
        t._version[0] += 1
        return
    if not isinstance(value, Tensor):
        from .creation import tensor

        value = tensor(value, dtype=t.dtype, device=t.device)
    old = t.detach()
    old.grad_fn, old._output_nr, old._requires_grad = t.grad_fn, t._output_nr, t._requires_grad
    node = CopySlices.__new__(CopySlices)
    node.index = idx
    vshape = t._data[idx].shape
    value = value.to(t.dtype)
    node.value_shape = value._data.shape
    t._data[idx] = value._data
    t._version[0] += 1
    inputs = (old, value)
    attach(node, inputs, t)
    node.vshape = vshape


class CopySlices(Node):
    def backward(self, grad):
        ga = grad.clone()
        ga = index_put(ga, self.index, grad.new_zeros(()), accumulate=False)
        gv = grad[self.index]
        return ga, gv


# ---- gather / scatter ---------------------------------------------------------------------
def _check_index_tensor(index, name):
    if index.dtype is not D.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")


class GatherBackward0(Node):
    def forward(self, a):
        self.in_shape = a._data.shape
        xp = a._backend.xp
        return xp.take_along_axis(a._data, self.index._data, axis=self.dim)

    def backward(self, grad):
        return scatter_grad(grad, self.index, self.dim, self.in_shape)


def gather(input, dim, index, *, sparse_grad=False):
    _check_index_tensor(index, "gather")
    d = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim != input._data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    x = input
    # take_along_axis needs equal sizes off-axis: slice the input down to the index's shape
    sl = tuple(slice(None) if i == d else slice(0, s) for i, s in enumerate(index._data.shape))
    if any(index._data.shape[i] > input._data.shape[i] for i in range(input._data.ndim) if i != d):
        raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be smaller than self {list(input.shape)} apart from dimension {d}")
    if x._data.shape != index._data.shape:
        x = x[sl] if any(s.stop is not None for s in sl) else x
    return apply(GatherBackward0, x, dim=d, index=index)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = _wrap_dim(dim, input._data.ndim)
    shape = list(input.shape)
    ishape = list(indices.shape)
    shape[d] = ishape[d] = 1
    import numpy as np

    b = list(np.broadcast_shapes(tuple(shape), tuple(ishape)))
    in_b = list(b)
    in_b[d] = input.shape[d]
    idx_b = list(b)
    idx_b[d] = indices.shape[d]
    return gather(input.expand(in_b), d, indices.expand(idx_b))


def scatter_grad(grad, index, dim, in_shape):
    """Gradient of gather/max-along-dim: add ``grad`` into zeros of ``in_shape`` at ``index``."""
    zeros = grad.new_zeros(in_shape)
    return scatter_add(zeros, dim, index, grad)


class ScatterAddBackward0(Node):
    def forward(self, a, src):
        xp = a._backend.xp
        out = xp.asarray(a._data, copy=True)
        idx = _scatter_index(self.index, self.dim, a._backend)
        s = src._data[tuple(slice(0, n) for n in self.index._data.shape)]
        kernel(a._backend, "index_add")(out, idx, s)
        return out

    def backward(self, grad):
        return grad, grad.gather(self.dim, self.index)


class ScatterBackward0(Node):
    def forward(self, a, src):
        xp = a._backend.xp
        out = xp.asarray(a._data, copy=True)
        idx = _scatter_index(self.index, self.dim, a._backend)
        s = src._data[tuple(slice(0, n) for n in self.index._data.shape)]
        if self.reduce is None:
            out[idx] = s
        elif self.reduce == "add":
            kernel(a._backend, "index_add")(out, idx, s)
        elif self.reduce == "multiply":
            import numpy as np

            np.multiply.at(out, idx, s)
        return out

    def backward(self, grad):
        g_self = grad.scatter(self.dim, self.index, 0)
        return g_self, grad.gather(self.dim, self.index)


def _scatter_index(index, dim, backend):
    """Full fancy-index tuple: ``index`` along ``dim``, the position itself along other dims."""
    xp = backend.xp
    idx = []
    shape = index._data.shape
    for i, n in enumerate(shape):
        if i == dim:
            idx.append(index._data)
        else:
            r = xp.arange(n)
            r = xp.reshape(r, tuple(n if j == i else 1 for j in range(len(shape))))
            idx.append(r)
    return tuple(idx)


def scatter_add(input, dim, index, src):
    _check_index_tensor(index, "scatter_add")
    d = _wrap_dim(dim, input._data.ndim)
    return apply(ScatterAddBackward0, input, src.to(input.dtype), dim=d, index=index)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    if src is None:
        src = value
    _check_index_tensor(index, "scatter")
    d = _wrap_dim(dim, input._data.ndim)
    if not isinstance(src, Tensor):
        src = input.new_full(index.shape, src)
    return apply(ScatterBackward0, input, src.to(input.dtype), dim=d, index=index, reduce=reduce)


class IndexSelectBackward0(Node):
    def forward(self, a):
        self.in_shape = a._data.shape
        xp = a._backend.xp
        return xp.take(a._data, self.index._data, axis=self.dim)

    def backward(self, grad):
        idx = [slice(None)] * len(self.in_shape)
        idx[self.dim] = self.index._data
        return index_add_grad(grad, self.in_shape, tuple(idx))


def index_select(input, dim, index):
    if index.dtype.is_floating_point:
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if index.numel() and (int(index.max()) >= n or int(index.min()) < -n):
        raise IndexError(f"index out of range in self")
    return apply(IndexSelectBackward0, input, dim=d, index=index.reshape(-1))


def masked_select(input, mask):
    return input[mask.expand_as(input) if mask.shape != input.shape else mask]


def nonzero(input, *, as_tuple=False):
    xp = input._backend.xp
    idx = xp.nonzero(input._data) if input._data.ndim else xp.nonzero(xp.reshape(input._data, (1,)))
    idx = [xp.astype(i, input._backend.dtype(D.int64)) for i in idx]
    if as_tuple:
        return tuple(_make(i, input._backend, input._device) for i in idx)
    if not idx:
        return _make(xp.zeros((0, 0), dtype=input._backend.dtype(D.int64)), input._backend, input._device)
    return _make(xp.stack(idx, axis=1), input._backend, input._device)


def argwhere(input):
    return nonzero(input)


# ---- sorting ------------------------------------------------------------------------------
def sort(input, dim=-1, descending=False, stable=False):
    xp = input._backend.xp
    d = _wrap_dim(dim, input._data.ndim)
    x = input._data
    if x.ndim == 0:
        return ValuesIndices(input.clone(), input.new_zeros((), dtype=D.int64))
    key = -x if descending and input.dtype is not D.bool_ and input.dtype.is_signed else x
    if descending and not (input.dtype is not D.bool_ and input.dtype.is_signed):
        order = xp.flip(xp.argsort(xp.flip(x, axis=d), axis=d, stable=True), axis=d)
        order = x.shape[d] - 1 - order
    else:
        order = xp.argsort(key, axis=d, stable=True)
    indices = _make(xp.astype(order, input._backend.dtype(D.int64)), input._backend, input._device)
    return ValuesIndices(gather(input, d, indices), indices)


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True):
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    vals, idx = sort(input, d, descending=largest)
    idx = idx.narrow(d, 0, k)
    return ValuesIndices(gather(input, d, idx), idx)


def kthvalue(input, k, dim=-1, keepdim=False):
    vals, idx = sort(input, dim)
    v = vals.narrow(dim, k - 1, 1)
    i = idx.narrow(dim, k - 1, 1)
    if not keepdim:
        v, i = v.squeeze(dim), i.squeeze(dim)
    return ValuesIndices(v, i)


def pad_slice_grad(grad, in_shape, dim, start, stop, step):
    """Gradient of a slice along ``dim``: ``grad`` placed into zeros of ``in_shape``."""
    idx = [slice(None)] * len(in_shape)
    idx[dim] = slice(start, stop, step)
    zeros = grad.new_zeros(in_shape)
    return index_put(zeros, tuple(idx), grad, accumulate=False)
