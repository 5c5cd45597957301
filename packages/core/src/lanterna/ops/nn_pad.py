"""Padding (``F.pad``): constant as one op whose gradient is the opposite padding; reflect, replicate
and circular as index gathers (their gradient is a scatter-add)."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ._apply import Node, apply


class ConstantPadNdBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        x = a._data
        pads = self.pads  # per dim (before, after), possibly negative (= crop)
        crop = tuple(slice(max(-b, 0), x.shape[i] - max(-e, 0)) for i, (b, e) in enumerate(pads))
        x = x[crop]
        widths = tuple((max(b, 0), max(e, 0)) for b, e in pads)
        if not any(b or e for b, e in widths):
            return xp.asarray(x, copy=True) if hasattr(xp, "asarray") else x.copy()
        out = xp.full(tuple(s + b + e for s, (b, e) in zip(x.shape, widths)), self.value, dtype=x.dtype)
        out[tuple(slice(b, b + s) for s, (b, _) in zip(x.shape, widths))] = x
        return out

    def backward(self, grad):
        return apply(ConstantPadNdBackward0, grad, pads=tuple((-b, -e) for b, e in self.pads), value=0)


def _pairs(pad, ndim):
    """F.pad's flat (last_lo, last_hi, prev_lo, prev_hi, ...) as per-dim (lo, hi) for all dims."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got "
            f"padding length {len(pad)} and input of dimension {ndim}"
        )
    pairs = [(0, 0)] * ndim
    for k in range(len(pad) // 2):
        pairs[ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return pairs, len(pad) // 2


class _AxisGather(Node):
    """``x`` gathered along some axes, one index array per axis (``self.takes``: (axis, index)
    pairs): reflect/replicate padding and nearest resampling. One node, named after the op as in
    PyTorch (the subclasses below); its gradient scatter-adds back, axis by axis."""

    def forward(self, a):
        xp = a._backend.xp
        x = a._data
        shapes = []
        for axis, index in self.takes:
            shapes.append(x.shape)
            x = xp.take(x, index, axis=axis)
        self.shapes = tuple(shapes)
        if not self.takes:  # nothing gathered: still a new array, never a view of the input
            x = xp.asarray(x, copy=True) if hasattr(xp, "asarray") else x.copy()
        return x

    def backward(self, grad):
        from .index import index_add_grad

        for (axis, index), shape in reversed(tuple(zip(self.takes, self.shapes))):
            idx = [slice(None)] * len(shape)
            idx[axis] = index
            grad = index_add_grad(grad, shape, tuple(idx))
        return grad


def _gather_nodes(prefix):
    return {n: type(f"{prefix}{n}DBackward0", (_AxisGather,), {"__module__": __name__}) for n in (1, 2, 3)}


_PAD_NODES = {"reflect": _gather_nodes("ReflectionPad"), "replicate": _gather_nodes("ReplicationPad")}
ReflectionPad1DBackward0, ReflectionPad2DBackward0, ReflectionPad3DBackward0 = _PAD_NODES["reflect"].values()
ReplicationPad1DBackward0, ReplicationPad2DBackward0, ReplicationPad3DBackward0 = (
    _PAD_NODES["replicate"].values()
)


def _index_pad(input, pairs, n_padded, mode):
    xp = input._backend.xp
    out = input
    nd = input.dim()
    takes = []
    for d in range(nd - n_padded, nd):
        lo, hi = pairs[d]
        if lo == 0 and hi == 0:
            continue
        n = input.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                f"got: padding ({lo}, {hi}) at dimension {d} of input {list(input.shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and n == 0:
            raise RuntimeError("input tensor must be non-empty for replicate padding")
        if mode == "circular":
            # PyTorch crops the negative sides first, then wraps around what is left
            start = max(-lo, 0)
            m = n - start - max(-hi, 0)
            i = start + xp.arange(-max(lo, 0), m + max(hi, 0)) % m
        else:
            i = xp.arange(-lo, n + hi)
        if mode == "reflect":
            i = xp.abs(i)
            i = xp.where(i >= n, 2 * (n - 1) - i, i)
        elif mode == "replicate":
            i = xp.clip(i, 0, n - 1)
        i = xp.astype(i, input._backend.dtype(D.int64))
        if mode == "circular":  # (PyTorch pads circularly with slice copies: no node of its own)
            out = out.index_select(d, Tensor._make(i, input._backend, input._device))
        else:
            takes.append((d, i))
    if mode == "circular":
        return out
    return apply(_PAD_NODES[mode][n_padded], input, takes=tuple(takes))


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)``.

    >>> import lanterna as torch
    >>> torch.nn.functional.pad(torch.ones(1, 2), (1, 1))
    tensor([[0., 1., 1., 0.]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    pairs, n_padded = _pairs(pad, input.dim())
    if mode == "constant":
        v = 0 if value is None else value
        if input.dtype is D.bool_:
            v = bool(v)
        elif not input.dtype.is_floating_point and not input.dtype.is_complex:
            # PyTorch truncates a fractional fill value toward zero; only overflow is an error
            v = int(v)
            info = D.iinfo(input.dtype)
            if not info.min <= v <= info.max:
                raise RuntimeError(f"value cannot be converted to type {input.dtype} without overflow")
        for d, (b, e) in enumerate(pairs):
            if input.shape[d] + b + e < 0:
                raise RuntimeError(
                    f"The input size {input.shape[d]}, plus negative padding {b} and {e} resulted in a "
                    f"negative output size, which is invalid. Check dimension {d} of your input."
                )
        return apply(ConstantPadNdBackward0, input, pads=tuple(pairs), value=v)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    # the other modes pad the last 1, 2 or 3 dims of a batched or unbatched input, nothing else
    if not 1 <= n_padded <= 3 or input.dim() not in (n_padded + 1, n_padded + 2):
        raise NotImplementedError(
            f"Padding size {2 * n_padded} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    return _index_pad(input, pairs, n_padded, mode)
