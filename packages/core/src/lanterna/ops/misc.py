"""Diagonals and blocks, distances, binning and uniqueness, grids: the smaller utility ops."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ._apply import Node, apply
from .kernels import from_host, kernel, to_host
from ._argerrors import not_a_tensor

_make = Tensor._make


# The two ends of an op computed on the host (shared by the families that have such ops).
def _host(t):
    """Tensor ``t``'s data as a NumPy array (copied off the device if it is elsewhere)."""
    return np.asarray(to_host(t._data))


def _back(arr, like):
    """A host result as a C-contiguous tensor on ``like``'s device."""
    arr = np.asarray(arr, order="C")
    data = arr if isinstance(like._data, np.ndarray) else from_host(arr, like._data)
    return _make(data, like._backend, like._device)


# ---- diagonals -----------------------------------------------------------------------------
def _diag_index(n_rows, n_cols, offset):
    """Row and column indices of diagonal ``offset`` of an (n_rows, n_cols) matrix."""
    if offset >= 0:
        k = max(min(n_rows, n_cols - offset), 0)
        r = np.arange(k)
        return r, r + offset
    k = max(min(n_rows + offset, n_cols), 0)
    r = np.arange(k)
    return r - offset, r


def _device_diag_index(a, shape, offset):
    """``(..., rows, cols)`` of diagonal ``offset`` of matrices of ``shape``, on ``a``'s device."""
    rows, cols = _diag_index(shape[-2], shape[-1], offset)
    index = a._device.index or 0
    return (Ellipsis, a._backend.from_numpy(rows, index), a._backend.from_numpy(cols, index))


class DiagonalBackward0(Node):
    is_view = True

    def forward(self, a):
        if isinstance(a._data, np.ndarray):
            return np.diagonal(a._data, self.offset, self.d1, self.d2)
        # the standard has no diagonal outside its optional linalg extension: index the matrices
        m = a._backend.xp.moveaxis(a._data, (self.d1, self.d2), (-2, -1))
        return kernel(a._backend, "index_get")(m, _device_diag_index(a, m.shape, self.offset))

    def backward(self, grad):
        return diagonal_scatter(grad.new_zeros(self.in_shape), grad, self.offset, self.d1, self.d2)


class DiagonalBackward0_copy(DiagonalBackward0):  # noqa: N801 (PyTorch's name)
    """``diagonal_copy`` (what ``diag`` of a matrix records): the diagonal as a new array."""

    is_view = False

    def forward(self, a):
        out = super().forward(a)
        xp = a._backend.xp
        return xp.asarray(out, copy=True) if hasattr(xp, "asarray") else out.copy()


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` of the matrices spanned by ``dim1`` and ``dim2``, as a new last dim."""
    nd = input._data.ndim
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(DiagonalBackward0, input, offset=offset, d1=d1, d2=d2, in_shape=input._data.shape)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``src`` written on the diagonal (``diagonal``'s adjoint)."""
    nd = input.dim()
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    moved = input.movedim((d1, d2), (-2, -1))
    rows, cols = _diag_index(moved.shape[-2], moved.shape[-1], offset)
    from .creation import tensor

    r = tensor(rows, device=input.device)
    c = tensor(cols, device=input.device)
    out = moved.index_put((Ellipsis, r, c), src).movedim((-2, -1), (d1, d2))
    if out.grad_fn is not None:
        out.grad_fn.name = lambda: "DiagonalScatterBackward0"
    return out


class DiagEmbedBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        x = a._data
        n = x.shape[-1] + abs(self.offset)
        out = xp.zeros(x.shape[:-1] + (n, n), dtype=x.dtype)
        kernel(a._backend, "index_set")(out, _device_diag_index(a, out.shape, self.offset), x)
        return xp.moveaxis(out, (-2, -1), (self.d1, self.d2))

    def backward(self, grad):
        return grad.diagonal(self.offset, self.d1, self.d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices with the last dim of ``input`` on their diagonal ``offset``."""
    nd = input._data.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(DiagEmbedBackward0, input, offset=offset, d1=d1, d2=d2)


def diag(input, diagonal=0):
    """A vector's diagonal matrix, or a matrix's diagonal ``diagonal`` as a vector."""
    if input.dim() == 1:
        return diag_embed(input, diagonal)
    if input.dim() == 2:
        return apply(DiagonalBackward0_copy, input, offset=diagonal, d1=0, d2=1, in_shape=input._data.shape)
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input.dim()}D")


class TraceBackward0(Node):
    def forward(self, a):
        self.shape = a._data.shape
        xp = a._backend.xp
        # integers sum in int64, as PyTorch (NumPy would give uint64 for unsigned ones)
        acc = None if a.dtype.is_floating_point else a._backend.dtype(D.int64)
        if isinstance(a._data, np.ndarray):
            return xp.asarray(np.trace(a._data, dtype=acc))
        return xp.linalg.trace(a._data, dtype=acc)

    def backward(self, grad):
        from .creation import eye

        return grad * eye(*self.shape, dtype=grad.dtype, device=grad.device)


def trace(input):
    """Sum of the main diagonal of a matrix."""
    if input.dim() != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " + str(input.dim()))
    if input.dtype is D.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return apply(TraceBackward0, input)


class BlockDiagBackward0(Node):
    def forward(self, *blocks):
        xp = blocks[0]._backend.xp
        self.shapes = [b._data.shape for b in blocks]
        rows = sum(s[0] for s in self.shapes)
        cols = sum(s[1] for s in self.shapes)
        out = xp.zeros((rows, cols), dtype=blocks[0]._data.dtype)
        r = c = 0
        for b, (h, w) in zip(blocks, self.shapes):
            out[r:r + h, c:c + w] = b._data
            r, c = r + h, c + w
        return out

    def backward(self, grad):
        out, r, c = [], 0, 0
        for h, w in self.shapes:
            out.append(grad[r:r + h, c:c + w])
            r, c = r + h, c + w
        return tuple(out)


def block_diag(*tensors):
    """A block-diagonal matrix of the given blocks (0-D and 1-D inputs count as one row)."""
    from .pointwise import promote

    blocks = [t.reshape(1, 1) if t.dim() == 0 else t.reshape(1, -1) if t.dim() == 1 else t for t in tensors]
    for i, b in enumerate(blocks):
        if b.dim() != 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{b.dim()} dimensions")
    return apply(BlockDiagBackward0, *(promote(*blocks) if len(blocks) > 1 else blocks))


# ---- distances ---------------------------------------------------------------------------------
class CdistBackward0(Node):
    def forward(self, a, b):
        self.save(a, b)
        xp = a._backend.xp
        diff = xp.abs(xp.expand_dims(a._data, -2) - xp.expand_dims(b._data, -3))
        p = self.p
        if p == 0:
            out = xp.sum(xp.astype(diff != 0, diff.dtype), axis=-1)
        elif p == float("inf"):
            out = xp.max(diff, axis=-1)
        elif p == 1:
            out = xp.sum(diff, axis=-1)
        elif p == 2:
            out = xp.sqrt(xp.sum(diff * diff, axis=-1))
        else:
            out = xp.sum(diff ** p, axis=-1) ** (1.0 / p)
        self.out = out
        return out

    def backward(self, grad):
        from ._apply import output_of

        a, b = self.saved
        diff = a.unsqueeze(-2) - b.unsqueeze(-3)
        dist = output_of(self, self.out, a).unsqueeze(-1)
        p = self.p
        g = grad.unsqueeze(-1)
        if p == 0:
            w = diff * 0
        elif p == 1:
            w = diff.sign()
        elif p == float("inf"):
            w = diff.sign() * (diff.abs() == dist.detach()).to(diff.dtype)
        elif p == 2:
            w = (diff / dist).masked_fill(dist.detach() == 0, 0)
        else:
            w = (diff.sign() * diff.abs() ** (p - 1) / dist ** (p - 1)).masked_fill(dist.detach() == 0, 0)
        gd = g * w
        return gd.sum(-2), -gd.sum(-3)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise ``p``-norm distances between the rows of ``x1`` and ``x2``."""
    if x1.dim() < 2 or x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    from .pointwise import promote

    a, b = promote(x1, x2)
    return apply(CdistBackward0, a, b, p=float(p))


# ---- binning ---------------------------------------------------------------------------------
def _check_searchsorted_shapes(seq, values):
    """A batched ``seq`` must have ``values``' leading dims (PyTorch does not broadcast them)."""
    if seq.dim() <= 1:
        return
    if not isinstance(values, Tensor):
        raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension "
                           f"is 1, but we got boundaries tensor dim({seq.dim()}) and input value's dim(0) numel(1)")
    if tuple(seq.shape[:-1]) != tuple(values.shape[:-1]):
        got = list(values.shape)
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {got}")


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input`` would be inserted into the last dim of ``sorted_sequence``."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    _check_searchsorted_shapes(sorted_sequence, input)
    seq = _host(sorted_sequence)
    vals = _host(input) if isinstance(input, Tensor) else np.asarray(input)
    if sorter is not None:
        seq = np.take_along_axis(seq, _host(sorter), -1)
    side = "right" if right else "left"
    if seq.ndim == 1:
        r = np.searchsorted(seq, vals, side=side)
    else:
        flat_s = seq.reshape(-1, seq.shape[-1])
        flat_v = vals.reshape(flat_s.shape[0], -1)
        r = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(flat_s, flat_v)]).reshape(vals.shape)
    return _back(np.asarray(r, dtype=np.int32 if out_int32 else np.int64), sorted_sequence)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each element of ``input`` given sorted ``boundaries``."""
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})")
    r = searchsorted(boundaries, input, out_int32=out_int32, right=right)
    return r if isinstance(input, Tensor) else r.reshape(())


def histc(input, bins=100, min=0, max=0):
    """Histogram of ``input`` in ``bins`` equal bins over ``[min, max]`` (the data's range if equal)."""
    if not input.dtype.is_floating_point:
        from .reduce import legacy_scalar_name

        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{legacy_scalar_name(input.dtype)}\'')
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    x = _host(input).astype(np.float64).reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    hist, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return _back(hist.astype(input._data.dtype), input)


def bincount(input, weights=None, minlength=0):
    """Count of each value of a non-negative 1-D integer tensor (weighted sums with ``weights``)."""
    if input.dtype.is_floating_point or input.dtype.is_complex or input.dtype is D.bool_:
        from .reduce import legacy_scalar_name

        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{legacy_scalar_name(input.dtype)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    x = _host(input)
    if input.dim() != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.dim() != 1 or weights.shape[0] != x.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    w = None if weights is None else _host(weights)
    r = np.bincount(x, weights=w, minlength=minlength)
    if weights is None:
        r = r.astype(np.int64)
    elif weights.dtype is not D.float32:
        r = r.astype(np.float64)
    else:
        r = r.astype(np.float32)
    return _back(r, input)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (sorted), optionally with the inverse indices and the counts."""
    if not isinstance(input, Tensor):  # PyTorch's parser names the op it dispatches to
        raise not_a_tensor("_unique2" if dim is None else "unique_dim", input)
    x = _host(input)
    if dim is None:
        # every NaN is distinct (NaN != NaN), as in PyTorch; NumPy would merge them
        u, inv, counts = np.unique(x.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        inv = inv.reshape(x.shape)
    else:
        d = _wrap_dim(dim, x.ndim)
        u, inv, counts = np.unique(x, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    out = [_back(u, input)]
    if return_inverse:
        out.append(_back(inv.astype(np.int64), input))
    if return_counts:
        out.append(_back(counts.astype(np.int64), input))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive elements."""
    x = _host(input)
    if dim is None:
        flat = x.reshape(-1)
        if flat.size == 0:
            keep = np.zeros(0, bool)
        else:
            keep = np.concatenate([[True], flat[1:] != flat[:-1]])
        u = flat[keep]
        group = np.cumsum(keep) - 1
        inv = group.reshape(x.shape)
    else:
        d = _wrap_dim(dim, x.ndim)
        moved = np.moveaxis(x, d, 0)
        keep = np.concatenate([[True], np.any((moved[1:] != moved[:-1]).reshape(len(moved) - 1, -1), axis=1)]) \
            if len(moved) else np.zeros(0, bool)
        u = np.moveaxis(moved[keep], 0, d)
        inv = np.cumsum(keep) - 1
    counts = np.bincount(inv.reshape(-1), minlength=int(keep.sum())) if keep.size else np.zeros(0, np.int64)
    out = [_back(np.ascontiguousarray(u), input)]
    if return_inverse:
        out.append(_back(inv.astype(np.int64), input))
    if return_counts:
        out.append(_back(counts.astype(np.int64), input))
    return out[0] if len(out) == 1 else tuple(out)


# ---- grids and differences -----------------------------------------------------------------------
def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors (``indexing='ij'`` by default, with PyTorch's warning)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    ts = [t.reshape(-1) if t.dim() == 0 else t for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = [t.shape[0] for t in ts]
    n = len(ts)
    out = [t.reshape([-1 if i == k else 1 for i in range(n)]).expand(shape) for k, t in enumerate(ts)]
    if swap:  # 'xy': the grids of the swapped first two inputs, given back in the original order
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors):
    """All combinations of the elements of 1-D tensors, as rows."""
    if len(tensors) == 1:
        return tensors[0]
    from .joining import stack

    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """``n``-th forward difference along ``dim``."""
    from .joining import cat

    if not input.dim():
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input.dim())
    if prepend is not None or append is not None:
        parts = [p if p.dim() else p.expand([1 if i == d else s for i, s in enumerate(input.shape)])
                 for p in (prepend, input, append) if p is not None]
        input = cat(parts, d)
    for _ in range(n):
        k = input.shape[d]
        if k == 0:
            break
        a, b = input.narrow(d, 1, k - 1), input.narrow(d, 0, k - 1)
        input = (a != b) if input.dtype is D.bool_ else a - b
    return input


def _tri_indices(row, col, offset, lower, dtype, device):
    from .creation import _int_arg, _scalar_name

    name = "tril_indices" if lower else "triu_indices"
    if col is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "col"')
    row, col, offset = (_int_arg(v, name, n, i) for i, (v, n) in enumerate(((row, "row"), (col, "col"),
                                                                             (offset, "offset")), 1))
    for v, n in ((row, "row"), (col, "col")):
        if v < 0:
            raise RuntimeError(f"{n} must be non-negative, got{v}")
    if dtype is not None and dtype not in (D.int64, D.int32):
        raise NotImplementedError(f"\"{name}\" not implemented for '{_scalar_name(dtype)}'")
    r, c = np.tril_indices(row, offset, col) if lower else np.triu_indices(row, offset, col)
    from .creation import tensor

    return tensor(np.stack([r, c]).astype(np.int64), dtype=dtype or D.int64, device=device)


def tril_indices(row, col=None, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (2 x N) of the lower triangle of a ``row x col`` matrix."""
    return _tri_indices(row, col, offset, True, dtype, device)


def triu_indices(row, col=None, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (2 x N) of the upper triangle of a ``row x col`` matrix."""
    return _tri_indices(row, col, offset, False, dtype, device)


def ravel(input):
    """The elements as a 1-D tensor (a view where possible)."""
    return input.reshape(-1)


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other``."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        from .pointwise import tensor_pair

        tensor_pair("dist", input, other)
    return (input - other).norm(p)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the elements of a 1-D tensor, as rows."""
    import itertools

    from .creation import tensor
    from .joining import stack

    fn = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = list(fn(range(input.shape[0]), r))
    if not idx:
        return input.new_zeros((0, r))
    cols = tensor(np.asarray(idx, dtype=np.int64), device=input.device)
    return stack([input.index_select(0, cols[:, k]) for k in range(r)], 1)


def is_nonzero(input):
    """The truth value of a one-element tensor."""
    if input.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no values' if input.numel() == 0 else 'more than one value'} "
                           "is ambiguous")
    return bool(input.item())
