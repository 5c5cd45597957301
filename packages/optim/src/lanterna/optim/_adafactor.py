"""Adafactor: Adam-like steps whose second moment of a matrix is stored as a row and a column factor."""

from __future__ import annotations

import lanterna
from lanterna import Tensor

from ._helpers import _add_fused_, _as_scalar, _get_scalar_dtype
from .optimizer import Optimizer

__all__ = ["Adafactor", "adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018) as PyTorch implements it.

    The second moment of a gradient with two or more dimensions is kept as its mean over the last
    dimension (``row_var``) and over the one before (``col_var``); their outer product divided by
    the mean of the row factor estimates it. Vectors keep a full ``variance``. With
    :math:`\hat\beta_{2,t} = 1 - t^{\tau}` (``beta2_decay`` :math:`\tau`), the update
    :math:`U = G / \max(\sqrt{\hat V}, \epsilon_1)` is clipped to RMS ``d`` and applied with
    step :math:`\max(\epsilon_2, \mathrm{RMS}(\theta))\,\min(\gamma, 1/\sqrt t)`. Weight decay is
    decoupled (:math:`\theta \leftarrow \theta (1 - \gamma\lambda)`); ``eps=(None, 1e-3)`` takes
    :math:`\epsilon_1` as the machine epsilon of the parameter's dtype.

    As in PyTorch, ``foreach=None`` runs the per-parameter loop (the list path uses more memory);
    pass ``foreach=True`` for the list path.

    >>> import lanterna as torch
    >>> w = torch.tensor([3.0, 4.0], requires_grad=True)
    >>> opt = torch.optim.Adafactor([w], lr=0.01)
    >>> w.grad = torch.tensor([1.0, -1.0])
    >>> opt.step()  # first step: RMS(w) * min(lr, 1) * sign(g) = 3.5355 * 0.01
    >>> w
    tensor([2.9646, 4.0354], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = lanterna.tensor(float(p_state["step"]), dtype=_get_scalar_dtype())

    def _init_group(self, group, params_with_grad, grads, row_vars, col_vars, variances, state_steps):
        for p in group["params"]:
            if p.grad is None:
                continue
            if lanterna.is_complex(p):
                raise RuntimeError("Adafactor does not support complex parameters")
            if p.grad.is_sparse:
                raise RuntimeError("Adafactor does not support sparse gradients")
            params_with_grad.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = lanterna.tensor(0.0, dtype=_get_scalar_dtype())
                if p.grad.dim() > 1:
                    row_shape = list(p.grad.shape)
                    row_shape[-1] = 1
                    state["row_var"] = p.grad.new_zeros(row_shape)  # mean of g*g over the last dim
                    col_shape = list(p.grad.shape)
                    col_shape[-2] = 1
                    state["col_var"] = p.grad.new_zeros(col_shape)  # mean of g*g over the dim before
                else:
                    state["variance"] = lanterna.zeros_like(p.grad)
            row_vars.append(state.get("row_var", None))
            col_vars.append(state.get("col_var", None))
            variances.append(state.get("variance", None))
            state_steps.append(state["step"])
        return False  # has_complex

    @lanterna.no_grad()
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        self._accelerator_graph_capture_health_check()
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params_with_grad, grads, row_vars, col_vars, variances, state_steps = [], [], [], [], [], []
            eps1, eps2 = group["eps"]
            has_complex = self._init_group(group, params_with_grad, grads, row_vars, col_vars, variances,
                                           state_steps)
            adafactor(params_with_grad, grads, row_vars, col_vars, variances, state_steps, d=group["d"],
                      lr=group["lr"], beta2_decay=group["beta2_decay"], weight_decay=group["weight_decay"],
                      eps1=eps1, eps2=eps2, foreach=group["foreach"], maximize=group["maximize"],
                      grad_scale=getattr(self, "grad_scale", None), found_inf=getattr(self, "found_inf", None),
                      has_complex=has_complex)
        return loss


def adafactor(params, grads, row_vars, col_vars, variances, state_steps, foreach=None, grad_scale=None,
              found_inf=None, has_complex=False, *, d, lr, beta2_decay, weight_decay, eps1, eps2, maximize):
    """Functional Adafactor: updates ``params`` and the state lists in place (the loop unless ``foreach``)."""
    if not all(isinstance(t, Tensor) for t in state_steps):
        raise RuntimeError("`state_steps` argument must contain a list of singleton tensors")
    fn = _multi_tensor_adafactor if foreach else _single_tensor_adafactor
    fn(params, grads, row_vars, col_vars, variances, state_steps, d=d, lr=lr, beta2_decay=beta2_decay,
       weight_decay=weight_decay, eps1=eps1, eps2=eps2, maximize=maximize, grad_scale=grad_scale,
       found_inf=found_inf, has_complex=has_complex)


def _single_tensor_adafactor(params, grads, row_vars, col_vars, variances, state_steps, grad_scale, found_inf, *,
                             d, lr, beta2_decay, weight_decay, eps1, eps2, maximize, has_complex):
    if grad_scale is not None or found_inf is not None:
        raise AssertionError("Grad scaling should occur outside of optimizer.step()")
    lr = _as_scalar(lr)  # a tensor lr stays a 0-dim tensor: its arithmetic is float32, as in PyTorch
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        step_t, row_var, col_var, variance = state_steps[i], row_vars[i], col_vars[i], variances[i]
        if eps1 is None:
            eps1 = lanterna.finfo(param.dtype).eps

        step_t += 1
        step_float = step_t.item()
        one_minus_beta2_t = step_float**beta2_decay
        rho_t = min(lr, 1 / (step_float**0.5))
        alpha = max(eps2, param.norm(2).item() / (param.numel() ** 0.5)) * rho_t

        if weight_decay != 0:
            param.mul_(1 - lr * weight_decay)

        if grad.dim() > 1:
            if row_var is None or col_var is None:
                raise AssertionError("row_var and col_var should be defined when grad is multidimensional")
            # (g * g).mean(dim) without the intermediate g * g, as PyTorch computes it
            row_mean = lanterna.norm(grad, dim=-1, keepdim=True).square_().div_(grad.size(-1))
            row_var.lerp_(row_mean, one_minus_beta2_t)
            col_mean = lanterna.norm(grad, dim=-2, keepdim=True).square_().div_(grad.size(-2))
            col_var.lerp_(col_mean, one_minus_beta2_t)
            var_estimate = row_var @ col_var
            var_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
        else:
            if variance is None:
                raise AssertionError("variance should be defined when grad is a vector")
            grad_squared = grad * grad
            variance.lerp_(grad_squared, one_minus_beta2_t)
            var_estimate = variance.clone()  # the update below must not write into the state

        # eps1 is squared because of the square root that follows
        update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_()
        update.mul_(grad)
        denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))
        _add_fused_(param, update, _number(-alpha / denom))  # one rounding, as PyTorch's CPU kernel


def _number(x):
    """A 0-dim tensor scalar (from a tensor ``lr``) as a Python number, as PyTorch reads a Scalar."""
    return x.item() if isinstance(x, Tensor) else x


def _group_by_dtype_and_is_multidim(params, grads, row_vars, col_vars, variances, state_steps):
    """PyTorch's grouping for the list path: by device, dtype, and matrix (factored) or vector."""
    groups = {}
    for j, grad in enumerate(grads):
        if grad is None:
            raise AssertionError("grad should not be None")
        key = (params[j].device, params[j].dtype, grad.dim() > 1)
        lists = groups.setdefault(key, [[], [], [], [], [], []])
        for lst, src in zip(lists, (params, grads, row_vars, col_vars, variances, state_steps)):
            lst.append(src[j])
    return groups


def _multi_tensor_adafactor(params, grads, row_vars, col_vars, variances, state_steps, grad_scale, found_inf, *,
                            d, lr, beta2_decay, weight_decay, eps1, eps2, maximize, has_complex):
    if len(params) == 0:
        return
    if grad_scale is not None or found_inf is not None:
        raise AssertionError("Grad scaling should occur outside of optimizer.step()")
    lr = _as_scalar(lr)  # a tensor lr stays a 0-dim tensor: its arithmetic is float32, as in PyTorch
    grouped = _group_by_dtype_and_is_multidim(params, grads, row_vars, col_vars, variances, state_steps)
    for (_, dtype, is_multidim), lists in grouped.items():
        device_params, device_grads, device_row_vars, device_col_vars, device_variances, device_steps = lists
        if eps1 is None:
            eps1 = lanterna.finfo(dtype).eps
        if maximize:
            device_grads = lanterna._foreach_neg(device_grads)
        lanterna._foreach_add_(device_steps, 1.0)

        steps = [s.item() for s in device_steps]
        one_minus_beta2_ts = [s**beta2_decay for s in steps]
        rho_ts = [min(lr, 1 / (s**0.5)) for s in steps]
        alphas = [max(eps2, p.norm(2).item() / (p.numel() ** 0.5)) * r for p, r in zip(device_params, rho_ts)]

        if weight_decay != 0:
            lanterna._foreach_mul_(device_params, 1 - lr * weight_decay)

        if is_multidim:
            if device_row_vars[0] is None or device_col_vars[0] is None:
                raise AssertionError("row_var and col_var should be defined when grad is multidimensional")
            row_means = [lanterna.norm(g, dim=-1, keepdim=True) for g in device_grads]
            lanterna._foreach_mul_(row_means, row_means)
            lanterna._foreach_div_(row_means, [g.size(-1) for g in device_grads])
            lanterna._foreach_lerp_(device_row_vars, row_means, one_minus_beta2_ts)
            del row_means
            col_means = [lanterna.norm(g, dim=-2, keepdim=True) for g in device_grads]
            lanterna._foreach_mul_(col_means, col_means)
            lanterna._foreach_div_(col_means, [g.size(-2) for g in device_grads])
            lanterna._foreach_lerp_(device_col_vars, col_means, one_minus_beta2_ts)
            del col_means
            var_estimates = [r @ c for r, c in zip(device_row_vars, device_col_vars)]
            row_var_means = [r.mean(dim=-2, keepdim=True) for r in device_row_vars]
            lanterna._foreach_clamp_min_(row_var_means, eps1)
            lanterna._foreach_div_(var_estimates, row_var_means)
            del row_var_means
        else:
            if device_variances[0] is None:
                raise AssertionError("variance should be defined when grad is a vector")
            grads_squared = lanterna._foreach_mul(device_grads, device_grads)
            lanterna._foreach_lerp_(device_variances, grads_squared, one_minus_beta2_ts)
            del grads_squared
            var_estimates = [v.clone() for v in device_variances]

        lanterna._foreach_clamp_min_(var_estimates, eps1 * eps1)
        for v in var_estimates:
            v.rsqrt_()
        lanterna._foreach_mul_(var_estimates, device_grads)
        updates = var_estimates
        alphas = [-a / max(1.0, u.norm(2).item() / ((u.numel() ** 0.5) * d)) for a, u in zip(alphas, updates)]
        lanterna._foreach_mul_(updates, [_number(a) for a in alphas])
        lanterna._foreach_add_(device_params, updates)
