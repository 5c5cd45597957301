"""ASGD: averaged stochastic gradient descent (Polyak-Juditsky averaging in ``state['ax']``)."""

from __future__ import annotations

import lanterna
from lanterna import Tensor

from ._helpers import (
    _as_scalar,
    _check_lr,
    _check_nonneg,
    _get_scalar_dtype,
    _steps_to_tensors,
    _use_foreach,
    _use_grad,
)
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
            for p in group["params"]:  # old checkpoints hold eta and mu as numbers too
                p_state = self.state.get(p, {})
                for key in ("eta", "mu"):
                    if key in p_state and not isinstance(p_state[key], Tensor):
                        p_state[key] = lanterna.tensor(p_state[key], dtype=_get_scalar_dtype(),
                                                       device=p.device)

    def _init_group(self, group, params, grads, mus, axs, etas, state_steps):
        dt = _get_scalar_dtype()
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = lanterna.zeros((), device=p.device, dtype=dt)
                lr = _as_scalar(group["lr"])
                state["eta"] = lanterna.as_tensor(lr, device=p.device, dtype=dt).clone().detach()
                state["mu"] = lanterna.ones((), device=p.device, dtype=dt)
                state["ax"] = lanterna.zeros_like(p)
            mus.append(state["mu"])
            axs.append(state["ax"])
            etas.append(state["eta"])
            state_steps.append(state["step"])

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, mus, axs, etas, state_steps = [], [], [], [], [], []
            self._init_group(group, params, grads, mus, axs, etas, state_steps)
            asgd(params, grads, axs, mus, etas, state_steps, foreach=group["foreach"],
                 maximize=group["maximize"], differentiable=group["differentiable"], lambd=group["lambd"],
                 lr=group["lr"], t0=group["t0"], alpha=group["alpha"], weight_decay=group["weight_decay"])
        return loss


def asgd(params, grads, axs, mus, etas, state_steps, foreach=None, maximize=False, differentiable=False,
         capturable=False, has_complex=False, *, lambd, lr, t0, alpha, weight_decay):
    """Functional ASGD: updates ``params`` and the state lists in place."""
    if not params:
        return
    # the list path only when asked for: its arithmetic differs from the loop's (eta is computed
    # from the float32 step counter), and the loop is what PyTorch runs by default on CPU
    fn = _multi_tensor_asgd if foreach and _use_foreach(foreach, differentiable) else _single_tensor_asgd
    fn(params, grads, axs, mus, etas, state_steps, lambd=lambd, lr=_as_scalar(lr), t0=t0, alpha=alpha,
       weight_decay=weight_decay, maximize=maximize)


def _new_eta_mu(lr, lambd, alpha, t0, step_t, like, step_as_tensor=False):
    """The next ``eta`` and ``mu``, as tensors of the default dtype (PyTorch builds them with
    ``torch.as_tensor(float)``, so a float64 state still holds values rounded to float32); a
    tensor ``lr`` keeps its own dtype through the arithmetic, and so does the step counter where
    PyTorch's list path computes ``eta`` from it (in the counter's float32)."""
    step = step_t.item()
    base = 1 + lambd * lr * (step_t if step_as_tensor else step)
    if isinstance(base, Tensor):
        # PyTorch's CPU pow of a float32 tensor by a number evaluates in double and rounds once
        decay = (base.double() ** alpha).to(base.dtype)
    else:
        decay = base**alpha
    eta = lanterna.as_tensor(lr / decay, device=like.device)
    mu = lanterna.as_tensor(1 / max(1, step - t0), device=like.device)
    return eta, mu


def _single_tensor_asgd(params, grads, axs, mus, etas, state_steps, *, lambd, lr, t0, alpha, weight_decay,
                        maximize):
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
        new_eta, new_mu = _new_eta_mu(lr, lambd, alpha, t0, step_t, eta)
        eta.copy_(new_eta)
        mu.copy_(new_mu)


def _multi_tensor_asgd(params, grads, axs, mus, etas, state_steps, *, lambd, lr, t0, alpha, weight_decay,
                       maximize):
    # PyTorch's list path has its own arithmetic: one update ``param -= eta * (grad + (wd + lambd) * param)``
    # (in two adds) instead of the loop's decay-then-step, and the average always moves by ``mu``
    if maximize:
        grads = lanterna._foreach_neg(grads)
    lanterna._foreach_add_(state_steps, 1)
    if weight_decay != 0:
        intermediate = lanterna._foreach_add(grads, params, alpha=weight_decay)
        lanterna._foreach_add_(intermediate, params, alpha=lambd)
    else:
        intermediate = lanterna._foreach_add(grads, params, alpha=lambd)
    lanterna._foreach_addcmul_(params, intermediate, etas, value=-1)
    intermediate = lanterna._foreach_sub(params, axs)
    lanterna._foreach_addcmul_(axs, intermediate, mus)
    for eta, mu, step_t in zip(etas, mus, state_steps):
        new_eta, new_mu = _new_eta_mu(lr, lambd, alpha, t0, step_t, eta, step_as_tensor=True)
        eta.copy_(new_eta)
        mu.copy_(new_mu)
