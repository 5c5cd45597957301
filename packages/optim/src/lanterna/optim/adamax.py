"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

import lanterna

from ._helpers import (
    _as_scalar,
    init_step_and_zeros,
    _check_betas,
    _check_lr,
    _check_nonneg,
    _step_values,
    _steps_to_tensors,
    _to_scalar,
    _use_foreach,
    _use_grad,
)
from .optimizer import Optimizer

__all__ = ["Adamax", "adamax"]


class Adamax(Optimizer):
    r"""Adamax: :math:`u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon)`,
    :math:`\theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} m_t / u_t`.

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.Adamax([w], lr=0.1)
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                        "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
            _steps_to_tensors(self, group)

    def _init_group(self, group, params, grads, exp_avgs, exp_infs, state_steps):
        init_step_and_zeros(self, group, params, grads, state_steps, {"exp_avg": exp_avgs, "exp_inf": exp_infs})

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, exp_avgs, exp_infs, state_steps = [], [], [], [], []
            self._init_group(group, params, grads, exp_avgs, exp_infs, state_steps)
            beta1, beta2 = group["betas"]
            adamax(params, grads, exp_avgs, exp_infs, state_steps, foreach=group["foreach"],
                   differentiable=group["differentiable"], eps=group["eps"], beta1=beta1, beta2=beta2,
                   lr=group["lr"], weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


def adamax(params, grads, exp_avgs, exp_infs, state_steps, foreach=None, differentiable=False, *, eps,
           beta1, beta2, lr, weight_decay, maximize):
    """Functional Adamax: updates ``params`` and the state lists in place."""
    if not params:
        return
    if not _use_foreach(foreach, differentiable):
        lr = _as_scalar(lr)  # a tensor lr: PyTorch's loop computes the step size in its dtype
        for i, param in enumerate(params):
            grad = grads[i] if not maximize else -grads[i]
            exp_avg, exp_inf, step_t = exp_avgs[i], exp_infs[i], state_steps[i]
            step_t += 1
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_inf.copy_(lanterna.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps)))
            clr = lr / (1 - beta1 ** step_t.item())
            param.addcdiv_(exp_avg, exp_inf, value=-_to_scalar(clr))
        return
    lr = _to_scalar(lr)
    if maximize:
        grads = lanterna._foreach_neg(grads)
    lanterna._foreach_add_(state_steps, 1)
    if weight_decay != 0:
        grads = lanterna._foreach_add(grads, params, alpha=weight_decay)
    lanterna._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    lanterna._foreach_mul_(exp_infs, beta2)
    norm = lanterna._foreach_abs(grads)
    lanterna._foreach_add_(norm, eps)
    lanterna._foreach_maximum_(exp_infs, norm)
    neg_clr = [-lr / (1 - beta1**s) for s in _step_values(state_steps)]
    lanterna._foreach_addcdiv_(params, exp_avgs, exp_infs, neg_clr)
