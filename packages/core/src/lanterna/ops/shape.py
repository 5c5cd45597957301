"""Views and layout: view/reshape, permute/transpose, squeeze/unsqueeze, expand, clone.

Views share storage and the version counter with their base (``Node.is_view``), so that an
in-place change through one is seen by the other and by the autograd version checks.
Joining and splitting (cat, stack, split ...) are in ``joining.py``.
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ._apply import Node, _record_trace, apply
from ._argerrors import not_a_tensor
from ..autograd.graph import ANOMALY, grad_edge
from ..autograd.grad_mode import GRAD_ENABLED

_make = Tensor._make


def shape_arg(shape):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(torch.Size(...))`` all mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


_shape_arg = shape_arg


def infer_shape(shape, numel):
    """Resolve one ``-1`` in ``shape`` for a tensor of ``numel`` elements (PyTorch's errors)."""
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for i, s in enumerate(shape):
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
            known *= s
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


_infer = infer_shape


def _prod(it):
    p = 1
    for v in it:
        p *= v
    return p


# ---- view / reshape ------------------------------------------------------------------------
def reshape_no_copy(xp, x, shape):
    """``x`` reshaped without copying; ValueError where the strides do not allow it."""
    try:
        return xp.reshape(x, shape, copy=False)
    except TypeError:  # NumPy < 2.1 has no ``copy=``
        v = x.view()
        try:
            v.shape = shape
        except AttributeError:
            raise ValueError("cannot reshape without a copy") from None
        return v


class ViewBackward0(Node):
    is_view = True

    def forward(self, a):
        x = a._data
        self.in_shape = x.shape
        try:
            return reshape_no_copy(a._backend.xp, x, self.shape)
        except (ValueError, AttributeError):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension "
                "spans across two contiguous subspaces). Use .reshape(...) instead."
            ) from None

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class UnsafeViewBackward0(Node):
    """A reshape that had to copy."""

    def forward(self, a):
        self.in_shape = a._data.shape
        return a._backend.xp.reshape(a._data, self.shape, copy=True)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


def view(input, *shape):
    """A view with a new shape (one dim may be -1); errors where the strides do not allow it.

    >>> import lanterna as torch
    >>> torch.arange(6).view(2, -1)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return _view_dtype(input, shape[0])
    return apply(ViewBackward0, input, shape=infer_shape(shape_arg(shape), input._data.size))


def _view_dtype(input, dtype):
    src, dst = input.dtype, dtype
    if src.itemsize != dst.itemsize and input._data.ndim == 0:
        raise RuntimeError("self.dim() cannot be 0 to view a tensor as a dtype with a different size")
    out = input._view_of(input._data.view(input._backend.dtype(dtype)))
    out._detached = True  # as in PyTorch, a reinterpretation that autograd does not track: detach_ allowed
    return out


def reshape(input, *shape):
    """Like :func:`view` where possible (no copy), else a copy."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("reshape", input)
    x = input._data
    shape = infer_shape(shape_arg(shape), x.size)
    flags = getattr(x, "flags", None)
    if flags is not None and flags["C_CONTIGUOUS"]:
        return apply(ViewBackward0, input, shape=shape)
    try:  # (arrays without flags, e.g. of the Array API standard, say by failing)
        reshape_no_copy(input._backend.xp, x, shape)
    except (ValueError, AttributeError):
        return apply(UnsafeViewBackward0, input, shape=shape)
    return apply(ViewBackward0, input, shape=shape)


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("flatten", input)
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, nd), _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input._data.shape
    return reshape(input, shape[:s] + (_prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one may be -1)."""
    d = _wrap_dim(dim, input._data.ndim)
    shape = input._data.shape
    sizes = tuple(int(s) for s in sizes)
    if -1 in sizes:
        sizes = infer_shape(sizes, shape[d])
    if _prod(sizes) != shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({shape[d]}) in the input tensor")
    return view(input, shape[:d] + sizes + shape[d + 1:])


# ---- permutations ----------------------------------------------------------------------------
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
    """Reorder the dims (a view)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("permute", input)
    dims = shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(PermuteBackward0, input, dims=dims)


def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination`` (ints or sequences)."""
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    src = [_wrap_dim(s, nd) for s in src]
    dst = [_wrap_dim(d, nd) for d in dst]
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    order = [next(rest) if o is None else o for o in order]
    return apply(PermuteBackward0, input, dims=tuple(order))


moveaxis = movedim


class TransposeBackward0(Node):
    is_view = True

    def forward(self, a):
        return _permuted(a._data, self.perm, a._backend.xp)

    def backward(self, grad):
        if not GRAD_ENABLED[0]:
            # plain backward: a bare transposed array with no view bookkeeping, so that a
            # weight's gradient computed transposed (see nn_linear) can become its .grad uncopied
            return _make(_permuted(grad._data, self.perm, grad._backend.xp), grad._backend, grad._device)
        return grad.transpose(self.d0, self.d1)


def _permuted(x, perm, xp):
    # a matrix transpose through the standard's ``.T`` attribute: NumPy's permute_dims is a
    # Python-level wrapper, and Linear transposes its weight on every forward and backward
    return x.T if perm == (1, 0) else xp.permute_dims(x, perm)


class TBackward0(TransposeBackward0):
    # a matrix's transpose (the common case) needs no attributes of its own
    d0, d1, perm = 0, 1, (1, 0)


def matrix_t(w):
    """``w.t()`` for a 2-D ``w`` with grad mode on: what ``apply(TBackward0, w)`` does, spelled out,
    because Linear transposes its weight on every forward. The gradient of a transpose has its
    input's shape and dtype, so the node needs no fitting metadata (``_in_meta`` None)."""
    out = _make(w._data.T, w._backend, w._device)
    out._version = w._version
    out._base = w if w._base is None else w._base
    if w._requires_grad:
        node = TBackward0.__new__(TBackward0)
        node.next_functions = (grad_edge(w),)
        node._in_meta = None
        if ANOMALY[0]:
            _record_trace(node)
        out.grad_fn = node
        out._requires_grad = True
    return out


def transpose(input, dim0, dim1):
    """Swap two dims (a view)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("transpose", input)
    nd = input._data.ndim
    d0, d1 = _wrap_dim(dim0, nd), _wrap_dim(dim1, nd)
    perm = list(range(nd))
    if nd:
        perm[d0], perm[d1] = perm[d1], perm[d0]
    return apply(TransposeBackward0, input, d0=d0, d1=d1, perm=tuple(perm))


swapaxes = swapdims = transpose


def t(input):
    """Transpose of a matrix; tensors with fewer than 2 dims are returned as they are (a view)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("t", input)
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    if nd == 2:
        return apply(TBackward0, input)  # the class's own d0, d1 and perm
    return apply(TBackward0, input, d0=0, d1=0, perm=tuple(range(nd)))


def adjoint(input):
    return transpose(input, -2, -1)


def T(input):
    """``x.T``: all dims reversed."""
    nd = input._data.ndim
    return apply(PermuteBackward0, input, dims=tuple(range(nd - 1, -1, -1)))


def mT(input):
    """``x.mT``: the last two dims swapped."""
    if input._data.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {input._data.ndim}-D tensor.")
    return transpose(input, -2, -1)


# ---- squeeze / unsqueeze -------------------------------------------------------------------
class UnsqueezeBackward0(Node):
    is_view = True

    def forward(self, a):
        return a._backend.xp.expand_dims(a._data, axis=self.dim)

    def backward(self, grad):
        return grad.squeeze(self.dim)


def unsqueeze(input, dim):
    """Insert a dim of size one at ``dim``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("unsqueeze", input)
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


class SqueezeBackward2(SqueezeBackward0):
    pass


def squeeze(input, dim=None):
    """Remove dims of size one (all, or those in ``dim``: an int or a tuple)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("squeeze", input)
    shape = input._data.shape
    if dim is None:
        return apply(SqueezeBackward0, input, out_shape=tuple(s for s in shape if s != 1))
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    axes = {_wrap_dim(d, len(shape)) for d in dims}
    out = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return apply(SqueezeBackward2 if isinstance(dim, (tuple, list)) else SqueezeBackward1, input, out_shape=out)


def atleast_1d(*tensors):
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    return _atleast(tensors, 3)


def _atleast(tensors, n):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    items = tensors if not (len(tensors) == 1 and isinstance(tensors[0], (list, tuple))) else tensors[0]
    out = []
    for t in items:
        nd = t.dim()
        if nd >= n:
            out.append(t)
        elif n == 1 or nd == 0:
            out.append(t.reshape((1,) * n))
        elif n == 2:
            out.append(t.unsqueeze(0))
        else:
            out.append(t.unsqueeze(0).unsqueeze(-1) if nd == 1 else t.unsqueeze(-1))
    return out[0] if single else tuple(out)


# ---- expand -------------------------------------------------------------------------------
class ExpandBackward0(Node):
    is_view = True

    def forward(self, a):
        return a._backend.xp.broadcast_to(a._data, self.shape)

    def backward(self, grad):
        return grad  # the engine sums broadcast dims back to the input's shape


def expand(input, *sizes):
    """A broadcast view: dims of size one repeat to ``sizes`` (-1 keeps a dim)."""
    sizes = shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.{input.type().split('.')[-1]}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    out = [0] * len(sizes)
    for i in range(len(sizes) - 1, -1, -1):  # from the last dim, as PyTorch: its error names the last bad one
        s = sizes[i]
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            out[i] = s
            continue
        cur = shape[i - lead]
        if s == -1:
            out[i] = cur
        elif cur == 1 or cur == s:
            out[i] = s
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


def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to (``torch.Size``)."""
    import numpy as np

    from .._tensor import Size

    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))
    except ValueError:
        raise _broadcast_shapes_error(shapes) from None


def _broadcast_shapes_error(shapes):
    """PyTorch's error for ``broadcast_shapes`` (its Python reference implementation's words)."""
    shapes = [(s,) if isinstance(s, int) else s for s in shapes]
    common = [1] * max(len(s) for s in shapes)
    for k, shape in enumerate(shapes):
        for i in range(-1, -1 - len(shape), -1):
            if shape[i] < 0:
                return ValueError("Attempting to broadcast a dimension with negative length!")
            if shape[i] == common[i] or shape[i] == 1:
                continue
            if common[i] == 1:
                common[i] = shape[i]
                continue
            return RuntimeError(f"Attempting to broadcast a dimension of length {shape[i]} at {i}! Mismatching "
                                f"argument at index {k} had {shape!r}; but expected shape should be broadcastable "
                                f"to {common}")
    return RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {list(shapes)}")


def broadcast_tensors(*tensors):
    """Expand tensors to their common shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    try:
        shape = broadcast_shapes(*[t.shape for t in tensors])
    except RuntimeError as e:  # PyTorch's broadcast_tensors words it as its elementwise ops
        from .elementwise import broadcast_error

        raise (broadcast_error(*tensors) or e) from None
    return tuple(expand(t, shape) for t in tensors)


# ---- copies --------------------------------------------------------------------------------
class CloneBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        if getattr(self, "c_order", False):  # contiguous(): a copy laid out row-major
            return xp.reshape(xp.reshape(a._data, (-1,)), a._data.shape)  # (only called on non-contiguous)
        return xp.asarray(a._data, copy=True)

    def backward(self, grad):
        return grad


def clone(input, *, memory_format=None):
    """A copy with its own storage; gradients flow back to ``input``."""
    return apply(CloneBackward0, input)


def contiguous(input, memory_format=None):
    """``input`` itself if it is contiguous, else a contiguous copy."""
    flags = getattr(input._data, "flags", None)
    if flags is None or flags["C_CONTIGUOUS"]:
        return input
    return apply(CloneBackward0, input, c_order=True)


class UnfoldBackward0(Node):
    is_view = True

    def forward(self, a):
        import numpy as np

        x = a._data
        self.in_shape = x.shape
        d, size, step = self.dim, self.size, self.step
        n = (x.shape[d] - size) // step + 1 if x.ndim else 1
        if x.ndim == 0:
            return a._backend.xp.reshape(x, (1,))
        if not isinstance(x, np.ndarray):  # no strides in the standard: stack strided slices (a copy)
            xp = a._backend.xp
            cut = [slice(None)] * x.ndim
            parts = []
            for i in range(size):
                cut[d] = slice(i, i + step * (n - 1) + 1, step)
                parts.append(x[tuple(cut)])
            return xp.stack(parts, axis=-1)
        shape = x.shape[:d] + (n,) + x.shape[d + 1:] + (size,)
        strides = x.strides[:d] + (x.strides[d] * step,) + x.strides[d + 1:] + (x.strides[d],)
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)

    def backward(self, grad):
        from .index import index_add_grad

        import numpy as np

        if not self.in_shape:  # a 0-d input unfolds to its one element
            return grad.reshape(())
        d = self.dim
        n = grad.shape[d]
        # position of every window element along dim: start + offset
        pos = np.arange(n)[:, None] * self.step + np.arange(self.size)[None, :]
        g = grad.movedim(d, -2).reshape(*grad.shape[:d], *grad.shape[d + 1:-1], n * self.size)
        shape = list(self.in_shape)
        moved = shape[:d] + shape[d + 1:] + [shape[d]]
        idx = (Ellipsis, pos.reshape(-1))
        out = index_add_grad(g, tuple(moved), idx)
        return out.movedim(-1, d)


def unfold(input, dimension, size, step):
    """Sliding windows of ``size`` with ``step`` along ``dimension``, as a new last dim (a view)."""
    d = _wrap_dim(dimension, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return apply(UnfoldBackward0, input, dim=d, size=size, step=step)


class AsStridedBackward0(Node):
    """A view given by sizes and strides (in elements) over ``input``'s storage (taken contiguous)."""

    is_view = True

    def forward(self, a):
        x = a._data
        self.in_shape = x.shape
        xp = a._backend.xp
        tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)
        if tricks is not None and hasattr(x, "strides"):
            flat = xp.reshape(xp.ascontiguousarray(x), (-1,))[self.offset:]
            return tricks.as_strided(flat, self.size, tuple(s * flat.itemsize for s in self.stride))
        # array libraries without strides: gather the positions (a copy)
        pos = a._backend.from_numpy(self._positions(), a._device.index or 0)
        return xp.reshape(xp.take(xp.reshape(x, (-1,)), xp.reshape(pos, (-1,)), axis=0), self.size)

    def _positions(self):
        import numpy as np

        n = 1
        for s in self.in_shape:
            n *= s
        return np.ascontiguousarray(np.lib.stride_tricks.as_strided(
            np.arange(n, dtype=np.int64)[self.offset:], self.size, tuple(s * 8 for s in self.stride)))

    def backward(self, grad):
        from .creation import tensor

        n = 1
        for s in self.in_shape:
            n *= s
        index = tensor(self._positions(), device=grad.device)
        return grad.new_zeros((n,)).index_put((index,), grad, accumulate=True).reshape(self.in_shape)


def _check_strided_bounds(input, size, stride, offset):
    """PyTorch refuses a view reaching past its storage (here: ``input``'s elements, which the view
    reads as contiguous); NumPy would read whatever memory lies beyond."""
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} strides, {len(size)} sizes")
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    itemsize = input.element_size()
    if needed > input.numel():
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {itemsize} requiring a storage size of {needed * itemsize} are out of bounds "
                           f"for storage of size {input.numel() * itemsize}")


def as_strided(input, size, stride, storage_offset=0):
    """A view with the given ``size`` and ``stride`` (elements) from ``storage_offset`` on."""
    _check_strided_bounds(input, tuple(size), tuple(stride), int(storage_offset))
    return apply(AsStridedBackward0, input, size=tuple(size), stride=tuple(stride), offset=int(storage_offset))
