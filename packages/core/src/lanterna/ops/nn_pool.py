"""Pooling: max and average over sliding windows, and the adaptive variants, in 1-D, 2-D and 3-D.

Windows are visited by a loop over the kernel offsets only (kh*kw, or kd*kh*kw, strided slices of the
padded input, each a whole-array op), never over pixels. The gradients are the adjoint loops.
"""

from __future__ import annotations

import itertools
import math

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, attach, check_same_device
from .kernels import kernel
from .reduce import legacy_scalar_name

_make = Tensor._make
_ALL = slice(None)


def _out_size(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:  # the last window must start inside the input or left pad
        out -= 1
    return out


class _Pool:
    """Geometry of one pooling over the last 2 (or 3) dims: windows ``k`` at stride ``s``, padding
    ``p`` and dilation ``d``; ``out`` and ``in_size`` are the output and input sizes of those dims."""

    __slots__ = ("k", "s", "p", "d", "out", "in_size")

    def __init__(self, k, s, p, d, out, in_size):
        self.k, self.s, self.p, self.d, self.out, self.in_size = k, s, p, d, out, in_size

    def padded(self, xp, x, fill):
        """``x`` padded on every side by ``p`` (plus on the right what ceil_mode windows need)."""
        size = tuple(
            max((o - 1) * s + d * (k - 1) + 1, n + 2 * p)
            for o, s, d, k, n, p in zip(self.out, self.s, self.d, self.k, self.in_size, self.p)
        )
        if size == tuple(self.in_size):
            return x
        out = xp.full(x.shape[:2] + size, fill, dtype=x.dtype)
        out[self._inner()] = x
        return out

    def _inner(self):
        return (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(self.p, self.in_size))

    def window(self, offset):
        """The strided slice picking, for every output pixel, the ``offset`` (i, j) or (i, j, l) of
        its window."""
        if len(offset) == 2:  # (spelt out: this runs kh*kw times per pooling)
            (i, j), (sh, sw), (dh, dw), (oh, ow) = offset, self.s, self.d, self.out
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            return _ALL, _ALL, rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
        return (_ALL, _ALL) + tuple(
            slice(i * d, i * d + s * (o - 1) + 1, s) for i, s, d, o in zip(offset, self.s, self.d, self.out)
        )

    def crop(self, g):
        return g[self._inner()]

    def offsets(self):
        return list(itertools.product(*(range(k) for k in self.k)))

    def disjoint(self):
        """Whether no two windows overlap (stride at least the dilated kernel, on every axis)."""
        return all(s >= d * (k - 1) + 1 for s, d, k in zip(self.s, self.d, self.k))


# ---- max pooling ----------------------------------------------------------------------------
class MaxPool2DWithIndicesBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        x = a._data
        geo = self.geo
        floating = a.dtype.is_floating_point
        if _is_2x2(geo):
            best, (self.right_top, self.right_bottom, self.lower) = _max_2x2(xp, x, geo.out, floating)
            return best
        fill = -xp.inf if floating else xp.iinfo(x.dtype).min
        xpad = geo.padded(xp, x, fill)
        windows = [xpad[geo.window(off)] for off in geo.offsets()]
        best = windows[0]
        for v in windows[1:]:
            best = xp.maximum(best, v)  # branch free, and NaN propagates as in PyTorch
        if len(windows) == 1:
            best = xp.asarray(best, copy=True)
        n = len(windows)
        itype = xp.int8 if n < 128 else xp.int16 if n < 32000 else xp.int32
        if floating and math.prod(best.shape) and bool(xp.isnan(xp.max(best))):  # max propagates NaN
            arg = self._nan_argmax(xp, windows, itype)
        else:
            # the first offset holding the maximum = how many leading offsets miss it
            miss = windows[0] != best
            arg = xp.astype(miss, itype)
            for v in windows[1:-1]:
                miss &= v != best
                arg += xp.astype(miss, itype)
        if xpad is not x and math.prod(best.shape):
            arg = self._unpadded_ties(xp, x, geo, windows, best, arg, fill)
        self.arg = arg
        self.pshape = xpad.shape
        return best

    @staticmethod
    def _unpadded_ties(xp, x, geo, windows, best, arg, fill):
        """A window whose max equals the padding's fill (all -inf, say) must still point at an input
        element: PyTorch takes the first in-bounds one, never the padding (whose grad is lost)."""
        tie = best == fill
        if not bool(xp.any(tie)):
            return arg
        valid = geo.padded(xp, xp.ones((1, 1) + tuple(x.shape[2:]), dtype=bool), False)
        first = arg
        offsets = geo.offsets()
        for k in reversed(range(len(windows))):
            hit = valid[geo.window(offsets[k])] & (windows[k] == best)
            first = xp.where(hit, xp.asarray(k, dtype=arg.dtype), first)
        return xp.where(tie, first, arg)

    @staticmethod
    def _nan_argmax(xp, windows, itype):
        """PyTorch's rule with NaNs: a NaN always wins, so the last NaN of a window is taken."""
        best = windows[0]
        arg = xp.zeros(best.shape, dtype=itype)
        for k, v in enumerate(windows[1:], 1):
            better = (v > best) | (v != v)
            best = xp.where(better, v, best)
            arg = xp.where(better, k, arg)
        return arg

    def backward(self, grad):
        if _is_2x2(self.geo):
            wins = (self.right_top, self.right_bottom, self.lower)
            return apply(MaxPool2x2Scatter, grad, geo=self.geo, wins=wins)
        return apply(MaxPool2DScatter, grad, geo=self.geo, arg=self.arg, pshape=self.pshape)

    def argmax(self, xp):
        """Each window's argmax, as its offset ``i * kw + j``."""
        if _is_2x2(self.geo):
            return _argmax_2x2(xp, (self.right_top, self.right_bottom, self.lower))
        return self.arg

    def flat_indices(self, xp):
        """PyTorch's ``return_indices``: argmax positions as flat indices into each (H, W) plane,
        or (D, H, W) volume."""
        geo = self.geo
        arg = xp.astype(self.argmax(xp), xp.int64)
        flat = 0
        nd = len(geo.k)
        for axis in reversed(range(nd)):  # the offset along each axis, last axis first
            k = geo.k[axis]
            off = arg % k
            arg = arg // k
            o = geo.out[axis]
            start = xp.reshape(xp.arange(o) * geo.s[axis] - geo.p[axis], (o,) + (1,) * (nd - 1 - axis))
            flat = flat + (start + off * geo.d[axis]) * math.prod(geo.in_size[axis + 1:])
        return flat


class MaxPool2DScatter(Node):
    """Gradient of max pooling: each output's grad goes to its argmax (a linear map of the grad)."""

    def forward(self, g):
        xp = g._backend.xp
        geo = self.geo
        gd = g._data
        shape = gd.shape[:2] + self.pshape[2:]
        select = kernel(g._backend, "select_or_zero")
        if geo.disjoint():
            # every input pixel is in at most one window: write each offset's share, no sums;
            # windows that tile the whole input leave nothing to zero first
            tiled = all(d == 1 and s == k and o * s == n
                        for o, s, k, d, n in zip(geo.out, geo.s, geo.k, geo.d, shape[2:]))
            out = xp.empty(shape, dtype=gd.dtype) if tiled else xp.zeros(shape, dtype=gd.dtype)
            for k, off in enumerate(geo.offsets()):
                out[geo.window(off)] = select(self.arg == k, gd)
            return geo.crop(out)
        out = xp.zeros(shape, dtype=gd.dtype)
        for k, off in enumerate(geo.offsets()):
            out[geo.window(off)] += select(self.arg == k, gd)
        return geo.crop(out)

    def backward(self, h):
        return apply(MaxPool2DGather, h, geo=self.geo, arg=self.arg)


# ---- 2x2 windows at stride 2 -----------------------------------------------------------------
# The commonest pooling has its own forward. Its four window offsets are views with a stride of two
# numbers, on which NumPy's ops run element by element in short inner loops; copied into contiguous
# arrays first, the comparisons run vectorised (1.5 to 2x faster). The argmax is kept as three "the
# second one wins" masks: right over left in each window's top row and in its bottom row, bottom row
# over top row. The second one wins only where strictly greater, so that the first maximum in
# row-major order is picked (PyTorch's choice), or, with NaNs, the last NaN. The backward writes each
# offset's share once, like the general one for windows that do not overlap.
def _is_2x2(geo):
    return (geo.k == (2, 2) and geo.s == (2, 2) and geo.p == (0, 0) and geo.d == (1, 1)
            and 2 * geo.out[0] <= geo.in_size[0] and 2 * geo.out[1] <= geo.in_size[1])


def _offset(i, j, out):
    """Index of the (i, j) offset of every 2x2 window (rows and columns past the last window
    are left out)."""
    oh, ow = out
    return (slice(None), slice(None), slice(i, 2 * oh, 2), slice(j, 2 * ow, 2))


def _max_2x2(xp, x, out, floating):
    """The max of each window and the three masks (right_top, right_bottom, lower) of its argmax."""
    a, b, c, d = (xp.asarray(x[_offset(i, j, out)], copy=True) for i in (0, 1) for j in (0, 1))
    top, bottom = xp.maximum(a, b), xp.maximum(c, d)  # NaN propagates, as in PyTorch
    best = xp.maximum(top, bottom)
    if floating and math.prod(best.shape) and bool(xp.isnan(xp.max(best))):
        def wins(u, v):  # PyTorch's rule with NaNs: a NaN always wins, so the last one is taken
            return (v > u) | xp.isnan(v)
    else:
        def wins(u, v):
            return v > u
    return best, (wins(a, b), wins(c, d), wins(top, bottom))


def _argmax_2x2(xp, wins):
    """The masks as window offsets 0 to 3 (for ``return_indices`` and double backward)."""
    right_top, right_bottom, lower = wins
    right = xp.where(lower, right_bottom, right_top)
    return xp.astype(lower, xp.int8) * 2 + xp.astype(right, xp.int8)


class MaxPool2x2Scatter(Node):
    """Gradient of 2x2 max pooling: each output's grad goes to its window's argmax."""

    def forward(self, g):
        xp = g._backend.xp
        select = kernel(g._backend, "select_or_zero")
        right_top, right_bottom, lower = self.wins
        gd = g._data
        h, w = self.geo.in_size
        out = self.geo.out
        tiled = (2 * out[0], 2 * out[1]) == (h, w)  # else the rows and columns past the windows stay 0
        gx = (xp.empty if tiled else xp.zeros)(gd.shape[:2] + (h, w), dtype=gd.dtype)
        upper = xp.logical_not(lower)
        for i, row, right in ((0, upper, right_top), (1, lower, right_bottom)):
            gx[_offset(i, 0, out)] = select(row & xp.logical_not(right), gd)
            gx[_offset(i, 1, out)] = select(row & right, gd)
        return gx

    def backward(self, h):
        return apply(MaxPool2DGather, h, geo=self.geo, arg=_argmax_2x2(h._backend.xp, self.wins))


class MaxPool2DGather(Node):
    """Adjoint of ``MaxPool2DScatter``: read the grad at each window's argmax."""

    def forward(self, h):
        xp = h._backend.xp
        geo = self.geo
        hpad = geo.padded(xp, h._data, 0)
        out = xp.zeros(self.arg.shape, dtype=h._data.dtype)
        for k, off in enumerate(geo.offsets()):
            out = xp.where(self.arg == k, hpad[geo.window(off)], out)
        self.pshape = hpad.shape
        return out

    def backward(self, g):
        return apply(MaxPool2DScatter, g, geo=self.geo, arg=self.arg, pshape=self.pshape)


_WORDS = {2: "two", 3: "three"}
_AXES = {2: "HW", 3: "THW"}


def _ints(v, nd, name, what):
    """``kernel_size``, ``stride``, ``padding`` or ``dilation`` as ``nd`` ints (PyTorch's messages)."""
    if isinstance(v, int):
        return (v,) * nd
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        either = "" if name == "avg_pool3d" else "either "
        rule = {"kernel_size": f"{either}be a single int", "stride": f"{either}be omitted, a single int",
                "padding": f"{either}be a single int", "dilation": "be either a single int"}[what]
        raise RuntimeError(f"{name}: {what} must {rule}, or a tuple of {_WORDS[nd]} ints")
    return v


def _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, name, nd=2):
    """The windows of ``name`` (max_pool2d, avg_pool2d, max_pool3d or avg_pool3d), with PyTorch's
    checks, in its order."""
    k = _ints(kernel_size, nd, name, "kernel_size")
    empty = stride is None or (not isinstance(stride, int) and len(stride) == 0)
    s = k if empty else _ints(stride, nd, name, "stride")
    p = _ints(padding, nd, name, "padding")
    d = _ints(dilation, nd, name, "dilation")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    shape = tuple(input.shape)
    size = shape[-nd:]
    out = []
    bad = False  # anything for _shape_error to name
    for n, ki, si, pi, di in zip(size, k, s, p, d):
        if si == 0:
            raise RuntimeError("stride should not be zero")
        if pi < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pi}")
        if pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pi}, "
                f"kernel_size={ki} and dilation={di}"
            )
        o = _out_size(n, ki, si, pi, di, ceil_mode)
        out.append(o)
        bad = bad or ki <= 0 or si < 0 or di <= 0 or ki // 2 < pi or o <= 0 or n < ki
    if bad or 0 in shape[-nd - 1:]:
        _shape_error(shape, k, s, p, d, out, name, nd)
    return _Pool(k, s, p, d, tuple(out), size)


def _shape_error(shape, k, s, p, d, out, name, nd):
    """PyTorch's pool2d/pool3d_shape_check, in its order: raises what is wrong, if anything."""
    axes = _AXES[nd]
    size = shape[-nd:]
    for values, rule, label in ((k, "kernel size", "k"), (s, "stride", "d"), (d, "dilation", "dilation")):
        if min(values) <= 0:
            got = " ".join(f"{label}{a}: {v}" for a, v in zip(axes, values))
            raise RuntimeError(f"{rule} should be greater than zero, but got {got}")
    if nd == 2:
        if 0 in shape[-3:]:
            raise RuntimeError(
                "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                f"got:{list(shape)}"
            )
    else:
        for n in shape[-4:]:
            if n == 0:
                fn = "max_pool3d_with_indices_out_cpu_template" if name == "max_pool3d" else name
                raise RuntimeError(
                    f"{fn}(): Expected input's non-batch dimensions to have positive length, but input has a "
                    f"shape of {list(shape)} and non-batch dimension {n} has length zero!"
                )
        if name == "avg_pool3d" and any(n < ki for n, ki in zip(size, k)):
            raise RuntimeError(
                f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller than kernel size "
                f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})"
            )
    if any(ki // 2 < pi for ki, pi in zip(k, p)):
        if nd == 2:
            got = f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}"
        else:
            got = f"kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} padH: {p[1]}"
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got {got}")
    if min(out) <= 0:
        c = shape[-nd - 1]
        raise RuntimeError(
            f"Given input size: ({'x'.join(map(str, (c,) + size))}). Calculated output size: "
            f"({'x'.join(map(str, [c] + out))}). Output size is too small"
        )


def _batched(input, nd=2):
    return (input, True) if input.dim() == nd + 2 else (input.unsqueeze(0), False)


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, node_cls):
    name = f"max_pool{nd}d"
    geo = _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, name, nd)
    x, batched = _batched(input, nd)
    node = node_cls.__new__(node_cls)
    node.geo = geo
    out = _make(node.forward(x), x._backend, x._device)
    if GRAD_ENABLED[0] and x._requires_grad:
        attach(node, (x,), out)
    if not batched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    xp = x._backend.xp
    idx = _make(xp.astype(node.flat_indices(xp), x._backend.dtype(D.int64)), x._backend, x._device)
    return out, (idx if batched else idx.squeeze(0))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (kh, kw) windows of (N, C, H, W) or (C, H, W) input; NaN propagates.

    >>> import lanterna as torch
    >>> torch.max_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2,
                     MaxPool2DWithIndicesBackward0)


class MaxPool3DWithIndicesBackward0(MaxPool2DWithIndicesBackward0):
    """3-D max pooling: the same loops over kd*kh*kw window offsets."""


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (kd, kh, kw) windows of (N, C, D, H, W) or (C, D, H, W) input; NaN propagates.

    >>> import lanterna as torch
    >>> torch.max_pool3d(torch.arange(8.).reshape(1, 1, 2, 2, 2), 2)
    tensor([[[[[7.]]]]])
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3,
                     MaxPool3DWithIndicesBackward0)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling over the last dim of (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    if not return_indices and not (input.dtype.is_floating_point or input.dtype.is_complex):
        # without indices PyTorch runs its floating-only kernel (integers cannot require grad)
        raise _not_implemented("max_pool1d_impl", input)
    one = lambda v: (1, v) if isinstance(v, int) else (1,) + tuple(v)  # noqa: E731
    r = max_pool2d(
        input.unsqueeze(-2),
        one(kernel_size),
        None if stride is None else one(stride),
        (0, padding) if isinstance(padding, int) else (0,) + tuple(padding),
        one(dilation),
        ceil_mode,
        return_indices,
    )
    if return_indices:
        return r[0].squeeze(-2), r[1].squeeze(-2)
    return r.squeeze(-2)


# ---- average pooling ------------------------------------------------------------------------
def _not_implemented(kernel_name, input):
    """PyTorch's error for a CPU kernel that has no version for the input's dtype."""
    return NotImplementedError(f"\"{kernel_name}\" not implemented for '{legacy_scalar_name(input.dtype)}'")


def _avg_divisor(xp, geo, count_include_pad, divisor_override, dtype):
    if divisor_override:
        return divisor_override
    nd = len(geo.k)
    div = None
    for axis in range(nd):
        o = xp.arange(geo.out[axis])
        start = o * geo.s[axis] - geo.p[axis]
        n = geo.in_size[axis]
        end = xp.minimum(start + geo.k[axis], n + geo.p[axis])
        size = end - start
        if not count_include_pad:
            size = xp.minimum(end, n) - xp.maximum(start, 0)
        size = xp.reshape(size, (-1,) + (1,) * (nd - 1 - axis))  # broadcast along ``axis``
        div = size if div is None else div * size
    return xp.astype(div, dtype)


class AvgPool2DBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        geo = self.geo
        xpad = geo.padded(xp, a._data, 0)
        out = None
        for off in geo.offsets():
            v = xpad[geo.window(off)]
            out = xp.asarray(v, copy=True) if out is None else out + v
        self.pshape = xpad.shape
        self.div = _avg_divisor(xp, geo, self.count_include_pad, self.divisor_override, a._data.dtype)
        if not a.dtype.is_floating_point:  # int64: PyTorch divides in C++ integers, rounding toward 0
            q = out // self.div
            return xp.where((q < 0) & (q * self.div != out), q + 1, q)
        return out / self.div

    def backward(self, grad):
        return apply(AvgPool2DScatter, grad, geo=self.geo, div=self.div, pshape=self.pshape)


class AvgPool2DScatter(Node):
    def forward(self, g):
        xp = g._backend.xp
        geo = self.geo
        gd = g._data / self.div
        out = xp.zeros(gd.shape[:2] + self.pshape[2:], dtype=gd.dtype)
        for off in geo.offsets():
            out[geo.window(off)] += gd
        return geo.crop(out)

    def backward(self, h):
        return apply(AvgPool2DGather, h, geo=self.geo, div=self.div)


class AvgPool2DGather(Node):
    def forward(self, h):
        xp = h._backend.xp
        geo = self.geo
        hpad = geo.padded(xp, h._data, 0)
        out = None
        for off in geo.offsets():
            v = hpad[geo.window(off)]
            out = xp.asarray(v, copy=True) if out is None else out + v
        self.pshape = hpad.shape
        return out / self.div

    def backward(self, g):
        return apply(AvgPool2DScatter, g, geo=self.geo, div=self.div, pshape=self.pshape)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd,
              node_cls):
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geo = _pool_geometry(input, kernel_size, stride, padding, 1, ceil_mode, f"avg_pool{nd}d", nd)
    # PyTorch's CPU kernels: of the integers only int64, and no float16 in 3-D
    dt = input.dtype
    if dt is not D.int64 and not dt.is_floating_point or (nd == 3 and dt is D.float16):
        raise _not_implemented("avg_pool2d" if nd == 2 else "avg_pool3d_out_frame", input)
    x, batched = _batched(input, nd)
    out = apply(node_cls, x, geo=geo, count_include_pad=count_include_pad, divisor_override=divisor_override)
    return out if batched else out.squeeze(0)


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Mean over (kh, kw) windows of (N, C, H, W) or (C, H, W) input."""
    if input.dim() < 3:  # PyTorch reads the channel count input.size(-3) first
        n = input.dim() or 1
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got -3)")
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                     AvgPool2DBackward0)


class AvgPool3DBackward0(AvgPool2DBackward0):
    """3-D average pooling: the same loops over kd*kh*kw window offsets."""


def avg_pool3d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Mean over (kd, kh, kw) windows of (N, C, D, H, W) or (C, D, H, W) input.

    >>> import lanterna as torch
    >>> torch.nn.functional.avg_pool3d(torch.arange(8.).reshape(1, 1, 2, 2, 2), 2)
    tensor([[[[[3.5000]]]]])
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                     AvgPool3DBackward0)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean pooling over the last dim of (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for avg_pool1d)")
    one = lambda v: (1, v) if isinstance(v, int) else (1,) + tuple(v)  # noqa: E731
    out = avg_pool2d(
        input.unsqueeze(-2),
        one(kernel_size),
        None if stride is None else one(stride),
        (0, padding) if isinstance(padding, int) else (0,) + tuple(padding),
        ceil_mode,
        count_include_pad,
    )
    return out.squeeze(-2)


# ---- adaptive pooling -----------------------------------------------------------------------
def _adaptive_sizes(input, output_size, nd):
    if isinstance(output_size, int):
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise ValueError(f"adaptive pool: output_size must be {nd} ints")
    return tuple(input.shape[-nd + i] if s is None else int(s) for i, s in enumerate(output_size))


def _ranges(n, o):
    return [(math.floor(i * n / o), math.ceil((i + 1) * n / o)) for i in range(o)]


def _avg_matrix(like, n, o):
    """(o, n) matrix averaging each adaptive window."""
    xp = like._backend.xp
    m = xp.zeros((o, n), dtype=like._data.dtype)
    for i, (a, b) in enumerate(_ranges(n, o)):
        m[i, a:b] = 1.0 / (b - a)
    return _make(m, like._backend, like._device)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output (OH, OW); windows as in PyTorch (floor/ceil bounds)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    oh, ow = _adaptive_sizes(input, output_size, 2)
    if min(oh, ow) < 0:
        raise RuntimeError(
            f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received "
            f"{{{oh}, {ow}}}"
        )
    for dim in range(input.dim() - 3, input.dim()):
        if input.shape[dim] == 0:
            raise RuntimeError(
                f"adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {dim} being empty"
            )
    if not input.dtype.is_floating_point:
        raise _not_implemented("adaptive_avg_pool2d", input)
    h, w = input.shape[-2], input.shape[-1]
    if oh == 0 or ow == 0:
        return _empty_pooled(input, 2, (oh, ow))
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    if h % oh == 0 and w % ow == 0:
        lead = tuple(input.shape[:-2])
        return input.reshape(*lead, oh, h // oh, ow, w // ow).mean((-3, -1))
    rows = _avg_matrix(input, h, oh)
    cols = _avg_matrix(input, w, ow)
    return rows.matmul(input).matmul(cols.t())


def _empty_pooled(input, nd, sizes):
    """An empty pooling result that still belongs to the graph (PyTorch's requires grad)."""
    lead = tuple(input.shape[:-nd])
    dims = tuple(range(-nd, 0))
    return input.sum(dims, keepdim=True).expand(*lead, *sizes) * 0


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of the last dim to ``output_size``."""
    o = output_size if isinstance(output_size, int) else output_size[0]
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


def _adaptive_max_indices(x, sizes):
    """Flat (H*W, or D*H*W) argmax indices of every adaptive window, computed on arrays (no
    gradient). The loop runs over the output cells."""
    xp = x._backend.xp
    a = x._data
    n, c = a.shape[:2]
    spatial = a.shape[2:]
    idx = xp.zeros((n, c) + tuple(sizes), dtype=x._backend.dtype(D.int64))
    ranges = [_ranges(size, o) for size, o in zip(spatial, sizes)]
    for cell in itertools.product(*(range(o) for o in sizes)):
        bounds = [r[i] for r, i in zip(ranges, cell)]
        window = (slice(None), slice(None)) + tuple(slice(lo, hi) for lo, hi in bounds)
        region = xp.reshape(a[window], (n, c, -1))
        if x.dtype.is_floating_point:  # NaN wins, as in PyTorch
            region = xp.where(region != region, xp.inf, region)
        k = xp.argmax(region, axis=-1)
        flat = 0
        for axis in reversed(range(len(bounds))):  # unravel k over the window, ravel over the input
            lo, hi = bounds[axis]
            flat = flat + (lo + k % (hi - lo)) * math.prod(spatial[axis + 1:])
            k = k // (hi - lo)
        idx[(slice(None), slice(None)) + cell] = flat
    return _make(idx, x._backend, x._device)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output (OH, OW); the gradient goes to each window's argmax."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    if not input.dtype.is_floating_point:
        raise _not_implemented("adaptive_max_pool2d", input)
    x, batched = _batched(input)
    oh, ow = _adaptive_sizes(x, output_size, 2)
    idx = _adaptive_max_indices(x, (oh, ow))
    n, c = x.shape[0], x.shape[1]
    out = x.reshape(n, c, -1).gather(2, idx.reshape(n, c, -1)).reshape(n, c, oh, ow)
    if not batched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of the last dim to ``output_size``."""
    o = output_size if isinstance(output_size, int) else output_size[0]
    r = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), return_indices)
    return (r[0].squeeze(-2), r[1].squeeze(-2)) if return_indices else r.squeeze(-2)


def max_unpool2d(input, indices, output_size):
    """Place each value at its flat index in a zero (N, C, H, W) output (inverse of max pooling)."""
    lead = tuple(input.shape[:-2])
    h, w = output_size[-2], output_size[-1]
    flat = input.reshape(*lead, -1)
    zeros = input.new_zeros(lead + (h * w,))
    return zeros.scatter(-1 + flat.dim(), indices.reshape(*lead, -1), flat).reshape(*lead, h, w)


def _adaptive_sizes3(input, output_size, name):
    """The (OD, OH, OW) of a 3-D adaptive pooling (None: the input's size), with PyTorch's checks."""
    if isinstance(output_size, int):
        sizes = (output_size,) * 3
    else:
        output_size = tuple(output_size)
        if input.dim() <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        spatial = input.shape[-len(output_size):]
        sizes = tuple(n if o is None else int(o) for o, n in zip(output_size, spatial))
    if input.dim() not in (4, 5):
        sep = ": " if name == "adaptive_max_pool3d" else " "
        raise RuntimeError(f"{name}(): Expected 4D or 5D tensor, but got{sep}{list(input.shape)}")
    if len(sizes) != 3:
        raise RuntimeError(
            "adaptive_avg_pool3d: output_size must be 3" if name == "adaptive_avg_pool3d"
            else "adaptive_max_pool3d(): internal error: output_size.size() must be 3"
        )
    for dim in range(input.dim() - 4, input.dim()):
        if input.shape[dim] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                f"sizes {list(input.shape)} with dimension {dim} being empty"
            )
    if min(sizes) < 0 and name == "adaptive_avg_pool3d":
        raise RuntimeError(
            "adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but received "
            f"{{{sizes[0]}, {sizes[1]},{sizes[2]}}}"
        )
    return sizes


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) input to a fixed (OD, OH, OW): windows as in
    PyTorch (floor/ceil bounds), as a mean over blocks where the sizes divide, else one averaging
    matrix per axis.

    >>> import lanterna as torch
    >>> torch.nn.functional.adaptive_avg_pool3d(torch.ones(1, 2, 4, 5, 6), (2, 1, 3)).shape
    torch.Size([1, 2, 2, 1, 3])
    """
    sizes = _adaptive_sizes3(input, output_size, "adaptive_avg_pool3d")
    if not input.dtype.is_floating_point:
        raise _not_implemented("adaptive_avg_pool3d_cpu", input)
    spatial = tuple(input.shape[-3:])
    lead = tuple(input.shape[:-3])
    if 0 in sizes:
        return _empty_pooled(input, 3, sizes)
    if all(n % o == 0 for n, o in zip(spatial, sizes)):
        blocks = [v for n, o in zip(spatial, sizes) for v in (o, n // o)]
        return input.reshape(*lead, *blocks).mean((-5, -3, -1))
    out = input
    for axis, (n, o) in enumerate(zip(spatial, sizes)):
        if n != o:
            dim = axis - 3
            out = out.movedim(dim, -1).matmul(_avg_matrix(input, n, o).t()).movedim(-1, dim)
    return out


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) input to a fixed (OD, OH, OW); the gradient goes
    to each window's argmax."""
    sizes = _adaptive_sizes3(input, output_size, "adaptive_max_pool3d")
    x, batched = _batched(input, 3)
    n, c = x.shape[0], x.shape[1]
    if 0 in sizes or n == 0:
        out = _empty_pooled(x, 3, sizes)
        xp = x._backend.xp
        idx = _make(xp.zeros((n, c) + sizes, dtype=x._backend.dtype(D.int64)), x._backend, x._device)
    else:
        idx = _adaptive_max_indices(x, sizes)
        out = x.reshape(n, c, -1).gather(2, idx.reshape(n, c, -1)).reshape(n, c, *sizes)
    if not batched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def max_unpool(input, indices, size, name):
    """Place each value at its flat index in a zero (N, C, *size) output (inverse of max pooling);
    ``name`` (max_unpooling2d or max_unpooling3d) for the messages."""
    nd = len(size)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Input to {name} should be a {nd + 1}d or {nd + 2}d Tensor, but got a tensor with {input.dim()} "
            "dimensions."
        )
    if indices.dtype is not D.int64:
        raise RuntimeError("elements in indices should be type int64")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) but got "
            f"indices tensor with shape: {list(indices.shape)}"
        )
    total = math.prod(size)
    lead = tuple(input.shape[:-nd])
    flat_idx = indices.reshape(*lead, -1)
    if indices.numel():
        xp = indices._backend.xp
        data = flat_idx._data
        bad = xp.reshape((data < 0) | (data >= total), (-1,))
        if bool(xp.any(bad)):
            first = int(xp.reshape(data, (-1,))[int(xp.argmax(xp.astype(bad, xp.int8)))])
            raise RuntimeError(
                f"Found an invalid max index: {first} (output volumes are of size {'x'.join(map(str, size))})"
            )
    flat = input.reshape(*lead, -1)
    zeros = input.new_zeros(lead + (total,))
    return zeros.scatter(flat.dim() - 1, flat_idx, flat).reshape(*lead, *size)


# ---- fractional max pooling -----------------------------------------------------------------
# Graham's fractional max pooling: windows of a fixed size whose starts advance by a fractional
# step, pseudo-random per plane. The starts come from ``_random_samples`` (one number in [0, 1) per
# plane and axis) by PyTorch's ``generate_intervals``, in the input's dtype, so that the same samples
# give the same windows. The max is taken over the kernel's taps, each one gather of the whole output.
_FRACTIONAL_AXES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _fractional_starts(xp, samples, in_size, out_size, pool):
    """Window starts along one axis for every plane, (N, C, out_size) int64: for i < out - 1,
    ``int((i + u) * alpha) - int(u * alpha)`` with ``alpha = (in - pool) / (out - 1)``, all in the
    samples' dtype (as PyTorch computes them); the last window ends at the input's end."""
    n, c = samples.shape
    last = xp.full((n, c, min(out_size, 1)), in_size - pool, dtype=xp.int64)
    if out_size <= 1:
        return last
    dt = samples.dtype
    alpha = xp.asarray(in_size - pool, dtype=dt) / xp.asarray(out_size - 1, dtype=dt)
    u = samples[:, :, None]
    i = xp.arange(out_size - 1, dtype=dt)
    # (i + u) * alpha >= 0, so truncation (C++'s int cast) is the floor
    starts = xp.astype((i + u) * alpha, xp.int64) - xp.astype(u * alpha, xp.int64)
    return xp.concat([starts, last], axis=-1)


class FractionalMaxPool2DBackward0(Node):
    """Max over each fractional window; ``self.starts`` holds the windows' starts per axis."""

    def forward(self, a):
        xp = a._backend.xp
        x = a._data
        self.in_shape = x.shape
        if x.ndim == len(self.kernel) + 1:  # unbatched: pooled as a batch of one
            x = x[None]
        n, c = x.shape[:2]
        spatial = x.shape[2:]
        outs = tuple(s.shape[-1] for s in self.starts)
        flat_in = xp.reshape(x, (n, c, math.prod(spatial)))
        # each window's first element, as a flat index into its plane, (N, C, *out)
        base = 0
        for axis, s in enumerate(self.starts):
            along = tuple(o if i == axis else 1 for i, o in enumerate(outs))  # broadcast along ``axis``
            base = base + xp.reshape(s, (n, c) + along) * math.prod(spatial[axis + 1:])
        base = xp.broadcast_to(base, (n, c) + outs)
        best = xp.full((n, c) + outs, -xp.inf, dtype=x.dtype)
        arg = base
        if math.prod(best.shape):
            for offset in itertools.product(*(range(k) for k in self.kernel)):
                shift = sum(o * math.prod(spatial[axis + 1:]) for axis, o in enumerate(offset))
                idx = base + shift
                v = xp.take_along_axis(flat_in, xp.reshape(idx, (n, c, math.prod(outs))), axis=2)
                v = xp.reshape(v, best.shape)
                # PyTorch's rule: strictly greater wins (the first maximum), and a NaN always wins
                better = (v > best) | (v != v)
                best = xp.where(better, v, best)
                arg = xp.where(better, idx, arg)
        self.arg = xp.asarray(arg, copy=True)  # (N, C, *out), batched
        del self.starts
        return best if x is a._data else best[0]

    def backward(self, grad):
        # each output's grad goes to its argmax; overlapping windows may share one, so they add
        n, c = self.arg.shape[:2]
        length = math.prod(self.arg.shape[2:])
        idx = _make(grad._backend.xp.reshape(self.arg, (n, c, length)), grad._backend, grad._device)
        zeros = grad.new_zeros((n, c, math.prod(self.in_shape[-len(self.kernel):])))
        return zeros.scatter_add(2, idx, grad.reshape(n, c, length)).reshape(self.in_shape)


class FractionalMaxPool3DBackward0(FractionalMaxPool2DBackward0):
    """The 3-D pooling: the same loop over kt*kh*kw taps."""


def _fractional_ints(v, nd, fn, what, position):
    """``kernel_size`` or ``output_size`` as ``nd`` ints, with the messages of PyTorch's parser and
    checks (a single int is repeated; a sequence must have ``nd`` of them)."""
    if isinstance(v, bool) or not _is_int(v):
        if not isinstance(v, (tuple, list)):
            got = type(v).__name__
            raise TypeError(f"{fn}(): argument '{what}' (position {position}) must be tuple of ints, not "
                            f"{got}")
        for pos, e in enumerate(v, 1):
            if not _is_int(e):
                raise TypeError(
                    f"{fn}(): argument '{what}' failed to unpack the object at pos {pos} with error "
                    f"\"type must be tuple of ints,but got {type(e).__name__}\""
                )
        v = tuple(int(e) for e in v)
        if len(v) != nd:
            three = "" if nd == 2 else " three"
            raise RuntimeError(f"{fn}: {what} must either be a single Int or tuple of{three} Ints")
        return v
    return (int(v),) * nd


def _is_int(v):
    if isinstance(v, Tensor):
        return not v.dtype.is_floating_point and v.numel() == 1
    return hasattr(v, "__index__") and not isinstance(v, bool)


def fractional_max_pool(input, kernel_size, output_size, random_samples, nd):
    """``torch._C._nn.fractional_max_pool2d`` / ``3d``: max pooling of (N, C, *S) or (C, *S) input
    over ``kernel_size`` windows placed by ``random_samples`` (N, C, nd), to ``output_size``.
    Returns the output and the argmax as flat indices into each plane (int64)."""
    fn = f"fractional_max_pool{nd}d"
    where = fn + "()" if nd == 2 else "fractional_max_pool3d_out()"
    if not isinstance(random_samples, Tensor):
        got = type(random_samples).__name__
        raise TypeError(f"{fn}(): argument 'random_samples' (position 4) must be Tensor, not {got}")
    k = _fractional_ints(kernel_size, nd, fn, "kernel_size", 2)
    out = _fractional_ints(output_size, nd, fn, "output_size", 3)
    if random_samples._requires_grad and GRAD_ENABLED[0]:
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument 'random_samples'. "
            "This input cannot have requires_grad True."
        )
    dim = input.dim()
    if dim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where}: Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}")
    shape = tuple(input.shape)
    for i in range(1, dim):
        if shape[i] <= 0:
            raise RuntimeError(
                f"{where}: Expected input to have non-zero size for non-batch dimensions, but "
                f"got{list(shape)} with dimension {i} being empty."
            )
    spatial = shape[-nd:]
    for name, n, ki, o in zip(_FRACTIONAL_AXES[nd], spatial, k, out):
        # (the 3-D check is strict: PyTorch's 3-D pooling refuses windows that reach the input's end)
        if not (o + ki - 1 <= n if nd == 2 else o + ki - 1 < n):
            raise RuntimeError(f"{where}: pool {name} {ki} too large relative to input {name} {n}")
    if min(out) < 0:
        size = list(shape[:-nd] + out)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {size}")
    if random_samples.dtype is not input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if random_samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {random_samples.dim()}")
    batch = shape[0] if dim == nd + 2 else 1
    planes = shape[-nd - 1]
    rs = tuple(random_samples.shape)
    if rs[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if rs[1] != planes:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if rs[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {rs[2]}.")
    if not input.dtype.is_floating_point:
        raise _not_implemented(f"fractional_max_pool{nd}d_out_frame", input)
    check_same_device(input, random_samples, fn)
    xp = input._backend.xp
    u = random_samples._data[:batch]
    # the samples are listed (w, h) in 2-D but (t, h, w) in 3-D, as PyTorch reads them
    order = (1, 0) if nd == 2 else (0, 1, 2)
    starts = tuple(
        _fractional_starts(xp, u[:, :, order[axis]], spatial[axis], out[axis], k[axis]) for axis in range(nd)
    )
    cls = FractionalMaxPool2DBackward0 if nd == 2 else FractionalMaxPool3DBackward0
    node = cls.__new__(cls)  # (run by hand, as in ``_max_pool``: the indices are read off the node)
    node.starts, node.kernel = starts, k
    y = _make(node.forward(input), input._backend, input._device)
    if GRAD_ENABLED[0] and input._requires_grad:
        attach(node, (input,), y)
    idx = node.arg if dim == nd + 2 else node.arg[0]
    return y, _make(idx, input._backend, input._device)
