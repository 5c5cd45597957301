"""CUDA implementations of core's named kernels (``lanterna.ops.kernels``), on CuPy arrays.

Core's portable defaults would bring arrays to host memory for these; on the GPU each is one
CuPy call (or a handful of kernel launches). Every function imports CuPy at call time, which is
a dictionary lookup once CuPy is loaded: registering them at ``import lanterna`` imports nothing.
"""

from __future__ import annotations


def _cp():
    import cupy

    return cupy


def index_add(out, index, values):
    """``out[index] += values`` with repeated indices accumulating (atomic adds on the GPU)."""
    import cupyx

    cupyx.scatter_add(out, index, values)


def index_get(x, index):
    """Advanced indexing (CuPy implements NumPy's full indexing rules)."""
    return x[index]


def index_set(out, index, values):
    out[index] = values


def index_mul(out, index, values):
    """``out[index] *= values`` with repeated indices multiplying (no CuPy ``multiply.at``:
    through host memory, as scatter with ``reduce='multiply'`` is rare)."""
    import numpy as np

    cp = _cp()
    host = cp.asnumpy(out)
    hidx = tuple(cp.asnumpy(i) if isinstance(i, cp.ndarray) else i for i in index)
    np.multiply.at(host, hidx, cp.asnumpy(values))
    out[...] = cp.asarray(host)


def erf(x):
    from cupyx.scipy import special

    return special.erf(x)


def im2col(x, kh, kw, stride, padding, dilation):
    """(N, C, H, W) -> (N, C, kh, kw, OH, OW) windows: a strided view of the padded input."""
    cp = _cp()
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    if ph or pw:
        x = cp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    x = cp.ascontiguousarray(x)
    n, c, h, w = x.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s0, s1, s2, s3 = x.strides
    return cp.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow), (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw))


def col2im(cols, x_shape, kh, kw, stride, padding, dilation):
    """Adjoint of :func:`im2col`: add the windows back, one strided slice per kernel offset
    (kh * kw elementwise launches; windows of one offset never overlap, so no atomics)."""
    cp = _cp()
    n, c, h, w = x_shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    out = cp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    oh, ow = cols.shape[4], cols.shape[5]
    for i in range(kh):
        for j in range(kw):
            hi, wj = i * dh, j * dw
            out[:, :, hi:hi + sh * (oh - 1) + 1:sh, wj:wj + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w] if (ph or pw) else out


KERNELS = {
    "index_add": index_add, "index_get": index_get, "index_set": index_set, "index_mul": index_mul,
    "erf": erf, "im2col": im2col, "col2im": col2im,
}
