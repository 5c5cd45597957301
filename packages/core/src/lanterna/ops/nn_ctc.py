"""Connectionist temporal classification loss: the alpha (forward) recursion in log space, and its
gradient from the beta (backward) recursion, both vectorised over the batch and the label states.

The gradient is PyTorch's: with respect to ``log_probs`` it is ``exp(log_probs) - occupancy``,
which is the true gradient when ``log_probs`` come from ``log_softmax`` (the ``exp`` term cancels
through its backward), and it is not differentiable again (double backward raises, as in PyTorch).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._apply import Node, apply
from .kernels import kernel


def _logsumexp3(xp, a, b, c):
    """``log(exp(a) + exp(b) + exp(c))`` as PyTorch's CPU kernel computes it (max shifted; the
    shift is 0 where all three are -inf)."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(m == -xp.inf, xp.zeros_like(m), m)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the point (NumPy would warn)
        return xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m)) + m


def _shift(xp, a, k, fill, forward=True):
    """``a`` moved ``k`` states along the last axis (towards higher states if ``forward``), the
    vacated states set to ``fill``."""
    if k >= a.shape[-1]:
        return xp.full(a.shape, fill, dtype=a.dtype)
    pad = xp.full(a.shape[:-1] + (k,), fill, dtype=a.dtype)
    if forward:
        return xp.concat([pad, a[..., : a.shape[-1] - k]], axis=-1)
    return xp.concat([a[..., k:], pad], axis=-1)


class CtcLossBackward0(Node):
    """Per-sample negative log likelihood of the targets, ``log_probs`` (T, N, C) -> (N,)."""

    def forward(self, log_probs):
        xp = log_probs._backend.xp
        lp = log_probs._data
        T, N, C = lp.shape
        ext, skip, valid = self.ext, self.skip, self.valid  # (N, S) host arrays
        S = ext.shape[1]
        dev = self._to_device
        neg_inf = -xp.inf
        flat = dev((np.arange(N)[:, None] * C + ext).reshape(-1))
        lp_ext = xp.reshape(xp.take(xp.reshape(lp, (T, N * C)), flat, axis=1), (T, N, S))
        skip_d, valid_d = dev(skip), dev(valid)
        lengths = self.target_lengths
        first = np.zeros((N, S), dtype=bool)
        first[:, 0] = True
        if S > 1:
            first[:, 1] = np.asarray(lengths) > 0
        alpha = [xp.where(dev(first), lp_ext[0, ...], xp.full((N, S), neg_inf, dtype=lp.dtype))] if T else []
        ninf = xp.full((N, S), neg_inf, dtype=lp.dtype)
        for t in range(1, T):
            prev = alpha[-1]
            la2 = _shift(xp, prev, 1, neg_inf)
            la3 = xp.where(skip_d, _shift(xp, prev, 2, neg_inf), ninf)
            alpha.append(xp.where(valid_d, _logsumexp3(xp, prev, la2, la3) + lp_ext[t, ...], ninf))
        alpha = xp.stack(alpha) if T else xp.zeros((0, N, S), dtype=lp.dtype)
        # the log likelihood: the last two states at each sample's last frame
        ends = np.asarray(self.input_lengths) - 1
        L = np.asarray(lengths)
        base = np.maximum(ends, 0) * N * S + np.arange(N) * S
        flat_alpha = xp.reshape(alpha, (-1,)) if T else xp.full((1,), neg_inf, dtype=lp.dtype)
        idx1 = base + 2 * L
        idx2 = base + np.maximum(2 * L - 1, 0)
        if not T:
            idx1 = idx2 = np.zeros(N, dtype=np.int64)
        la1 = xp.take(flat_alpha, dev(idx1))
        la2 = xp.where(dev(L > 0), xp.take(flat_alpha, dev(idx2)), xp.full((N,), neg_inf, dtype=lp.dtype))
        m = xp.maximum(la1, la2)
        m = xp.where(m == neg_inf, xp.zeros_like(m), m)
        with np.errstate(divide="ignore"):
            ll = xp.log(xp.exp(la1 - m) + xp.exp(la2 - m)) + m
        empty = dev(ends < 0)  # zero-length inputs: likelihood 1 for an empty target, else 0
        ll = xp.where(
            empty, xp.where(dev(L == 0), xp.zeros_like(ll), xp.full((N,), neg_inf, dtype=lp.dtype)), ll
        )
        nll = -ll
        self.alpha, self.lp_ext, self.nll = alpha, lp_ext, nll
        self.save(log_probs)
        return nll

    def backward(self, grad):
        (log_probs,) = self.saved
        # log_probs is an input too, so that the gradient is recorded (and its backward raises)
        return apply(
            _CtcLossGrad,
            grad,
            log_probs,
            log_probs=log_probs._data,
            alpha=self.alpha,
            lp_ext=self.lp_ext,
            nll=self.nll,
            ext=self.ext,
            skip=self.skip,
            valid=self.valid,
            input_lengths=self.input_lengths,
            target_lengths=self.target_lengths,
            zero_infinity=self.zero_infinity,
            _to_device=self._to_device,
        )


class _CtcLossGrad(Node):
    """``d nll / d log_probs`` times the incoming gradient (PyTorch's ``_ctc_loss_backward``)."""

    def name(self):
        return "torch::autograd::NotImplemented"

    def forward(self, grad, log_probs_tensor):
        xp = grad._backend.xp
        lp, alpha, lp_ext, nll = self.log_probs, self.alpha, self.lp_ext, self.nll
        T, N, C = lp.shape
        S = self.ext.shape[1]
        dev = self._to_device
        neg_inf = -xp.inf
        ninf = xp.full((N, S), neg_inf, dtype=lp.dtype)
        L = np.asarray(self.target_lengths)
        Tb = np.asarray(self.input_lengths)
        s_idx = np.arange(S)[None, :]
        # beta recursion, from each sample's last frame down to 0
        last = np.zeros((N, S), dtype=bool)
        last[s_idx == 2 * L[:, None]] = True
        last[(s_idx == 2 * L[:, None] - 1) & (L[:, None] > 0)] = True
        last_d, valid_d = dev(last), dev(self.valid)
        # s -> s+1 needs s < 2L; s -> s+2 needs s < 2L-1 and a different label at s+2
        step1 = dev(s_idx < 2 * L[:, None])
        ext = self.ext
        ext2 = np.concatenate([ext, np.full((N, 2), -1, dtype=ext.dtype)], axis=1)[:, 2:]
        step2 = dev((s_idx < 2 * L[:, None] - 1) & (ext2 != ext))
        betas = [None] * T
        beta = ninf
        for t in range(T - 1, -1, -1):
            lb2 = xp.where(step1, _shift(xp, beta, 1, neg_inf, forward=False), ninf)
            lb3 = xp.where(step2, _shift(xp, beta, 2, neg_inf, forward=False), ninf)
            rec = xp.where(valid_d, _logsumexp3(xp, beta, lb2, lb3) + lp_ext[t, ...], ninf)
            init = xp.where(last_d, lp_ext[t, ...], ninf)
            at_last = dev((Tb - 1 == t)[:, None])
            before = dev((t < Tb - 1)[:, None])
            beta = xp.where(at_last, init, xp.where(before, rec, ninf))
            betas[t] = beta
        beta = xp.stack(betas) if T else xp.zeros((0, N, S), dtype=lp.dtype)
        # occupancy of each state: alpha * beta / (y * likelihood), summed into its label's class
        with np.errstate(invalid="ignore"):  # -inf + inf where the targets are impossible: NaN, as PyTorch
            occ_state = xp.exp(alpha + beta - lp_ext + xp.reshape(nll, (1, N, 1)))
        flat = dev((np.arange(N)[:, None] * C + ext).reshape(-1))
        occ = xp.zeros((N * C, T), dtype=lp.dtype)
        kernel(grad._backend, "index_add")(
            occ, flat, xp.permute_dims(xp.reshape(occ_state, (T, N * S)), (1, 0))
        )
        occ = xp.reshape(xp.permute_dims(occ, (1, 0)), (T, N, C))
        g = (xp.exp(lp) - occ) * xp.reshape(grad._data, (1, N, 1))
        inf_nll = xp.isinf(nll) & (nll > 0)
        if self.zero_infinity:
            keep = dev((np.arange(T)[:, None] < Tb[None, :])[:, :, None]) & ~xp.reshape(inf_nll, (1, N, 1))
        else:
            # an impossible alignment: PyTorch's formula gives NaN for every class of its frames
            g = xp.where(xp.reshape(inf_nll, (1, N, 1)), xp.full(g.shape, xp.nan, dtype=g.dtype), g)
            keep = dev((np.arange(T)[:, None] < Tb[None, :])[:, :, None])
        return xp.where(keep, g, xp.zeros_like(g))

    def backward(self, grad):
        raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


def _lengths(x, name):
    if isinstance(x, Tensor):
        return [int(v) for v in x.reshape(-1).tolist()]
    if isinstance(x, int):
        return [x]
    return [int(v) for v in x]


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False):
    """``torch.ctc_loss``: the CTC loss of ``log_probs`` (T, N, C) or (T, C) against ``targets``
    (padded (N, S), or all concatenated), ``reduction`` 0 (none), 1 (mean over target lengths, then
    batch) or 2 (sum).

    >>> import lanterna as torch
    >>> lp = torch.tensor([[0.5, 0.5], [0.5, 0.5]]).log().unsqueeze(1)
    >>> torch.ctc_loss(lp, torch.tensor([[1]]), [2], [1], reduction=0)
    tensor([0.2877])
    """
    if isinstance(reduction, str):
        reduction = {"none": 0, "mean": 1, "sum": 2}[reduction]
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise TypeError(
            "ctc_loss() received an invalid combination of arguments: input_lengths and target_lengths "
            "must both be tensors or both be tuples of ints"
        )
    batched = log_probs.dim() == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    tg = targets if batched else targets.unsqueeze(0)
    c = "ctc_loss_allocate_outputs"
    if lp.dim() != 3:
        raise RuntimeError(
            f"Expected {lp.dim()}-dimensional tensor, but got 3-dimensional tensor for argument #1 "
            f"'log_probs' (while checking arguments for {c})"
        )
    if not 1 <= tg.dim() <= 2:
        raise RuntimeError(
            f"Expected 1 to 3 dimensions, but got {tg.dim()}-dimensional tensor for argument #2 'targets' "
            f"(while checking arguments for {c})"
        )
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    in_l = _lengths(input_lengths, "input_lengths")
    tg_l = _lengths(target_lengths, "target_lengths")
    if len(in_l) != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tg_l) != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    for v in tg_l:
        if v < 0:
            raise RuntimeError(
                f"Expected target_lengths to have value at least 0, but got value {v} "
                f"(while checking arguments "
                f"for {c})"
            )
    host = np.asarray(tg._host()).astype(np.int64)
    max_len = max(tg_l, default=0)
    if tg.dim() == 1:
        if host.shape[0] != sum(tg_l):
            raise RuntimeError(
                f"Expected tensor to have size {sum(tg_l)} at dimension 0, but got size {host.shape[0]} for "
                f"argument #2 'targets' (while checking arguments for {c})"
            )
        starts = np.concatenate([[0], np.cumsum(tg_l)[:-1]]).astype(np.int64) if N else np.zeros(0, np.int64)
        rows = [host[s : s + k] for s, k in zip(starts, tg_l)]
    else:
        if host.shape[0] != N:
            raise RuntimeError(
                f"Expected tensor to have size {N} at dimension 0, but got size {host.shape[0]} "
                f"for argument #2 "
                f"'targets' (while checking arguments for {c})"
            )
        if host.shape[1] < max_len:
            raise RuntimeError(
                f"Expected tensor to have size at least {max_len} at dimension 1, "
                f"but got size {host.shape[1]} "
                f"for argument #2 'targets' (while checking arguments for {c})"
            )
        rows = [host[b, :k] for b, k in enumerate(tg_l)]
    for v in in_l:
        if v < 0:
            raise RuntimeError(
                f"Expected input_lengths to have value at least 0, but got value {v} "
                f"(while checking arguments "
                f"for {c})"
            )
        if v > T:
            raise RuntimeError(
                f"Expected input_lengths to have value at most {T}, but got value {v} "
                f"(while checking arguments "
                f"for {c})"
            )
    S = 2 * max_len + 1
    ext = np.full((N, S), blank, dtype=np.int64)
    for b, r in enumerate(rows):
        if len(r) and (r.min() < 0 or r.max() >= C):
            raise IndexError(f"target index out of range for {C} classes")
        ext[b, 1 : 2 * len(r) : 2] = r
    s_idx = np.arange(S)[None, :]
    prev2 = np.concatenate([np.full((N, 2), -1, dtype=np.int64), ext], axis=1)[:, :S]
    skip = (s_idx > 1) & (prev2 != ext)
    valid = s_idx <= 2 * np.asarray(tg_l, dtype=np.int64)[:, None]
    backend, index = lp._backend, lp._device.index or 0

    def to_device(a):
        a = np.ascontiguousarray(a)
        return backend.from_numpy(a, index)

    res = apply(
        CtcLossBackward0,
        lp,
        ext=ext,
        skip=skip,
        valid=valid,
        input_lengths=in_l,
        target_lengths=tg_l,
        zero_infinity=zero_infinity,
        _to_device=to_device,
    )
    if zero_infinity:
        from .pointwise import where

        res = where(res == float("inf"), res.new_zeros(()), res)
    if reduction == 1:
        from .creation import tensor

        lengths = tensor(tg_l, dtype=res.dtype, device=res.device).clamp_min(1)
        return (res / lengths).mean()
    if reduction == 2:
        return res.sum()
    return res if batched else res.squeeze(0)


__all__ = ["ctc_loss"]
