"""Functional linear maps, dropout, embedding, normalisation, padding, resampling and distances."""

from __future__ import annotations

import warnings

import lanterna
from lanterna.ops import nn_distance, nn_dropout, nn_linear, nn_norm, nn_pad, nn_sparse, nn_upsample

linear = nn_linear.linear
bilinear = nn_linear.bilinear
pad = nn_pad.pad
one_hot = nn_sparse.one_hot
cosine_similarity = nn_distance.cosine_similarity
pairwise_distance = nn_distance.pairwise_distance
pdist = nn_distance.pdist
normalize = nn_distance.normalize
interpolate = nn_upsample.interpolate
layer_norm = nn_norm.layer_norm
group_norm = nn_norm.group_norm


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability ``p`` in training (the rest scaled by ``1/(1-p)``).

    >>> import lanterna as torch
    >>> torch.nn.functional.dropout(torch.ones(2), 0.5, training=False)
    tensor([1., 1.])
    """
    return nn_dropout.dropout(input, p, training, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    return nn_dropout.dropout1d(input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels with probability ``p``."""
    return nn_dropout.dropout2d(input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    return nn_dropout.dropout3d(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return nn_dropout.alpha_dropout(input, p, training, inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels."""
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    alpha = 1.7580993408473766
    with lanterna.no_grad():
        keep = input.new_empty(shape).bernoulli_(1 - p)
        a = 1.0 / ((alpha**2 * p + 1) * (1 - p)) ** 0.5
        b = (keep - 1) * (alpha * a) + alpha * a * p
        noise = keep * a
    out = input * noise + b
    return input.copy_(out) if inplace else out


def embedding(
    input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False
):
    """Rows of ``weight`` at the integer indices ``input``."""
    if padding_idx is not None:
        n = weight.size(0)
        if padding_idx > 0 and padding_idx >= n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0 and padding_idx < -n:
            raise AssertionError("Padding_idx must be within num_embeddings")
    return nn_sparse.embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Batch normalisation over dim 1 (see :class:`lanterna.nn.BatchNorm2d`)."""
    if training:
        size = input.shape
        n = 1
        for i, s in enumerate(size):
            if i != 1:
                n *= s
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    return nn_norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """Normalise each (sample, channel) plane over its spatial dims."""
    n, c = input.shape[0], input.shape[1]
    if use_input_stats:
        if running_mean is not None or running_var is not None:
            # the running statistics average the per-instance ones over the batch
            flat = input.reshape(1, n * c, *input.shape[2:])
            rm = running_mean.repeat(n) if running_mean is not None else None
            rv = running_var.repeat(n) if running_var is not None else None
            out = nn_norm.batch_norm(flat, rm, rv, None, None, True, momentum, eps).reshape(input.shape)
            with lanterna.no_grad():
                if running_mean is not None:
                    running_mean.copy_(rm.reshape(n, c).mean(0))
                if running_var is not None:
                    running_var.copy_(rv.reshape(n, c).mean(0))
        else:
            spatial = 1
            for s in input.shape[2:]:
                spatial *= s
            out = nn_norm.layer_norm(input.reshape(n, c, spatial), (spatial,), eps=eps).reshape(input.shape)
    else:
        out = nn_norm.batch_norm(input, running_mean, running_var, None, None, False, momentum, eps)
    shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalise each channel by the sum of squares of its ``size`` neighbouring channels."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input * input
    n, c = input.shape[0], input.shape[1]
    div = div.reshape(n, 1, c, -1)
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    from lanterna.ops.nn_pool import avg_pool2d

    div = avg_pool2d(div, (size, 1), stride=1).reshape(input.shape)
    return input / (div * alpha + k) ** beta


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the last dims."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    dims = tuple(range(-len(normalized_shape), 0))
    if eps is None:
        eps = lanterna.finfo(input.dtype).eps if hasattr(lanterna, "finfo") else 1.1920928955078125e-07
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated: use :func:`interpolate`."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
