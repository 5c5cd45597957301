"""Indexing: ``__getitem__`` (basic indices give views, advanced ones copies), ``__setitem__``
recorded by autograd, and ``index_put``.

The backward of an index is a scatter-add, which the Array API lacks: it is the named kernel
``index_add`` (``kernels.py``), portable by default and overridable by a backend.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, attach
from .kernels import kernel

_make = Tensor._make
_INT_TYPES = (int, np.integer)


# ---- converting a PyTorch index into an array index -----------------------------------------
def convert_index(index, t):
    """``index`` as a tuple for the backend's arrays, and whether it is basic (a view)."""
    if isinstance(index, list) and any(i is None or i is Ellipsis or isinstance(i, (slice, list, Tensor))
                                       for i in index):
        index = tuple(index)  # legacy: a list holding slices or sequences means a tuple
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic, bad_step = True, False
    for item in index:
        if isinstance(item, Tensor):
            if item._data.ndim == 0 and not item.dtype.is_floating_point and item.dtype is not D.bool_ \
                    and item.dtype is not D.uint8:
                out.append(int(item.item()))  # a 0-dim integer tensor indexes like an int
                continue
            out.append(_tensor_index(item, t))
            basic = False
        elif isinstance(item, bool) or isinstance(item, np.bool_):
            out.append(bool(item))
            basic = False
        elif isinstance(item, _INT_TYPES):
            out.append(int(item))
        elif item is None or item is Ellipsis:
            out.append(item)
        elif isinstance(item, slice):
            s = slice(_as_int(item.start), _as_int(item.stop), _as_int(item.step))
            if s.step is not None and s.step <= 0:
                bad_step = True  # raised below: PyTorch counts the indices first
            out.append(s)
        elif isinstance(item, (list, tuple, np.ndarray)):
            a = np.asarray(item)
            if a.size == 0 and a.dtype.kind == "f":
                a = a.astype(np.int64)  # an empty list indexes nothing (NumPy reads it as float)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(t._backend.from_numpy(a, t._device.index or 0) if t._device.type != "cpu" else a)
            basic = False
        elif isinstance(item, float):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(item).__name__})")
        elif hasattr(item, "__dlpack__") and hasattr(item, "shape"):
            out.append(item)  # an array of the tensor's backend (an index converted before)
            basic = False
        else:
            raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
    if bad_step:
        if sum(_ndim_used(i) for i in out) > t._data.ndim:
            raise IndexError(f"too many indices for tensor of dimension {t._data.ndim}")
        if any(isinstance(i, slice) and i.step == 0 for i in out):
            raise ValueError("slice step cannot be zero")
        raise ValueError("step must be greater than zero")
    ellipses = sum(1 for i in out if i is Ellipsis)
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if not ellipses:
        out.append(Ellipsis)  # the standard wants every dim indexed, or an ellipsis (same meaning)
    if not isinstance(t._data, np.ndarray):
        out = _clamp_slices(out, t._data.shape)
    return tuple(out), basic


def _clamp_slices(index, shape):
    """Slices with their bounds inside their dim (the standard does not clamp out-of-range ones)."""
    consumed = sum(_ndim_used(i) for i in index)
    out, dim = [], 0
    for item in index:
        if item is Ellipsis:
            dim += len(shape) - consumed
        else:
            if isinstance(item, slice) and dim < len(shape):
                item = slice(*item.indices(shape[dim]))
            dim += _ndim_used(item)
        out.append(item)
    return out


def _as_int(v):
    if v is None:
        return None
    try:
        return operator.index(v)  # as Python's slices: 2.5 is an error, not 2
    except TypeError:
        raise TypeError("slice indices must be integers or None or have an __index__ method") from None


def _tensor_index(item, t):
    if item.dtype.is_floating_point:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if item._device is not t._device:
        if item._device.type != "cpu":
            raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed tensor "
                               f"({t.device})")
        arr = t._backend.from_numpy(item._host(), t._device.index or 0)
    else:
        arr = item._data
    return t._backend.xp.astype(arr, t._backend.dtype(D.bool_)) if item.dtype is D.uint8 else arr


def _check_index(t, index):
    """PyTorch's IndexErrors: too many indices, integers out of bounds, mask shapes."""
    shape = t._data.shape
    consumed = sum(_ndim_used(i) for i in index)
    if consumed > len(shape):
        if not shape and consumed == 1:  # ``scalar[0]``: most likely meant ``scalar.item()``
            item = next(i for i in index if _ndim_used(i))
            if type(item) is int:
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            if isinstance(item, slice):
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    dim = 0
    for item in index:
        if item is Ellipsis:
            dim += len(shape) - consumed
            continue
        n = _ndim_used(item)
        if isinstance(item, int) and not isinstance(item, bool):
            size = shape[dim]
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {size}")
        elif n and hasattr(item, "dtype") and _is_mask(item):
            if tuple(item.shape) != shape[dim:dim + n]:
                # PyTorch names the first mismatching dim of the mask and the tensor's dim it meets
                j = next(j for j, (m, s) in enumerate(zip(item.shape, shape[dim:dim + n])) if m != s)
                raise IndexError(f"The shape of the mask {list(item.shape)} at index {j} does not match the shape "
                                 f"of the indexed tensor {list(shape)} at index {dim + j}")
        dim += n


def _ndim_used(item):
    if item is None or item is Ellipsis or isinstance(item, bool):
        return 0
    if isinstance(item, (int, slice)):
        return 1
    return item.ndim if _is_mask(item) else 1


def _is_mask(item):
    """Whether an index array holds bools (NumPy's, CuPy's or another library's)."""
    kind = getattr(item.dtype, "kind", None)
    if kind is not None:
        return kind == "b"
    return item.dtype == item.__array_namespace__().bool


def _split_selects(index):
    """PyTorch applies integers as selects before any advanced index, so they never join the
    advanced indices' broadcast (NumPy's do: ``x[0, :, [1, 2]]`` is (3, 2) in PyTorch, (2, 3) in
    NumPy). For an advanced ``index`` holding integers: a basic index with only the integers (and
    the None/slices, so later positions still line up), and what to apply to its view after.
    ``None`` when there is nothing to split (one NumPy index means the same)."""
    if not any(type(i) is int for i in index):
        return None
    first, rest = [], []
    for item in index:
        if type(item) is int:
            first.append(item)
        elif item is None:
            first.append(None)
            rest.append(slice(None))  # the new dim exists after the first step
        elif item is Ellipsis or isinstance(item, slice):
            first.append(item)
            rest.append(item if item is Ellipsis else slice(None))
        elif isinstance(item, bool):
            rest.append(item)  # consumes no dim
        else:
            first.extend([slice(None)] * _ndim_used(item))
            rest.append(item)
    return tuple(first), tuple(rest)


def _selected(arr, index):
    """``arr`` with the integer selects of ``index`` applied (a view), and the rest of ``index``."""
    split = _split_selects(index)
    return (arr, index) if split is None else (arr[split[0]], split[1])


def _wrap_array_error(e, index=()):
    msg = str(e)
    if msg.startswith("shape mismatch: indexing arrays"):  # NumPy's words for PyTorch's
        shapes = ", ".join(str(list(i.shape)) for i in index if hasattr(i, "shape") and not _is_mask(i))
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}")
    return IndexError(msg.replace("axis", "dimension"))


# ---- __getitem__ ---------------------------------------------------------------------------
class _BasicIndex(Node):
    """Basic indexing (ints, slices, None, ...): a view. Named after PyTorch's last step."""

    is_view = True

    def forward(self, a):
        self.in_shape = a._data.shape
        return a._data[self.index]

    def backward(self, grad):
        return grad.new_zeros(self.in_shape).index_put(self.index, grad)


class SelectBackward0(_BasicIndex):
    pass


class SliceBackward0(_BasicIndex):
    pass


class UnsqueezeBackward0(_BasicIndex):
    pass


class AliasBackward0(_BasicIndex):
    pass


def _basic_node(index, shape):
    """PyTorch applies basic indices one by one (select, slice, unsqueeze); the output's grad_fn
    is the last one applied. Full slices are skipped, except a lone slice."""
    if len(index) == 2 and isinstance(index[0], slice) and index[1] is Ellipsis:  # x[:] (+ the appended ...)
        return SliceBackward0
    last = AliasBackward0
    dim = 0
    for item in index:
        if item is None:
            last = UnsqueezeBackward0
        elif item is Ellipsis:
            dim += len(shape) - sum(_ndim_used(i) for i in index)
            continue
        elif isinstance(item, int):
            last = SelectBackward0
        else:
            size = shape[dim]
            start, stop, step = item.indices(size)
            if not (start == 0 and stop == size and step == 1):
                last = SliceBackward0
        dim += _ndim_used(item)
    return last


class IndexBackward0(Node):
    """Advanced indexing: a copy; backward scatters (adds) into zeros."""

    def forward(self, a):
        self.in_shape = a._data.shape
        try:
            return kernel(a._backend, "index_get")(*_selected(a._data, self.index))
        except IndexError as e:
            raise _wrap_array_error(e, self.index) from None

    def backward(self, grad):
        return index_add_grad(grad, self.in_shape, self.index)


def index_add_grad(grad, in_shape, index):
    """Sum ``grad`` into zeros of ``in_shape`` at ``index`` (repeated indices add up)."""
    if GRAD_ENABLED[0]:
        return grad.new_zeros(in_shape).index_put(index, grad, accumulate=True)
    out = grad._backend.xp.zeros(in_shape, dtype=grad._data.dtype)
    kernel(grad._backend, "index_add")(*_selected(out, index), grad._data)
    return _make(out, grad._backend, grad._device)


def getitem(t, index):
    """``t[index]`` with PyTorch's semantics and errors."""
    idx, basic = convert_index(index, t)
    _check_index(t, idx)
    if basic:
        return apply(_basic_node(idx, t._data.shape), t, index=idx)
    return apply(IndexBackward0, t, index=idx)


# ---- index_put / __setitem__ --------------------------------------------------------------------
class IndexPutBackward0(Node):
    def forward(self, a, v):
        xp = a._backend.xp
        out = xp.asarray(a._data, copy=True)
        vals = v._data if v._data.dtype == out.dtype else xp.astype(v._data, out.dtype)
        _store(out, self.index, vals, self.accumulate, a._backend, _is_basic(self.index))
        return out

    def backward(self, grad):
        ga = grad if self.accumulate else grad.index_put(self.index, grad.new_zeros(()))
        gv = grad[self.index]
        return ga, gv


def _store(out, index, vals, accumulate, backend, basic=False):
    if not basic:
        out, index = _selected(out, index)  # written through the selects' view
    try:
        if accumulate:
            kernel(backend, "index_add")(out, index, np.broadcast_to(vals, out[index].shape)
                                         if isinstance(out, np.ndarray) else vals)
        elif basic:
            if not isinstance(out, np.ndarray) and any(i is None for i in index):
                # the standard does not assign through new axes: drop them (and their dims of vals)
                xp, target = backend.xp, out[index].shape
                index = tuple(i for i in index if i is not None)
                vals = xp.reshape(xp.broadcast_to(vals, target), out[index].shape) if hasattr(vals, "shape") else vals
            out[index] = vals
        else:
            kernel(backend, "index_set")(out, index, vals)
    except ValueError:
        target = list((out[index] if basic else kernel(backend, "index_get")(out, index)).shape)
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vals.shape)} cannot be broadcast to "
                           f"indexing result of shape {target}") from None
    except IndexError as e:
        raise _wrap_array_error(e, index) from None


def index_put(t, indices, values, accumulate=False):
    """A copy of ``t`` with ``values`` written (or added, with ``accumulate``) at ``indices``."""
    converted = _is_converted(indices)
    idx = indices if converted else convert_index(tuple(indices) if isinstance(indices, list) else indices, t)[0]
    if not converted and isinstance(values, Tensor):
        _check_put(t, indices, idx, values, accumulate)
    if not isinstance(values, Tensor):
        from .creation import tensor

        values = tensor(values, dtype=t.dtype, device=t.device)
    return apply(IndexPutBackward0, t, values, index=idx, accumulate=accumulate)


def _check_put(t, index, idx, value, accumulate=False):
    """PyTorch's ``index_put_`` checks: a single-element value with a lone mask goes to
    ``masked_fill_`` (which refuses uint8 masks, and casts the value); otherwise a tensor value
    must already have the tensor's dtype (no cast, unlike basic indexing's ``copy_``)."""
    if not accumulate and (not isinstance(value, Tensor) or value._data.size == 1):
        adv = [i for i in idx if not (i is None or i is Ellipsis or type(i) in (int, slice))]
        if len(adv) == 1 and not isinstance(adv[0], bool) and _is_mask(adv[0]):
            raw = index if isinstance(index, (tuple, list)) else (index,)
            if any(isinstance(i, Tensor) and i.dtype is D.uint8 and i._data.ndim for i in raw):
                raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
            return
    if isinstance(value, Tensor) and value.dtype is not t.dtype:
        from .reduce import legacy_scalar_name

        target = kernel(t._backend, "index_get")(*_selected(t._data, idx)).shape  # a shape mismatch comes first
        try:
            np.broadcast_shapes(tuple(value.shape), tuple(target))
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to "
                               f"indexing result of shape {list(target)}") from None

        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{legacy_scalar_name(t.dtype)} for the destination and {legacy_scalar_name(value.dtype)} "
                           f"for the source.")


def _is_basic(index):
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) and not isinstance(i, bool) for i in index)


def _is_converted(index):
    return isinstance(index, tuple) and not any(isinstance(i, (Tensor, list)) for i in index)


class CopySlices(Node):
    """``t[basic index] = value`` under autograd (PyTorch's ``CopySlices``)."""

    def name(self):
        return "torch::autograd::CopySlices"

    def backward(self, grad):
        # the value's gradient summed back to its shape if it was broadcast (here: the engine's
        # shape check rejects a broadcast onto an empty region, e.g. [0, 1] for a value of [1])
        gv = grad[self.index]
        if tuple(gv.shape) != self.vshape:
            gv = gv.sum_to_size(self.vshape) if gv.numel() else gv.new_zeros(self.vshape)
        return grad.index_put(self.index, grad.new_zeros(())), gv


class _IndexPutInplace(CopySlices):
    def name(self):
        return "IndexPutBackward0"


def setitem(t, index, value):
    """``t[index] = value``: in place; recorded by autograd when gradients flow."""
    from .inplace import bump_version, check_inplace, rebase_history

    if index is False:
        return  # PyTorch returns before looking at the value (the result would be empty)
    check_inplace(t)
    idx, basic = convert_index(index, t)
    _check_index(t, idx)
    if isinstance(value, Tensor) and value._device is not t._device:
        value = value.to(t.device)
    if not basic:
        _check_put(t, index, idx, value)
    needs_graph = GRAD_ENABLED[0] and (t._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if not needs_graph:
        if isinstance(value, Tensor):
            v = value._data
        elif isinstance(value, (bool, int, float)):  # converted as PyTorch does (2.7 -> 2 in ints):
            d = t.dtype  # the standard does not mix a float scalar into an integer array
            v = float(value) if d.is_floating_point else bool(value) if d is D.bool_ else int(value)
        else:
            _check_value(t, value)
            if not isinstance(t._data, np.ndarray):
                from .creation import tensor

                v = tensor(value, dtype=t.dtype, device=t.device)._data
            else:
                v = value
        if basic:
            _check_broadcast(value, t._data[idx].shape)
            t._data[idx] = v  # (through a view would miss 0-d results, and views are not standard)
        else:
            _store(t._data, idx, v, False, t._backend)
        bump_version(t)
        return
    if not isinstance(value, Tensor):
        from .creation import tensor

        _check_value(t, value)
        value = tensor(value, dtype=t.dtype, device=t.device)
    value = value.to(t.dtype)
    if basic:
        _check_broadcast(value, t._data[idx].shape)
    old = t.detach()
    old.grad_fn, old._output_nr, old._requires_grad = t.grad_fn, t._output_nr, t._requires_grad
    # with an integer among advanced indices PyTorch writes through a select view: CopySlices
    cls = CopySlices if basic or (type(idx) is tuple and any(type(i) is int for i in idx)) else _IndexPutInplace
    node = cls.__new__(cls)
    node.index, node.vshape = idx, tuple(value.shape)
    _store(t._data, idx, value._data, False, t._backend, basic)
    bump_version(t)
    result = _make(t._data, t._backend, t._device)
    attach(node, (old, value), result)
    rebase_history(t, result)


def _check_value(t, value):
    """``t[i] = value`` takes a tensor or a number: PyTorch refuses lists, arrays, strings, None."""
    if not isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        from .._tensor import _arg_type_name

        raise TypeError(f"can't assign a {_arg_type_name(value)} to a {t.type()}")


def _check_broadcast(value, target_shape):
    """PyTorch's error when a value cannot be copied into ``t[index]`` (as ``copy_`` reports it)."""
    orig = list(value.shape) if isinstance(value, Tensor) else list(np.shape(value))
    vshape = list(orig)
    while len(vshape) > len(target_shape) and vshape[0] == 1:
        vshape.pop(0)
    if len(vshape) > len(target_shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{orig}}}, size={list(target_shape)}): the number of sizes "
                           f"provided ({len(target_shape)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({len(orig)})")
    lead = len(target_shape) - len(vshape)
    for i, s in enumerate(vshape):
        cur = target_shape[lead + i]
        if s != 1 and s != cur:
            raise RuntimeError(
                f"The expanded size of the tensor ({cur}) must match the existing size ({s}) at non-singleton "
                f"dimension {lead + i}.  Target sizes: {list(target_shape)}.  Tensor sizes: {orig}"
            )
