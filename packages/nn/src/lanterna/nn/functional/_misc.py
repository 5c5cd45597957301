"""Functional linear maps, dropout, embedding, normalisation, padding, resampling and distances."""

from __future__ import annotations

import warnings

import lanterna
from lanterna.ops import (nn_aten, nn_distance, nn_dropout, nn_grid, nn_linear, nn_norm, nn_pad, nn_sparse,
                          nn_upsample)

linear = nn_linear.linear
bilinear = nn_linear.bilinear
pad = nn_pad.pad
one_hot = nn_sparse.one_hot
cosine_similarity = nn_distance.cosine_similarity
pairwise_distance = nn_distance.pairwise_distance
pdist = nn_distance.pdist
normalize = nn_distance.normalize
interpolate = nn_upsample.interpolate
affine_grid = nn_grid.affine_grid
grid_sample = nn_grid.grid_sample
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
    return nn_aten.feature_alpha_dropout(input, p, training, inplace)


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


_INDEX_ERROR = (
    "Expected i < index_size to be true, but got false.  (Could this error message be improved?  "
    "If so, please report an enhancement request to PyTorch.)"
)


def _index_dtype_check(t, arg, name):
    if t.dtype not in (lanterna.int64, lanterna.int32):
        raise RuntimeError(
            f"Expected tensor for argument #{arg} '{name}' to have one of the following scalar types: "
            "Long, Int; "
            f"but got {t.type()} instead (while checking arguments for embedding_bag)"
        )


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """Sums, means or maxima of bags of embeddings, without materialising the looked-up rows per bag.

    ``input`` is 2-D (one bag per row) or 1-D with ``offsets`` giving where each bag starts;
    ``per_sample_weights`` (mode "sum" only) scale each looked-up row; ``padding_idx`` entries are
    left out of their bag (and of its count for "mean"). Empty bags give zeros.

    >>> import lanterna as torch
    >>> w = torch.arange(12.0).reshape(6, 2)
    >>> torch.nn.functional.embedding_bag(torch.tensor([1, 2, 4, 5, 4]), w, torch.tensor([0, 2]), mode="sum")
    tensor([[ 6.,  8.],
            [26., 29.]])
    """
    if weight.dtype == lanterna.long and input.is_floating_point():
        warnings.warn(
            "Argument order of nn.functional.embedding_bag was changed. "
            "Usage `embedding_bag(weight, input, ...)` is deprecated, "
            "and should now be `embedding_bag(input, weight, ...)`.",
            stacklevel=2,
        )
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if not weight.dim() == 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                f"length sequences. However, found offsets of type {_torch_type_str(offsets)}"
            )
        offsets = lanterna.arange(0, input.numel(), input.size(1), dtype=input.dtype, device=input.device)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. "
            "per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub."
        )
    _index_dtype_check(input, 1, "indices")
    _index_dtype_check(offsets, 1, "offsets")
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
            f"'per_sample_weights'; but type {weight.type()} does not equal {per_sample_weights.type()} "
            "(while checking arguments for embedding_bag)"
        )
    n, dim = weight.shape
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise RuntimeError(
                f"padding_idx must be within the number of embeddings, -{n} through {n - 1}, "
                f"but got {padding_idx}"
            )
        if padding_idx < 0:
            padding_idx += n
    length = input.numel()
    offs = [int(o) for o in offsets.tolist()]
    if offs and offs[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
            "position 0. "
            f"However, got {offs[0]}"
        )
    if offs and offs[-1] > length:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {length} but got offsets[-1] of {offs[-1]}"
        )
    # (with include_last_offset the last offset only closes the list: the last bag still runs to the
    # end of input, as PyTorch computes it)
    starts = offs[:-1] if include_last_offset else offs
    ends = starts[1:] + [length] if starts else []
    lengths = [e - s for s, e in zip(starts, ends)]
    if any(k < 0 for k in lengths):
        raise RuntimeError(_INDEX_ERROR)
    if length:
        bad = (input < 0) | (input >= n)
        if bool(bad.any()):
            # (PyTorch's message depends on the kernel: float32 sum/mean run its fused one)
            if weight.dtype == lanterna.float32 and mode != "max":
                raise RuntimeError(_INDEX_ERROR)
            first = int(input[bad][0])
            raise RuntimeError(
                f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be {first}"
            )
    bags = len(starts)
    used = sum(lengths)
    # the looked-up rows (max_norm renormalises the looked-up rows of weight in place first)
    rows = embedding(input, weight, None, max_norm, norm_type, scale_grad_by_freq, sparse)[:used]
    idx = input[:used]
    keep = None if padding_idx is None else (idx != padding_idx)
    out_zeros = weight.new_zeros((bags, dim))
    if used == 0:
        # nothing looked up: zeros, still connected to weight as in PyTorch
        return out_zeros + weight[:0].sum(0)
    bag_ids = lanterna.repeat_interleave(
        lanterna.arange(bags, device=input.device), lanterna.tensor(lengths, device=input.device)
    )
    if mode == "max":
        width = max(lengths)
        j = lanterna.arange(width, device=input.device)
        start_t = lanterna.tensor(starts, device=input.device).unsqueeze(1)
        valid = j < lanterna.tensor(lengths, device=input.device).unsqueeze(1)
        pos = (start_t + j).clamp(max=used - 1)
        if keep is not None:
            valid = valid & keep[pos]
        picked = rows[pos]
        masked = lanterna.where(valid.unsqueeze(-1), picked, picked.new_full((), float("-inf")))
        best = masked.max(1).values
        return lanterna.where(valid.any(1).unsqueeze(-1), best, out_zeros)
    vals = rows
    if per_sample_weights is not None:
        vals = vals * per_sample_weights[:used].unsqueeze(1)
    if keep is not None:
        vals = lanterna.where(keep.unsqueeze(1), vals, vals.new_zeros(()))
    out = out_zeros.index_add(0, bag_ids, vals)
    if mode == "mean":
        ones = lanterna.ones(used, dtype=weight.dtype, device=weight.device)
        if keep is not None:
            ones = keep.to(weight.dtype)
        counts = weight.new_zeros(bags).index_add(0, bag_ids, ones)
        out = out / counts.clamp_min(1).unsqueeze(1)
    return out


def _torch_type_str(x):
    t = type(x)
    if isinstance(x, lanterna.Tensor):
        return "<class 'torch.Tensor'>"
    return str(t)


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
    return nn_aten.instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps)


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


rms_norm = nn_aten.rms_norm


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
