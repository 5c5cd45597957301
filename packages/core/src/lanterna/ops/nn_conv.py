"""Convolutions through im2col: one strided window view, one copy into a matrix, one GEMM per layer
(or, for layers with few output channels, the matrix block by block: see ``_streamed``).

Three bilinear maps close the family under differentiation (each one's gradients are the others):

- ``conv``          y = A_w x                 (forward convolution)
- ``input_grad``    x' = A_w^T g              (transposed convolution)
- ``weight_grad``   w' = B_x^T g              (gradient of the weight)

A plain backward runs straight on arrays and reuses the im2col matrix saved by the forward (streamed
layers build their blocks again); under ``create_graph`` the backward is built from the three ops
above, so double backward works.
1-D convolutions run as 2-D ones over a height of 1; 3-D ones as 2-D ones over depth windows (see
``_Geometry3``).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, attach, check_same_device
from .kernels import kernel

_make = Tensor._make


def _contiguous(xp, a):
    fn = getattr(xp, "ascontiguousarray", None)
    return fn(a) if fn is not None else xp.reshape(a, (-1,)).reshape(a.shape)


class _Geometry:
    """Shapes of one 2-D convolution: input (N, C, H, W), weight (O, C/G, kh, kw), output (N, O, OH, OW)."""

    __slots__ = ("stride", "padding", "dilation", "groups", "kh", "kw")

    def __init__(self, stride, padding, dilation, groups, kh, kw):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.kh, self.kw = kh, kw

    def out_hw(self, h, w):
        (sh, sw), (ph, pw), (dh, dw) = self.stride, self.padding, self.dilation
        return (
            (h + 2 * ph - dh * (self.kh - 1) - 1) // sh + 1,
            (w + 2 * pw - dw * (self.kw - 1) - 1) // sw + 1,
        )


# ---- array kernels --------------------------------------------------------------------------
class _Pool:
    """Large NumPy temporaries (im2col matrices, their gradients) kept for the next step.

    glibc hands big freed blocks back to the OS, and first-touching fresh pages costs more than
    the copies themselves; the shapes repeat every training step, so a few spare arrays per shape
    make those page faults go away. The spares are capped (least recently used shapes go first).
    Other backends bring their own memory pools: not used there.
    """

    MIN_BYTES = 1 << 18
    PER_SHAPE = 2
    MAX_BYTES = 256 << 20

    def __init__(self):
        self.free = OrderedDict()  # (shape, dtype) -> spare arrays, most recently used last
        self.nbytes = 0

    def take(self, xp, shape, dtype):
        if xp is not np:
            return None
        key = (shape, np.dtype(dtype))
        spare = self.free.get(key)
        if spare:
            arr = spare.pop()
            self.nbytes -= arr.nbytes
            return arr
        return np.empty(shape, dtype)

    def give(self, arr):
        if not (type(arr) is np.ndarray and arr.nbytes >= self.MIN_BYTES and arr.flags.c_contiguous
                and arr.base is None and arr.nbytes <= self.MAX_BYTES):
            return
        key = (arr.shape, arr.dtype)
        spare = self.free.setdefault(key, [])
        self.free.move_to_end(key)
        if len(spare) >= self.PER_SHAPE:
            return
        spare.append(arr)
        self.nbytes += arr.nbytes
        while self.nbytes > self.MAX_BYTES:  # drop the spares of the least recently used shapes
            old_key, old = next(iter(self.free.items()))
            if old:
                self.nbytes -= old.pop().nbytes
            if not old:
                del self.free[old_key]

    def clear(self):
        self.free.clear()
        self.nbytes = 0


POOL = _Pool()


def _into(xp, shape, dtype, src):
    """``src`` (any strides) copied into a C-contiguous array of ``shape``, from the pool if it can."""
    buf = POOL.take(xp, shape, dtype)
    if buf is None:
        return xp.reshape(src, shape)
    xp.reshape(buf, src.shape)[...] = src
    return buf


# The im2col columns and the gradient rows keep the batch as their fastest axis: columns ordered
# (OH, OW, N), not (N, OH, OW). Every copy into them and every col2im add then moves contiguous
# runs of OW*N numbers instead of OW (10 to 30 in small nets), where NumPy's per-run overhead
# dominated; the one transposition back to (N, C, H, W) is a cheap pass over a small image.
def _batch_last(backend, x, geo):
    """(N, C, H, W) -> (C, H + 2ph, W + 2pw, N), zero padded."""
    xp = backend.xp
    n, c, h, w = x.shape
    ph, pw = geo.padding
    xt = xp.permute_dims(x, (1, 2, 3, 0))
    if not (ph or pw):
        return _contiguous(xp, xt)
    out = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w, :] = xt
    return out


def _windows(backend, x, geo, out_hw=None):
    """(N, C, H, W) -> (C, kh, kw, OH, OW, N): every output pixel's window, a view of the padded
    batch-last input. ``out_hw`` keeps the first (OH, OW) windows only: a transposed convolution
    with an output padding of at least its stride makes images with room for more."""
    xp = backend.xp
    xt = xp.permute_dims(_batch_last(backend, x, geo), (3, 0, 1, 2))  # NCHW view, batch-last memory
    v = kernel(backend, "im2col")(xt, geo.kh, geo.kw, geo.stride, (0, 0), geo.dilation)
    if out_hw is not None and tuple(v.shape[4:]) != tuple(out_hw):
        v = v[:, :, :, :, :out_hw[0], :out_hw[1]]
    return xp.permute_dims(v, (1, 2, 3, 4, 5, 0))


def _im2col_matrix(backend, x, geo, out_hw=None):
    """(N, C, H, W) -> (G, C/G*kh*kw, OH*OW*N): the windows of every output pixel as columns."""
    v = _windows(backend, x, geo, out_hw)
    c, kh, kw, oh, ow, n = v.shape
    g = geo.groups
    return _into(backend.xp, (g, (c // g) * kh * kw, oh * ow * n), v.dtype, v)


# Layers with few output channels (a network's first layer: 6 in LeNet) do few multiply-adds per
# entry of their im2col matrix, which is many times the size of their input (25x for 5x5 windows),
# so writing it out and reading it back runs at memory speed. For those the matrix is built a few
# output rows at a time in one cache-sized buffer and each block goes straight into its GEMM:
# measured twice as fast for the forward and for the weight gradient (at 6 to 12 output channels,
# about even at 16, slower at 32, where one big GEMM splits better across BLAS threads). The whole
# matrix is then never stored: the backward builds the blocks again.
STREAM_MAX_OUT = 12
BLOCK_BYTES = 256 << 10


def _itemsize(a):
    """Bytes per number of array ``a`` (NumPy's and CuPy's dtypes say; assume float32 elsewhere)."""
    return getattr(a.dtype, "itemsize", 4)


def _streamed(geo, w_shape, x):
    """Whether this convolution builds its im2col matrix block by block (see above)."""
    if w_shape[0] // geo.groups > STREAM_MAX_OUT:
        return False
    n, c, h, w = x.shape
    oh, ow = geo.out_hw(h, w)
    return oh > 1 and n * c * geo.kh * geo.kw * oh * ow * _itemsize(x) > 2 * BLOCK_BYTES


def _col_blocks(backend, x, geo, out_hw=None):
    """The im2col matrix of ``_im2col_matrix`` a few output rows at a time: yields
    ``(columns, block)``, the (G, C/G*kh*kw, columns) block of those columns, always in one buffer."""
    xp = backend.xp
    v = _windows(backend, x, geo, out_hw)
    c, kh, kw, oh, ow, n = v.shape
    g = geo.groups
    row = c * kh * kw * ow * n  # numbers per output row
    rows = max(1, BLOCK_BYTES // (row * _itemsize(x)))
    buf = xp.empty((rows * row,), dtype=v.dtype)
    for r0 in range(0, oh, rows):
        r = min(rows, oh - r0)
        block = xp.reshape(buf[:r * row], (c, kh, kw, r, ow, n))  # a contiguous prefix: a view
        block[...] = v[:, :, :, r0:r0 + r]
        yield slice(r0 * ow * n, (r0 + r) * ow * n), xp.reshape(block, (g, (c // g) * kh * kw, r * ow * n))


def _batch_first(xp, a):
    """(O, L, N) -> (N, O, L), C-contiguous. A transposing copy reads with a stride of N numbers;
    on NumPy, blocks of 16 positions keep what it reads in the L1 cache (15-20% faster for big L)."""
    o, length, n = a.shape
    if xp is not np or length <= 128:
        return _contiguous(xp, xp.permute_dims(a, (2, 0, 1)))
    out = np.empty((n, o, length), a.dtype)
    for i in range(0, length, 16):
        out[:, :, i:i + 16] = a[:, i:i + 16, :].transpose(2, 0, 1)
    return out


def _matmul(xp, a, b):
    """2-D product, into a pooled output array on NumPy."""
    buf = POOL.take(xp, (a.shape[0], b.shape[1]), a.dtype)
    return xp.matmul(a, b) if buf is None else np.matmul(a, b, out=buf)


def _matmul_into(xp, a, b, out):
    """``out[...] = a @ b`` (on NumPy without a temporary)."""
    if xp is np:
        np.matmul(a, b, out=out)
    else:
        out[...] = xp.matmul(a, b)


def conv_forward_array(backend, x, w, geo, b=None):
    """The convolution itself, plus bias ``b``; returns ``(output, im2col matrix)``, the matrix
    ``None`` where it was built block by block."""
    if type(geo) is _Geometry3:
        return _conv3d_forward_array(backend, x, w, geo, b)
    xp = backend.xp
    n = x.shape[0]
    oh, ow = geo.out_hw(x.shape[2], x.shape[3])
    g, o = geo.groups, w.shape[0]
    w2 = xp.reshape(w, (g, o // g, -1))
    if _streamed(geo, w.shape, x):
        cols = None
        out = POOL.take(xp, (g, o // g, oh * ow * n), w.dtype)
        if out is None:
            out = xp.empty((g, o // g, oh * ow * n), dtype=w.dtype)
        for part, block in _col_blocks(backend, x, geo):
            _matmul_into(xp, w2, block, out[:, :, part])
    else:
        cols = _im2col_matrix(backend, x, geo)
        out = _matmul(xp, w2[0], cols[0]) if g == 1 else xp.matmul(w2, cols)
    rows = xp.reshape(out, (o, oh * ow * n))
    if b is not None:  # here a contiguous broadcast, 5x faster than on the (N, O, OH, OW) result
        rows += xp.reshape(b, (o, 1))
    result = xp.reshape(_batch_first(xp, xp.reshape(rows, (o, oh * ow, n))), (n, o, oh, ow))
    POOL.give(out)
    return result, cols


def _grad_rows(xp, g, groups):
    """(N, O, OH, OW) -> (G, O/G, OH*OW*N), ordered like the im2col columns; a 3-D convolution's
    (N, O, OD, OH, OW) -> (G, O/G, OH*OW*N*OD), the columns of its 2-D form (see ``_Geometry3``)."""
    if g.ndim == 4:
        n, o, oh, ow = g.shape
        return _into(xp, (groups, o // groups, oh * ow * n), g.dtype, xp.permute_dims(g, (1, 2, 3, 0)))
    n, o, od, oh, ow = g.shape
    return _into(xp, (groups, o // groups, oh * ow * n * od), g.dtype, xp.permute_dims(g, (1, 3, 4, 0, 2)))


def _col2im(backend, cols, x_shape, oh, ow, geo):
    """Adjoint of ``_im2col_matrix``: columns (C*kh*kw, OH*OW*N) summed back into (N, C, H, W)."""
    xp = backend.xp
    n, c, h, w = x_shape
    cols6 = xp.reshape(cols, (c, geo.kh, geo.kw, oh, ow, n))
    if "col2im" in backend.kernels:  # the backend's own kernel, on the (N, C, kh, kw, OH, OW) view
        view = xp.permute_dims(cols6, (5, 0, 1, 2, 3, 4))
        return kernel(backend, "col2im")(view, x_shape, geo.kh, geo.kw, geo.stride, geo.padding, geo.dilation)
    (sh, sw), (ph, pw), (dh, dw) = geo.stride, geo.padding, geo.dilation
    out = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
    for i in range(geo.kh):
        for j in range(geo.kw):
            hi, wj = i * dh, j * dw
            out[:, hi:hi + sh * (oh - 1) + 1:sh, wj:wj + sw * (ow - 1) + 1:sw, :] += cols6[:, i, j]
    return _contiguous(xp, xp.permute_dims(out[:, ph:ph + h, pw:pw + w, :], (3, 0, 1, 2)))


def input_grad_array(backend, g, w, x_shape, geo, gr=None):
    """A_w^T g: scatter the columns ``W^T g`` back into an image of ``x_shape`` (col2im)."""
    if type(geo) is _Geometry3:
        return _conv3d_input_grad_array(backend, g, w, x_shape, geo, gr)
    xp = backend.xp
    oh, ow = g.shape[-2], g.shape[-1]
    own = gr is None
    if own:
        gr = _grad_rows(xp, g, geo.groups)
    w2 = xp.reshape(w, (geo.groups, w.shape[0] // geo.groups, -1))
    gcols = _matmul(xp, w2[0].T, gr[0]) if geo.groups == 1 else xp.matmul(xp.permute_dims(w2, (0, 2, 1)), gr)
    if own:
        POOL.give(gr)
    out = _col2im(backend, gcols, x_shape, oh, ow, geo)
    POOL.give(gcols)
    return out


def _cols_times_rows(xp, cols, gr):
    """``cols @ gr^T`` per group: (G, K, L) x (G, O/G, L) -> (G, K, O/G). In this order, with the
    few output channels as the result's fast axis, OpenBLAS sums the long L axis about twice as
    fast as in ``gr @ cols^T``."""
    if cols.shape[0] == 1:
        return xp.matmul(cols[0], xp.permute_dims(gr[0], (1, 0)))[None]
    return xp.matmul(cols, xp.permute_dims(gr, (0, 2, 1)))


def weight_grad_array(backend, x, g, w_shape, geo, gr=None, cols=None):
    """B_x^T g: ``g @ cols^T`` per group with ``cols`` the im2col matrix of x (one GEMM: rows and
    columns share the (OH, OW, N) order, so the batch sum is part of the product). ``cols`` is
    built here when not given, block by block where the forward streamed it."""
    if type(geo) is _Geometry3:
        return _conv3d_weight_grad_array(backend, x, g, w_shape, geo, gr, cols)
    xp = backend.xp
    own = gr is None
    if own:
        gr = _grad_rows(xp, g, geo.groups)
    if cols is not None:
        gw = _cols_times_rows(xp, cols, gr)
    elif _streamed(geo, w_shape, x):
        gw = None
        for part, block in _col_blocks(backend, x, geo, g.shape[-2:]):
            p = _cols_times_rows(xp, block, gr[:, :, part])
            gw = p if gw is None else gw + p
    else:
        cols = _im2col_matrix(backend, x, geo, g.shape[-2:])
        gw = _cols_times_rows(xp, cols, gr)
        POOL.give(cols)
    if own:
        POOL.give(gr)
    return xp.reshape(xp.permute_dims(gw, (0, 2, 1)), w_shape)


# ---- 3-D convolutions -----------------------------------------------------------------------
# A 3-D convolution is a 2-D one over depth windows. The kd input slices that each output depth
# reads are stacked as channels, (N, C, D, H, W) -> (N*OD, C*kd, H, W), and the weight
# (O, C/G, kd, kh, kw), read as (O, C/G*kd, kh, kw) (the same memory), convolves that over (H, W).
# Everything 2-D (im2col, streaming, the buffer pool, the nodes) then runs as it is; the adjoints add
# the slices back. The batch of the 2-D form is ordered (N, OD), so its gradient rows are one
# transposition of the (N, O, OD, OH, OW) gradient (``_grad_rows``) and its output rows one of the
# result.
class _Geometry3:
    """Shapes of one 3-D convolution: the depth axis, and the 2-D convolution (``plane``) over
    (H, W) of its depth windows."""

    __slots__ = ("kd", "sd", "pd", "dd", "groups", "plane")

    def __init__(self, stride, padding, dilation, groups, kd, kh, kw):
        self.kd, self.sd, self.pd, self.dd = kd, stride[0], padding[0], dilation[0]
        self.groups = groups
        self.plane = _Geometry(stride[1:], padding[1:], dilation[1:], groups, kh, kw)

    def out_d(self, d):
        return (d + 2 * self.pd - self.dd * (self.kd - 1) - 1) // self.sd + 1

    def taps(self, d, od):
        """For each depth offset i of the kernel: ``(i, outputs, inputs)``, the output depths whose
        window reads a real (not padding) input slice at i, and those input slices."""
        for i in range(self.kd):
            first = i * self.dd - self.pd  # the input depth that output depth 0 reads at offset i
            lo = max(0, -(first // self.sd))
            hi = min(od, (d - 1 - first) // self.sd + 1)
            if lo < hi:
                start = first + lo * self.sd
                yield i, slice(lo, hi), slice(start, start + (hi - lo - 1) * self.sd + 1, self.sd)


def _depth_windows(xp, x, geo, od=None):
    """(N, C, D, H, W) -> (N*OD, C*kd, H, W), each output depth's input slices as channels (of the
    first ``od`` output depths, where given)."""
    n, c, d, h, w = x.shape
    od = geo.out_d(d) if od is None else od
    out = (xp.zeros if geo.pd else xp.empty)((n, od, c, geo.kd, h, w), dtype=x.dtype)
    for i, outs, ins in geo.taps(d, od):
        out[:, outs, :, i] = xp.permute_dims(x[:, :, ins], (0, 2, 1, 3, 4))
    return xp.reshape(out, (n * od, c * geo.kd, h, w))


def _depth_sum(xp, cols, x_shape, geo):
    """Adjoint of ``_depth_windows``: (N*OD, C*kd, H, W) summed back into (N, C, D, H, W)."""
    n, c, d, h, w = x_shape
    od = cols.shape[0] // n if n else geo.out_d(d)
    six = xp.reshape(cols, (n, od, c, geo.kd, h, w))
    out = xp.zeros(x_shape, dtype=cols.dtype)
    for i, outs, ins in geo.taps(d, od):
        out[:, :, ins] += xp.permute_dims(six[:, outs, :, i], (0, 2, 1, 3, 4))
    return out


def _plane_weight(xp, w, geo):
    """(O, C/G, kd, kh, kw) -> (O, C/G*kd, kh, kw): the weight of the 2-D form."""
    return xp.reshape(w, (w.shape[0], -1) + tuple(w.shape[3:]))


def _conv3d_forward_array(backend, x, w, geo, b):
    xp = backend.xp
    n = x.shape[0]
    x2, w2 = _depth_windows(xp, x, geo), _plane_weight(xp, w, geo)
    out, cols = conv_forward_array(backend, x2, w2, geo.plane, b)
    nod, o, oh, ow = out.shape
    od = nod // n if n else geo.out_d(x.shape[2])
    out = xp.permute_dims(xp.reshape(out, (n, od, o, oh, ow)), (0, 2, 1, 3, 4))
    return _contiguous(xp, out), cols


def _conv3d_input_grad_array(backend, g, w, x_shape, geo, gr):
    xp = backend.xp
    n, c, d, h, wd = x_shape
    own = gr is None
    if own:
        gr = _grad_rows(xp, g, geo.groups)
    plane_shape = (n * g.shape[2], c * geo.kd, h, wd)
    cols = input_grad_array(backend, g, _plane_weight(xp, w, geo), plane_shape, geo.plane, gr)
    if own:
        POOL.give(gr)
    return _depth_sum(xp, cols, tuple(x_shape), geo)


def _conv3d_weight_grad_array(backend, x, g, w_shape, geo, gr, cols):
    xp = backend.xp
    own = gr is None
    if own:
        gr = _grad_rows(xp, g, geo.groups)
    o, cg, kd, kh, kw = w_shape
    x2 = _depth_windows(xp, x, geo, g.shape[2]) if cols is None else x  # x is not read with ``cols``
    gw = weight_grad_array(backend, x2, g, (o, cg * kd, kh, kw), geo.plane, gr, cols)
    if own:
        POOL.give(gr)
    return xp.reshape(gw, tuple(w_shape))


# ---- nodes ----------------------------------------------------------------------------------
def _needs(t):
    return t._requires_grad or t.grad_fn is not None


class ConvolutionBackward0(Node):
    """Convolution (``transposed=False``) or transposed convolution, optional bias."""

    def forward(self, x, w, b=None):
        backend = x._backend
        if self.transposed:
            out = input_grad_array(backend, x._data, w._data, self.out_shape, self.geo)
            if b is not None:
                out += backend.xp.reshape(b._data, (1, -1) + (1,) * (out.ndim - 2))  # a fresh array
        else:
            bias = None if b is None else b._data
            out, cols = conv_forward_array(backend, x._data, w._data, self.geo, bias)
            if cols is not None:
                if GRAD_ENABLED[0] and w._requires_grad:
                    self.cols = cols
                else:
                    POOL.give(cols)
        self.save(x, w)
        return out

    def backward(self, grad):
        x, w = self.saved
        gb = None
        if len(self.next_functions) == 3:
            gb = grad.sum((0, 2, 3) if grad._data.ndim == 4 else (0, 2, 3, 4))
        if self.transposed:
            # u = A_w^T x: d/dx = A_w h (a convolution), d/dw = B_h^T x
            gx = _conv_to(grad, w, self.geo, x.shape) if _needs(x) else None
            gw = weight_grad_op(grad, x, w.shape, self.geo) if _needs(w) else None
        elif GRAD_ENABLED[0]:
            gx = input_grad_op(grad, w, x.shape, self.geo) if _needs(x) else None
            gw = weight_grad_op(x, grad, w.shape, self.geo) if _needs(w) else None
        else:
            backend = grad._backend
            g = grad._data
            gx = gw = None
            gr = _grad_rows(backend.xp, g, self.geo.groups)  # shared by both products
            if _needs(x):
                gx = input_grad_array(backend, g, w._data, x._data.shape, self.geo, gr)
                gx = _make(gx, backend, grad._device)
            if _needs(w):
                cols = getattr(self, "cols", None)
                gw = weight_grad_array(backend, x._data, g, w._data.shape, self.geo, gr, cols)
                gw = _make(gw, backend, grad._device)
            POOL.give(gr)
        return (gx, gw, gb) if len(self.next_functions) == 3 else (gx, gw)

    def release(self):
        cols = self.__dict__.pop("cols", None)  # the graph is done with it: keep it for the next step
        if cols is not None:
            POOL.give(cols)
        super().release()


class ConvolutionBackwardBackward0(Node):
    """The weight gradient ``B_x^T g`` as an op of (x, g), for double backward."""

    def forward(self, x, g):
        self.save(x, g)
        return weight_grad_array(x._backend, x._data, g._data, self.w_shape, self.geo)

    def backward(self, h):
        x, g = self.saved
        gx = input_grad_op(g, h, x.shape, self.geo) if _needs(x) else None
        gg = _conv_to(x, h, self.geo, g.shape) if _needs(g) else None
        return gx, gg


def _run(cls, inputs, **params):
    node = cls.__new__(cls)
    node.__dict__.update(params)
    a0 = inputs[0]
    out = _make(node.forward(*inputs), a0._backend, a0._device)
    if GRAD_ENABLED[0] and any(t._requires_grad for t in inputs):
        attach(node, inputs, out)
    return out


def conv_op(x, w, geo, bias=None):
    inputs = (x, w) if bias is None else (x, w, bias)
    return _run(ConvolutionBackward0, inputs, geo=geo, transposed=False)


def _conv_to(x, w, geo, shape):
    """``conv_op(x, w, geo)`` cut to ``shape``: the adjoint of a transposed convolution whose output
    padding (of at least its stride) left room for more outputs than its input had."""
    out = conv_op(x, w, geo)
    if tuple(out.shape[2:]) != tuple(shape[2:]):
        out = out[(slice(None), slice(None)) + tuple(slice(0, n) for n in shape[2:])]
    return out


def input_grad_op(g, w, x_shape, geo, bias=None):
    inputs = (g, w) if bias is None else (g, w, bias)
    return _run(ConvolutionBackward0, inputs, geo=geo, transposed=True, out_shape=tuple(x_shape))


def weight_grad_op(x, g, w_shape, geo):
    return _run(ConvolutionBackwardBackward0, (x, g), geo=geo, w_shape=tuple(w_shape))


# ---- argument handling ----------------------------------------------------------------------
def _tuple(v, n, name, nd):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(i) for i in v)
    if len(v) == 1 and n > 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} values to match the convolution "
            f"dimensions, but got {name}={list(v)}"
        )
    return v


def _check(input, weight, bias, nd, name, groups, transposed=False):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
            f"size: {list(input.shape)}"
        )
    check_same_device(input, weight, name)
    if weight.dim() != nd + 2:
        raise RuntimeError(
            f"weight should have at least {nd + 2} dimensions"
            if weight.dim() < nd + 2
            else f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input, but got "
            f"{weight.dim()}-dimensional weight of size {list(weight.shape)} instead"
        )
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {_scalar(input.dtype)} but found {_scalar(weight.dtype)}")
    batched = input.dim() == nd + 2
    shape = list(input.shape) if batched else [1] + list(input.shape)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    c = shape[1]
    if transposed:
        if weight.shape[0] != c:
            raise RuntimeError(
                f"Given transposed=1, weight of size {list(weight.shape)}, expected input{shape} to have "
                f"{weight.shape[0]} channels, but got {c} channels instead"
            )
        out_c = weight.shape[1] * groups
    else:
        if weight.shape[1] * groups != c:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{shape} to "
                f"have {weight.shape[1] * groups} channels, but got {c} channels instead"
            )
        if weight.shape[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                f"got weight of size [{list(weight.shape)}] instead"
            )
        out_c = weight.shape[0]
    if bias is not None:
        check_same_device(input, bias, name)
        if bias.dim() != 1 or bias.shape[0] != out_c:
            raise RuntimeError(
                f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                f"{out_c} elements, but got bias of size {list(bias.shape)} instead"
            )
        if bias.dtype is not input.dtype:
            raise RuntimeError(f"expected scalar type {_scalar(input.dtype)} but found {_scalar(bias.dtype)}")
    return batched


def _scalar(dtype):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(dtype)


def _same_padding(input, weight, dilation, stride, nd):
    """'same': pad so output size == input size; odd total padding puts the extra on the right."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    ks = weight.shape[2:]
    total = [d * (k - 1) for d, k in zip(dilation, ks)]
    left = [t // 2 for t in total]
    extra = [t - 2 * lft for t, lft in zip(total, left)]
    if any(extra):
        from .nn_pad import pad

        pads = []
        for e in reversed(extra):  # F.pad order: last dim first
            pads += [0, e]
        input = pad(input, tuple(pads))
    return input, tuple(left)


def _check_params(stride, padding, dilation):
    """PyTorch's argument checks (otherwise a bad value surfaces as an obscure array error)."""
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")


_CONV_SIGNATURES = (
    "Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, tuple of ints padding = 0, "
    "tuple of ints dilation = 1, int groups = 1",
    "Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, str padding = \"valid\", "
    "tuple of ints dilation = 1, int groups = 1")


def _conv_error(name, input, weight, bias, stride, padding, dilation, groups):
    """PyTorch's "invalid combination" TypeError for ``conv2d(<not a tensor>, ...)`` (or a weight
    that is not a tensor)."""
    from ._argerrors import given, invalid_combination

    args, kwargs = given(input, ("weight", weight, None), ("bias", bias, None), ("stride", stride, 1),
                         ("padding", padding, 0), ("dilation", dilation, 1), ("groups", groups, 1))
    return invalid_combination(name, args, _CONV_SIGNATURES, kwargs)


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd, name):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise _conv_error(name, input, weight, bias, stride, padding, dilation, groups)
    batched = _check(input, weight, bias, nd, name, groups)
    stride = _tuple(stride, nd, "stride", nd)
    dilation = _tuple(dilation, nd, "dilation", nd)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * nd
        elif padding == "same":
            input, padding = _same_padding(input, weight, dilation, stride, nd)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    padding = _tuple(padding, nd, "padding", nd)
    _check_params(stride, padding, dilation)
    x = input if batched else input.unsqueeze(0)
    w = weight
    if nd == 1:  # run as 2-D over a height of 1
        x, w = x.unsqueeze(2), w.unsqueeze(2)
        stride, padding, dilation = (1,) + stride, (0,) + padding, (1,) + dilation
    ks = tuple(w.shape)[2:]
    for i, k, p, d in zip(tuple(x.shape)[2:], ks, padding, dilation):
        if i + 2 * p < d * (k - 1) + 1:
            padded = [i + 2 * p for i, p in zip(x.shape[2:], padding)][-nd:]
            eff = [d * (k - 1) + 1 for d, k in zip(dilation, ks)][-nd:]
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size"
            )
    out = conv_op(x, w, _geometry(stride, padding, dilation, groups, ks), bias)
    if nd == 1:
        out = out.squeeze(2)
    return out if batched else out.squeeze(0)


def _geometry(stride, padding, dilation, groups, kernel):
    if len(kernel) == 2:
        return _Geometry(stride, padding, dilation, groups, kernel[0], kernel[1])
    return _Geometry3(stride, padding, dilation, groups, *kernel)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over (N, C, H, W) or (C, H, W) input.

    >>> import lanterna as torch
    >>> torch.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3)).shape
    torch.Size([1, 1, 2, 2])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) or (C, L) input."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, name):
    batched = _check(input, weight, bias, nd, name, groups, transposed=True)
    stride = _tuple(stride, nd, "stride", nd)
    padding = _tuple(padding, nd, "padding", nd)
    output_padding = _tuple(output_padding, nd, "output_padding", nd)
    dilation = _tuple(dilation, nd, "dilation", nd)
    _check_params(stride, padding, dilation)
    if any(op < 0 for op in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        lead = (1,) * (nd == 1)  # 1-D runs as 2-D over a height of 1, in PyTorch too
        values = (("output_padding", (0,) * (nd == 1) + output_padding), ("stride", lead + stride),
                  ("dilation", lead + dilation))
        axes = ("depth", "height", "width")[-max(nd, 2):]
        got = " ".join(f"{what}_{axis}: {v}" for what, vals in values for axis, v in zip(axes, vals))
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {got}")
    x = input if batched else input.unsqueeze(0)
    # weight (C_in, C_out/G, k...) is the weight of the forward conv mapping C_out -> C_in
    w = weight
    if nd == 1:
        x, w = x.unsqueeze(2), w.unsqueeze(2)
        stride, padding, dilation, output_padding = (
            (1,) + stride,
            (0,) + padding,
            (1,) + dilation,
            (0,) + output_padding,
        )
    size = [
        (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        for i, s, p, d, k, op in zip(x.shape[2:], stride, padding, dilation, w.shape[2:], output_padding)
    ]
    if any(s <= 0 for s in size):  # (1-D sizes as 2-D ones, as in PyTorch)
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, x.shape[2:]))}). Calculated output size "
            f"per channel: ({' x '.join(map(str, size))}). Output size is too small"
        )
    out_shape = (x.shape[0], w.shape[1] * groups, *size)
    out = input_grad_op(x, w, out_shape, _geometry(stride, padding, dilation, groups, w.shape[2:]), bias)
    if nd == 1:
        out = out.squeeze(2)
    return out if batched else out.squeeze(0)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution (the gradient of conv2d w.r.t. its input).

    ``weight`` has shape (C_in, C_out/G, kh, kw).
    """
    return _conv_transposend(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d"
    )


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-D convolution."""
    return _conv_transposend(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d"
    )


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W) input.

    >>> import lanterna as torch
    >>> torch.conv3d(torch.ones(1, 1, 3, 4, 4), torch.ones(2, 1, 3, 3, 3)).shape
    torch.Size([1, 2, 1, 2, 2])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-D convolution (the gradient of conv3d w.r.t. its input).

    ``weight`` has shape (C_in, C_out/G, kd, kh, kw).

    >>> import lanterna as torch
    >>> torch.conv_transpose3d(torch.ones(1, 2, 2, 2, 2), torch.ones(2, 3, 2, 2, 2), stride=2).shape
    torch.Size([1, 3, 4, 4, 4])
    """
    return _conv_transposend(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 3, "conv_transpose3d"
    )
