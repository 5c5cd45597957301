"""Spatial transformers: ``affine_grid`` (the sampling points of a batch of affine maps) and
``grid_sample`` (an input read at such points, by bilinear/trilinear, nearest or (2-D) bicubic
interpolation), over 2-D (N, C, H, W) and 3-D (N, C, D, H, W) inputs.

Grid coordinates are normalised to [-1, 1] per axis and listed (x, y[, z]), i.e. (W, H[, D]): the
last spatial axis first. Each one maps to an input coordinate (``_source``: unnormalised, then
clipped or reflected for the ``border`` and ``reflection`` padding modes), a piecewise linear map
whose slope is kept for the gradient. The sampler reads the 2^nd corners around every point with
one gather each; its backward scatters the gradient back to those corners and, for the grid, takes
the weights' slopes, in Tensor ops (so it can be differentiated again).
"""

from __future__ import annotations

import itertools
import math
import warnings

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from ._apply import Node, apply, check_same_device
from .kernels import fmod, kernel

_make = Tensor._make

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
    "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for "
    "details."
)


# ---- affine_grid ----------------------------------------------------------------------------
def _base_grid(theta, spatial, align_corners):
    """(prod(spatial), nd + 1) array: every output point's normalised (x, y[, z], 1)."""
    xp = theta._backend.xp
    axes = []
    for n in spatial:
        if n <= 1:
            r = xp.zeros((max(n, 0),), dtype=theta._data.dtype)
        else:
            r = _linspace(theta, n)
            if not align_corners:
                r = r * (n - 1) / n
        axes.append(r)
    nd = len(spatial)
    columns = []
    for axis in reversed(range(nd)):  # x (the last axis) first
        shape = [1] * nd
        shape[axis] = spatial[axis]
        columns.append(xp.broadcast_to(xp.reshape(axes[axis], tuple(shape)), tuple(spatial)))
    columns.append(xp.ones(tuple(spatial), dtype=theta._data.dtype))
    return xp.reshape(xp.stack(columns, axis=-1), (math.prod(spatial), nd + 1))


def _linspace(theta, n):
    from .creation import linspace

    return linspace(-1, 1, n, dtype=theta.dtype, device=theta.device)._data


class AffineGridGeneratorBackward0(Node):
    """grid = base @ theta^T per sample: a linear map of theta."""

    def forward(self, theta):
        xp = theta._backend.xp
        self.base = base = _base_grid(theta, self.spatial, self.align_corners)
        out = xp.matmul(base, xp.permute_dims(theta._data, (0, 2, 1)))  # (N, L, nd)
        return xp.reshape(out, (theta.shape[0],) + tuple(self.spatial) + (len(self.spatial),))

    def backward(self, grad):
        base = _make(self.base, grad._backend, grad._device)
        n, nd = grad.shape[0], grad.shape[-1]
        return grad.reshape(n, -1, nd).transpose(1, 2).matmul(base)


def affine_grid(theta, size, align_corners=None):
    """The (N, H, W, 2) (or (N, D, H, W, 3)) sampling grid of the affine maps ``theta`` (N, 2, 3)
    (or (N, 3, 4)) for an output of ``size`` (N, C, H, W) (or (N, C, D, H, W)).

    >>> import lanterna as torch
    >>> import lanterna.nn.functional as F
    >>> F.affine_grid(torch.tensor([[[1., 0., 0.], [0., 1., 0.]]]), (1, 1, 1, 2), align_corners=False)
    tensor([[[[-0.5000,  0.0000],
              [ 0.5000,  0.0000]]]])
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got {theta.shape}."
            )
        spatial = tuple(size[-2:])
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got {theta.shape}."
            )
        spatial = tuple(size[-3:])
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. "
            f"Got size {size}."
        )
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
            "of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return affine_grid_generator(theta, size, align_corners)


def affine_grid_generator(theta, size, align_corners):
    """``torch.affine_grid_generator``: ``affine_grid`` without its checks."""
    spatial = tuple(int(s) for s in size[2:])
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {len(spatial) + 1}] "
            f"but got: [{theta.shape[0]}, {theta.shape[2]}]."
        )
    return apply(AffineGridGeneratorBackward0, theta, spatial=spatial, align_corners=bool(align_corners))


# ---- grid_sample ----------------------------------------------------------------------------
def _clip(xp, ix, size):
    """``ix`` clipped to [0, size - 1] (NaN to size - 1, as C++'s min(lim, max(ix, 0))), and the
    slope: 0 outside and on the borders (PyTorch counts them as outside)."""
    lim = size - 1
    inside = (ix > 0) & (ix < lim)
    return xp.where(ix < lim, xp.where(ix > 0, ix, 0), lim), inside


def _reflect(xp, ix, twice_low, twice_high):
    """``ix`` reflected into [twice_low / 2, twice_high / 2] and the slope (+1 or -1)."""
    if twice_low == twice_high:
        return xp.zeros_like(ix), xp.zeros(ix.shape, dtype=xp.bool)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    x = ix - lo
    negative = x < 0
    x = xp.abs(x)
    extra = fmod(x, span)
    flips = xp.floor(x / span)
    odd = fmod(flips, 2) != 0
    return xp.where(odd, span - extra + lo, extra + lo), negative != odd


def _source(xp, coord, size, padding_mode, align_corners):
    """The input coordinates read at normalised grid coordinates ``coord`` along an axis of
    ``size``, and d(coordinate)/d(coord), as arrays."""
    if align_corners:
        ix = (coord + 1) / 2 * (size - 1)
        scale = (size - 1) / 2
    else:
        ix = ((coord + 1) * size - 1) / 2
        scale = size / 2
    slope = xp.full(ix.shape, scale, dtype=ix.dtype)
    if padding_mode == "border":
        ix, inside = _clip(xp, ix, size)
        slope = xp.where(inside, slope, 0)
    elif padding_mode == "reflection":
        low, high = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        ix, flipped = _reflect(xp, ix, low, high)
        slope = xp.where(flipped, -slope, slope)
        ix, inside = _clip(xp, ix, size)
        slope = xp.where(inside, slope, 0)
    return ix, slope


class _Corners:
    """Where every output point reads the input: per corner of its cell (2^nd of them bilinear, one
    nearest), the flat input index, whether it is inside the input, and the per-axis weights."""

    def __init__(self, xp, ixs, spatial, nearest):
        self.nearest = nearest
        strides = [math.prod(spatial[a + 1:]) for a in range(len(spatial))]
        if nearest:
            base = [xp.round(ix) for ix in ixs]  # half to even, as nearbyint
            bits = [(0,) * len(spatial)]
        else:
            base = [xp.floor(ix) for ix in ixs]
            self.frac = [ix - b for ix, b in zip(ixs, base)]  # weight of the upper corner, per axis
            bits = list(itertools.product((0, 1), repeat=len(spatial)))
        self.bits = bits
        self.index, self.inside = [], []
        for corner in bits:
            inside = None
            flat = 0
            for b, bit, n, stride in zip(base, corner, spatial, strides):
                pos = b + bit
                ok = (pos > -1) & (pos < n)
                inside = ok if inside is None else inside & ok
                flat = flat + xp.where(ok, pos, 0) * stride
            self.inside.append(inside)
            self.index.append(xp.astype(xp.where(inside, flat, 0), xp.int64))


def _gather_rows(backend, rows, index):
    """``rows`` (N, P, C), ``index`` (N, L) -> (N, L, C): each sample's rows at its indices."""
    xp = backend.xp
    n = rows.shape[0]
    batch = xp.reshape(xp.arange(n, dtype=xp.int64), (n, 1))
    return kernel(backend, "index_get")(rows, (batch, index))


class GridSampler2DBackward0(Node):
    """``input`` (N, C, *S) read at the points of ``grid`` (N, *O, nd)."""

    def forward(self, input, grid):
        if self.mode == "bicubic":
            return self._bicubic_forward(input, grid)
        backend = input._backend
        xp = backend.xp
        x, g = input._data, grid._data
        n, c = x.shape[:2]
        spatial = tuple(x.shape[2:])
        nd = len(spatial)
        out_sp = tuple(g.shape[1:-1])
        coords = xp.reshape(g, (n, -1, nd))
        ixs, self.slopes = [], []
        for axis in range(nd):
            coord = coords[:, :, nd - 1 - axis]  # (x, y[, z]): the last axis first
            ix, slope = _source(xp, coord, spatial[axis], self.padding_mode, self.align_corners)
            ixs.append(ix)
            self.slopes.append(slope)
        self.corners = corners = _Corners(xp, ixs, spatial, self.mode == "nearest")
        rows = xp.reshape(xp.permute_dims(x, (0,) + tuple(range(2, nd + 2)) + (1,)), (n, -1, c))
        out = None
        for k in range(len(corners.bits)):
            v = _gather_rows(backend, rows, corners.index[k])
            v = xp.where(corners.inside[k][..., None], v, 0)
            if not corners.nearest:
                v = v * self._weight(xp, k)[..., None]
            out = v if out is None else out + v
        self.save(input, grid)
        out = xp.permute_dims(out, (0, 2, 1))  # (N, C, L)
        return xp.reshape(out, (n, c) + out_sp)

    def _weight(self, xp, k, skip=None, frac=None):
        """Corner ``k``'s weight, the product over axes (x first) of frac or 1 - frac; without axis
        ``skip``. ``frac`` (Tensors) replaces the saved arrays."""
        frac = self.corners.frac if frac is None else frac
        w = None
        for axis in reversed(range(len(frac))):
            if axis == skip:
                continue
            f = frac[axis] if self.corners.bits[k][axis] else 1 - frac[axis]
            w = f if w is None else w * f
        return w

    def backward(self, grad):
        if self.mode == "bicubic":
            return self._bicubic_backward(grad)
        input, grid = self.saved
        backend, device = grad._backend, grad._device
        xp = backend.xp
        corners = self.corners
        n, c = input.shape[:2]
        nd = input.dim() - 2
        const = lambda a: _make(a, backend, device)  # noqa: E731
        g = grad.reshape(n, c, -1)
        length = g.shape[2]
        frac = None
        if not corners.nearest:
            frac = [const(f) for f in corners.frac]
            if GRAD_ENABLED[0] and _needs(grid):
                # for double backward, the weights as functions of the grid: the same values, the
                # slope of ``_source`` as their derivative
                coords = grid.reshape(n, -1, nd)
                for axis in range(nd):
                    coord = coords[:, :, nd - 1 - axis]
                    frac[axis] = frac[axis] + (coord - coord.detach()) * const(self.slopes[axis])
        gx = gg = None
        index = [const(i) for i in corners.index]
        if _needs(input):
            src, idx = [], []
            for k in range(len(corners.bits)):
                inside = corners.inside[k]
                if frac is None:
                    w = const(xp.astype(inside, grad._data.dtype))
                else:  # 0 outside the input, whatever the weight (NaN too)
                    w = self._weight(xp, k, frac=frac).where(const(inside), 0.0)
                src.append(g * w.reshape(n, 1, length))
                idx.append(index[k].reshape(n, 1, length).expand(n, c, length))
            if len(src) > 1:
                src, idx = [_cat(src, 2)], [_cat(idx, 2)]
            src, idx = src[0], idx[0]
            gx = input.new_zeros((n, c, math.prod(input.shape[2:]))).scatter_add(2, idx, src)
            gx = gx.reshape(input.shape)
        if _needs(grid):
            if corners.nearest:
                gg = grid.new_zeros(grid.shape)
            else:
                flat = input.reshape(n, c, -1)
                per_axis = [None] * nd
                for k, bits in enumerate(corners.bits):
                    v = flat.gather(2, index[k].reshape(n, 1, length).expand(n, c, length))
                    gv = (g * v).sum(1).where(const(corners.inside[k]), 0.0)  # (N, L)
                    for axis in range(nd):
                        d = gv * self._weight(xp, k, skip=axis, frac=frac)
                        d = d if bits[axis] else -d
                        per_axis[axis] = d if per_axis[axis] is None else per_axis[axis] + d
                parts = [per_axis[axis] * const(self.slopes[axis]) for axis in reversed(range(nd))]
                gg = _stack(parts, -1).reshape(grid.shape)
        return gx, gg

    # ---- bicubic (2-D only) ---------------------------------------------------------------------
    # PyTorch's bicubic sampler takes the point's coordinates unclipped: the 4x4 taps around it are
    # at integer offsets -1..2 from its floor, and the padding mode applies to each tap on its own
    # (clipped or reflected back into the input, or read as 0 outside it). So the weights are the
    # cubic convolution coefficients (A = -0.75) of the point's fractional part, and the grid's
    # gradient is their slope times d(coordinate)/d(grid), never a padding mode's slope.
    def _bicubic_forward(self, input, grid):
        backend = input._backend
        xp = backend.xp
        x, g = input._data, grid._data
        n, c, h, w = x.shape
        coords = xp.reshape(g, (n, -1, 2))
        self.frac, taps = [], []
        for axis, size in enumerate((w, h)):  # x (along W) first, as the grid lists them
            point = _unnormalize(coords[:, :, axis], size, self.align_corners)
            base = xp.floor(point)
            self.frac.append(point - base)
            mode, align = self.padding_mode, self.align_corners
            taps.append([_tap(xp, base + k, size, mode, align) for k in (-1, 0, 1, 2)])
        # tap (i along W, j along H): flat index into the (H*W) plane and whether it is inside
        self.index, self.inside = {}, {}
        for j, (row, row_ok) in enumerate(taps[1]):
            for i, (col, col_ok) in enumerate(taps[0]):
                self.inside[i, j] = ok = row_ok & col_ok
                self.index[i, j] = xp.where(ok, row * w + col, 0)
        rows = xp.reshape(xp.permute_dims(x, (0, 2, 3, 1)), (n, h * w, c))
        cx, cy = (_cubic_coefficients(f) for f in self.frac)
        out = None
        for j in range(4):  # along each tap row, then down the rows (PyTorch's order of sums)
            line = None
            for i in range(4):
                v = xp.where(self.inside[i, j][..., None], _gather_rows(backend, rows, self.index[i, j]), 0)
                v = cx[i][..., None] * v
                line = v if line is None else line + v
            line = cy[j][..., None] * line
            out = line if out is None else out + line
        self.save(input, grid)
        out = xp.permute_dims(out, (0, 2, 1))  # (N, C, L)
        return xp.reshape(out, (n, c) + tuple(g.shape[1:-1]))

    def _bicubic_backward(self, grad):
        input, grid = self.saved
        backend, device = grad._backend, grad._device
        const = lambda a: _make(a, backend, device)  # noqa: E731
        n, c, h, w = input.shape
        g = grad.reshape(n, c, -1)
        length = g.shape[2]
        frac = [const(f) for f in self.frac]
        scales = [_unnormalize_slope(size, self.align_corners) for size in (w, h)]
        if GRAD_ENABLED[0] and _needs(grid):
            # for double backward, the fractional parts as functions of the grid: the same values,
            # d(coordinate)/d(grid) as their slope
            coords = grid.reshape(n, -1, 2)
            for axis in range(2):
                coord = coords[:, :, axis]
                frac[axis] = frac[axis] + (coord - coord.detach()) * scales[axis]
        cx, cy = (_cubic_coefficients(f) for f in frac)
        inside = {k: const(v) for k, v in self.inside.items()}
        index = {k: const(v).reshape(n, 1, length).expand(n, c, length) for k, v in self.index.items()}
        gx = gg = None
        if _needs(input):
            src = [g * (cx[i] * cy[j]).where(inside[i, j], 0.0).reshape(n, 1, length) for i, j in index]
            gx = input.new_zeros((n, c, h * w)).scatter_add(2, _cat(list(index.values()), 2), _cat(src, 2))
            gx = gx.reshape(input.shape)
        if _needs(grid):
            dx, dy = (_cubic_slopes(f) for f in frac)
            flat = input.reshape(n, c, h * w)
            sx = sy = None
            for (i, j), idx in index.items():
                gv = (g * flat.gather(2, idx)).sum(1).where(inside[i, j], 0.0)  # (N, L)
                tx, ty = gv * (dx[i] * cy[j]), gv * (cx[i] * dy[j])
                sx = tx if sx is None else sx + tx
                sy = ty if sy is None else sy + ty
            gg = _stack([sx * scales[0], sy * scales[1]], -1).reshape(grid.shape)
        return gx, gg


def _unnormalize(coord, size, align_corners):
    """Grid coordinates in [-1, 1] as input coordinates along an axis of ``size`` (PyTorch's
    vectorised CPU formula)."""
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return (coord + 1) * (size / 2) - 0.5


def _unnormalize_slope(size, align_corners):
    return (size - 1) / 2 if align_corners else size / 2


def _tap(xp, pos, size, padding_mode, align_corners):
    """A bicubic tap at integer-valued input coordinates ``pos``: its integer coordinates after the
    padding mode, and whether it reads the input (only ``zeros`` taps fall outside)."""
    if padding_mode == "border":
        pos = _clip(xp, pos, size)[0]
    elif padding_mode == "reflection":
        low, high = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        pos = _clip(xp, _reflect(xp, pos, low, high)[0], size)[0]
    inside = (pos > -1) & (pos < size)
    return xp.astype(xp.where(inside, pos, 0), xp.int64), inside


_CUBIC_A = -0.75  # PyTorch's cubic convolution constant


def _cubic_coefficients(t, a=_CUBIC_A):
    """The 4 taps' weights at offsets -1, 0, 1, 2 from a point with fractional part ``t`` (arrays
    or Tensors), written as PyTorch evaluates them."""
    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _cubic_slopes(t, a=_CUBIC_A):
    """d/dt of ``_cubic_coefficients``."""
    def near(x):
        return (3 * (a + 2) * x - 2 * (a + 3)) * x

    def far(x):
        return (3 * a * x - 10 * a) * x + 8 * a

    return far(t + 1), near(t), -near(1 - t), -far(2 - t)


class GridSampler3DBackward0(GridSampler2DBackward0):
    """The 3-D sampler: the same code over 8 corners."""


def _needs(t):
    return t._requires_grad or t.grad_fn is not None


def _cat(tensors, dim):
    from .joining import cat

    return cat(tensors, dim)


def _stack(tensors, dim):
    from .joining import stack

    return stack(tensors, dim)


_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """``input`` (N, C, H, W) (or (N, C, D, H, W)) read at the normalised points of ``grid``
    (N, OH, OW, 2) (or (N, OD, OH, OW, 3)), by bilinear (trilinear), nearest or (2-D only) bicubic
    interpolation.

    >>> import lanterna as torch
    >>> import lanterna.nn.functional as F
    >>> x = torch.arange(4.).reshape(1, 1, 2, 2)
    >>> F.grid_sample(x, torch.tensor([[[[0., 0.], [1., -1.]]]]), align_corners=True)
    tensor([[[[1.5000, 1.0000]]]])
    """
    if mode not in _MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: "
            f"'{mode}'"
        )
    if padding_mode not in _PADDINGS:
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    return grid_sampler(input, grid, _MODES[mode], _PADDINGS[padding_mode], align_corners)


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """``torch.grid_sampler``: ``grid_sample`` with its modes as numbers (bilinear 0, nearest 1,
    bicubic 2; zeros 0, border 1, reflection 2)."""
    check_same_device(input, grid, "grid_sampler")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"expected scalar type {_scalar(input.dtype)} but found {_scalar(grid.dtype)}")
    nd = 2 if input.dim() == 4 else 3
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
            f"{list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but got grid "
            f"with sizes {list(grid.shape)}"
        )
    for i in range(2, input.dim()):
        if input.shape[i] <= 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes "
                f"{list(input.shape)} with dimension {i} being empty"
            )
    if input.dim() != nd + 2 or grid.dim() != input.dim():
        raise RuntimeError(
            f"grid_sampler(): expected {nd + 2}D input and grid with same number of dimensions, but got "
            f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if interpolation_mode == 2 and nd == 3:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.dtype.is_floating_point:
        kind = "grid_sampler_2d_cpu_kernel_impl" if nd == 2 else "grid_sampler3d_cpu"
        raise NotImplementedError(f'"{kind}" not implemented for \'{_scalar(input.dtype)}\'')
    cls = GridSampler2DBackward0 if nd == 2 else GridSampler3DBackward0
    mode = {1: "nearest", 2: "bicubic"}.get(interpolation_mode, "bilinear")
    padding = {0: "zeros", 1: "border", 2: "reflection"}[padding_mode]
    return apply(cls, input, grid, mode=mode, padding_mode=padding, align_corners=bool(align_corners))


def _scalar(dtype):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(dtype)

