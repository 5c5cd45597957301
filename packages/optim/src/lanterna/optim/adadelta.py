"""Adadelta: steps scaled by the ratio of running RMS of updates to running RMS of gradients."""

from __future__ import annotations

import lanterna

from ._helpers import (
    init_step_and_zeros,
    _check_lr,
    _check_nonneg,
    _steps_to_tensors,
    _to_scalar,
    _use_foreach,
    _use_grad,
)
from .optimizer import Optimizer

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012): :math:`v_t = \rho v_{t-1} + (1-\rho) g_t^2`,
    :math:`\Delta_t = \sqrt{u_{t-1}+\epsilon}/\sqrt{v_t+\epsilon}\; g_t`,
    :math:`u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2`, :math:`\theta_t = \theta_{t-1} - \gamma\Delta_t`.

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.Adadelta([w], lr=1.0, rho=0.0, eps=0.0)
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()  # u_0 = 0: the first step is zero when eps = 0
    >>> w
    tensor([1.], requires_grad=True)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg("eps", eps, "epsilon")
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                        "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
            _steps_to_tensors(self, group)

    def _init_group(self, group, params, grads, square_avgs, acc_deltas, state_steps):
        init_step_and_zeros(self, group, params, grads, state_steps, {"square_avg": square_avgs, "acc_delta": acc_deltas})

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, square_avgs, acc_deltas, state_steps = [], [], [], [], []
            self._init_group(group, params, grads, square_avgs, acc_deltas, state_steps)
            adadelta(params, grads, square_avgs, acc_deltas, state_steps, foreach=group["foreach"],
                     differentiable=group["differentiable"], lr=group["lr"], rho=group["rho"], eps=group["eps"],
                     weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


def adadelta(params, grads, square_avgs, acc_deltas, state_steps, foreach=None, differentiable=False, *, lr,
             rho, eps, weight_decay, maximize=False):
    """Functional Adadelta: updates ``params`` and the state lists in place."""
    if not params:
        return
    lr = _to_scalar(lr)
    if not _use_foreach(foreach, differentiable):
        for param, grad, square_avg, acc_delta, step in zip(params, grads, square_avgs, acc_deltas, state_steps):
            step += 1
            grad = grad if not maximize else -grad
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
            std = square_avg.add(eps).sqrt_()
            delta = acc_delta.add(eps).sqrt_()
            if differentiable:
                delta = delta.clone()
            delta.div_(std).mul_(grad)
            acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
            param.add_(delta, alpha=-lr)
        return
    if maximize:
        grads = lanterna._foreach_neg(grads)
    lanterna._foreach_add_(state_steps, 1)
    if weight_decay != 0:
        grads = lanterna._foreach_add(grads, params, alpha=weight_decay)
    lanterna._foreach_mul_(square_avgs, rho)
    lanterna._foreach_addcmul_(square_avgs, grads, grads, 1 - rho)
    std = lanterna._foreach_add(square_avgs, eps)
    lanterna._foreach_sqrt_(std)
    deltas = lanterna._foreach_add(acc_deltas, eps)
    lanterna._foreach_sqrt_(deltas)
    lanterna._foreach_div_(deltas, std)
    lanterna._foreach_mul_(deltas, grads)
    lanterna._foreach_mul_(acc_deltas, rho)
    lanterna._foreach_addcmul_(acc_deltas, deltas, deltas, 1 - rho)
    lanterna._foreach_add_(params, deltas, alpha=-lr)
