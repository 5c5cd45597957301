"""RAdam: Adam whose adaptive step is switched on once its variance estimate is tractable."""

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

__all__ = ["RAdam", "radam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019): while :math:`\rho_t \le 5` the step is plain bias-corrected
    momentum; afterwards Adam's step scaled by the rectification term :math:`r_t`.

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.RAdam([w], lr=0.1)
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()  # rho_1 <= 5: w - lr * m_hat = 1 - 0.1 * 2
    >>> w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                        "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                        "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("capturable", False)
            _steps_to_tensors(self, group)

    def _init_group(self, group, params, grads, exp_avgs, exp_avg_sqs, state_steps):
        init_step_and_zeros(self, group, params, grads, state_steps, {"exp_avg": exp_avgs, "exp_avg_sq": exp_avg_sqs})

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, exp_avgs, exp_avg_sqs, state_steps = [], [], [], [], []
            self._init_group(group, params, grads, exp_avgs, exp_avg_sqs, state_steps)
            beta1, beta2 = group["betas"]
            radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, foreach=group["foreach"],
                  differentiable=group["differentiable"], beta1=beta1, beta2=beta2, lr=group["lr"],
                  weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
                  decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


def _rect(rho_t, rho_inf):
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, foreach=None, differentiable=False, *, beta1,
          beta2, lr, weight_decay, eps, maximize=False, decoupled_weight_decay=False):
    """Functional RAdam: updates ``params`` and the state lists in place."""
    if not params:
        return
    lr = _as_scalar(lr)  # a tensor lr: PyTorch does the step-size arithmetic in its dtype
    rho_inf = 2 / (1 - beta2) - 1
    if not _use_foreach(foreach, differentiable):
        for i, param in enumerate(params):
            grad = grads[i] if not maximize else -grads[i]
            exp_avg, exp_avg_sq, step_t = exp_avgs[i], exp_avg_sqs[i], state_steps[i]
            step_t += 1
            step = step_t.item()
            if weight_decay != 0:
                if decoupled_weight_decay:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(param, alpha=weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            bias_corrected_exp_avg = exp_avg / bias_correction1
            rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
            if rho_t > 5.0:
                adaptive_lr = (bias_correction2**0.5) / exp_avg_sq.sqrt().add_(eps)
                param.add_(bias_corrected_exp_avg * lr * adaptive_lr * _rect(rho_t, rho_inf), alpha=-1.0)
            else:
                param.add_(bias_corrected_exp_avg * lr, alpha=-1.0)
        return
    if maximize:
        grads = lanterna._foreach_neg(grads)
    lanterna._foreach_add_(state_steps, 1)
    if weight_decay != 0:
        if decoupled_weight_decay:
            lanterna._foreach_mul_(params, _to_scalar(1 - lr * weight_decay))
        else:
            grads = lanterna._foreach_add(grads, params, alpha=weight_decay)
    lanterna._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    lanterna._foreach_mul_(exp_avg_sqs, beta2)
    lanterna._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
    rect_idx, rect_size, plain_idx, plain_size = [], [], [], []
    for i, s in enumerate(_step_values(state_steps)):
        bc1, bc2 = 1 - beta1**s, 1 - beta2**s
        rho_t = rho_inf - 2 * s * (beta2**s) / bc2
        # PyTorch's order of operations (with a tensor lr these round in its dtype)
        if rho_t > 5.0:
            rect_idx.append(i)
            rect_size.append(_to_scalar((bc2**0.5) * (lr * _rect(rho_t, rho_inf) / bc1) * -1))
        else:
            plain_idx.append(i)
            plain_size.append(_to_scalar((lr * 1.0 / bc1) * -1))
    if rect_idx:
        ps, avgs = [params[i] for i in rect_idx], [exp_avgs[i] for i in rect_idx]
        denom = lanterna._foreach_sqrt([exp_avg_sqs[i] for i in rect_idx])
        lanterna._foreach_add_(denom, eps)
        lanterna._foreach_addcdiv_(ps, avgs, denom, rect_size)
    if plain_idx:
        upd = lanterna._foreach_mul([exp_avgs[i] for i in plain_idx], plain_size)
        lanterna._foreach_add_([params[i] for i in plain_idx], upd)
