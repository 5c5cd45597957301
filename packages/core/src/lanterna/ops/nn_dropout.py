"""Dropout: zero elements (or whole channels) with probability ``p``, scale the rest by 1/(1-p).

The mask is drawn with ``bernoulli_`` on the input's device generator, in PyTorch's order, so
``manual_seed`` reproduces the same masks.
"""

from __future__ import annotations

import warnings

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input, shape, p):
    with no_grad():
        noise = input.new_empty(shape)
        if p == 1.0:
            return noise.zero_()
        noise.bernoulli_(1 - p)
        noise.div_(1 - p)
    return noise


def dropout(input, p=0.5, train=True, inplace=False):
    """Zero each element with probability ``p`` (in training), scaling the kept ones by ``1/(1-p)``.

    >>> import lanterna as torch
    >>> torch.dropout(torch.ones(3), 0.5, False)
    tensor([1., 1., 1.])
    """
    _check_p(p)
    if not isinstance(input, Tensor):
        raise TypeError(
            f"dropout(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    if not train or p == 0.0:
        return input
    noise = _noise(input, input.shape, p)
    return input.mul_(noise) if inplace else input * noise


def feature_dropout(input, p=0.5, train=True, inplace=False):
    """Zero whole channels (dim 1, or dim 0 for unbatched input) with probability ``p``."""
    _check_p(p)
    if not train or p == 0.0:
        return input
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    noise = _noise(input, shape, p)
    return input.mul_(noise) if inplace else input * noise


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
            "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    if input.dim() == 2:
        return feature_dropout(input.unsqueeze(0), p, training, inplace).squeeze(0)
    return feature_dropout(input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, H, W) input (3-D input is treated as (N, C, L), as in PyTorch)."""
    if input.dim() not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is deprecated and will result "
            "in an error in a future release. To retain the behavior and silence this warning, please use "
            "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
            "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
            "inputs).",
            stacklevel=2,
        )
    if input.dim() == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
            "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
            "will change in a future release to interpret the input as one without a batch dimension, i.e. "
            "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
            "dropout1d instead.",
            stacklevel=2,
        )
    return feature_dropout(input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, D, H, W) or (C, D, H, W) input."""
    if input.dim() == 4:
        return feature_dropout(input.unsqueeze(0), p, training, inplace).squeeze(0)
    return feature_dropout(input, p, training, inplace)


_ALPHA = 1.7580993408473766  # -SELU scale * SELU alpha: the value dropped units take


def alpha_dropout(input, p=0.5, train=False, inplace=False):
    """Dropout that keeps the mean and variance of SELU activations."""
    _check_p(p)
    if not train or p == 0.0:
        return input
    if p == 1.0:
        return input.mul(0) if not inplace else input.mul_(0)
    with no_grad():
        keep = input.new_empty(input.shape).bernoulli_(1 - p)
        a = 1.0 / ((_ALPHA**2 * p + 1) * (1 - p)) ** 0.5
        b = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
        noise = keep * a
    out = input * noise + b
    return input.copy_(out) if inplace else out
