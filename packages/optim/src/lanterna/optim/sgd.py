"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

import lanterna
from lanterna import Tensor
from lanterna.ops.foreach import sgd_momentum_step_

from ._helpers import _check_fused, _group_foreach, _to_scalar, _use_foreach, _use_grad
from .optimizer import Optimizer

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's formulation.

    With momentum :math:`\mu` the buffer starts as the first gradient, then
    :math:`b_t = \mu b_{t-1} + (1 - \tau) g_t`; the step is :math:`\theta \leftarrow \theta - \gamma b_t`
    (or :math:`g_t + \mu b_t` with ``nesterov``). ``weight_decay`` adds :math:`\lambda\theta` to the gradient.

    >>> import lanterna as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad = torch.tensor([1.0])
    ...     opt.step()
    >>> w  # 1 - 0.1 * 1 - 0.1 * (0.9 + 1)
    tensor([0.7100], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                        "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                        "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def _init_group(self, group, params, grads, momentum_buffer_list):
        state = self.state
        with_momentum = group["momentum"] != 0
        for p in group["params"]:
            grad = p.grad
            if grad is not None:
                params.append(p)
                grads.append(grad)
                if with_momentum:
                    momentum_buffer_list.append(state[p].get("momentum_buffer"))

    @_use_grad
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, momentum_buffer_list = [], [], []
            self._init_group(group, params, grads, momentum_buffer_list)
            sgd(params, grads, momentum_buffer_list, weight_decay=group["weight_decay"],
                momentum=group["momentum"], lr=group["lr"], dampening=group["dampening"],
                nesterov=group["nesterov"], maximize=group["maximize"],
                foreach=_group_foreach(group), differentiable=group["differentiable"])
            if group["momentum"] != 0:
                state = self.state
                for p, buf in zip(params, momentum_buffer_list):
                    state[p]["momentum_buffer"] = buf
        return loss


def sgd(params, d_p_list, momentum_buffer_list, foreach=None, differentiable=False, *, weight_decay,
        momentum, lr, dampening, nesterov, maximize):
    """Functional SGD: updates ``params`` in place (new momentum buffers go into ``momentum_buffer_list``)."""
    fn = _multi_tensor_sgd if _use_foreach(foreach, differentiable) else _single_tensor_sgd
    fn(params, d_p_list, momentum_buffer_list, weight_decay=weight_decay, momentum=momentum, lr=lr,
       dampening=dampening, nesterov=nesterov, maximize=maximize)


def _single_tensor_sgd(params, grads, momentum_buffer_list, *, weight_decay, momentum, lr, dampening,
                       nesterov, maximize):
    lr_t = lr if isinstance(lr, Tensor) and lr.requires_grad else None
    lr = _to_scalar(lr)
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        if momentum != 0:
            buf = momentum_buffer_list[i]
            if buf is None:
                buf = grad.detach().clone()
                momentum_buffer_list[i] = buf
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - dampening)
            grad = grad.add(buf, alpha=momentum) if nesterov else buf
        if lr_t is not None:
            param.addcmul_(grad, lr_t, value=-1)
        else:
            param.add_(grad, alpha=-lr)


def _multi_tensor_sgd(params, grads, momentum_buffer_list, *, weight_decay, momentum, lr, dampening,
                      nesterov, maximize):
    if not params:
        return
    lr = _to_scalar(lr)
    if maximize:
        grads = lanterna._foreach_neg(grads)
    if weight_decay != 0:
        grads = lanterna._foreach_add(grads, params, alpha=weight_decay)
    if momentum != 0:
        if _all_set(momentum_buffer_list):
            bufs = momentum_buffer_list
            if not nesterov:  # the common case: the whole update as one core loop, same arithmetic
                sgd_momentum_step_(params, grads, bufs, momentum, dampening, lr)
                return
            lanterna._foreach_mul_(bufs, momentum)
            lanterna._foreach_add_(bufs, grads, alpha=1 - dampening)
        else:
            bufs = []
            for i, buf in enumerate(momentum_buffer_list):
                if buf is None:
                    buf = momentum_buffer_list[i] = grads[i].detach().clone()
                else:
                    buf.mul_(momentum).add_(grads[i], alpha=1 - dampening)
                bufs.append(buf)
        # out of place: the caller's .grad tensors stay untouched (torch's loop path leaves them too)
        grads = lanterna._foreach_add(grads, bufs, alpha=momentum) if nesterov else bufs
    lanterna._foreach_add_(params, grads, alpha=-lr)


def _all_set(buffers):
    """Whether every momentum buffer exists (after the first step); a loop, not ``None in
    buffers``, which would compare tensors with ``==``."""
    for b in buffers:
        if b is None:
            return False
    return True
