"""Resampling (``F.interpolate``): every mode is separable, so it runs axis by axis.

Nearest modes gather rows/columns (index_select, gradient by scatter-add); linear and cubic modes
multiply by a small (out, in) interpolation matrix per axis, built once with PyTorch's source-index
rules, so their gradient is a matmul too.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._apply import Node, apply
from .nn_pad import _gather_nodes
from .reduce import legacy_scalar_name

# nearest modes: one gather node per call, named as PyTorch names it
_NEAREST = _gather_nodes("UpsampleNearest")
_NEAREST_EXACT = _gather_nodes("UpsampleNearestExact")
UpsampleNearest1DBackward0, UpsampleNearest2DBackward0, UpsampleNearest3DBackward0 = _NEAREST.values()
UpsampleNearestExact1DBackward0, UpsampleNearestExact2DBackward0, UpsampleNearestExact3DBackward0 = (
    _NEAREST_EXACT.values()
)

_make = Tensor._make
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "lanczos", "area", "nearest-exact")


def _input_error(input, mode):
    return NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: "
        f"{' | '.join(_MODES)} (got {mode})"
    )


def _scale(in_size, out_size, align_corners, scale_factor):
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return in_size / out_size


def _nearest_index(xp, in_size, out_size, scale_factor, exact):
    scale = _scale(in_size, out_size, False, scale_factor)
    dst = xp.arange(out_size, dtype=xp.float64)
    src = xp.floor((dst + 0.5) * scale) if exact else xp.floor(dst * scale)
    return xp.astype(xp.minimum(src, in_size - 1), xp.int64)


def _cubic_weights(t, a=-0.75):
    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return (far(t + 1), near(t), near(1 - t), far(2 - t))


def _linear_matrix(xp, in_size, out_size, align_corners, scale_factor, cubic, dtype):
    """(out, in) matrix of PyTorch's linear (or cubic) interpolation along one axis."""
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    m = [[0.0] * in_size for _ in range(out_size)]
    for o in range(out_size):
        src = scale * o if align_corners else scale * (o + 0.5) - 0.5
        if cubic:
            i0 = math.floor(src)
            t = src - i0
            for k, w in enumerate(_cubic_weights(t)):
                m[o][min(max(i0 - 1 + k, 0), in_size - 1)] += w
        else:
            src = max(src, 0.0)
            i0 = min(int(src), in_size - 1)
            i1 = i0 + (1 if i0 < in_size - 1 else 0)
            lam = min(max(src - i0, 0.0), 1.0)
            m[o][i0] += 1.0 - lam
            m[o][i1] += lam
    return np.asarray(m, dtype=dtype)


# ---- antialiased resampling (bilinear, bicubic and lanczos, 2-D) ------------------------------
# PyTorch's separable antialias filter (``_compute_indices_min_size_weights_aa``): output pixel i
# has its centre at ``scale * (i + 0.5)`` in input pixels; when downsampling (scale > 1) the filter
# is stretched by ``scale`` (its support ``interp_size / 2 * scale``), so every input pixel under it
# contributes, and each output's weights are normalised to sum to 1. The bicubic filter here is
# Keys' cubic with a = -0.5 (as in PIL), not the -0.75 of plain bicubic; lanczos is
# sinc(x) sinc(x / 3) on |x| < 3. An axis whose size does not change is left as it is.
def _aa_triangle(x):
    x = np.abs(x)
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _aa_cubic(x, a=-0.5):
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _aa_lanczos(x, a=3):
    return np.where(np.abs(x) < a, np.sinc(x) * np.sinc(x / a), 0.0)


# mode: (filter, half its support in input pixels when not downsampling (interp_size / 2))
_AA_FILTERS = {"bilinear": (_aa_triangle, 1.0), "bicubic": (_aa_cubic, 2.0), "lanczos": (_aa_lanczos, 3.0)}


def _aa_matrix(in_size, out_size, align_corners, scale_factor, mode, dtype):
    """(out, in) matrix of PyTorch's antialiased resampling along one axis."""
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    filt, half = _AA_FILTERS[mode]
    support = half * scale if scale >= 1.0 else half
    taps = math.ceil(support) * 2 + 1
    inv = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (np.arange(out_size) + 0.5)
    # C++ casts to int64, truncating toward zero
    xmin = np.maximum(np.trunc(center - support + 0.5), 0).astype(np.int64)
    xsize = np.clip(np.minimum(np.trunc(center + support + 0.5), in_size).astype(np.int64) - xmin, 0, taps)
    j = np.arange(taps)
    used = j < xsize[:, None]  # (out, taps)
    w = filt((j + xmin[:, None] - center[:, None] + 0.5) * inv)
    w = np.where(used, w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=w, where=total != 0)
    m = np.zeros((out_size, in_size), dtype=dtype)
    rows = np.broadcast_to(np.arange(out_size)[:, None], used.shape)
    m[rows[used], (xmin[:, None] + j)[used]] = w[used]
    return m


def _antialiased(input, sizes, factors, mode, align_corners):
    """``_upsample_bilinear2d_aa`` / ``_bicubic2d_aa`` / ``_lanczos2d_aa``: one matrix per axis."""
    if input.dtype not in (D.float32, D.float64):
        if input.dtype is D.uint8:
            raise NotImplementedError(
                "interpolate: antialias=True is not implemented for uint8 input in lanterna (PyTorch's "
                "uint8 kernel has its own fixed-point rounding); convert to float32 first"
            )
        raise NotImplementedError(
            f"\"compute_index_ranges_weights\" not implemented for '{legacy_scalar_name(input.dtype)}'"
        )
    mats = []
    for k in range(2):
        n = input.shape[2 + k]
        if n == sizes[k]:
            mats.append(None)
            continue
        mat = _aa_matrix(n, sizes[k], align_corners, factors[k], mode, input.dtype.np)
        if input._device.type != "cpu":
            mat = input._backend.from_numpy(mat, input._device.index or 0)
        mats.append(_make(mat, input._backend, input._device))
    return apply(_ANTIALIASED[mode], input, mats=tuple(mats))


def _uint8_matrix(in_size, out_size, align_corners, scale_factor):
    """PyTorch's bilinear weights for uint8 along one axis, as int16 fixed point: (out, in) integer
    matrix and its precision (bits). Each row is normalised over the in-bounds taps."""
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    delta = 0.5 if align_corners else 0.0
    m = np.zeros((out_size, in_size))
    for o in range(out_size):
        center = scale * (o + 0.5 - delta)
        lo = max(int(center - 0.5 + delta), 0)
        n = min(max(min(int(center + 1.5 + delta), in_size) - lo, 0), 2)
        w = [max(1.0 - abs(j + lo - center + 0.5 - delta), 0.0) for j in range(n)]
        total = sum(w)
        m[o, lo:lo + n] = [v / total for v in w] if total else w
    w_max = m.max() if m.size else 0.0
    bits = 0
    while bits < 22 and int(0.5 + w_max * (1 << (bits + 1))) < (1 << 15):
        bits += 1
    v = m * (1 << bits)
    return np.trunc(np.where(v < 0, v - 0.5, v + 0.5)).astype(np.int64), bits


def _bilinear_uint8(input, sizes, factors, align_corners):
    """uint8 bilinear as PyTorch computes it: separable fixed-point passes, the last axis first, each
    rounded back to uint8 (so it is bit-exact, not a rounded float result)."""
    backend = input._backend
    x = np.asarray(input._host(), dtype=np.int64)
    for k in reversed(range(len(sizes))):
        axis = 2 + k
        if x.shape[axis] == sizes[k]:
            continue
        w, bits = _uint8_matrix(x.shape[axis], sizes[k], align_corners, factors[k])
        y = np.moveaxis(x, axis, -1) @ w.T + (1 << (bits - 1))
        x = np.moveaxis(np.clip(y >> bits, 0, 255), -1, axis)
    out = np.ascontiguousarray(x, dtype=np.uint8)
    if input._device.type != "cpu":
        out = backend.from_numpy(out, input._device.index or 0)
    return _make(out, backend, input._device)


def _resolve_sizes(input, size, scale_factor, n_spatial):
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    if size is not None:
        sizes = (size,) * n_spatial if isinstance(size, int) else tuple(int(s) for s in size)
        if len(sizes) != n_spatial:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {list(spatial)} and output size of {list(sizes)}. Please provide "
                "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        return sizes, (None,) * n_spatial
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    factors = (scale_factor,) * n_spatial if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    if len(factors) != n_spatial:
        raise ValueError(
            f"Input and scale_factor must have the same number of spatial dimensions, but got input "
            f"with spatial dimensions of {list(spatial)} and scale_factor of shape {list(factors)}."
        )
    sizes = tuple(int(math.floor(float(s) * f)) for s, f in zip(spatial, factors))
    return sizes, tuple(float(f) for f in factors)


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Resize the spatial dims of (N, C, d...) input by ``size`` or ``scale_factor``.

    >>> import lanterna as torch
    >>> torch.nn.functional.interpolate(torch.tensor([[[1.0, 2.0]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    if mode not in _MODES:
        raise _input_error(input, mode)
    if align_corners is not None and mode in ("nearest", "area", "nearest-exact"):
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    n_spatial = input.dim() - 2
    if n_spatial < 1 or n_spatial > 3:
        raise _input_error(input, mode)
    sizes, factors = _resolve_sizes(input, size, scale_factor, n_spatial)
    if recompute_scale_factor:
        factors = (None,) * n_spatial
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
            "tensor as input"
        )
    expected = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode)
    if expected is not None and expected != n_spatial:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {expected + 2}D input")
    if mode == "lanczos":
        if input.dim() != 4:
            raise _input_error(input, mode)
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if antialias:
        return _antialiased(input, sizes, factors, mode, bool(align_corners))
    if mode == "area":
        from .nn_pool import adaptive_avg_pool1d, adaptive_avg_pool2d

        if n_spatial == 1:
            return adaptive_avg_pool1d(input, sizes[0])
        if n_spatial == 2:
            return adaptive_avg_pool2d(input, sizes)
        from .nn_pool import adaptive_avg_pool3d

        return adaptive_avg_pool3d(input, sizes)
    if mode not in ("nearest", "nearest-exact") and not input.dtype.is_floating_point:
        if input.dtype is D.uint8 and mode == "bilinear":
            return _bilinear_uint8(input, sizes, factors, bool(align_corners))
        # (PyTorch also has a uint8 bicubic, with its own fixed-point rounding: not reproduced here)
        raise NotImplementedError(
            f'interpolate: mode "{mode}" is not implemented for {input.dtype} input in lanterna'
            " (bilinear supports uint8; the linear modes otherwise need a floating point input)"
        )
    xp = input._backend.xp
    if mode in ("nearest", "nearest-exact"):
        takes = []
        for k in range(n_spatial):
            idx = _nearest_index(xp, input.shape[2 + k], sizes[k], factors[k], mode == "nearest-exact")
            takes.append((2 + k, xp.astype(idx, input._backend.dtype(D.int64))))
        node = (_NEAREST_EXACT if mode == "nearest-exact" else _NEAREST)[n_spatial]
        return apply(node, input, takes=tuple(takes))
    mats = []
    for k in range(n_spatial):
        mat = _linear_matrix(
            xp, input.shape[2 + k], sizes[k], bool(align_corners), factors[k], mode == "bicubic",
            input.dtype.np,
        )
        if input._device.type != "cpu":
            mat = input._backend.from_numpy(mat, input._device.index or 0)
        mats.append(_make(mat, input._backend, input._device))
    return apply(_LINEAR[mode], input, mats=tuple(mats))


class _SeparableLinear(Node):
    """Linear/cubic resampling: along each spatial axis, a product with its (out, in) interpolation
    matrix (``self.mats``, constants; None leaves the axis as it is); the gradient multiplies by
    the transposes, axis by axis."""

    def forward(self, a):
        xp = a._backend.xp
        x = a._data
        for k, m in enumerate(self.mats):
            if m is not None:
                x = xp.moveaxis(xp.matmul(xp.moveaxis(x, 2 + k, -1), m._data.T), -1, 2 + k)
        if x is a._data:  # no axis resized: still a new tensor
            return xp.asarray(x, copy=True)
        contiguous = getattr(xp, "ascontiguousarray", None)
        return contiguous(x) if contiguous is not None else x

    def backward(self, grad):
        for k in reversed(range(len(self.mats))):
            if self.mats[k] is not None:
                grad = grad.transpose(2 + k, -1).matmul(self.mats[k]).transpose(2 + k, -1)
        return grad.contiguous()


class UpsampleLinear1DBackward0(_SeparableLinear):
    pass


class UpsampleBilinear2DBackward0(_SeparableLinear):
    pass


class UpsampleBicubic2DBackward0(_SeparableLinear):
    pass


class UpsampleTrilinear3DBackward0(_SeparableLinear):
    pass


class UpsampleBilinear2DAaBackward0(_SeparableLinear):
    pass


class UpsampleBicubic2DAaBackward0(_SeparableLinear):
    pass


class UpsampleLanczos2DAaBackward0(_SeparableLinear):
    pass


_ANTIALIASED = {
    "bilinear": UpsampleBilinear2DAaBackward0,
    "bicubic": UpsampleBicubic2DAaBackward0,
    "lanczos": UpsampleLanczos2DAaBackward0,
}


_LINEAR = {
    "linear": UpsampleLinear1DBackward0,
    "bilinear": UpsampleBilinear2DBackward0,
    "bicubic": UpsampleBicubic2DBackward0,
    "trilinear": UpsampleTrilinear3DBackward0,
}


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)
