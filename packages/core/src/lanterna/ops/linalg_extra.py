"""``torch.linalg``: inverse, determinant, solve, norms, decompositions.

Decompositions run in host NumPy (``numpy.linalg``) for every backend: they are rare and small
next to the products in ``linalg.py``. Gradients are written in Tensor ops, so they work twice.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from . import return_types
from ._apply import Node, apply, output_of
from .kernels import from_host, to_host
from .stats import vector_norm

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
        return LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.")
    if name == "cholesky":
        order = next((k for k in range(1, mat.shape[0] + 1) if not _is_pd(mat[:k, :k])), mat.shape[0])
        return LinAlgError(f"linalg.cholesky: {prefix}The factorization could not be completed because the input "
                           f"is not positive-definite (the leading minor of order {order} is not positive-definite).")
    return LinAlgError(f"linalg.{name}: {prefix}The diagonal element {_zero_pivot(mat)} is zero, the inversion could "
                       "not be completed because the input matrix is singular.")


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


def _square(a, name):
    if a.dim() < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    if not a.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. Got "
                           f"{D.cpp_name(a.dtype).capitalize()}")


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
    _square(A, "inv")
    return apply(LinalgInvExBackward0, A)


inverse = inv


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
    """Determinant of (a batch of) square matrices."""
    _square(A, "det")
    return apply(LinalgDetBackward0, A)


class LinalgSlogdetBackward0(Node):
    def forward(self, a):
        self.save(a)
        _, logabs = _host_call(np.linalg.slogdet, a, a._data)
        return a._backend.xp.asarray(logabs, dtype=a._data.dtype)

    def backward(self, grad):
        (a,) = self.saved
        return grad.unsqueeze(-1).unsqueeze(-1) * inv(a).mT


def slogdet(A):
    """``(sign, log|det|)`` of (a batch of) square matrices."""
    _square(A, "slogdet")
    sign, _ = _host_call(np.linalg.slogdet, A, A._data)
    s = _make(A._backend.xp.asarray(sign, dtype=A._data.dtype), A._backend, A._device)
    return return_types.linalg_slogdet(s, apply(LinalgSlogdetBackward0, A))


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
    """The ``X`` with ``A @ X = B``."""
    _square(A, "solve")
    if not left:
        return solve(A.mT, B.mT).mT
    from .pointwise import promote

    A, B = promote(A, B)
    return apply(LinalgSolveExBackward0, A, B)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norm over the two ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (d % A.dim() for d in dim)
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
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        dim = (-2, -1) if A.dim() == 2 else None
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
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


def _no_grad_result(A, arrays):
    return tuple(_make(x, A._backend, A._device) for x in arrays)


def svdvals(A):
    """Singular values (no gradient through the decomposition)."""
    s = _host_call(lambda x: np.linalg.svd(x, compute_uv=False), A, A._data)
    return _make(s, A._backend, A._device)


def svd(A, full_matrices=True):
    """``(U, S, Vh)``; no gradient through the decomposition."""
    u, s, vh = _host_call(lambda x: np.linalg.svd(x, full_matrices=full_matrices), A, A._data)
    return return_types.linalg_svd(*_no_grad_result(A, (u, s, vh)))


def qr(A, mode="reduced"):
    """``(Q, R)``; no gradient through the decomposition."""
    q, r = _host_call(lambda x: np.linalg.qr(x, mode=mode), A, A._data)
    return return_types.linalg_qr(*_no_grad_result(A, (q, r)))


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices; no gradient."""
    w, v = _host_call(lambda x: np.linalg.eigh(x, UPLO=UPLO), A, A._data)
    return return_types.linalg_eigh(*_no_grad_result(A, (w, v)))


def eigvalsh(A, UPLO="L"):
    return eigh(A, UPLO).eigenvalues


def pinv(A, *, rtol=None, hermitian=False):
    """Pseudo-inverse (no gradient)."""
    r = _host_call(lambda x: np.linalg.pinv(x, rcond=1e-15 if rtol is None else rtol), A, A._data)
    return _make(r, A._backend, A._device)
