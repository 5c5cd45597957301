"""RMSprop: divide the gradient by a running root mean square (optionally centered, with momentum)."""

from __future__ import annotations

import lanterna

from ._helpers import (
    _check_lr,
    _check_nonneg,
    _new_step,
    _steps_to_tensors,
    _to_scalar,
    _use_foreach,
    _use_grad,
)
from .optimizer import Optimizer

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    r"""RMSprop: :math:`v_t = \alpha v_{t-1} + (1-\alpha) g_t^2`,
    :math:`\theta_t = \theta_{t-1} - \gamma\, g_t / (\sqrt{v_t} + \epsilon)`; ``centered``
    subtracts the squared running mean of :math:`g`, ``momentum`` accumulates the scaled gradient.

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.RMSprop([w], lr=0.01, alpha=0.75)
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()  # v = 0.25 * 4 = 1: w - 0.01 * 2 / 1
    >>> w
    tensor([0.9800], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("alpha", alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                        "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
                        "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
            _steps_to_tensors(self, group)

    def _init_group(self, group, params, grads, square_avgs, momentum_buffer_list, grad_avgs, state_steps):
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step(group, p)
                state["square_avg"] = lanterna.zeros_like(p)
                if group["momentum"] > 0:
                    state["momentum_buffer"] = lanterna.zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = lanterna.zeros_like(p)
            square_avgs.append(state["square_avg"])
            state_steps.append(state["step"])
            if group["momentum"] > 0:
                momentum_buffer_list.append(state["momentum_buffer"])
            if group["centered"]:
                grad_avgs.append(state["grad_avg"])

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps = [], [], [], [], [], []
            self._init_group(group, params, grads, square_avgs, momentum_buffer_list, grad_avgs, state_steps)
            rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps,
                    foreach=group["foreach"], differentiable=group["differentiable"], lr=group["lr"],
                    alpha=group["alpha"], eps=group["eps"], weight_decay=group["weight_decay"],
                    momentum=group["momentum"], centered=group["centered"], maximize=group["maximize"])
        return loss


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, foreach=None,
            differentiable=False, *, lr, alpha, eps, weight_decay, momentum, centered, maximize=False):
    """Functional RMSprop: updates ``params`` and the state lists in place."""
    if not params:
        return
    lr = _to_scalar(lr)
    if not _use_foreach(foreach, differentiable):
        for i, param in enumerate(params):
            grad = grads[i] if not maximize else -grads[i]
            square_avg = square_avgs[i]
            state_steps[i] += 1
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            if centered:
                grad_avg = grad_avgs[i]
                grad_avg.lerp_(grad, 1 - alpha)
                avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            else:
                avg = square_avg.sqrt()
            avg = avg.add_(eps)
            if momentum > 0:
                buf = momentum_buffer_list[i]
                buf.mul_(momentum).addcdiv_(grad, avg)
                param.add_(buf, alpha=-lr)
            else:
                param.addcdiv_(grad, avg, value=-lr)
        return
    if maximize:
        grads = lanterna._foreach_neg(grads)
    lanterna._foreach_add_(state_steps, 1)
    if weight_decay != 0:
        grads = lanterna._foreach_add(grads, params, alpha=weight_decay)
    lanterna._foreach_mul_(square_avgs, alpha)
    lanterna._foreach_addcmul_(square_avgs, grads, grads, 1 - alpha)
    if centered:
        lanterna._foreach_lerp_(grad_avgs, grads, 1 - alpha)
        avg = lanterna._foreach_addcmul(square_avgs, grad_avgs, grad_avgs, -1)
        lanterna._foreach_sqrt_(avg)
    else:
        avg = lanterna._foreach_sqrt(square_avgs)
    lanterna._foreach_add_(avg, eps)
    if momentum > 0:
        lanterna._foreach_mul_(momentum_buffer_list, momentum)
        lanterna._foreach_addcdiv_(momentum_buffer_list, grads, avg)
        lanterna._foreach_add_(params, momentum_buffer_list, alpha=-lr)
    else:
        lanterna._foreach_addcdiv_(params, grads, avg, -lr)
