r"""Functional interface (``torch.optim._functional``): the update rules without the optimizer classes.

``sparse_adam`` is SparseAdam's rule. PyTorch feeds it sparse COO gradients; Lanterna has no sparse
tensors, so here a gradient is dense and its nonzero entries play the part of the stored entries:
the result is PyTorch's for ``grad.to_sparse()``. (A sparse gradient from ``nn.Embedding(sparse=True)``
stores whole looked-up rows, zeros included; those zeros would count here as absent.)
"""

from __future__ import annotations

import math

from .adadelta import adadelta  # noqa: F401
from .adagrad import adagrad  # noqa: F401
from .adam import adam  # noqa: F401
from .adamax import adamax  # noqa: F401
from .adamw import adamw  # noqa: F401
from .asgd import asgd  # noqa: F401
from .nadam import nadam  # noqa: F401
from .radam import radam  # noqa: F401
from .rmsprop import rmsprop  # noqa: F401
from .rprop import rprop  # noqa: F401
from .sgd import sgd  # noqa: F401


def sparse_adam(params, grads, exp_avgs, exp_avg_sqs, state_steps, *, eps, beta1, beta2, lr, maximize):
    r"""Functional SparseAdam: updates only the entries where the gradient is nonzero.

    ``state_steps`` holds each parameter's step count after this step (plain integers). The
    arithmetic is PyTorch's, in its order, on the selected entries.

    >>> import lanterna as torch
    >>> from lanterna.optim._functional import sparse_adam
    >>> w, m, v = torch.ones(3), torch.zeros(3), torch.zeros(3)
    >>> sparse_adam([w], [torch.tensor([0.5, 0.0, -2.0])], [m], [v], [1], eps=1e-8, beta1=0.9,
    ...             beta2=0.999, lr=0.1, maximize=False)
    >>> w  # the middle entry has no gradient and does not move
    tensor([0.9000, 1.0000, 1.1000])
    """
    for i, param in enumerate(params):
        grad = grads[i]
        grad = grad if not maximize else -grad
        mask = grad != 0  # the entries a sparse gradient would store
        grad_values = grad[mask]
        if grad_values.numel() == 0:
            continue  # an empty gradient: no update
        exp_avg, exp_avg_sq, step = exp_avgs[i], exp_avg_sqs[i], state_steps[i]

        # old <- b * old + (1 - b) * new, written as old += (1 - b) * (new - old)
        old_exp_avg_values = exp_avg[mask]
        exp_avg_update_values = grad_values.sub(old_exp_avg_values).mul_(1 - beta1)
        exp_avg[mask] = old_exp_avg_values + exp_avg_update_values
        old_exp_avg_sq_values = exp_avg_sq[mask]
        exp_avg_sq_update_values = grad_values.pow(2).sub_(old_exp_avg_sq_values).mul_(1 - beta2)
        exp_avg_sq[mask] = old_exp_avg_sq_values + exp_avg_sq_update_values

        numer = exp_avg_update_values.add_(old_exp_avg_values)
        exp_avg_sq_update_values.add_(old_exp_avg_sq_values)
        denom = exp_avg_sq_update_values.sqrt_().add_(eps)
        del exp_avg_update_values, exp_avg_sq_update_values

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr * math.sqrt(bias_correction2) / bias_correction1
        param[mask] = param[mask] + (-step_size * numer.div_(denom))
