"""Helpers shared by the optimizers: argument checks, state creation, and the choice of code path."""

from __future__ import annotations

import functools

import lanterna
from lanterna import Tensor
from lanterna.autograd.grad_mode import GRAD_ENABLED


def _use_grad(step):
    """Run ``step`` with gradient recording off (on when the group is ``differentiable``), like torch."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        # the flag itself rather than a set_grad_enabled object: this runs on every step
        prev = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = bool(self.defaults.get("differentiable", False))
        try:
            return step(self, *args, **kwargs)
        finally:
            GRAD_ENABLED[0] = prev

    return wrapper


def _get_scalar_dtype():
    """The dtype of ``state['step']`` counters: float32, or float64 when that is the default."""
    return lanterna.float64 if lanterna.get_default_dtype() is lanterna.float64 else lanterna.float32


def _to_scalar(x):
    """A hyperparameter as a Python number: one-element tensors are read with ``item()``."""
    if isinstance(x, Tensor):
        if x.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        return x.item()
    return x


def _as_scalar(x):
    """PyTorch's ``_to_scalar``: a one-element tensor becomes 0-dim (and stays a tensor), numbers stay.

    Optimizers that use it do their hyperparameter arithmetic on the 0-dim tensor, in its dtype,
    as PyTorch does for a tensor ``lr``.
    """
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.squeeze()
    return x


def _check_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_nonneg(name, value, label=None):
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label or name} value: {value}")


def _use_foreach(foreach, differentiable=False):
    """Whether to take the list-at-once path: the default unless autograd must see the step.

    Both paths compute PyTorch's formulas; the foreach one runs each op over all parameters in
    one call (``lanterna._foreach_*``), which is what keeps a step over many tensors cheap.
    """
    if differentiable:
        return False
    return True if foreach is None else bool(foreach)


def _check_fused(fused, foreach, differentiable):
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _new_step(group, param):
    """A fresh ``state['step']``: a 0-dim float tensor (on the parameter's device when capturable/fused)."""
    if group.get("capturable") or group.get("fused"):
        dtype = lanterna.float32 if group.get("fused") else _get_scalar_dtype()
        return lanterna.zeros((), dtype=dtype, device=param.device)
    return lanterna.tensor(0.0, dtype=_get_scalar_dtype())


def _steps_to_tensors(optimizer, group):
    """Old checkpoints stored ``step`` as a number; torch 2.x state holds a tensor (done on load)."""
    for p in group["params"]:
        p_state = optimizer.state.get(p, [])
        if len(p_state) != 0 and "step" in p_state and not isinstance(p_state["step"], Tensor):
            p_state["step"] = lanterna.tensor(float(p_state["step"]), dtype=_get_scalar_dtype())


def _group_foreach(group):
    """A group's ``foreach`` flag; ``fused=True`` takes the list path too (same math, no fused kernel)."""
    return True if group.get("fused") else group.get("foreach")


def _step_values(state_steps):
    """The step counters as Python numbers (PyTorch computes bias corrections in double)."""
    return [s.item() for s in state_steps]


def init_step_and_zeros(optimizer, group, params, grads, state_steps, buffers):
    """The common ``_init_group``: collect the params that have a grad, and create their state
    lazily as a step counter plus zero buffers (``buffers`` maps state key -> list to fill), in
    that key order, as PyTorch's optimizers do."""
    for p in group["params"]:
        if p.grad is None:
            continue
        params.append(p)
        grads.append(p.grad)
        state = optimizer.state[p]
        if len(state) == 0:
            state["step"] = _new_step(group, p)
            for key in buffers:
                state[key] = lanterna.zeros_like(p)
        for key, out in buffers.items():
            out.append(state[key])
        state_steps.append(state["step"])


def _add_fused_(param, other, alpha):
    """``param.add_(other, alpha=alpha)`` rounded once, as PyTorch's CPU kernel computes it (a fused
    multiply-add): for float32 the sum is formed in float64, where ``alpha * other`` is exact.

    Lanterna's ``add_`` rounds the product and then the sum, which can differ from PyTorch by one
    unit in the last place. Used where the rest of a step already matches PyTorch bit for bit.
    """
    if isinstance(alpha, Tensor):
        alpha = alpha.item()
    if param.dtype != lanterna.float32:
        return param.add_(other, alpha=alpha)
    alpha32 = lanterna.tensor(alpha, dtype=lanterna.float32).item()  # PyTorch's kernel takes alpha as float
    return param.copy_(param.double().add_(other.double(), alpha=alpha32).float())
