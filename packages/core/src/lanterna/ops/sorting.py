"""Sorting: sort, argsort, msort, topk, kthvalue. Ties keep their original order (a stable sort,
which is what PyTorch's CPU kernels give) and NaN counts as the largest value."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from . import return_types
from ._apply import apply
from .gather import GatherBackward0
from .reduce import MaxBackward0
from ._argerrors import not_a_tensor

_make = Tensor._make


class SortBackward0(GatherBackward0):
    pass


class SortBackward1(GatherBackward0):
    """``sort(stable=True)``."""


class TopkBackward0(GatherBackward0):
    pass


class KthvalueBackward0(MaxBackward0):
    pass


def _order(input, d, descending):
    """Stable argsort along ``d`` (ascending, or descending with ties in their original order)."""
    xp = input._backend.xp
    x = input._data
    if not descending:
        return xp.argsort(x, axis=d, stable=True)
    if input.dtype is D.bool_ or input.dtype is D.uint8:
        key = -xp.astype(x, xp.int64)
    else:
        key = -x
    if input.dtype.is_floating_point:
        nan = xp.isnan(x)
        if bool(xp.any(nan)):  # NaN first when descending: sort it as -inf, its negation
            key = xp.where(nan, xp.asarray(-xp.inf, dtype=x.dtype), key)
    return xp.argsort(key, axis=d, stable=True)


def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` sorted along ``dim``.

    >>> import lanterna as torch
    >>> torch.tensor([3, 1, 2]).sort()
    torch.return_types.sort(
    values=tensor([1, 2, 3]),
    indices=tensor([1, 2, 0]))
    """
    if not isinstance(input, Tensor):
        raise not_a_tensor('sort', input)
    if input._data.ndim == 0:
        return return_types.sort(input.clone(), input.new_zeros((), dtype=D.int64))
    d = _wrap_dim(dim, input._data.ndim)
    order = _order(input, d, descending)
    indices = _make(input._backend.xp.astype(order, input._backend.dtype(D.int64)), input._backend, input._device)
    cls = SortBackward1 if stable else SortBackward0
    return return_types.sort(apply(cls, input, dim=d, index=indices), indices)


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('argsort', input)
    return sort(input, dim, descending, stable).indices


def msort(input):
    """``input`` sorted along its first dim."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('topk', input)
    if input.dtype is D.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if input._data.ndim == 0:
        return return_types.topk(input.clone(), input.new_zeros((), dtype=D.int64))
    xp = input._backend.xp
    order = _order(input, d, largest)
    idx = order[tuple(slice(None) if i != d else slice(0, k) for i in range(order.ndim))]
    idx = _replay_ties(input, d, idx, lambda row: _topk_row(row, k, largest, sorted), always=not sorted)
    indices = _make(xp.astype(idx, input._backend.dtype(D.int64)), input._backend, input._device)
    return return_types.topk(apply(TopkBackward0, input, dim=d, index=indices), indices)


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element along ``dim`` and its index."""
    if not isinstance(input, Tensor):
        raise not_a_tensor('kthvalue', input)
    if input.dtype is D.bool_:
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input._data.ndim == 0:
        return return_types.kthvalue(input.clone(), input.new_zeros((), dtype=D.int64))
    xp = input._backend.xp
    order = _order(input, d, False)
    idx = order[tuple(slice(None) if i != d else slice(k - 1, k) for i in range(order.ndim))]
    idx = _replay_ties(input, d, idx, lambda row: [_kth_row(row, k)])
    if not keepdim:
        idx = xp.squeeze(idx, axis=d)
    indices = _make(xp.astype(idx, input._backend.dtype(D.int64)), input._backend, input._device)
    values = apply(KthvalueBackward0, input, axis=d, keepdim=keepdim, indices=indices)
    return return_types.kthvalue(values, indices)


# ---- ties: replay PyTorch's CPU selection algorithms (see _stl.py) ---------------------------
def _replay_ties(input, d, idx, row_fn, always=False):
    """Recompute the rows of ``idx`` (indices along ``d``) whose values have ties, with
    ``row_fn(values) -> indices``; elsewhere every algorithm agrees with the stable sort."""
    import numpy as np

    host = np.asarray(input._host())
    if host.ndim == 0:
        return idx
    vals = np.moveaxis(host, d, -1)
    flat = vals.reshape(-1, vals.shape[-1])
    srt = np.sort(flat, axis=-1)
    tied = np.any(srt[:, 1:] == srt[:, :-1], axis=-1) if flat.shape[-1] > 1 else np.zeros(len(flat), bool)
    if flat.dtype.kind == "f":  # NaNs tie with each other too (though NaN != NaN)
        tied |= np.count_nonzero(np.isnan(flat), axis=-1) > 1
    if not always and not tied.any():
        return idx
    out = np.array(np.moveaxis(np.asarray(input._backend.to_numpy(idx)), d, -1))
    out_flat = out.reshape(-1, out.shape[-1])
    for r in range(len(flat)):
        if always or tied[r]:
            out_flat[r] = row_fn(flat[r].tolist())
    res = np.moveaxis(out_flat.reshape(out.shape), -1, d)
    return input._backend.from_numpy(np.ascontiguousarray(res), input._device.index or 0)


def _topk_row(vals, k, largest, sorted_):
    from . import _stl

    q = [(v, j) for j, v in enumerate(vals)]
    n = len(q)
    if largest:
        def less(x, y):
            return (x[0] != x[0] and y[0] == y[0]) or x[0] > y[0]
    else:
        def less(x, y):
            return (x[0] == x[0] and y[0] != y[0]) or x[0] < y[0]
    if k * 64 <= n:
        _stl.partial_sort(q, 0, k, n, less)
    else:
        _stl.nth_element(q, 0, k - 1, n, less)
        if sorted_:
            _stl.sort(q, 0, k - 1, less)
    return [j for _, j in q[:k]]


def _kth_row(vals, k):
    from . import _stl

    q = [(v, j) for j, v in enumerate(vals)]
    _stl.quick_select(q, k - 1, lambda x, y: (x[0] != x[0] and y[0] == y[0]) or x[0] > y[0])
    return q[k - 1][1]
