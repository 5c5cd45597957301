"""The ``*_copy`` forms of the view ops (``torch.transpose_copy`` ...), ``narrow_copy``,
``as_strided_scatter``, ``fill`` and the ``unsafe_*`` splits.

A ``<view>_copy`` op returns the view's values in a new contiguous tensor that shares nothing
with its input. Its gradient is the view's own: the view op runs, and its node is kept as the
copy's ``grad_fn`` under PyTorch's name for it (``TransposeBackward0_copy``), no longer a view.

>>> import lanterna as torch
>>> x = torch.arange(6.0).reshape(2, 3)
>>> y = torch.transpose_copy(x, 0, 1)
>>> y.is_contiguous(), y.stride()
(True, (2, 1))
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ._apply import Node, apply

_make = Tensor._make
_CLASSES: dict = {}


def _fresh(a, xp):
    """A row-major copy of array ``a`` (NumPy's and CuPy's ``copy()`` default to C order)."""
    copy = getattr(a, "copy", None)
    return copy() if copy is not None else xp.asarray(a, copy=True)


def _renamed_class(cls, name):
    """Node class ``cls`` under ``name``, not a view: its output owns its storage."""
    key = (cls, name)
    new = _CLASSES.get(key)
    if new is None:
        new = _CLASSES[key] = type(name, (cls,), {"__slots__": (), "is_view": False, "__doc__": cls.__doc__})
    return new


def _as_copy(view, name=None, input=None):
    """``view`` (just made by a view op from ``input``) as a new contiguous tensor, its node
    renamed to ``name`` (default: the node's name plus ``_copy``)."""
    if view is input:  # a view op that returned its input itself: record the copy on an alias
        view = apply(AliasBackward0, input)
    out = _make(_fresh(view._data, view._backend.xp), view._backend, view._device)
    node = view.grad_fn
    if node is not None:
        if node.is_view:  # once per node: several outputs (split) share one
            node.__class__ = _renamed_class(type(node), name or f"{type(node).__name__}_copy")
        out.grad_fn, out._output_nr, out._requires_grad = node, view._output_nr, True
    return out


def _copies(views, name=None):
    return tuple(_as_copy(v, name) for v in views)


class AliasBackward0(Node):
    is_view = True

    def forward(self, a):
        return a._data

    def backward(self, grad):
        return grad


def alias_copy(input):
    """A copy of ``input`` (``torch.alias`` returns the same values as a view)."""
    return _as_copy(apply(AliasBackward0, input))


def as_strided_copy(input, size, stride, storage_offset=None):
    from .shape import as_strided

    offset = 0 if storage_offset is None else storage_offset
    return _as_copy(as_strided(input, size, stride, offset), input=input)


class _DetachCopyNotImplemented(Node):
    """PyTorch records ``detach_copy`` with a node whose backward is not implemented."""

    def forward(self, a):
        return _fresh(a._data, a._backend.xp)

    def backward(self, grad):
        raise RuntimeError("derivative for aten::detach_copy is not implemented")


_DetachCopyNotImplemented.__name__ = _DetachCopyNotImplemented.__qualname__ = "NotImplemented"


def detach_copy(input):
    """A copy of ``input``'s values; as in PyTorch it still requires grad, but cannot be
    differentiated (backward raises)."""
    return apply(_DetachCopyNotImplemented, input)


def diagonal_copy(input, offset=0, dim1=0, dim2=1):
    from .misc import diagonal

    return _as_copy(diagonal(input, offset, dim1, dim2), input=input)


def expand_copy(input, size, *, implicit=False):
    return _as_copy(input.expand(size), input=input)


def narrow_copy(input, dim, start, length):
    """``narrow``'s values as a new tensor (``NarrowCopyBackward0``)."""
    from .joining import narrow

    return _as_copy(narrow(input, dim, start, length), "NarrowCopyBackward0", input)


def permute_copy(input, dims):
    from .shape import permute

    return _as_copy(permute(input, dims), input=input)


def select_copy(input, dim, index):
    from .joining import select

    return _as_copy(select(input, dim, index), input=input)


def slice_copy(input, dim=0, start=None, end=None, step=1):
    """``input`` sliced ``start:end:step`` along ``dim``, as a new tensor (``SliceBackward0_copy``)."""
    from .joining import SliceBackward0

    if not input.dim():
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = _wrap_dim(dim, input.dim())
    first, stop, _ = slice(start, end, step).indices(input.shape[d])
    view = apply(SliceBackward0, input, dim=d, start=first, stop=max(stop, first), step=step)
    return _as_copy(view)


def split_copy(input, split_size, dim=0):
    from .joining import split

    return _copies(split(input, split_size, dim))


def split_with_sizes_copy(input, split_sizes, dim=0):
    from .layout import split_with_sizes

    return _copies(split_with_sizes(input, split_sizes, dim))


def squeeze_copy(input, dim=None):
    from .shape import squeeze

    return _as_copy(squeeze(input) if dim is None else squeeze(input, dim), input=input)


def t_copy(input):
    from .shape import t

    return _as_copy(t(input), input=input)


def transpose_copy(input, dim0, dim1):
    from .shape import transpose

    return _as_copy(transpose(input, dim0, dim1), input=input)


def unbind_copy(input, dim=0):
    from .joining import unbind

    return _copies(unbind(input, dim))


def unfold_copy(input, dimension, size, step):
    from .shape import unfold

    return _as_copy(unfold(input, dimension, size, step), input=input)


def unsqueeze_copy(input, dim):
    from .shape import unsqueeze

    return _as_copy(unsqueeze(input, dim), input=input)


def view_copy(input, size):
    """``input.view(size)`` (or ``input.view(dtype)``) as a new tensor."""
    return _as_copy(input.view(size), input=input)


# ---- the unsafe splits: split's values, autograd told they are not views ----------------------
def _unsafe(views, name):
    """Split outputs marked as independent tensors (PyTorch's ``unsafe_split``): they still
    share memory with the input, but in-place changes to them are not tracked as view changes."""
    for v in views:
        node = v.grad_fn
        if node is not None and node.is_view:
            node.__class__ = _renamed_class(type(node), name)
        v._base = None
        v._version = [0]
    return views


def unsafe_split(input, split_size, dim=0):
    from .joining import split

    if not isinstance(split_size, int):
        raise TypeError(f"unsafe_split(): argument 'split_size' must be int, not {type(split_size).__name__}")
    return _unsafe(split(input, split_size, dim), "UnsafeSplitBackward0")


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    from .layout import split_with_sizes

    return _unsafe(split_with_sizes(input, split_sizes, dim), "UnsafeSplitWithSizesBackward0")


def unsafe_chunk(input, chunks, dim=0):
    """``chunk``'s pieces as ``unsafe_split`` gives them."""
    if not input.dim():
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[_wrap_dim(dim, input.dim())]
    return unsafe_split(input, max(-(-n // chunks), 1), dim)


# ---- fill and as_strided_scatter ------------------------------------------------------------------
class FillBackward0(Node):
    """``fill(input, number)``: the result does not depend on ``input``."""

    def forward(self, a):
        xp = a._backend.xp
        return xp.full(a._data.shape, self.value, dtype=a._data.dtype)

    def backward(self, grad):
        return grad.new_zeros(self.in_shape)


class FillBackward1(Node):
    """``fill(input, value)`` with a 0-d tensor ``value``: every element's gradient goes to it."""

    def forward(self, a, v):
        xp = a._backend.xp
        return xp.broadcast_to(xp.astype(v._data, a._data.dtype), a._data.shape).copy()

    def backward(self, grad):
        return grad.new_zeros(self.in_shape), grad.sum()


def fill(input, value):
    """A tensor of ``input``'s shape and dtype filled with ``value`` (a number or a 0-d tensor).

    >>> import lanterna as torch
    >>> torch.fill(torch.zeros(2, dtype=torch.int64), 2.7)
    tensor([2, 2])
    """
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions."
            )
        return apply(FillBackward1, input, value.to(input.device), in_shape=tuple(input.shape))
    if not isinstance(value, (bool, int, float)):
        raise TypeError(f"fill(): argument 'value' must be Number, not {type(value).__name__}")
    if input.dtype is D.bool_:
        value = bool(value)
    elif not input.dtype.is_floating_point:
        value = int(value)  # C++'s cast truncates, as int() does
    return apply(FillBackward0, input, value=value, in_shape=tuple(input.shape))


def _strided_positions(n, size, stride, offset):
    """Flat positions, in a storage of ``n`` elements, of the elements of an as_strided view."""
    import numpy as np

    return np.lib.stride_tricks.as_strided(
        np.arange(n, dtype=np.int64)[offset:], size, tuple(s * 8 for s in stride)).copy()


class AsStridedScatterBackward0(Node):
    def forward(self, a, src):
        xp = a._backend.xp
        pos = _strided_positions(self.numel, self.size, self.stride, self.offset)
        pos = a._backend.from_numpy(pos.reshape(-1), a._device.index or 0)
        flat = xp.reshape(_fresh(a._data, xp), (-1,))
        flat[pos] = xp.reshape(xp.astype(src._data, a._data.dtype), (-1,))
        return xp.reshape(flat, a._data.shape)

    def backward(self, grad):
        g = grad.contiguous()
        region = g.as_strided(self.size, self.stride, self.offset)
        # PyTorch's as_strided_scatter_backward gives ``input`` the gradient of the scattered region
        # (zero elsewhere), not the gradient with that region zeroed; kept as PyTorch computes it
        g_input = as_strided_scatter(g.new_zeros(self.in_shape), region, self.size, self.stride, self.offset)
        return g_input, region.clone()


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of ``input`` with ``src`` written where ``input.as_strided(size, stride, storage_offset)``
    would look (``input`` read as a contiguous storage)."""
    from .shape import _check_strided_bounds

    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    offset = 0 if storage_offset is None else int(storage_offset)
    _check_strided_bounds(input, size, stride, offset)
    if tuple(src.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(size)}")
    if src.device != input.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {src.device}!")
    return apply(AsStridedScatterBackward0, input, src, size=size, stride=stride, offset=offset,
                 numel=input.numel(), in_shape=tuple(input.shape))
