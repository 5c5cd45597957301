"""The few ``torch.<name>`` nn functions whose argument order differs from ``nn.functional``'s."""

from __future__ import annotations

from . import nn_norm, nn_sparse


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    """``torch.batch_norm``: as ``F.batch_norm`` with PyTorch's ATen argument order."""
    return nn_norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding(weight, indices)``: rows of ``weight`` (``padding_idx=-1`` means none).

    >>> import lanterna as torch
    >>> torch.embedding(torch.eye(3), torch.tensor([2, 0]))
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    return nn_sparse.embedding(
        indices,
        weight,
        None if padding_idx == -1 else padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
        sparse=sparse,
    )
