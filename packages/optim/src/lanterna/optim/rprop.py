"""Rprop: sign-based steps whose per-coordinate sizes grow while the gradient keeps its sign."""

from __future__ import annotations

import lanterna

from ._helpers import _check_lr, _new_step, _steps_to_tensors, _to_scalar, _use_grad
from .optimizer import Optimizer

__all__ = ["Rprop", "rprop"]


class Rprop(Optimizer):
    r"""Rprop: each coordinate's step size is multiplied by ``etas[1]`` while the gradient keeps its
    sign and by ``etas[0]`` when it flips (that step is then skipped), clamped to ``step_sizes``.

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.Rprop([w], lr=0.1)
    >>> w.grad = torch.tensor([2.0])
    >>> opt.step()  # the first step moves by lr against the gradient's sign
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                        "differentiable": differentiable, "capturable": capturable}
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
            params, grads, prevs, step_sizes, state_steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step(group, p)
                    state["prev"] = lanterna.zeros_like(p)
                    state["step_size"] = lanterna.full_like(p.grad, _to_scalar(group["lr"]))
                prevs.append(state["prev"])
                step_sizes.append(state["step_size"])
                state_steps.append(state["step"])
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            rprop(params, grads, prevs, step_sizes, state_steps, differentiable=group["differentiable"],
                  step_size_min=step_size_min, step_size_max=step_size_max, etaminus=etaminus, etaplus=etaplus,
                  maximize=group["maximize"])
        return loss


def rprop(params, grads, prevs, step_sizes, state_steps, foreach=None, differentiable=False, *, step_size_min,
          step_size_max, etaminus, etaplus, maximize=False):
    """Functional Rprop: updates ``params`` and the state lists in place."""
    for param, grad, prev, step_size, step in zip(params, grads, prevs, step_sizes, state_steps):
        grad = grad if not maximize else -grad
        step += 1
        # differentiable: mul saves prev for the backward and prev.copy_ below changes it, so it
        # gets a copy, as in torch
        sign = grad.mul(prev.clone() if differentiable else prev).sign()
        flipped = sign.lt(0)
        factor = lanterna.ones_like(sign).masked_fill(sign.gt(0), etaplus).masked_fill(flipped, etaminus)
        step_size.mul_(factor).clamp_(step_size_min, step_size_max)
        grad = lanterna.where(flipped, lanterna.zeros_like(grad), grad)  # after a flip: no step, forget
        # differentiable: Lanterna's addcmul_ keeps both factors for its backward even when neither
        # needs a gradient (torch keeps only what the backward uses), and step_size.mul_ changes
        # it next step, so it gets a copy
        param.addcmul_(grad.sign(), step_size.clone() if differentiable else step_size, value=-1)
        prev.copy_(grad)
