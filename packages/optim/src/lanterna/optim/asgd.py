"""ASGD: averaged stochastic gradient descent (Polyak-Juditsky averaging in ``state['ax']``)."""

from __future__ import annotations

import lanterna

from ._helpers import _check_lr, _check_nonneg, _get_scalar_dtype, _steps_to_tensors, _to_scalar, _use_grad
from .optimizer import Optimizer

__all__ = ["ASGD", "asgd"]


class ASGD(Optimizer):
    r"""ASGD: SGD with a decaying step :math:`\eta_t = \gamma / (1 + \lambda\gamma t)^\alpha` whose
    iterates are averaged from step ``t0`` on (the average is ``state['ax']``).

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.ASGD([w], lr=0.1, lambd=0.0)
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()
    >>> w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay, "foreach": foreach,
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

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, mus, axs, etas, state_steps = [], [], [], [], [], []
            dt = _get_scalar_dtype()
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = lanterna.zeros((), device=p.device, dtype=dt)
                    state["eta"] = lanterna.tensor(_to_scalar(group["lr"]), device=p.device, dtype=dt)
                    state["mu"] = lanterna.ones((), device=p.device, dtype=dt)
                    state["ax"] = lanterna.zeros_like(p)
                mus.append(state["mu"])
                axs.append(state["ax"])
                etas.append(state["eta"])
                state_steps.append(state["step"])
            asgd(params, grads, axs, mus, etas, state_steps, lambd=group["lambd"], lr=group["lr"], t0=group["t0"],
                 alpha=group["alpha"], weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


def asgd(params, grads, axs, mus, etas, state_steps, foreach=None, differentiable=False, *, lambd, lr, t0, alpha,
         weight_decay, maximize=False):
    """Functional ASGD: updates ``params`` and the state lists in place."""
    lr = _to_scalar(lr)
    for param, grad, ax, mu, eta, step_t in zip(params, grads, axs, mus, etas, state_steps):
        grad = grad if not maximize else -grad
        step_t += 1
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        eta_value = eta.item()
        param.mul_(1 - lambd * eta_value)
        param.add_(grad, alpha=-eta_value)
        if mu.item() != 1:
            ax.add_(param.sub(ax).mul_(mu))
        else:
            ax.copy_(param)
        step = step_t.item()
        eta.fill_(lr / ((1 + lambd * lr * step) ** alpha))
        mu.fill_(1 / max(1, step - t0))
