"""Adam (and, with ``decoupled_weight_decay``, AdamW), with AMSGrad and maximize."""

from __future__ import annotations

import functools

import lanterna
from lanterna import Tensor

from ._helpers import (
    _as_scalar,
    _check_betas,
    _check_fused,
    _check_lr,
    _check_nonneg,
    _group_foreach,
    _new_step,
    _step_values,
    _steps_to_tensors,
    _to_scalar,
    _use_foreach,
    _use_grad,
)
from .optimizer import Optimizer

__all__ = ["Adam", "adam"]


class Adam(Optimizer):
    r"""Adam: moving averages of the gradient and its square, bias-corrected.

    :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`, :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`,
    :math:`\theta_t = \theta_{t-1} - \gamma\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)` with
    :math:`\hat m_t = m_t / (1-\beta_1^t)`, :math:`\hat v_t = v_t / (1-\beta_2^t)` (or the running
    maximum of :math:`v` with ``amsgrad``). ``weight_decay`` adds :math:`\lambda\theta` to the gradient,
    or with ``decoupled_weight_decay=True`` scales :math:`\theta` by :math:`1-\gamma\lambda` (AdamW).

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.Adam([w], lr=0.1)
    >>> w.grad = torch.tensor([3.0])
    >>> opt.step()  # the first step moves every coordinate by about lr
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")  # noqa: TRY004 (torch's type)
        for i, b in enumerate(betas):
            if isinstance(b, Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if b.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                        "maximize": maximize, "foreach": foreach, "capturable": capturable,
                        "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)
            _steps_to_tensors(self, group)

    def _init_group(self, group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps):
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step(group, p)
                state["exp_avg"] = lanterna.zeros_like(p)
                state["exp_avg_sq"] = lanterna.zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = lanterna.zeros_like(p)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            if group["amsgrad"]:
                max_exp_avg_sqs.append(state["max_exp_avg_sq"])
            if group["foreach"] and isinstance(group["lr"], Tensor) and not group["capturable"]:
                raise RuntimeError("lr as a Tensor is not supported for capturable=False and foreach=True")
            state_steps.append(state["step"])

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps = [], [], [], [], [], []
            self._init_group(group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps)
            beta1, beta2 = group["betas"]
            adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps,
                 foreach=_group_foreach(group), differentiable=group["differentiable"],
                 amsgrad=group["amsgrad"], beta1=beta1, beta2=beta2, lr=group["lr"],
                 weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
                 decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, foreach=None,
         differentiable=False, *, amsgrad, beta1, beta2, lr, weight_decay, eps, maximize,
         decoupled_weight_decay=False):
    """Functional Adam: updates ``params`` and the state lists in place."""
    if _use_foreach(foreach, differentiable):
        fn = _multi_tensor_adam
        lr = _to_scalar(lr)
    else:
        fn = functools.partial(_single_tensor_adam, differentiable=differentiable)
        # a tensor lr stays a 0-dim tensor: PyTorch's loop does its step-size arithmetic in its dtype
        lr = _as_scalar(lr)
    fn(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, amsgrad=amsgrad,
       beta1=_to_scalar(beta1), beta2=_to_scalar(beta2), lr=lr, weight_decay=weight_decay,
       eps=eps, maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)


def _single_tensor_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, amsgrad,
                        beta1, beta2, lr, weight_decay, eps, maximize, decoupled_weight_decay,
                        differentiable=False):
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        exp_avg, exp_avg_sq, step_t = exp_avgs[i], exp_avg_sqs[i], state_steps[i]
        step_t += 1
        if weight_decay != 0:
            if decoupled_weight_decay:
                param.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(param, alpha=weight_decay)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step = step_t.item()
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if amsgrad:
            max_exp_avg_sqs[i].copy_(lanterna.maximum(max_exp_avg_sqs[i], exp_avg_sq))
            denom = (max_exp_avg_sqs[i].sqrt() / bias_correction2_sqrt).add_(eps)
        else:
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        # differentiable: addcdiv saves exp_avg for the backward, and the next step's lerp_ would
        # modify it in place (the autograd version check fails), so it gets a copy, as in torch
        param.addcdiv_(exp_avg.clone() if differentiable else exp_avg, denom, value=-_to_scalar(step_size))


def _multi_tensor_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, amsgrad,
                       beta1, beta2, lr, weight_decay, eps, maximize, decoupled_weight_decay):
    if not params:
        return
    if maximize:
        grads = lanterna._foreach_neg(grads)
    lanterna._foreach_add_(state_steps, 1)
    if weight_decay != 0:
        if decoupled_weight_decay:
            lanterna._foreach_mul_(params, 1 - lr * weight_decay)
        else:
            grads = lanterna._foreach_add(grads, params, alpha=weight_decay)
    lanterna._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    lanterna._foreach_mul_(exp_avg_sqs, beta2)
    lanterna._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
    steps = _step_values(state_steps)
    neg_step_size = [-lr / (1 - beta1**s) for s in steps]
    bias_correction2_sqrt = [(1 - beta2**s) ** 0.5 for s in steps]
    if amsgrad:
        lanterna._foreach_maximum_(max_exp_avg_sqs, exp_avg_sqs)
        denom = lanterna._foreach_sqrt(max_exp_avg_sqs)
    else:
        denom = lanterna._foreach_sqrt(exp_avg_sqs)
    lanterna._foreach_div_(denom, bias_correction2_sqrt)
    lanterna._foreach_add_(denom, eps)
    lanterna._foreach_addcdiv_(params, exp_avgs, denom, neg_step_size)
