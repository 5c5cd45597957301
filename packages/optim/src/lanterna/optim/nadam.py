"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

import lanterna

from ._helpers import (
    _as_scalar,
    _check_betas,
    _check_lr,
    _check_nonneg,
    _get_scalar_dtype,
    _new_step,
    _step_values,
    _steps_to_tensors,
    _to_scalar,
    _use_foreach,
    _use_grad,
)
from .optimizer import Optimizer

__all__ = ["NAdam", "nadam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016): :math:`\mu_t = \beta_1 (1 - \tfrac12 0.96^{t\psi})` with
    :math:`\psi` = ``momentum_decay``; the step mixes the gradient and the first moment with
    weights :math:`(1-\mu_t)/(1-\prod_{i\le t}\mu_i)` and :math:`\mu_{t+1}/(1-\prod_{i\le t+1}\mu_i)`.

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.NAdam([w], lr=0.1)
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()
    >>> w
    tensor([0.8944], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("momentum_decay", momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "momentum_decay": momentum_decay,
                        "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize, "foreach": foreach,
                        "capturable": capturable, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            _steps_to_tensors(self, group)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["mu_product"], lanterna.Tensor):
                    p_state["mu_product"] = lanterna.tensor(p_state["mu_product"], dtype=_get_scalar_dtype())

    def _init_group(self, group, params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps):
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step(group, p)
                state["mu_product"] = (lanterna.ones((), dtype=_get_scalar_dtype(), device=p.device)
                                       if group["capturable"] else lanterna.tensor(1.0, dtype=_get_scalar_dtype()))
                state["exp_avg"] = lanterna.zeros_like(p)
                state["exp_avg_sq"] = lanterna.zeros_like(p)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            mu_products.append(state["mu_product"])
            state_steps.append(state["step"])

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps = [], [], [], [], [], []
            self._init_group(group, params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps)
            beta1, beta2 = group["betas"]
            nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, foreach=group["foreach"],
                  differentiable=group["differentiable"], beta1=beta1, beta2=beta2, lr=group["lr"],
                  weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"], eps=group["eps"],
                  decoupled_weight_decay=group["decoupled_weight_decay"], maximize=group["maximize"])
        return loss


def _mu(beta1, step, momentum_decay):
    return beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))


def nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, foreach=None, differentiable=False,
          *, beta1, beta2, lr, weight_decay, momentum_decay, eps, decoupled_weight_decay=False, maximize=False):
    """Functional NAdam: updates ``params`` and the state lists in place."""
    if not params:
        return
    lr = _as_scalar(lr)  # a tensor lr: PyTorch does the step-size arithmetic in its dtype
    if not _use_foreach(foreach, differentiable):
        for i, param in enumerate(params):
            grad = grads[i] if not maximize else -grads[i]
            exp_avg, exp_avg_sq, mu_product, step_t = exp_avgs[i], exp_avg_sqs[i], mu_products[i], state_steps[i]
            step_t += 1
            step = step_t.item()
            bias_correction2 = 1 - beta2**step
            if weight_decay != 0:
                if decoupled_weight_decay:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(param, alpha=weight_decay)
            mu, mu_next = _mu(beta1, step, momentum_decay), _mu(beta1, step + 1, momentum_decay)
            mu_product *= mu  # a float32 product, as torch keeps it
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = exp_avg_sq.div(bias_correction2).sqrt()
            mu_product_value = mu_product.item()
            mu_product_next = mu_product_value * mu_next
            grad_size = _to_scalar(-lr * (1.0 - mu) / (1.0 - mu_product_value))
            avg_size = _to_scalar((-lr * mu_next) / (1.0 - mu_product_next))
            if differentiable:
                # out of place, as torch does: sqrt's backward needs its output unmodified, and
                # the scaled copies keep exp_avg (changed in place next step) out of addcdiv's saved inputs
                denom = denom.add(eps)
                param.addcdiv_(grad * grad_size, denom)
                param.addcdiv_(exp_avg * avg_size, denom)
                continue
            denom.add_(eps)
            param.addcdiv_(grad, denom, value=grad_size)
            param.addcdiv_(exp_avg, denom, value=avg_size)
        return
    if maximize:
        grads = lanterna._foreach_neg(grads)
    lanterna._foreach_add_(state_steps, 1)
    if weight_decay != 0:
        if decoupled_weight_decay:
            lanterna._foreach_mul_(params, _to_scalar(1 - lr * weight_decay))
        else:
            grads = lanterna._foreach_add(grads, params, alpha=weight_decay)
    lr = _to_scalar(lr)  # the list path's step sizes are Python numbers (PyTorch reads lr.item())
    lanterna._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    lanterna._foreach_mul_(exp_avg_sqs, beta2)
    lanterna._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
    steps = _step_values(state_steps)
    denom = lanterna._foreach_div(exp_avg_sqs, [1 - beta2**s for s in steps])
    lanterna._foreach_sqrt_(denom)
    lanterna._foreach_add_(denom, eps)
    mus = [_mu(beta1, s, momentum_decay) for s in steps]
    mu_nexts = [_mu(beta1, s + 1, momentum_decay) for s in steps]
    lanterna._foreach_mul_(mu_products, mus)
    prods = _step_values(mu_products)
    grad_sizes = [-lr * (1.0 - mu) / (1.0 - prod) for mu, prod in zip(mus, prods)]
    avg_sizes = [(-lr * mn) / (1.0 - prod * mn) for mn, prod in zip(mu_nexts, prods)]
    lanterna._foreach_addcdiv_(params, grads, denom, grad_sizes)
    lanterna._foreach_addcdiv_(params, exp_avgs, denom, avg_sizes)
