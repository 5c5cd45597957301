"""Functional losses. Each accepts the deprecated ``size_average``/``reduce`` pair as PyTorch does."""

from __future__ import annotations

import math
import warnings

import lanterna
from lanterna.ops import nn_aten, nn_loss
from lanterna.ops._argerrors import not_a_tensor as _not_a_tensor

from ._reduction import resolve

_REDUCTIONS = ("none", "mean", "sum")


_reduce = nn_aten.reduce  # "mean" / "sum" / "none" of a loss tensor, shared with the top-level losses


def _weighted_reduce(loss, weight, input, reduction, by_weight):
    """The ``weight=`` form of mse/l1/huber loss, as PyTorch: ``weight`` must have ``input``'s
    exact shape, and ``'mean'`` divides by ``weight.sum()`` for mse and l1 (a weighted mean) but by
    the element count for huber."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    loss = loss * weight
    if reduction == "mean" and by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _warn_shape(input, target):
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
            "same size.",
            stacklevel=3,
        )


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Cross-entropy of logits ``input`` (N, C, d...) against class indices or class probabilities.

    >>> import lanterna as torch
    >>> torch.nn.functional.cross_entropy(torch.tensor([[2.0, 0.0]]), torch.tensor([0]))
    tensor(0.1269)
    """
    if not isinstance(input, lanterna.Tensor) or not isinstance(target, lanterna.Tensor):
        raise _not_a_tensor("cross_entropy_loss", *((input, "input", 1) if not isinstance(input, lanterna.Tensor)
                                                    else (target, "target", 2)))
    reduction = resolve(size_average, reduce, reduction)
    return nn_loss.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log likelihood of log-probabilities ``input`` at class indices ``target``."""
    reduction = resolve(size_average, reduce, reduction)
    return nn_loss.nll_loss(input, target, weight, ignore_index, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error."""
    if not isinstance(input, lanterna.Tensor) or not isinstance(target, lanterna.Tensor):
        target.size(), input.size()  # PyTorch's own first use of them fails (AttributeError for a list)
    reduction = resolve(size_average, reduce, reduction)
    _warn_shape(input, target)
    if weight is not None:
        return _weighted_reduce((input - target) ** 2, weight, input, reduction, by_weight=True)
    return nn_loss.mse_loss(input, target, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error."""
    reduction = resolve(size_average, reduce, reduction)
    _warn_shape(input, target)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted_reduce(loss, weight, input, reduction, by_weight=True)
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``."""
    reduction = resolve(size_average, reduce, reduction)
    _warn_shape(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _reduce((input - target).abs(), reduction)
    return nn_loss.smooth_l1_loss(input, target, reduction, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d^2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``."""
    _warn_shape(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return nn_loss.huber_loss(input, target, reduction, delta)
    d = input - target
    ad = d.abs()
    loss = lanterna.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _weighted_reduce(loss, weight, input, reduction, by_weight=False)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` against ``target``."""
    reduction = resolve(size_average, reduce, reduction)
    return nn_loss.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """Binary cross-entropy of logits (sigmoid fused in, stable)."""
    reduction = resolve(size_average, reduce, reduction)
    return nn_loss.binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence ``target * (log(target) - input)`` with ``input`` given as log-probabilities."""
    reduction = resolve(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    return nn_aten.kl_div_loss(input, target, reduction, log_target)


def poisson_nll_loss(
    input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"
):
    """Negative log likelihood of a Poisson distribution with rate ``exp(input)`` (or ``input``)."""
    reduction = resolve(size_average, reduce, reduction)
    return nn_aten.poisson_nll(input, target, log_input, full, eps, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log likelihood of a Gaussian with predicted mean ``input`` and variance ``var``."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = lanterna.full_like(input, var)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:  # homoscedastic: one variance per sample
            var = var.unsqueeze(-1)
        # otherwise var must broadcast to input with exactly one mismatched dim, of size 1
        # (e.g. (N, 1) for (N, D), or (N, 1, H, W) for (N, C, H, W))
        elif not (
            var.dim() == input.dim() and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with lanterna.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def cosine_embedding_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """``1 - cos`` for ``target == 1``, ``max(0, cos - margin)`` for ``target == -1``."""
    reduction = resolve(size_average, reduce, reduction)
    return nn_aten.cosine_embedding(input1, input2, target, margin, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``."""
    reduction = resolve(size_average, reduce, reduction)
    return nn_aten.margin_ranking(input1, input2, target, margin, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``x`` for ``target == 1``, ``max(0, margin - x)`` for ``target == -1``."""
    reduction = resolve(size_average, reduce, reduction)
    return nn_aten.hinge_embedding(input, target, margin, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))``."""
    reduction = resolve(size_average, reduce, reduction)
    from lanterna.ops.nn_activation import softplus
    from lanterna.ops.nn_loss import _not_differentiable

    _not_differentiable("soft_margin_loss", target=target)
    if isinstance(input, lanterna.Tensor) and isinstance(target, lanterna.Tensor) and (
        input.dtype.is_floating_point and input.dtype is target.dtype and input.shape == target.shape
    ):
        return nn_loss.soft_margin_loss(input, target, reduction)
    return _reduce(softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Per-class binary logistic loss, averaged over classes."""
    reduction = resolve(size_average, reduce, reduction)
    from lanterna.ops.nn_activation import logsigmoid

    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.dim() - 1) / input.size(-1)
    return _reduce(loss, reduction)


def multi_margin_loss(
    input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Multi-class hinge loss ``sum_{i != y} max(0, margin - x[y] + x[i])^p / C``."""
    reduction = resolve(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    t = target.reshape(-1, 1)
    xy = x.gather(1, t)
    z = (margin - xy + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t]
    z = z.scatter(1, t, 0.0)
    loss = z.sum(1) / x.size(1)
    if input.dim() != 2:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with pairwise p-norm distances."""
    reduction = resolve(size_average, reduce, reduction)
    return nn_aten.triplet_margin(anchor, positive, negative, margin, p, eps, swap, reduction)


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    """Triplet loss with a custom ``distance_function`` (pairwise distance by default)."""
    from lanterna.ops.nn_distance import pairwise_distance

    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = lanterna.minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-class multi-label hinge loss: ``sum_{j, i} max(0, 1 - (x[y_j] - x[i])) / C`` over the target
    classes ``y_j`` (``target`` lists them, ended by the first -1) and the other classes ``i``.

    >>> import lanterna as torch
    >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> torch.nn.functional.multilabel_margin_loss(x, torch.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    reduction = resolve(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    dim = input.dim()
    if not (dim <= 1 and input.numel() > 0 or dim == 2 and input.size(1) > 0):
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, "
            f"but got: {list(input.shape)}"
        )
    if target.shape != input.shape:
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    if target.dtype != lanterna.int64:
        from lanterna.ops.reduce import legacy_scalar_name

        raise RuntimeError(f"expected scalar type Long but found {legacy_scalar_name(target.dtype)}")
    x = input.reshape(-1, input.numel() if dim < 2 else input.size(1))
    y = target.reshape(x.shape)
    classes = x.size(1)
    if bool(((y < -1) | (y >= classes)).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    # the targets of each row: its entries before the first -1
    valid = (y < 0).long().cumsum(1) == 0
    idx = y.clamp(min=0)
    is_target = lanterna.zeros_like(x).scatter_add(1, idx, valid.to(x.dtype)) > 0
    x_target = x.gather(1, idx)
    z = (1 - x_target.unsqueeze(2) + x.unsqueeze(1)).relu()
    mask = valid.unsqueeze(2) & ~is_target.unsqueeze(1)
    loss = lanterna.where(mask, z, z.new_zeros(())).sum((1, 2)) / classes
    if dim < 2:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def ctc_loss(
    log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False
):
    """The Connectionist Temporal Classification loss of ``log_probs`` (T, N, C), e.g. from
    ``log_softmax``, against ``targets`` (padded (N, S) or concatenated 1-D), per-sample lengths in
    ``input_lengths`` and ``target_lengths`` (tensors or tuples). "mean" divides each loss by its
    target length, then averages over the batch; ``zero_infinity`` zeroes impossible alignments.

    >>> import lanterna as torch
    >>> lp = torch.full((2, 1, 2), 0.5).log()
    >>> torch.nn.functional.ctc_loss(lp, torch.tensor([[1]]), (2,), (1,), reduction="sum")
    tensor(0.2877)
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    from lanterna.ops import nn_ctc

    return nn_ctc.ctc_loss(
        log_probs, targets, input_lengths, target_lengths, blank, _REDUCTIONS.index(reduction), zero_infinity
    )
