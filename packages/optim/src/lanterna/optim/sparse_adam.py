"""SparseAdam: Adam that updates only the entries a sparse gradient holds.

Lanterna has no sparse tensors: every gradient is dense (``nn.Embedding(sparse=True)`` accepts
the flag and returns a dense gradient). ``SparseAdam.step()`` therefore raises PyTorch's own
error for dense gradients, ``"SparseAdam does not support dense gradients, please consider Adam
instead"``, exactly where PyTorch would raise it. Everything else is PyTorch's: the defaults,
argument checks, ``param_groups`` and the ``state_dict`` layout (a plain integer ``step``), so a
PyTorch SparseAdam checkpoint loads and saves unchanged. The masked update itself is available as
:func:`lanterna.optim._functional.sparse_adam`, which takes the nonzero entries of a dense gradient
as the stored entries of a sparse one.
"""

from __future__ import annotations

import lanterna
from lanterna import Tensor

from . import _functional as F
from ._helpers import _to_scalar
from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""Adam masked to the entries of sparse gradients (PyTorch's ``SparseAdam``).

    For the entries present in the gradient, :math:`m \leftarrow m + (1-\beta_1)(g - m)`,
    :math:`v \leftarrow v + (1-\beta_2)(g^2 - v)` and
    :math:`\theta \leftarrow \theta - \gamma \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t} \frac{m}{\sqrt v + \epsilon}`;
    other entries keep their moments and values. Lanterna's gradients are always dense, so
    ``step()`` raises PyTorch's dense-gradient error (see :mod:`lanterna.optim.sparse_adam`).

    >>> import lanterna as torch
    >>> w = torch.zeros(3, requires_grad=True)
    >>> opt = torch.optim.SparseAdam([w], lr=0.1)
    >>> opt.param_groups[0]["betas"]
    (0.9, 0.999)
    >>> w.grad = torch.tensor([1.0, 0.0, 2.0])
    >>> opt.step()
    Traceback (most recent call last):
        ...
    RuntimeError: SparseAdam does not support dense gradients, please consider Adam instead
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)

        sparse_params, complex_params = [], []
        for index, param_group in enumerate(self.param_groups):
            if not isinstance(param_group, dict):
                raise AssertionError(f"param_groups must be a list of dicts, but got {type(param_group)}")
            for d_index, d_param in enumerate(param_group["params"]):
                if d_param.is_sparse:
                    sparse_params.append([index, d_index])
                if d_param.is_complex():
                    complex_params.append([index, d_index])
        if sparse_params:
            raise ValueError(
                f"Sparse params at indices {sparse_params}: SparseAdam requires dense parameter tensors"
            )
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: SparseAdam does not support complex parameters"
            )

    @lanterna.no_grad()
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss.

        Raises PyTorch's ``RuntimeError`` for a dense gradient, which in Lanterna is every gradient.
        """
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params_with_grad, grads, exp_avgs, exp_avg_sqs, state_steps = [], [], [], [], []
            beta1, beta2 = group["betas"]
            maximize = group.get("maximize", False)
            for p in group["params"]:
                if p.grad is not None:
                    params_with_grad.append(p)
                    if not p.grad.is_sparse:
                        raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
                    grads.append(p.grad)
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = 0
                        state["exp_avg"] = lanterna.zeros_like(p)
                        state["exp_avg_sq"] = lanterna.zeros_like(p)
                    exp_avgs.append(state["exp_avg"])
                    exp_avg_sqs.append(state["exp_avg_sq"])
                    state["step"] += 1
                    state_steps.append(state["step"])
            F.sparse_adam(params_with_grad, grads, exp_avgs, exp_avg_sqs, state_steps, eps=group["eps"],
                          beta1=beta1, beta2=beta2, lr=_to_scalar(group["lr"]), maximize=maximize)
        return loss
