"""Muon: momentum SGD for 2-D parameters whose update is orthogonalised by a Newton-Schulz iteration.

PyTorch runs the Newton-Schulz iteration in bfloat16. Lanterna has no bfloat16 dtype, so it runs
the same iteration in float32 and rounds every intermediate result to bfloat16 precision (round to
nearest even, as PyTorch converts): products and sums are accumulated in float32 and rounded
once, which is what PyTorch's CPU bfloat16 kernels do. The result holds bfloat16 values in a
float32 tensor and is added to the parameter in its own dtype, as in PyTorch.
"""

from __future__ import annotations

import math

import lanterna
from lanterna import Tensor

from ._helpers import _add_fused_, _as_scalar
from .optimizer import Optimizer

__all__ = ["Muon"]

# Keller Jordan's constants (https://kellerjordan.github.io/posts/muon/), PyTorch's defaults
EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _round_to_bfloat16(t):
    """``t`` rounded to the nearest bfloat16 (ties to even), kept as a float32 tensor.

    Equal to ``t.bfloat16().float()`` in PyTorch: the low 16 bits of the float32 pattern are
    rounded away; NaNs stay NaN.
    """
    t = t.float()
    bits = t.view(lanterna.int32)
    rounded = ((bits + (((bits >> 16) & 1) + 0x7FFF)) & -65536).view(lanterna.float32)
    return lanterna.where(lanterna.isnan(t), t, rounded)


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """The quintic Newton-Schulz iteration of PyTorch's Muon, in emulated bfloat16 (see the module doc).

    It drives the singular values of ``grad`` (scaled to spectral norm at most 1) towards one:
    the result is roughly ``U S' V^T`` with ``S'`` between 0.5 and 1.5, not exactly ``U V^T``.
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if len(grad.shape) != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    bf16 = _round_to_bfloat16
    a, b, c = ns_coefficients
    ortho_grad = bf16(grad)
    if grad.size(0) > grad.size(1):
        ortho_grad = ortho_grad.T
    # spectral norm at most 1: divide by the Frobenius norm (bfloat16 norm, clamp and division)
    eps_bf16 = bf16(lanterna.tensor(float(eps))).item()
    norm = bf16(bf16(ortho_grad.norm()).clamp(min=eps_bf16))
    ortho_grad = bf16(ortho_grad / norm)
    for _ in range(ns_steps):
        gram_matrix = bf16(ortho_grad @ ortho_grad.T)
        gram_update = bf16(lanterna.addmm(gram_matrix, gram_matrix, gram_matrix, beta=b, alpha=c))
        ortho_grad = bf16(lanterna.addmm(ortho_grad, gram_update, ortho_grad, beta=a))
    if grad.size(0) > grad.size(1):
        ortho_grad = ortho_grad.T
    return ortho_grad


def _adjust_lr(lr, adjust_lr_fn, param_shape):
    """Muon's learning-rate scaling for a ``(A, B)`` matrix: ``sqrt(max(1, A/B))`` ("original")
    or ``0.2 * sqrt(max(A, B))`` ("match_rms_adamw")."""
    A, B = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        adjusted_ratio = math.sqrt(max(1, A / B))
    elif adjust_lr_fn == "match_rms_adamw":
        adjusted_ratio = 0.2 * math.sqrt(max(A, B))
    else:
        adjusted_ratio = 1.0
    return lr * adjusted_ratio


class Muon(Optimizer):
    r"""Muon: momentum, then Newton-Schulz orthogonalisation of the update, for 2-D parameters only.

    :math:`B_t = \mu B_{t-1} + (1-\mu) g_t` (a ``lerp``), the update is :math:`g_t + \mu (B_t - g_t)`
    with ``nesterov`` (else :math:`B_t`), orthogonalised by ``ns_steps`` Newton-Schulz iterations with
    ``ns_coefficients``; then :math:`\theta \leftarrow \theta (1 - \gamma\lambda)` (decoupled weight
    decay) and :math:`\theta \leftarrow \theta - \gamma' O_t` with :math:`\gamma'` from
    ``adjust_lr_fn``. Biases, embeddings and other non-matrix parameters belong to another
    optimizer such as AdamW. The iteration runs in emulated bfloat16, see :mod:`lanterna.optim._muon`.

    >>> import lanterna as torch
    >>> w = torch.zeros(2, 2, requires_grad=True)
    >>> opt = torch.optim.Muon([w], lr=0.1, weight_decay=0.0)
    >>> w.grad = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> opt.step()  # a multiple of the identity: the update is ~1.12 I (not exactly I, by design)
    >>> w
    tensor([[-0.1125,  0.0000],
            [ 0.0000, -0.1125]], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum, "nesterov": nesterov,
                    "ns_coefficients": ns_coefficients, "eps": eps, "ns_steps": ns_steps,
                    "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        f"Muon only supports 2D parameters whereas we found a parameter with size: {p.size()}"
                    )

    def _init_group(self, group, params_with_grad, grads, muon_momentum_bufs):
        for p in group["params"]:
            if p.grad is None:
                continue
            if lanterna.is_complex(p):
                raise RuntimeError("Muon does not support complex parameters")
            if p.grad.is_sparse:
                raise RuntimeError("Muon does not support sparse gradients")
            params_with_grad.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = lanterna.zeros_like(p.grad)
            muon_momentum_bufs.append(state["momentum_buffer"])
        return False  # has_complex

    @lanterna.no_grad()
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with lanterna.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params_with_grad, grads, muon_momentum_bufs = [], [], []
            has_complex = self._init_group(group, params_with_grad, grads, muon_momentum_bufs)
            muon(params_with_grad, grads, muon_momentum_bufs, lr=group["lr"], weight_decay=group["weight_decay"],
                 momentum=group["momentum"], nesterov=group["nesterov"], ns_coefficients=group["ns_coefficients"],
                 eps=group["eps"], ns_steps=group["ns_steps"], adjust_lr_fn=group["adjust_lr_fn"],
                 has_complex=has_complex)
        return loss


def _single_tensor_muon(params, grads, muon_momentum_bufs, *, lr, weight_decay, momentum, nesterov,
                        ns_coefficients, ns_steps, eps, adjust_lr_fn, has_complex):
    lr = _as_scalar(lr)  # a tensor lr stays a 0-dim tensor, as in PyTorch
    if has_complex:
        raise ValueError("Complex parameters are not supported")
    for i, param in enumerate(params):
        grad = grads[i]
        if grad.ndim != 2:
            raise ValueError("Param gradient must be a 2D matrix")
        buf = muon_momentum_bufs[i]
        buf.lerp_(grad, 1 - momentum)
        update = grad.lerp(buf, momentum) if nesterov else buf
        update = _zeropower_via_newtonschulz(update, ns_coefficients, ns_steps, eps)
        adjusted_lr = _adjust_lr(lr, adjust_lr_fn, param.shape)
        param.mul_(1 - lr * weight_decay)
        _add_fused_(param, update, -adjusted_lr)


def muon(params, grads, muon_momentum_bufs, *, foreach=None, lr, weight_decay, momentum, nesterov,
         ns_coefficients, ns_steps, eps, adjust_lr_fn, has_complex):
    """Functional Muon: updates ``params`` and ``muon_momentum_bufs`` in place (a loop; no list path)."""
    if foreach is not None and foreach:
        raise RuntimeError("Foreach is not supported for Muon yet")
    _single_tensor_muon(params, grads, muon_momentum_bufs, lr=lr, weight_decay=weight_decay, momentum=momentum,
                        nesterov=nesterov, ns_coefficients=ns_coefficients, ns_steps=ns_steps, eps=eps,
                        adjust_lr_fn=adjust_lr_fn, has_complex=has_complex)
