"""Functional convolutions, pooling and the window tricks built on them (unfold/fold, pixel shuffle)."""

from __future__ import annotations

import lanterna
from lanterna.ops import nn_aten, nn_conv, nn_pool

conv1d = nn_conv.conv1d
conv2d = nn_conv.conv2d
conv_transpose1d = nn_conv.conv_transpose1d
conv_transpose2d = nn_conv.conv_transpose2d
conv3d = nn_conv.conv3d
conv_transpose3d = nn_conv.conv_transpose3d
avg_pool1d = nn_pool.avg_pool1d
avg_pool2d = nn_pool.avg_pool2d
avg_pool3d = nn_pool.avg_pool3d
adaptive_avg_pool1d = nn_pool.adaptive_avg_pool1d
adaptive_avg_pool2d = nn_pool.adaptive_avg_pool2d
adaptive_avg_pool3d = nn_pool.adaptive_avg_pool3d
pixel_shuffle = nn_aten.pixel_shuffle
pixel_unshuffle = nn_aten.pixel_unshuffle
channel_shuffle = nn_aten.channel_shuffle
native_channel_shuffle = nn_aten.native_channel_shuffle


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling over (N, C, L) input."""
    return nn_pool.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling over (N, C, H, W) input.

    >>> import lanterna as torch
    >>> torch.nn.functional.max_pool2d(torch.arange(4.).reshape(1, 1, 2, 2), 2)
    tensor([[[[3.]]]])
    """
    return nn_pool.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling over (N, C, D, H, W) input.

    >>> import lanterna as torch
    >>> torch.nn.functional.max_pool3d(torch.arange(8.).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
    (tensor([[[[[7.]]]]]), tensor([[[[[7]]]]]))
    """
    return nn_pool.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) input to ``output_size``."""
    return nn_pool.adaptive_max_pool1d(input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of (N, C, H, W) input to ``output_size``."""
    return nn_pool.adaptive_max_pool2d(input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """``(values, indices)`` of ``adaptive_max_pool1d``, whatever ``return_indices`` says (as PyTorch)."""
    return nn_pool.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return nn_pool.adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) input to ``output_size``."""
    return nn_pool.adaptive_max_pool3d(input, output_size, return_indices)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return nn_pool.adaptive_max_pool3d(input, output_size, True)


def _ntuple(v, n):
    """PyTorch's ``_pair``/``_triple``: an iterable as a tuple (any length), else ``v`` repeated."""
    try:
        return tuple(v)
    except TypeError:
        return (v,) * n


def _fractional_max_pool(input, kernel_size, output_size, output_ratio, random_samples, nd):
    """What ``fractional_max_pool2d``/``3d`` do before the kernel: the output size from
    ``output_ratio`` (truncated, as ``int(size * ratio)``) and, when none are given, the random
    samples drawn as PyTorch draws them (``rand(N, C, nd)`` from the global generator, in the
    input's dtype), so that a seeded run picks PyTorch's windows."""
    fn = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError(f"{fn} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = _ntuple(output_ratio, nd)
        output_size = [int(input.size(-nd + i) * ratio[i]) for i in range(nd)]
    if random_samples is None:
        batch = 1 if input.dim() == nd + 1 else input.size(0)
        random_samples = lanterna.rand(batch, input.size(-nd - 1), nd, dtype=input.dtype, device=input.device)
    return nn_pool.fractional_max_pool(input, kernel_size, output_size, random_samples, nd)


def fractional_max_pool2d_with_indices(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    """``fractional_max_pool2d`` returning ``(output, indices)`` whatever ``return_indices``."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool2d(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) input: ``kernel_size`` windows whose
    starts advance by a pseudo-random fractional step, to ``output_size`` (or ``output_ratio`` of
    the input's size). ``_random_samples`` (N, C, 2) in [0, 1) fixes the windows.

    >>> import lanterna as torch
    >>> import lanterna.nn.functional as F
    >>> x = torch.arange(25.).reshape(1, 1, 5, 5)
    >>> F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=torch.full((1, 1, 2), 0.5))
    tensor([[[[ 6.,  9.],
              [21., 24.]]]])
    """
    out = _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 2)
    return out if return_indices else out[0]


def fractional_max_pool3d_with_indices(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    """``fractional_max_pool3d`` returning ``(output, indices)`` whatever ``return_indices``."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool3d(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    """Fractional max pooling of (N, C, T, H, W) or (C, T, H, W) input (see
    ``fractional_max_pool2d``); ``_random_samples`` is (N, C, 3), listed (t, h, w)."""
    out = _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 3)
    return out if return_indices else out[0]


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """The spatial size of a max unpooling: the default one, or ``output_size`` checked against it."""
    nd = len(kernel_size)
    default = [(input.shape[-nd + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(nd)]
    if output_size is None:
        return default
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(
            f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a length of "
            f"'{len(output_size)}'"
        )
    for d in range(nd):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
    return list(output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of ``max_pool3d``: values placed back at their argmax positions, zeros elsewhere.

    >>> import lanterna as torch
    >>> import lanterna.nn.functional as F
    >>> y, i = F.max_pool3d(torch.arange(8.).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
    >>> F.max_unpool3d(y, i, 2).flatten()
    tensor([0., 0., 0., 0., 0., 0., 0., 7.])
    """
    k = _triple(kernel_size)
    s = k if stride is None else _triple(stride)
    size = _unpool_output_size(input, k, s, _triple(padding), output_size)
    return nn_pool.max_unpool(input, indices, tuple(size), "max_unpooling3d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of ``max_pool2d``: values placed back at their argmax positions, zeros elsewhere."""
    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    s = k if stride is None else ((stride, stride) if isinstance(stride, int) else tuple(stride))
    p = (padding, padding) if isinstance(padding, int) else tuple(padding)
    if output_size is None:
        output_size = tuple((input.shape[-2 + i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(2))
    return nn_pool.max_unpool2d(input, indices, tuple(output_size)[-2:])


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
    s = k if stride is None else (stride if isinstance(stride, int) else stride[0])
    p = padding if isinstance(padding, int) else padding[0]
    length = (input.shape[-1] - 1) * s - 2 * p + k if output_size is None else tuple(output_size)[-1]
    return nn_pool.max_unpool2d(input.unsqueeze(-2), indices.unsqueeze(-2), (1, length)).squeeze(-2)


def _lp_pool_extreme(max_pool, input, norm_type, kernel_size, stride, ceil_mode):
    """``norm_type = +-inf``: the limit of the power mean, the max (min) of ``|x|`` over each window,
    as PyTorch computes it (``x^inf`` would overflow to inf or vanish to 0 instead)."""
    if norm_type == float("inf"):
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    return None


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over window of x^p)^(1/p)``."""
    out = _lp_pool_extreme(max_pool2d, input, norm_type, kernel_size, stride, ceil_mode)
    if out is not None:
        return out
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over window of x^p)^(1/p)`` over (N, C, L) input."""
    out = _lp_pool_extreme(max_pool1d, input, norm_type, kernel_size, stride, ceil_mode)
    if out is not None:
        return out
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kernel_size).pow(1.0 / norm_type)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over window of x^p)^(1/p)`` over (kd, kh, kw) windows."""
    out = _lp_pool_extreme(max_pool3d, input, norm_type, kernel_size, stride, ceil_mode)
    if out is not None:
        return out
    kd, kh, kw = _triple(kernel_size)
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kd * kh * kw).pow(1.0 / norm_type)


def _triple(v):
    return (v, v, v) if isinstance(v, int) else tuple(v)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _window_weight(like, kh, kw):
    """(kh*kw, 1, kh, kw) one-hot kernels: convolving with them copies each window offset out."""
    eye = lanterna.eye(kh * kw, dtype=like.dtype, device=like.device)
    return eye.reshape(kh * kw, 1, kh, kw)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), every sliding window as a column."""
    if input.dim() not in (3, 4):
        raise NotImplementedError(
            f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)"
        )
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    n, c, h, w = x.shape
    kh, kw = _pair(kernel_size)
    cols = conv2d(x.reshape(n * c, 1, h, w), _window_weight(x, kh, kw), None, stride, padding, dilation)
    out = cols.reshape(n, c * kh * kw, -1)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W), overlapping windows summed."""
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    kh, kw = _pair(kernel_size)
    oh_full, ow_full = _pair(output_size)
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    oh = (oh_full + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (ow_full + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    n, ckk, length = x.shape
    if ckk % (kh * kw):
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
            f"got input.size(1)={ckk} and kernel_size={(kh, kw)}"
        )
    if length != oh * ow:
        raise RuntimeError(
            f"Given output_size={(oh_full, ow_full)}, kernel_size={(kh, kw)}, dilation={(dh, dw)}, "
            f"padding={(ph, pw)}, stride={(sh, sw)}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got input.size(2)={length}."
        )
    c = ckk // (kh * kw)
    g = x.reshape(n * c, kh * kw, oh, ow)
    base = [
        (i - 1) * s - 2 * p + d * (k - 1) + 1
        for i, s, p, d, k in zip((oh, ow), (sh, sw), (ph, pw), (dh, dw), (kh, kw))
    ]
    out_pad = (oh_full - base[0], ow_full - base[1])
    out = (
        nn_conv.input_grad_op(
            g,
            _window_weight(x, kh, kw),
            (n * c, 1, oh_full, ow_full),
            nn_conv._Geometry((sh, sw), (ph, pw), (dh, dw), 1, kh, kw),
        )
        if min(out_pad) >= 0
        else None
    )
    if out is None:
        raise RuntimeError("fold: output_size is too small for the given windows")
    out = out.reshape(n, c, oh_full, ow_full)
    return out if batched else out.squeeze(0)
