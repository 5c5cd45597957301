"""Pooling: max and average over sliding windows, and the adaptive variants.

Windows are visited by a loop over the kernel offsets only (kh*kw strided slices of the padded
input, each a whole-array op), never over pixels. The gradients are the adjoint loops.
"""

from __future__ import annotations

import math

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, attach
from .kernels import kernel

_make = Tensor._make


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * 2
    if len(v) != 2:
        raise RuntimeError(f"max_pool2d: {name} must either be a single int, or a tuple of two ints")
    return v


def _out_size(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:  # the last window must start inside the input or left pad
        out -= 1
    return out


class _Pool:
    """Geometry of one 2-D pooling: windows (kh, kw) at stride, padding and dilation."""

    __slots__ = ("k", "s", "p", "d", "out", "in_hw")

    def __init__(self, k, s, p, d, out, in_hw):
        self.k, self.s, self.p, self.d, self.out, self.in_hw = k, s, p, d, out, in_hw

    def padded(self, xp, x, fill):
        """``x`` padded on every side by ``p`` (plus on the right what ceil_mode windows need)."""
        (h, w), (ph, pw) = self.in_hw, self.p
        need_h = (self.out[0] - 1) * self.s[0] + self.d[0] * (self.k[0] - 1) + 1
        need_w = (self.out[1] - 1) * self.s[1] + self.d[1] * (self.k[1] - 1) + 1
        hh, ww = max(need_h, h + 2 * ph), max(need_w, w + 2 * pw)
        if hh == h and ww == w:
            return x
        out = xp.full(x.shape[:2] + (hh, ww), fill, dtype=x.dtype)
        out[:, :, ph : ph + h, pw : pw + w] = x
        return out

    def window(self, i, j):
        """The strided slice picking, for every output pixel, the (i, j) offset of its window."""
        (sh, sw), (dh, dw), (oh, ow) = self.s, self.d, self.out
        hi, wj = i * dh, j * dw
        return (
            slice(None),
            slice(None),
            slice(hi, hi + sh * (oh - 1) + 1, sh),
            slice(wj, wj + sw * (ow - 1) + 1, sw),
        )

    def crop(self, g):
        (h, w), (ph, pw) = self.in_hw, self.p
        return g[:, :, ph : ph + h, pw : pw + w]

    def offsets(self):
        return [(i, j) for i in range(self.k[0]) for j in range(self.k[1])]

    def disjoint(self):
        """Whether no two windows overlap (stride at least the dilated kernel, on both axes)."""
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
        windows = [xpad[geo.window(i, j)] for i, j in geo.offsets()]
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
        self.arg = arg
        self.pshape = xpad.shape
        return best

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
        """PyTorch's ``return_indices``: argmax positions as flat indices into each (H, W) plane."""
        geo = self.geo
        kw = geo.k[1]
        arg = xp.astype(self.argmax(xp), xp.int64)
        ki = arg // kw
        kj = arg % kw
        oh, ow = geo.out
        rows = xp.reshape(xp.arange(oh) * geo.s[0] - geo.p[0], (oh, 1)) + ki * geo.d[0]
        cols = xp.reshape(xp.arange(ow) * geo.s[1] - geo.p[1], (1, ow)) + kj * geo.d[1]
        return rows * geo.in_hw[1] + cols


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
            for k, (i, j) in enumerate(geo.offsets()):
                out[geo.window(i, j)] = select(self.arg == k, gd)
            return geo.crop(out)
        out = xp.zeros(shape, dtype=gd.dtype)
        for k, (i, j) in enumerate(geo.offsets()):
            out[geo.window(i, j)] += select(self.arg == k, gd)
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
            and 2 * geo.out[0] <= geo.in_hw[0] and 2 * geo.out[1] <= geo.in_hw[1])


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
        h, w = self.geo.in_hw
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
        for k, (i, j) in enumerate(geo.offsets()):
            out = xp.where(self.arg == k, hpad[geo.window(i, j)], out)
        self.pshape = hpad.shape
        return out

    def backward(self, g):
        return apply(MaxPool2DScatter, g, geo=self.geo, arg=self.arg, pshape=self.pshape)


def _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, name, nd=2):
    if (
        input.dim() not in (nd + 1, nd + 2)
        or input.numel() == 0
        and input.dim() == nd + 2
        and input.shape[0] == 0
    ):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _pair(stride, "stride")
    p = _pair(padding, "padding")
    d = _pair(dilation, "dilation")
    for pi, ki, di in zip(p, k, d):
        if pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pi}, "
                f"kernel_size={ki} and dilation={di}"
            )
    h, w = input.shape[-2], input.shape[-1]
    out = (_out_size(h, k[0], s[0], p[0], d[0], ceil_mode), _out_size(w, k[1], s[1], p[1], d[1], ceil_mode))
    if out[0] <= 0 or out[1] <= 0:
        c = input.shape[-3]
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
            "Output size is too small"
        )
    return _Pool(k, s, p, d, out, (h, w))


def _batched(input, nd=2):
    return (input, True) if input.dim() == nd + 2 else (input.unsqueeze(0), False)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (kh, kw) windows of (N, C, H, W) or (C, H, W) input; NaN propagates.

    >>> import lanterna as torch
    >>> torch.max_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    geo = _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    x, batched = _batched(input)
    node = MaxPool2DWithIndicesBackward0.__new__(MaxPool2DWithIndicesBackward0)
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


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling over the last dim of (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError("max_pool1d() Expected 2D or 3D input tensor, but got " + str(list(input.shape)))
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
def _avg_divisor(xp, geo, count_include_pad, divisor_override, dtype):
    if divisor_override:
        return divisor_override
    factors = []
    for axis in (0, 1):
        o = xp.arange(geo.out[axis])
        start = o * geo.s[axis] - geo.p[axis]
        n = geo.in_hw[axis]
        end = xp.minimum(start + geo.k[axis], n + geo.p[axis])
        size = end - start
        if not count_include_pad:
            size = xp.minimum(end, n) - xp.maximum(start, 0)
        factors.append(size)
    return xp.astype(xp.reshape(factors[0], (-1, 1)) * xp.reshape(factors[1], (1, -1)), dtype)


class AvgPool2DBackward0(Node):
    def forward(self, a):
        xp = a._backend.xp
        geo = self.geo
        xpad = geo.padded(xp, a._data, 0)
        out = None
        for i, j in geo.offsets():
            v = xpad[geo.window(i, j)]
            out = xp.asarray(v, copy=True) if out is None else out + v
        self.pshape = xpad.shape
        self.div = _avg_divisor(xp, geo, self.count_include_pad, self.divisor_override, a._data.dtype)
        return out / self.div

    def backward(self, grad):
        return apply(AvgPool2DScatter, grad, geo=self.geo, div=self.div, pshape=self.pshape)


class AvgPool2DScatter(Node):
    def forward(self, g):
        xp = g._backend.xp
        geo = self.geo
        gd = g._data / self.div
        out = xp.zeros(gd.shape[:2] + self.pshape[2:], dtype=gd.dtype)
        for i, j in geo.offsets():
            out[geo.window(i, j)] += gd
        return geo.crop(out)

    def backward(self, h):
        return apply(AvgPool2DGather, h, geo=self.geo, div=self.div)


class AvgPool2DGather(Node):
    def forward(self, h):
        xp = h._backend.xp
        geo = self.geo
        hpad = geo.padded(xp, h._data, 0)
        out = None
        for i, j in geo.offsets():
            v = hpad[geo.window(i, j)]
            out = xp.asarray(v, copy=True) if out is None else out + v
        self.pshape = hpad.shape
        return out / self.div

    def backward(self, g):
        return apply(AvgPool2DScatter, g, geo=self.geo, div=self.div, pshape=self.pshape)


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Mean over (kh, kw) windows of (N, C, H, W) or (C, H, W) input."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geo = _pool_geometry(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    x, batched = _batched(input)
    out = apply(
        AvgPool2DBackward0, x, geo=geo, count_include_pad=count_include_pad, divisor_override=divisor_override
    )
    return out if batched else out.squeeze(0)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean pooling over the last dim of (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError("avg_pool1d() Expected 2D or 3D input tensor, but got " + str(list(input.shape)))
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
    h, w = input.shape[-2], input.shape[-1]
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    if h % oh == 0 and w % ow == 0:
        lead = tuple(input.shape[:-2])
        return input.reshape(*lead, oh, h // oh, ow, w // ow).mean((-3, -1))
    rows = _avg_matrix(input, h, oh)
    cols = _avg_matrix(input, w, ow)
    return rows.matmul(input).matmul(cols.t())


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of the last dim to ``output_size``."""
    o = output_size if isinstance(output_size, int) else output_size[0]
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


def _adaptive_max_indices(x, oh, ow):
    """Flat (H*W) argmax indices of every adaptive window, computed on arrays (no gradient)."""
    xp = x._backend.xp
    a = x._data
    n, c, h, w = a.shape
    idx = xp.zeros((n, c, oh, ow), dtype=x._backend.dtype(D.int64))
    for i, (h0, h1) in enumerate(_ranges(h, oh)):
        for j, (w0, w1) in enumerate(_ranges(w, ow)):
            region = xp.reshape(a[:, :, h0:h1, w0:w1], (n, c, -1))
            if x.dtype.is_floating_point:  # NaN wins, as in PyTorch
                region = xp.where(region != region, xp.inf, region)
            k = xp.argmax(region, axis=-1)
            idx[:, :, i, j] = (h0 + k // (w1 - w0)) * w + (w0 + k % (w1 - w0))
    return _make(idx, x._backend, x._device)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output (OH, OW); the gradient goes to each window's argmax."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    x, batched = _batched(input)
    oh, ow = _adaptive_sizes(x, output_size, 2)
    idx = _adaptive_max_indices(x, oh, ow)
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
