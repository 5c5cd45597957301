"""Named kernels: the few computations the Array API cannot express (well) portably.

Core ships a default for each, written against ``xp`` or through host NumPy; a backend
overrides one by putting a callable under the same name in ``backend.kernels`` (directly or
through the ``lanterna_register_kernels`` hook). Looking one up is a dict access, never a hook call.
"""

from __future__ import annotations

import numpy as np

DEFAULTS: dict = {}


def default_kernel(fn):
    DEFAULTS[fn.__name__] = fn
    return fn


def kernel(backend, name):
    fn = backend.kernels.get(name)
    return fn if fn is not None else DEFAULTS[name]


@default_kernel
def index_add(out, index, values):
    """``out[index] += values`` where repeated indices accumulate (scatter-add), in place."""
    if isinstance(out, np.ndarray):
        np.add.at(out, index, values)
        return
    # portable fallback through host memory for backends without a scatter-add
    raise NotImplementedError("index_add kernel: register one for this backend")


@default_kernel
def im2col(x, kh, kw, stride, padding, dilation):
    """Unfold (N, C, H, W) into (N, C, kh, kw, OH, OW) windows with a strided view (no copy)."""
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, w = x.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s0, s1, s2, s3 = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow), (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw), writeable=False
    )


@default_kernel
def col2im(cols, x_shape, kh, kw, stride, padding, dilation):
    """Adjoint of im2col: add (N, C, kh, kw, OH, OW) windows back into (N, C, H, W)."""
    n, c, h, w = x_shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    oh, ow = cols.shape[4], cols.shape[5]
    for i in range(kh):
        for j in range(kw):
            hi, wj = i * dh, j * dw
            out[:, :, hi:hi + sh * (oh - 1) + 1:sh, wj:wj + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w] if (ph or pw) else out
