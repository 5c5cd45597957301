"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients."""

from __future__ import annotations

import lanterna

from ._helpers import (
    _as_scalar,
    _check_fused,
    _check_lr,
    _check_nonneg,
    _get_scalar_dtype,
    _group_foreach,
    _step_values,
    _steps_to_tensors,
    _to_scalar,
    _use_foreach,
    _use_grad,
)
from .optimizer import Optimizer

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: :math:`s_t = s_{t-1} + g_t^2`, :math:`\theta_t = \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t} + \epsilon)`
    with :math:`\tilde\gamma = \gamma / (1 + (t-1)\eta)` (``lr_decay`` :math:`\eta`).

    State (``step`` and ``sum``) is created for every parameter at construction, as in PyTorch.

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.Adagrad([w], lr=0.1)
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()  # sum = 4: w - 0.1 * 2 / 2
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonneg("lr_decay", lr_decay)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("initial_accumulator_value", initial_accumulator_value)
        _check_nonneg("eps", eps, "epsilon")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                        "initial_accumulator_value": initial_accumulator_value, "foreach": foreach, "maximize": maximize,
                        "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(group, p)

    def _init_state(self, group, p):
        state = self.state[p]
        if group["fused"]:
            state["step"] = lanterna.zeros((), dtype=lanterna.float32, device=p.device)
        else:
            state["step"] = lanterna.tensor(0.0, dtype=_get_scalar_dtype())
        state["sum"] = lanterna.full_like(p, self.defaults["initial_accumulator_value"])

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
            _steps_to_tensors(self, group)

    def share_memory(self):
        """Kept for API compatibility: state tensors already live in this process's memory."""

    def _init_group(self, group, params, grads, state_sums, state_steps):
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                self._init_state(group, p)
            state_sums.append(state["sum"])
            state_steps.append(state["step"])

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, state_sums, state_steps = [], [], [], []
            self._init_group(group, params, grads, state_sums, state_steps)
            adagrad(params, grads, state_sums, state_steps, foreach=_group_foreach(group),
                    differentiable=group["differentiable"], lr=group["lr"], weight_decay=group["weight_decay"],
                    lr_decay=group["lr_decay"], eps=group["eps"], maximize=group["maximize"])
        return loss


def adagrad(params, grads, state_sums, state_steps, foreach=None, differentiable=False, *, lr, weight_decay,
            lr_decay, eps, maximize=False):
    """Functional Adagrad: updates ``params`` and the state lists in place."""
    if not params:
        return
    lr = _as_scalar(lr)  # a tensor lr: PyTorch computes the decayed step size in its dtype
    if not _use_foreach(foreach, differentiable):
        for param, grad, state_sum, step_t in zip(params, grads, state_sums, state_steps):
            step_t += 1
            step = step_t.item()
            grad = grad if not maximize else -grad
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum.addcmul_(grad, grad, value=1)
            std = state_sum.sqrt().add_(eps)
            param.addcdiv_(grad, std, value=-_to_scalar(clr))
        return
    if maximize:
        grads = lanterna._foreach_neg(grads)
    lanterna._foreach_add_(state_steps, 1)
    if weight_decay != 0:
        grads = lanterna._foreach_add(grads, params, alpha=weight_decay)
    neg_clr = [_to_scalar(-lr / (1 + (s - 1) * lr_decay)) for s in _step_values(state_steps)]
    lanterna._foreach_addcmul_(state_sums, grads, grads, 1)
    std = lanterna._foreach_sqrt(state_sums)
    lanterna._foreach_add_(std, eps)
    lanterna._foreach_addcdiv_(params, grads, std, neg_clr)
