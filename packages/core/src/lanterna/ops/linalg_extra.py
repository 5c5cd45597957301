"""``torch.linalg``: inverse, determinant, solve, norms, decompositions.

Decompositions run in host NumPy (``numpy.linalg``) for every backend: they are rare and small
next to the products in ``linalg.py``. Gradients are written in Tensor ops, so they work twice.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from . import return_types
from ._apply import Node, apply, output_of
from .kernels import from_host, to_host
from .reduce import legacy_scalar_name as _scalar_name
from .stats import vector_norm
from ._argerrors import not_a_tensor

_make = Tensor._make


class LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: a singular or non-positive-definite input."""


def _zero_pivot(m):
    """1-based index of the first zero pivot of LU with partial pivoting (PyTorch's message)."""
    m = np.array(m, dtype=np.float64)
    n = m.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        m[[k, p]] = m[[p, k]]
        m[k + 1:] -= np.outer(m[k + 1:, k] / m[k, k], m[k])
    return n


def _linalg_error(name, host):
    a = host[0]
    prefix = "" if a.ndim == 2 else "(Batch element 0): "
    mat = a if a.ndim == 2 else a.reshape(-1, *a.shape[-2:])[0]
    if name == "solve":
        return LinAlgError(f"torch.linalg.solve: {_singular_batch_prefix(a)}The solver failed because the input "
                           "matrix is singular.")
    if name == "cholesky":
        order = next((k for k in range(1, mat.shape[0] + 1) if not _is_pd(mat[:k, :k])), mat.shape[0])
        return LinAlgError(f"linalg.cholesky: {prefix}The factorization could not be completed because the input "
                           f"is not positive-definite (the leading minor of order {order} is not positive-definite).")
    return LinAlgError(f"linalg.{name}: {prefix}The diagonal element {_zero_pivot(mat)} is zero, the inversion could "
                       "not be completed because the input matrix is singular.")


def _singular_batch_prefix(a):
    """``(Batch element k): `` naming the first singular matrix of a batch (empty for one matrix)."""
    if a.ndim == 2:
        return ""
    from .linalg_more import _lu_np

    info = _lu_np(a)[2].reshape(-1)
    return f"(Batch element {int(np.argmax(info != 0))}): "


def _is_pd(m):
    try:
        np.linalg.cholesky(m)
        return True
    except np.linalg.LinAlgError:
        return False


def _host_call(fn, a, *arrays, name="inv"):
    """Run a ``numpy.linalg`` function on host copies and bring the result(s) back."""
    host = [np.asarray(to_host(x)) for x in arrays]
    try:
        with np.errstate(all="ignore"):
            r = fn(*host)
    except np.linalg.LinAlgError:
        raise _linalg_error(name, host) from None
    like = arrays[0]

    def back(x):  # in the input's floating dtype, on its device
        x = np.asarray(x)
        if x.dtype.kind == "f":
            x = x.astype(host[0].dtype, copy=False)
        return x if isinstance(like, np.ndarray) else from_host(x, like)

    return tuple(back(x) for x in r) if isinstance(r, tuple) else back(r)


def _scalar_type(dtype):
    """PyTorch's name of a dtype in its messages (``Long``, ``Float`` ...)."""
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(dtype)


def _square(a, name):
    if a.dim() < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    if not a.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_type(a.dtype)}")


class LinalgInvExBackward0(Node):
    def forward(self, a):
        self.out = _host_call(np.linalg.inv, a, a._data)
        return self.out

    def backward(self, grad):
        inv = output_of(self, self.out, grad)
        ih = inv.mT
        return -(ih @ grad @ ih)


def inv(A):
    """Inverse of (a batch of) square matrices."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_inv", A, "A")
    _square(A, "inv")
    return apply(LinalgInvExBackward0, A)


def inverse(input):
    """``torch.inverse``: :func:`inv` under its older name (PyTorch's message for a non-tensor differs)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("inverse", input)
    return inv(input)


class LinalgDetBackward0(Node):
    def forward(self, a):
        self.save(a)
        self.out = _host_call(np.linalg.det, a, a._data)
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        det = output_of(self, self.out, a)
        # d det / dA = det * A^{-T}; through solve so that singular A only fails where det != 0
        return (grad * det).unsqueeze(-1).unsqueeze(-1) * inv(a).mT


def det(A):
    """Determinant of (a batch of) square matrices (``torch.det``; ``torch.linalg.det`` is :func:`linalg_det`)."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("det", A)
    _square(A, "det")
    return apply(LinalgDetBackward0, A)


def linalg_det(A):
    """``torch.linalg.det``: :func:`det` (PyTorch's message for a non-tensor differs)."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_det", A, "A")
    return det(A)


class LinalgSlogdetBackward0(Node):
    """Both outputs come from this node, as in PyTorch (so ``sign`` requires grad too); a real
    sign is piecewise constant: only ``logabsdet`` sends a gradient back."""

    def backward(self, grad_sign, grad_logabs):
        if grad_logabs is None:
            return None
        (a,) = self.saved
        return grad_logabs.unsqueeze(-1).unsqueeze(-1) * inv(a).mT


def slogdet(A):
    """``(sign, log|det|)`` of (a batch of) square matrices."""
    from .linalg_more import _apply_multi

    _square(A, "slogdet")
    sign, logabs = _host_call(np.linalg.slogdet, A, A._data)
    xp, dt = A._backend.xp, A._data.dtype
    s, la = _apply_multi(LinalgSlogdetBackward0, (A,), (xp.asarray(sign, dtype=dt), xp.asarray(logabs, dtype=dt)))
    if la.grad_fn is not None:
        la.grad_fn.save(A)
    return return_types.linalg_slogdet(s, la)


def logdet(A):
    """``log(det(A))``: NaN where the determinant is negative."""
    sign, logabs = slogdet(A)
    return logabs.masked_fill(sign < 0, math.nan)


class LinalgSolveExBackward0(Node):
    def forward(self, a, b):
        self.save(a)
        self.vec = b._data.ndim == a._data.ndim - 1
        rhs = b._data[..., None] if self.vec else b._data
        x = _host_call(np.linalg.solve, a, a._data, rhs, name="solve")
        self.out = x[..., 0] if self.vec else x
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        gb = solve(a.mT, grad)
        x = output_of(self, self.out, grad)
        if self.vec:
            ga = -gb.unsqueeze(-1) * x.unsqueeze(-2)
        else:
            ga = -(gb @ x.mT)
        return ga, gb


def solve(A, B, *, left=True):
    """The ``X`` with ``A @ X = B`` (``X @ A = B`` with ``left=False``)."""
    if not isinstance(A, Tensor) or not isinstance(B, Tensor):
        raise not_a_tensor("linalg_solve", A, "A") if not isinstance(A, Tensor) else not_a_tensor("linalg_solve", B, "B", 2)
    _square(A, "solve")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_scalar_type(A.dtype)} and B of type {_scalar_type(B.dtype)} instead")
    n = A.shape[-1]
    if not left:
        if B.dim() < 2 or B.shape[-1] != n:
            rows, cols = (1, B.shape[0]) if B.dim() < 2 else B.shape[-2:]
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation XA = B ({n}x{n} and "
                               f"{rows}x{cols})")
        return solve(A.mT, B.mT).mT
    vec = B.dim() == A.dim() - 1  # as LinalgSolveExBackward0 reads B
    rows = B.shape[-1] if vec else B.shape[-2] if B.dim() > 1 else B.shape[0]
    if rows != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and "
                           f"{rows}x{1 if vec or B.dim() < 2 else B.shape[-1]})")
    return apply(LinalgSolveExBackward0, A, B)


def _check_matrix_norm(A, ord, dim):
    """PyTorch's argument checks for linalg.matrix_norm, in its order and with its messages."""
    if isinstance(ord, str):
        ok = ord in ("fro", "nuc")
    else:
        ok = abs(ord) in (1, 2, math.inf)
    if not ok:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_scalar_name(A.dtype)}")
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    d0, d1 = (_wrap_dim(d, A.dim()) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norm over the two ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    _check_matrix_norm(A, ord, dim)
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (_wrap_dim(d, A.dim()) for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in (math.inf, -math.inf, 1, -1):
        if ord in (math.inf, -math.inf):
            s = A.abs().sum(d1, keepdim=True)
            r = s.amax(d0, keepdim=True) if ord > 0 else s.amin(d0, keepdim=True)
        else:
            s = A.abs().sum(d0, keepdim=True)
            r = s.amax(d1, keepdim=True) if ord > 0 else s.amin(d1, keepdim=True)
        return r if keepdim else r.squeeze((d0, d1))
    sv = svdvals(A.movedim((d0, d1), (-2, -1)))
    if ord == "nuc":
        r = sv.sum(-1)
    elif ord == 2:
        r = sv.amax(-1)
    elif ord == -2:
        r = sv.amin(-1)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        r = r.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    return r


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.norm``: a vector norm for 1-D input or ``dim`` an int, a matrix norm for
    2-D input or ``dim`` a pair; with neither ``ord`` nor ``dim``, the 2-norm of all elements."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_norm", A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if dim is None and ord is not None and A.dim() not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.dim()}D.")
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):  # 'fro' and 'nuc' are matrix norms only
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype)
    if (dim is None and A.dim() == 2) or (dim is not None and len(dim) == 2):
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def cross(input, other, *, dim=-1):
    """``torch.linalg.cross`` (default ``dim=-1``)."""
    from .linalg import cross as _cross

    return _cross(input, other, dim)


def matrix_power(A, n):
    """``A`` multiplied by itself ``n`` times (``n < 0`` uses the inverse)."""
    _square(A, "matrix_power")
    if n == 0:
        from .creation import eye

        return eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(A.shape).clone()
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


class LinalgCholeskyExBackward0(Node):
    def forward(self, a):
        self.out = _host_call(np.linalg.cholesky, a, a._data, name="cholesky")
        if self.upper:
            self.out = a._backend.xp.matrix_transpose(self.out)
        return self.out

    def backward(self, grad):
        L = output_of(self, self.out, grad)
        if self.upper:
            L, grad = L.mT, grad.mT
        # Murray (2016): Phi(L^T gL) with Phi taking the lower triangle and halving the diagonal
        phi = L.mT @ grad
        phi = phi.tril() - 0.5 * phi.diagonal(0, -2, -1).diag_embed()
        s = solve_triangular_lower(L, phi)
        gA = solve_triangular_lower(L, s.mT).mT
        return 0.5 * (gA + gA.mT)


def solve_triangular_lower(L, B):
    """``L^{-T} B`` ... through a general solve (small matrices)."""
    return solve(L.mT, B)


def cholesky(A, *, upper=False):
    """Cholesky factor of symmetric positive-definite matrices."""
    _square(A, "cholesky")
    return apply(LinalgCholeskyExBackward0, A, upper=upper)


def _float_input(A, name):
    if not A.dtype.is_floating_point and not A.dtype.is_complex:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_type(A.dtype)}")


def _multi(cls, A, arrays, **params):
    """The outputs of a decomposition node with several outputs, each as the node's output i.
    The arrays are kept on the node, so that backward rebuilds them as graph tensors."""
    from .linalg_more import _apply_multi

    return _apply_multi(cls, (A,), list(arrays), outs=tuple(arrays), **params)


def _outputs(node, like):
    """The node's outputs as graph tensors (output ``i`` of ``node``): double backward flows."""
    outs = []
    for i, a in enumerate(node.outs):
        t = output_of(node, a, like)
        t._output_nr = i
        outs.append(t)
    return outs


def _first(*grads):
    return next(g for g in grads if g is not None)


def _eye(k, like):
    from .creation import eye

    return eye(k, dtype=like.dtype, device=like.device)


# ---- SVD ------------------------------------------------------------------------------------------
def _svd_backward(gU, gS, gVh, U, S, Vh):
    """PyTorch's ``svd_backward`` (FunctionsManual.cpp) for the reduced SVD ``A = U diag(S) Vh``
    with distinct non-zero singular values."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:  # svdvals: U diag(gS) Vh
        return U @ (gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)) @ Vh
    UhgU = VhgV = None
    if gU is not None:
        UhgU = U.mH @ gU
        UhgU = UhgU - UhgU.mH
    if gVh is not None:
        VhgV = Vh @ gVh.mH
        VhgV = VhgV - VhgV.mH
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye(S.shape[-1], S)  # 1 on the diagonal: 0 / 1 there
    if gU is not None and gVh is not None:
        ret = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif gU is not None:
        ret = UhgU * S.unsqueeze(-2) / E
    else:
        ret = S.unsqueeze(-1) * VhgV / E
    if gS is not None:
        ret = ret + gS.diag_embed()
    if m > n and gU is not None:
        gA = U @ ret
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - U @ (U.mH @ gUSinv)
        return gA @ Vh
    if m < n and gVh is not None:
        gA = ret @ Vh
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - (SinvgVh @ Vh.mH) @ Vh
        return U @ gA
    return U @ (ret @ Vh) if m >= n else (U @ ret) @ Vh


class LinalgSvdBackward0(Node):
    """Outputs ``(U, S, Vh)``; with ``full_matrices`` only the first ``min(m, n)`` columns of U
    and rows of Vh take part in the gradient, as in PyTorch."""

    def backward(self, gU, gS, gVh):
        if gU is None and gS is None and gVh is None:
            return None
        U, S, Vh = _outputs(self, _first(gU, gS, gVh))
        if self.full_matrices:
            k = S.shape[-1]
            U, Vh = U[..., :k], Vh[..., :k, :]
            gU = gU[..., :k] if gU is not None else None
            gVh = gVh[..., :k, :] if gVh is not None else None
        return _svd_backward(gU, gS, gVh, U, S, Vh)


def _svd_arrays(A, full_matrices):
    _float_input(A, "svd")
    if A.dim() < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    return _host_call(lambda x: np.linalg.svd(x, full_matrices=full_matrices), A, A._data)


def svdvals(A):
    """Singular values, descending (differentiable through the SVD, as in PyTorch).

    >>> import lanterna as torch
    >>> torch.linalg.svdvals(torch.tensor([[3.0, 0.0], [0.0, -4.0]]))
    tensor([4., 3.])
    """
    if not (A._requires_grad and _grad_on()):
        _float_input(A, "svd")
        s = _host_call(lambda x: np.linalg.svd(x, compute_uv=False), A, A._data)
        return _make(s, A._backend, A._device)
    u, s, vh = _svd_arrays(A, False)
    return _multi(LinalgSvdBackward0, A, (u, s, vh), full_matrices=False)[1]


def svd(A, full_matrices=True):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``.

    >>> import lanterna as torch
    >>> torch.linalg.svd(torch.tensor([[3.0, 0.0], [0.0, -4.0]])).S
    tensor([4., 3.])
    """
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_svd", A, "A")
    u, s, vh = _svd_arrays(A, full_matrices)
    return return_types.linalg_svd(*_multi(LinalgSvdBackward0, A, (u, s, vh), full_matrices=full_matrices))


def _grad_on():
    from ..autograd.grad_mode import GRAD_ENABLED

    return GRAD_ENABLED[0]


# ---- QR -------------------------------------------------------------------------------------------
_QR_MODES = ("reduced", "complete", "r")


class LinalgQrBackward0(Node):
    """PyTorch's ``linalg_qr_backward``: ``A = Q R`` (reduced, or complete with ``m <= n``)."""

    def backward(self, gQ, gR):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                               "through linalg.qr.")
        Q, R = _outputs(self, _first(gQ, gR))
        m, n = Q.shape[-2], R.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if gQ is None and gR is None:
            return None
        from .linalg_more import solve_triangular

        if gQ is not None:
            gA = gR @ R.mH - Q.mH @ gQ if gR is not None else -(Q.mH @ gQ)
        else:
            gA = gR @ R.mH
        if m >= n:
            t = gA.triu()
            t = t + t.mH
            t = t - 0.5 * t.diagonal(0, -2, -1).real.diag_embed() if t.is_complex() else \
                t - 0.5 * t.diagonal(0, -2, -1).diag_embed()
            gA = Q @ t
            if gQ is not None:
                gA = gA + gQ
            return solve_triangular(R.mH, gA, upper=False, left=False)
        X = -gA
        t = (X - X.mH).tril()
        if t.is_complex():
            d = t.diagonal(0, -2, -1)
            t = t - 0.5j * d.imag.diag_embed()
        gA = Q @ t
        gA = solve_triangular(R[..., :, :m].mH, gA, upper=False, left=False)
        from .joining import cat

        gA = cat([gA, gA.new_zeros((*gA.shape[:-1], n - m))], -1)
        if gR is not None:
            gA = gA + Q @ gR
        return gA


def qr(A, mode="reduced"):
    """``(Q, R)`` with ``A = Q R``: ``mode`` 'reduced', 'complete' or 'r' (R only, Q empty).

    >>> import lanterna as torch
    >>> torch.linalg.qr(torch.tensor([[2.0, 0.0], [0.0, 3.0]])).R.abs()
    tensor([[2., 0.],
            [0., 3.]])
    """
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_qr", A, "A")
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    _float_input(A, "qr")
    if A.dim() < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode == "r":
        r = _host_call(lambda x: np.linalg.qr(x, mode="r"), A, A._data)
        q = A._backend.xp.zeros((0,), dtype=r.dtype)
        if not isinstance(A._data, np.ndarray):
            q = from_host(np.zeros((0,), dtype=np.asarray(to_host(r)).dtype), A._data)
    else:
        q, r = _host_call(lambda x: np.linalg.qr(x, mode=mode), A, A._data)
    return return_types.linalg_qr(*_multi(LinalgQrBackward0, A, (q, r), mode=mode))


# ---- symmetric eigendecomposition ------------------------------------------------------------------
class LinalgEighBackward0(Node):
    """PyTorch's ``linalg_eig_backward`` with ``is_hermitian``: ``A = V diag(L) V^H``."""

    def backward(self, gL, gV):
        if gL is None and gV is None:
            return None
        L, V = _outputs(self, _first(gL, gV))
        if gV is None:
            return (V * gL.unsqueeze(-2)) @ V.mH
        VhgV = V.mH @ gV
        VhgV = 0.5 * (VhgV - VhgV.mH)
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye(L.shape[-1], L)  # 1 on the diagonal
        ret = VhgV / E
        if gL is not None:
            if ret.is_complex():
                ret = ret - ret.diagonal(0, -2, -1).diag_embed()
            ret = ret + gL.diag_embed()
        return V @ (ret @ V.mH)


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of symmetric (Hermitian) matrices.

    >>> import lanterna as torch
    >>> torch.linalg.eigh(torch.tensor([[2.0, 0.0], [0.0, 1.0]])).eigenvalues
    tensor([1., 2.])
    """
    if UPLO not in ("L", "U"):
        raise RuntimeError("Expected UPLO argument to be 'L' or 'U', but got " + str(UPLO))
    _square(A, "eigh")
    w, v = _host_call(lambda x: np.linalg.eigh(x, UPLO=UPLO), A, A._data)
    return return_types.linalg_eigh(*_multi(LinalgEighBackward0, A, (w, v)))


def eigvalsh(A, UPLO="L"):
    """Eigenvalues (ascending) of symmetric (Hermitian) matrices."""
    if not (A._requires_grad and _grad_on()):
        _square(A, "eigvalsh")
        w = _host_call(lambda x: np.linalg.eigvalsh(x, UPLO=UPLO), A, A._data)
        return _make(w, A._backend, A._device)
    return eigh(A, UPLO).eigenvalues


# ---- pseudo-inverse --------------------------------------------------------------------------------
def _tol_host(t):
    if t is None:
        return None
    if isinstance(t, Tensor):
        a = np.asarray(to_host(t._data), dtype=np.float64)
        return a.reshape(a.shape + (1,)) if a.ndim else a
    return np.float64(t)


def _pinv_np(x, atol, rtol, hermitian):
    """``pinv`` as PyTorch's: singular values below ``max(atol, rtol * largest)`` count as zero;
    ``rtol`` defaults to ``eps * max(m, n)`` when neither tolerance is given, else to 0."""
    m, n = x.shape[-2:]
    if rtol is None:
        rtol = np.finfo(x.dtype).eps * max(m, n) if atol is None or not np.any(atol > 0) else 0.0
    if atol is None:
        atol = 0.0
    if x.size == 0:
        return np.zeros(x.shape[:-2] + (n, m), dtype=x.dtype)
    if hermitian:
        w, v = np.linalg.eigh(x)
        aw = np.abs(w)
        thresh = np.maximum(atol, rtol * aw.max(-1, keepdims=True))
        inv = np.where(aw > thresh, 1.0 / np.where(w == 0, 1, w), 0.0)
        return (v * inv[..., None, :]) @ np.swapaxes(v.conj(), -1, -2)
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    thresh = np.maximum(atol, rtol * s[..., :1])
    inv = np.where(s > thresh, 1.0 / np.where(s == 0, 1, s), 0.0)
    return np.swapaxes(vh.conj(), -1, -2) @ (inv[..., :, None] * np.swapaxes(u.conj(), -1, -2))


class LinalgPinvBackward0(Node):
    """PyTorch's ``pinv_backward``: the gradient of the pseudo-inverse where its rank is locally
    constant."""

    def forward(self, a):
        self.save(a)
        atol, rtol = self.atol, self.rtol
        self.out = _host_call(lambda x: _pinv_np(x, atol, rtol, self.hermitian), a, a._data)
        return self.out

    def backward(self, grad):
        (A,) = self.saved
        pinvA = output_of(self, self.out, grad)
        m, n = A.shape[-2], A.shape[-1]
        pinvAh = pinvA.mH
        gradh = grad.mH
        if m <= n:
            K = gradh @ pinvA
            KpinvAh = K @ pinvAh
            return -(pinvA @ K).mH + KpinvAh - (A @ pinvA) @ KpinvAh + (pinvAh @ pinvA) @ (gradh - K @ A)
        K = pinvA @ gradh
        pinvAhK = pinvAh @ K
        return -(K @ pinvA).mH + ((gradh - A @ K) @ pinvA) @ pinvAh + pinvAhK - (pinvAhK @ pinvA) @ A


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse.

    >>> import lanterna as torch
    >>> torch.linalg.pinv(torch.tensor([[2.0, 0.0], [0.0, 0.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]])
    """
    _float_input(A, "pinv")
    if A.dim() < 2:
        raise RuntimeError("linalg.pinv(" + D.cpp_name(A.dtype).capitalize() + "{[" +
                           ", ".join(str(s) for s in A.shape) + "]}): expected a tensor with 2 or more dimensions "
                           "of float, double, cfloat or cdouble types")
    return apply(LinalgPinvBackward0, A, atol=_tol_host(atol), rtol=_tol_host(rtol), hermitian=hermitian)


def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: ``linalg.pinv`` with ``rcond`` as its relative tolerance."""
    return pinv(input, rtol=rcond)
