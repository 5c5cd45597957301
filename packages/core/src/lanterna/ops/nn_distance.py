"""Distances and similarities between vectors, composed from Tensor ops (autograd for free)."""

from __future__ import annotations

from .. import _dtype as D


def _norm(x, p, dim, keepdim):
    return x.norm(p, dim=dim, keepdim=keepdim)


def _dist_norm(x, p, dim):
    """The norm behind cdist and pdist. Their p=0 (a count of nonzeros) gives the inputs a zero
    gradient in PyTorch, where a plain 0-norm leaves it undefined (None)."""
    out = _norm(x, p, dim, False)
    if p == 0 and x.requires_grad:
        # x filled with zeros: an exact 0 (x * 0 would be NaN at inf) through which a zero gradient flows
        everywhere = x.new_ones((), dtype=D.bool_)
        out = out + x.masked_fill(everywhere, 0).sum(dim)
    return out


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``x1 . x2 / (max(|x1|, eps) * max(|x2|, eps))`` along ``dim`` (inputs broadcast).

    >>> import lanterna as torch
    >>> torch.cosine_similarity(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    if x1.dtype is not x2.dtype:
        dt = x1.dtype if x1.dtype.is_floating_point else x2.dtype
        x1, x2 = x1.to(dt), x2.to(dt)
    n1 = _norm(x1, 2, dim, True)
    n2 = _norm(x2, 2, dim, True)
    # clamp the norms without letting the clamp change the gradient (PyTorch clamps under no_grad);
    # the detached shift is (eps - n)+ so that an overflowed norm (inf) stays inf, not inf - inf = nan
    n1 = n1 + (eps - n1).clamp_min(0).detach()
    n2 = n2 + (eps - n2).clamp_min(0).detach()
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``|x1 - x2 + eps|_p`` over the last dim."""
    diff = x1 - x2 + eps
    return _norm(diff, p, -1, keepdim)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """p-norm distances between each row of ``x1`` (…, P, M) and each row of ``x2`` (…, R, M)."""
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return _dist_norm(diff, p, -1)


def pdist(input, p=2.0):
    """Distances between every pair of rows of (N, M) ``input``: the upper triangle of cdist, row major."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    n = input.shape[0]
    if n < 2:
        return input.new_zeros((0,))
    from .creation import tensor

    rows, cols = [], []
    for i in range(n):
        for j in range(i + 1, n):
            rows.append(i)
            cols.append(j)
    ri = tensor(rows, device=input.device)
    ci = tensor(cols, device=input.device)
    return _dist_norm(input[ri] - input[ci], p, -1)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(|input|_p, eps)`` along ``dim``."""
    denom = _norm(input, p, dim, True).clamp_min(eps).expand_as(input)
    return input / denom
