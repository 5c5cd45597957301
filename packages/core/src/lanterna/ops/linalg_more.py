"""More of ``torch.linalg``: triangular solves, LU (factor, unpack, solve), least squares,
matrix exponential, rank, condition number, ``multi_dot``, ``vecdot``, the ``_ex`` variants
(``inv_ex``, ``cholesky_ex``), and the legacy ``torch.qr``/``torch.svd``/``torch.lu`` forms.

Factorisations run in float64 host NumPy (LU with partial pivoting, as LAPACK's ``getrf``
chooses pivots); gradients are Tensor ops (triangular solves, matrix exponentials of block
matrices), so they can be differentiated again.

>>> import lanterna as torch
>>> A = torch.tensor([[2.0, 0.0], [1.0, 4.0]])
>>> torch.linalg.solve_triangular(A, torch.tensor([[2.0], [9.0]]), upper=False)
tensor([[1.],
        [2.]])
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD_ENABLED
from . import return_types
from ._apply import Node, apply, attach, output_of
from .linalg_extra import LinAlgError, _linalg_error, _square
from .misc import _back as _on, _host

_make = Tensor._make


def _scalar_name(d):
    from .reduce import legacy_scalar_name

    return legacy_scalar_name(d)


def _require_float(A, name):
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_name(A.dtype)}")


def _apply_multi(cls, inputs, arrays, **params):
    """Outputs of a node with several (non-view) outputs; gradients reach ``backward(*grads)``."""
    node = cls.__new__(cls)
    node.__dict__.update(params)
    like = inputs[0]
    outs = [_make(a, like._backend, like._device) for a in arrays]
    if GRAD_ENABLED[0] and any(t._requires_grad for t in inputs):
        node.n_outputs = len(outs)
        attach(node, inputs, outs[0])
        for i, o in enumerate(outs):
            o.grad_fn, o._output_nr, o._requires_grad = node, i, True
    return outs


# ---- matmul family ---------------------------------------------------------------------------------
def matmul(input, other):
    """``torch.linalg.matmul`` (an alias of ``torch.matmul``)."""
    from .linalg import matmul as _matmul

    return _matmul(input, other)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.linalg.diagonal``: the diagonals of the trailing matrices (a view)."""
    from .misc import diagonal as _diagonal

    return _diagonal(A, offset, dim1, dim2)


def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along ``dim`` (broadcast): ``(x * y).sum(dim)``."""
    _require_float(x, "linalg.vecdot")
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_scalar_name(x.dtype)} and y of type {_scalar_name(y.dtype)} instead")
    return (x * y).sum(dim)


def multi_dot(tensors):
    """The product of a chain of matrices (the first may be a row vector, the last a column
    vector), multiplied in the cheapest order."""
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    if first.dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.dim()}D")
    if last.dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.dim()}D")
    for i in range(1, n - 1):
        if tensors[i].dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {tensors[i].dim()}D")
    for i, t in enumerate(tensors):
        if t.dtype is not first.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{D.cpp_name(first.dtype)} and tensor {i} {D.cpp_name(t.dtype)}")
    mats = list(tensors)
    if first.dim() == 1:
        mats[0] = first.unsqueeze(0)
    if last.dim() == 1:
        mats[-1] = last.unsqueeze(-1)
    for i in range(n - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(mats[i].shape)} and "
                               f"{list(mats[i + 1].shape)} cannot be multiplied")
    dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    # the classic matrix-chain order (dynamic programming over split points)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return product(i, k).mm(product(k + 1, j))

    out = product(0, n - 1)
    if first.dim() == 1 and last.dim() == 1:
        return out.reshape(())
    if first.dim() == 1:
        return out.squeeze(0)
    if last.dim() == 1:
        return out.squeeze(-1)
    if out.grad_fn is not None:
        out.grad_fn.name = lambda: "ViewBackward0"
    return out


# ---- triangular solves ------------------------------------------------------------------------------
def _tri_solve_np(a, b, upper, unit):
    """Solve ``a x = b`` for triangular ``a`` (batched, broadcast), by substitution (no pivoting:
    a zero on the diagonal gives inf/NaN, as LAPACK's trsm)."""
    a = np.triu(a) if upper else np.tril(a)
    n = a.shape[-1]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, shape + a.shape[-2:])
    x = np.array(np.broadcast_to(b, shape + b.shape[-2:]), dtype=np.result_type(a, b))
    order = range(n - 1, -1, -1) if upper else range(n)
    for i in order:
        rest = slice(i + 1, n) if upper else slice(0, i)
        acc = x[..., i, :] - np.einsum("...j,...jk->...k", a[..., i, rest], x[..., rest, :])
        x[..., i, :] = acc if unit else acc / a[..., i, i][..., None]
    return x


class LinalgSolveTriangularBackward0(Node):
    def forward(self, a, b):
        self.save(a)
        with np.errstate(all="ignore"):
            x = _tri_solve_np(_host(a).astype(np.float64), _host(b).astype(np.float64), self.upper, self.unit)
        self.out = _on(x.astype(_host(a).dtype), a)._data
        return self.out

    def backward(self, grad):
        (a,) = self.saved
        x = output_of(self, self.out, grad)
        gb = solve_triangular(a.mT, grad, upper=not self.upper, unitriangular=self.unit)
        ga = -(gb @ x.mT)
        ga = ga.triu(1 if self.unit else 0) if self.upper else ga.tril(-1 if self.unit else 0)
        return ga, gb


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """The ``X`` with ``A @ X = B`` (``X @ A = B`` if not ``left``) for triangular ``A`` (only its
    upper or lower triangle is read; its diagonal is taken as ones if ``unitriangular``)."""
    if A.dim() < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor A must have at least 2 dimensions.")
    if B.dim() < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.solve_triangular: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if not left:
        x = solve_triangular(A.mT, B.mT, upper=not upper, left=True, unitriangular=unitriangular).mT
        if x.grad_fn is not None:
            x.grad_fn.name = lambda: "LinalgSolveTriangularBackward0"
        return x
    from .pointwise import promote

    A, B = promote(A, B)
    if not A.dtype.is_floating_point:
        raise NotImplementedError(f"\"triangular_solve_cpu\" not implemented for '{_scalar_name(A.dtype)}'")
    if A.shape[-1] != B.shape[-2]:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    return apply(LinalgSolveTriangularBackward0, A, B, upper=upper, unit=unitriangular)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """Deprecated ``torch.triangular_solve``: ``(solution, cloned_coefficient)``."""
    warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    M = A.mT if transpose else A
    x = solve_triangular(M, b, upper=upper != transpose, unitriangular=unitriangular)
    return return_types.triangular_solve(x, A.clone())


# ---- LU ---------------------------------------------------------------------------------------------
def _lu_np(a):
    """LU with partial pivoting of (a batch of) matrices: ``(LU, pivots (1-based), info)``."""
    m, n = a.shape[-2:]
    k = min(m, n)
    batch_shape = a.shape[:-2]
    lu = np.array(a, dtype=np.float64).reshape((-1, m, n))
    nb = lu.shape[0]
    piv = np.zeros((nb, k), dtype=np.int32)
    info = np.zeros(nb, dtype=np.int32)
    rows = np.arange(nb)
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1) if m > j else np.full(nb, j)
        piv[:, j] = p + 1
        swap = p != j
        if swap.any():
            r = rows[swap]
            tmp = lu[r, j, :].copy()
            lu[r, j, :] = lu[r, p[swap], :]
            lu[r, p[swap], :] = tmp
        pivot = lu[:, j, j]
        zero = pivot == 0
        info[(info == 0) & zero] = j + 1
        ok = ~zero
        if ok.any() and j + 1 < m:
            lu[ok, j + 1:, j] /= pivot[ok, None]
        if j + 1 < m and j + 1 < n:
            lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return lu.reshape(batch_shape + (m, n)), piv.reshape(batch_shape + (k,)), info.reshape(batch_shape)


def _perm_from_pivots(piv, m):
    """Row order ``perm`` with ``A[perm] = L @ U`` from 1-based LAPACK pivots."""
    batch = piv.shape[:-1]
    flat = piv.reshape(-1, piv.shape[-1]) - 1
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j]
        a, b = perm[rows, j].copy(), perm[rows, p].copy()
        perm[rows, j], perm[rows, p] = b, a
    return perm.reshape(batch + (m,))


def _p_matrix(perm, dtype):
    m = perm.shape[-1]
    eye = np.eye(m, dtype=dtype)
    # P with A = P L U: P[perm[i], i] = 1
    return np.swapaxes(eye[perm], -1, -2)


def _unpack_np(lu, piv, dtype):
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    U = np.triu(lu[..., :k, :])
    P = _p_matrix(_perm_from_pivots(piv, m), dtype)
    return P, L.astype(dtype), U.astype(dtype)


def _lu_backward_square(A_like, L, U, P, gL, gU):
    """PyTorch's gradient of ``A = P L U`` for square ``A``:
    ``P L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H``."""
    phi = None
    if gL is not None:
        phi = (L.mT @ gL).tril(-1)
    if gU is not None:
        t = (gU @ U.mT).triu()
        phi = t if phi is None else phi + t
    x = solve_triangular(L.mT, phi, upper=True, unitriangular=True)
    x = solve_triangular(U.mT, x, upper=False, left=False)
    return P @ x


class LinalgLuBackward0(Node):
    def backward(self, gL, gU):
        if self.m != self.n:
            raise NotImplementedError("the gradient of linalg.lu is implemented for square matrices only")
        like = gL if gL is not None else gU
        L = output_of(self, self.L, like)
        U = output_of(self, self.U, like)
        L._output_nr, U._output_nr = 0, 1
        return _lu_backward_square(None, L, U, self.P, gL, gU)


def lu(A, *, pivot=True):
    """``(P, L, U)`` with ``A = P @ L @ U``: ``L`` unit lower triangular, ``U`` upper triangular."""
    _require_float(A, "linalg.lu")
    if A.dim() < 2:
        raise RuntimeError("linalg.lu: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    h = _host(A)
    lu_, piv, _ = _lu_np(h)
    P, L, U = _unpack_np(lu_, piv, h.dtype)
    Pt, Lt, Ut = _on(P, A), _on(L, A), _on(U, A)
    l_, u = _apply_multi(LinalgLuBackward0, (A,), [Lt._data, Ut._data], P=Pt, L=Lt._data, U=Ut._data,
                         m=h.shape[-2], n=h.shape[-1])
    return return_types.linalg_lu(Pt, l_, u)


class LinalgLuFactorExBackward0(Node):
    def forward(self, a):
        return self.packed

    def backward(self, grad):
        if self.m != self.n:
            raise NotImplementedError("the gradient of linalg.lu_factor is implemented for square matrices only")
        LU = output_of(self, self.packed, grad)
        L = LU.tril(-1) + _eye_like(LU)
        U = LU.triu()
        return _lu_backward_square(None, L, U, self.P, grad.tril(-1), grad.triu())


def _eye_like(t):
    from .creation import eye

    return eye(t.shape[-2], t.shape[-1], dtype=t.dtype, device=t.device)


def _lu_factor(A, pivot, name):
    _require_float(A, name)
    if A.dim() < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead")
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU")
    h = _host(A)
    lu_, piv, info = _lu_np(h)
    P = _on(_p_matrix(_perm_from_pivots(piv, h.shape[-2]), h.dtype), A)
    LU = apply(LinalgLuFactorExBackward0, A, packed=_on(lu_.astype(h.dtype), A)._data, P=P, m=h.shape[-2],
               n=h.shape[-1])
    return LU, _on(piv, A), _on(info, A), info


def lu_factor(A, *, pivot=True):
    """``(LU, pivots)``: the compact LU factorisation (``L``'s unit diagonal omitted) and LAPACK's
    1-based row interchanges (int32)."""
    LU, piv, _, info = _lu_factor(A, pivot, "torch.linalg.lu_factor")
    bad = np.flatnonzero(info.reshape(-1))
    if bad.size:
        i = int(info.reshape(-1)[bad[0]])
        prefix = "" if info.ndim == 0 else f"(Batch element {bad[0]}): "
        raise RuntimeError(f"torch.linalg.lu_factor: {prefix}U[{i},{i}] is zero and using it on lu_solve would "
                           "result in a division by zero. If you still want to perform the factorization, consider "
                           "calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    return return_types.linalg_lu_factor(LU, piv)


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """``(LU, pivots, info)``; ``info`` > 0 names the first zero pivot (1-based)."""
    LU, piv, info_t, info = _lu_factor(A, pivot, "torch.linalg.lu_factor_ex")
    if check_errors and info.any():
        raise LinAlgError(f"torch.linalg.lu_factor_ex: U[{int(info.max())},{int(info.max())}] is zero and using it "
                          "on lu_solve would result in a division by zero.")
    return return_types.linalg_lu_factor_ex(LU, piv, info_t)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from the compact factorisation (``L`` and ``U`` differentiable in ``LU_data``)."""
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    if unpack_data:
        L = LU_data[..., :, :k].tril(-1) + _eye_like(LU_data[..., :, :k])
        U = LU_data[..., :k, :].triu()
    else:
        L = U = LU_data.new_zeros((0,))
    if unpack_pivots:
        P = _on(_p_matrix(_perm_from_pivots(_host(LU_pivots).astype(np.int64), m), _host(LU_data).dtype), LU_data)
    else:
        P = LU_data.new_zeros((0,))
    return return_types.lu_unpack(P, L, U)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """Solve ``A X = B`` (``X A = B`` if not ``left``; ``A^H`` if ``adjoint``) from ``lu_factor(A)``."""
    P, L, U = lu_unpack(LU, pivots)
    if not left:
        # X A = B  <=>  A^H X^H = B^H
        return lu_solve(LU, pivots, B.mT, left=True, adjoint=not adjoint).mT
    if adjoint:  # A^H = U^H L^H P^T
        y = solve_triangular(U.mT, B, upper=False)
        y = solve_triangular(L.mT, y, upper=True, unitriangular=True)
        return P @ y
    y = solve_triangular(L, P.mT @ B, upper=False, unitriangular=True)
    return solve_triangular(U, y, upper=True)


def lu_legacy(A, pivot=True, get_infos=False):
    """Deprecated ``torch.lu``: ``(LU, pivots)``, or ``(LU, pivots, infos)`` with ``get_infos``."""
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will "
                  "be removed in a future PyTorch release.", UserWarning, stacklevel=2)
    LU, piv, info_t, info = _lu_factor(A, pivot, "torch.linalg.lu_factor")
    if get_infos:
        return return_types._lu_with_info(LU, piv, info_t)
    if info.any():
        i = int(info.reshape(-1)[np.flatnonzero(info.reshape(-1))[0]])
        raise RuntimeError(f"torch.linalg.lu_factor: U[{i},{i}] is zero and using it on lu_solve would result in "
                           "a division by zero.")
    return LU, piv


def lu_solve_legacy(b, LU_data, LU_pivots):
    """Deprecated ``torch.lu_solve(b, LU_data, LU_pivots)``."""
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future "
                  "PyTorch release.", UserWarning, stacklevel=2)
    return lu_solve(LU_data, LU_pivots, b)


# ---- _ex variants -----------------------------------------------------------------------------------
def inv_ex(A, *, check_errors=False):
    """``(inverse, info)``: ``info`` > 0 where a matrix is singular (its first zero pivot, 1-based)."""
    _square(A, "inv_ex")
    h = _host(A)
    _, _, info = _lu_np(h)
    if info.any():
        if check_errors:
            raise _linalg_error("inv_ex", [h])
        with np.errstate(all="ignore"):
            lu_, piv, _ = _lu_np(h)
            P, L, U = _unpack_np(lu_, piv, np.float64)
            eye = np.broadcast_to(np.eye(h.shape[-1]), h.shape)
            y = _tri_solve_np(L, np.swapaxes(P, -1, -2) @ eye, False, True)
            inv = _tri_solve_np(U, y, True, False).astype(h.dtype)
        return return_types.linalg_inv_ex(_on(inv, A), _on(info, A))
    from .linalg_extra import inv

    return return_types.linalg_inv_ex(inv(A), _on(info, A))


def _cholesky_partial(a):
    """Lower Cholesky factors and LAPACK's ``info`` (order of the first non-positive leading minor;
    the factor holds what was computed up to there)."""
    n = a.shape[-1]
    batch = a.shape[:-2]
    A = np.array(a, dtype=np.float64).reshape(-1, n, n)
    L = np.tril(A)
    info = np.zeros(A.shape[0], dtype=np.int32)
    for b in range(A.shape[0]):
        for j in range(n):
            d = A[b, j, j] - L[b, j, :j] @ L[b, j, :j]
            if not d > 0:
                L[b, j, j] = d
                info[b] = j + 1
                break
            L[b, j, j] = math.sqrt(d)
            L[b, j + 1:, j] = (A[b, j + 1:, j] - L[b, j + 1:, :j] @ L[b, j, :j]) / L[b, j, j]
    return L.reshape(batch + (n, n)), info.reshape(batch)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``: ``info`` > 0 (the order of the failing leading minor) where a matrix is not
    positive-definite."""
    _square(A, "cholesky_ex")
    h = _host(A)
    if np.all(np.isfinite(h)):
        try:
            np.linalg.cholesky(h)
            ok = True
        except np.linalg.LinAlgError:
            ok = False
    else:
        ok = False
    if ok:
        from .linalg_extra import cholesky

        L = cholesky(A, upper=upper)
        return return_types.linalg_cholesky_ex(L, _on(np.zeros(h.shape[:-2], np.int32), A))
    L, info = _cholesky_partial(h)
    if check_errors:
        first = int(info.reshape(-1)[np.flatnonzero(info.reshape(-1))[0]]) if info.any() else 0
        prefix = "" if info.ndim == 0 else "(Batch element 0): "
        raise LinAlgError(f"linalg.cholesky_ex: {prefix}The factorization could not be completed because the input "
                          f"is not positive-definite (the leading minor of order {first} is not positive-definite).")
    L = L.astype(h.dtype)
    if upper:
        L = np.swapaxes(L, -1, -2)
    return return_types.linalg_cholesky_ex(_on(L, A), _on(info, A))


# ---- least squares --------------------------------------------------------------------------------
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class LinalgLstsqBackward0(Node):
    """Gradient of the least-squares solution (full rank): ``X = (A^T A)^-1 A^T B`` for tall
    ``A``, ``X = A^T (A A^T)^-1 B`` for wide ``A``."""

    def forward(self, a, b):
        self.save(a, b)
        return self.solution

    def backward(self, grad):
        from .linalg_extra import solve

        a, b = self.saved
        x = output_of(self, self.solution, grad)
        if a.shape[-2] >= a.shape[-1]:
            w = solve(a.mT @ a, grad)
            ga = (b - a @ x) @ w.mT - a @ w @ x.mT
            gb = a @ w
        else:
            y = solve(a @ a.mT, b)
            u = solve(a @ a.mT, a @ grad)
            ga = y @ (grad.mT - u.mT @ a) - u @ x.mT
            gb = u
        return ga, gb


def lstsq(A, B, rcond=None, *, driver=None):
    """``(solution, residuals, rank, singular_values)`` of ``min ||A X - B||``. As PyTorch on the
    CPU: residuals only for tall full-rank problems with drivers other than gelsy (the default),
    singular values only with gelsd/gelss, rank except with gels."""
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    _require_float(A, "torch.linalg.lstsq")
    vector = B.dim() == A.dim() - 1
    Bm = B.unsqueeze(-1) if vector else B
    if A.shape[-2] != Bm.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    from .pointwise import promote

    A, Bm = promote(A, Bm)
    ha, hb = _host(A).astype(np.float64), _host(Bm).astype(np.float64)
    m, n = ha.shape[-2:]
    shape = np.broadcast_shapes(ha.shape[:-2], hb.shape[:-2])
    fa = np.broadcast_to(ha, shape + ha.shape[-2:]).reshape(-1, m, n)
    fb = np.broadcast_to(hb, shape + hb.shape[-2:]).reshape(-1, m, hb.shape[-1])
    eps = np.finfo(_host(A).dtype).eps
    rc = eps * max(m, n) if rcond is None else rcond
    sols, ranks, svals = [], [], []
    for a, b in zip(fa, fb):
        x, _, rank, s = np.linalg.lstsq(a, b, rcond=rc)
        sols.append(x)
        ranks.append(rank)
        svals.append(s)
    dt = _host(A).dtype
    k = hb.shape[-1]
    sol = np.asarray(sols).reshape(shape + (n, k)).astype(dt)
    rank = np.asarray(ranks, dtype=np.int64).reshape(shape)
    full = bool(np.all(rank == n))
    if driver != "gelsy" and m > n and full:
        resid = np.asarray([np.sum((a @ x - b) ** 2, axis=0) for a, x, b in zip(fa, sols, fb)])
        residuals = resid.reshape(shape + (k,)).astype(dt)
    else:
        residuals = np.zeros(0, dtype=dt)
    singular = np.asarray(svals).reshape(shape + (min(m, n),)).astype(dt) if driver in ("gelsd", "gelss") \
        else np.zeros(0, dtype=dt)
    rank_t = _on(rank, A) if driver != "gels" else _on(np.zeros(0, dtype=np.int64), A)
    x = apply(LinalgLstsqBackward0, A, Bm, solution=_on(sol, A)._data)
    if vector:
        x = x.squeeze(-1)
    return return_types.linalg_lstsq(x, _on(residuals, A), rank_t, _on(singular, A))


# ---- rank, condition number -------------------------------------------------------------------
def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values above ``max(atol, rtol * largest)`` (default ``rtol``:
    ``eps * max(m, n)``, or 0 when only ``atol`` is given)."""
    if A.dtype is not D.float32 and A.dtype is not D.float64:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if tol is not None:
        atol, rtol = tol, 0.0
    h = _host(A).astype(np.float64)
    m, n = h.shape[-2:]
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(h)) if h.size else np.zeros(h.shape[:-1])
    else:
        s = np.linalg.svd(h, compute_uv=False) if h.size else np.zeros(h.shape[:-2] + (0,))
    eps = np.finfo(_host(A).dtype).eps
    a = 0.0 if atol is None else (_host(atol).astype(np.float64) if isinstance(atol, Tensor) else float(atol))
    if rtol is None:
        r = eps * max(m, n) if (atol is None or np.all(np.asarray(a) <= 0)) else 0.0
    else:
        r = _host(rtol).astype(np.float64) if isinstance(rtol, Tensor) else float(rtol)
    smax = s.max(axis=-1) if s.shape[-1] else np.zeros(s.shape[:-1])
    thresh = np.maximum(np.asarray(a), np.asarray(r) * smax)
    rank = np.sum(s > np.asarray(thresh)[..., None], axis=-1).astype(np.int64)
    return _on(rank, A)


def cond(A, p=None):
    """The condition number of ``A`` in norm ``p`` (default 2: largest over smallest singular value)."""
    from .linalg_extra import matrix_norm, svdvals

    if A.dim() < 2:
        raise RuntimeError("linalg.cond: The input tensor A must have at least 2 dimensions.")
    if p is None or p in (2, -2):
        if not A.dtype.is_floating_point:
            raise RuntimeError(f"linalg.svd: Expected a floating point or complex tensor as input. Got "
                               f"{_scalar_name(A.dtype)}")
        s = svdvals(A)
        return s.amax(-1) / s.amin(-1) if p != -2 else s.amin(-1) / s.amax(-1)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    _require_float(A, "linalg.cond")
    inverse, info = inv_ex(A)
    r = matrix_norm(A, p) * matrix_norm(inverse, p)
    if bool((info > 0).any()):
        r = r.masked_fill(info > 0, math.inf)
    return r


# ---- matrix exponential ----------------------------------------------------------------------------
_PADE_M = 13
_PADE = [float(Fraction(math.factorial(2 * _PADE_M - k) * math.factorial(_PADE_M),
                        math.factorial(2 * _PADE_M) * math.factorial(k) * math.factorial(_PADE_M - k)))
         for k in range(_PADE_M + 1)]
_THETA_13 = 5.4  # ||A||_1 up to which the degree-13 Pade approximant is accurate to double precision


def _expm_np(a):
    """Matrix exponential by scaling and squaring with the degree-13 Pade approximant (float64)."""
    a = np.asarray(a, dtype=np.float64)
    n = a.shape[-1]
    out = np.empty_like(a)
    flat = a.reshape(-1, n, n)
    res = out.reshape(-1, n, n)
    eye = np.eye(n)
    for i, m in enumerate(flat):
        norm = np.abs(m).sum(axis=0).max() if n else 0.0
        s = max(0, int(math.ceil(math.log2(norm / _THETA_13)))) if norm > _THETA_13 and np.isfinite(norm) else 0
        x = m / (2.0 ** s)
        powers = [eye, x]
        for _ in range(2, _PADE_M + 1):
            powers.append(powers[-1] @ x)
        num = sum(c * p for c, p in zip(_PADE, powers))
        den = sum(c * (-1) ** k * p for k, (c, p) in enumerate(zip(_PADE, powers)))
        with np.errstate(all="ignore"):
            try:
                r = np.linalg.solve(den, num)
            except np.linalg.LinAlgError:
                r = np.full((n, n), np.nan)
        for _ in range(s):
            r = r @ r
        res[i] = r
    return out


class LinalgMatrixExpBackward0(Node):
    def forward(self, a):
        self.save(a)
        h = _host(a)
        with np.errstate(all="ignore"):
            return _on(_expm_np(h).astype(h.dtype), a)._data

    def backward(self, grad):
        # the Frechet derivative in direction grad of exp at A^T: the top-right block of
        # exp([[A^T, grad], [0, A^T]])
        from .joining import cat

        (a,) = self.saved
        n = a.shape[-1]
        at = a.mT
        top = cat([at, grad], -1)
        bottom = cat([at.new_zeros(at.shape), at], -1)
        big = matrix_exp(cat([top, bottom], -2))
        return big[..., :n, n:]


# ---- Householder QR in compact form -------------------------------------------------------------
def geqrf(input):
    """``torch.geqrf``: LAPACK's compact QR of (a batch of) matrices. ``a`` holds R on and above
    the diagonal and the Householder vectors (unit first entry left out) below it; ``tau`` their
    scales. Computed on the host, without a gradient (PyTorch has none either)."""
    a = _host(input)
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    out = np.array(a, copy=True).reshape((-1, m, n))
    taus = np.zeros((out.shape[0], min(m, n)), dtype=a.dtype)
    for b, R in enumerate(out):
        for j in range(min(m, n)):
            x = R[j:, j].copy()
            alpha, xnorm = x[0], np.linalg.norm(x[1:])
            if xnorm == 0.0:
                continue  # tau 0: the reflection is the identity
            beta = -np.copysign(np.hypot(alpha, xnorm), alpha)
            taus[b, j] = (beta - alpha) / beta
            v = x / (alpha - beta)
            v[0] = 1.0
            R[j:, j + 1:] -= taus[b, j] * np.outer(v, v @ R[j:, j + 1:])
            R[j, j] = beta
            R[j + 1:, j] = v[1:]
    return return_types.geqrf(_on(out.reshape(batch + (m, n)), input),
                              _on(taus.reshape(batch + (min(m, n),)), input))


def householder_product(A, tau):
    """``torch.linalg.householder_product`` (``torch.orgqr``): the first k columns of
    ``prod_i (I - tau_i v_i v_i^T)``, ``v_i`` column i of ``A`` below the diagonal with a unit
    diagonal entry. In Tensor ops, so it is differentiable in ``A`` and ``tau``."""
    from .creation import arange, eye, ones_like, zeros_like
    from .pointwise import where

    m, k = A.shape[-2], A.shape[-1]
    rows = arange(m, device=A.device).unsqueeze(-1)
    Q = eye(m, dtype=A.dtype, device=A.device).expand(*A.shape[:-2], m, m)
    for i in range(tau.shape[-1]):
        col = A[..., :, i:i + 1]
        v = where(rows > i, col, where(rows == i, ones_like(col), zeros_like(col)))
        t = tau[..., i].unsqueeze(-1).unsqueeze(-1)
        Q = Q - (Q @ v) @ (t * v.transpose(-2, -1))
    return Q[..., :, :k]


def matrix_exp(A):
    """The matrix exponential ``sum_k A^k / k!`` of (a batch of) square matrices."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    _require_float(A, "linalg.matrix_exp")
    return apply(LinalgMatrixExpBackward0, A)


# ---- legacy torch.qr / torch.svd ------------------------------------------------------------------
def qr(input, some=True):
    """Deprecated ``torch.qr``: ``(Q, R)``, reduced if ``some`` else complete."""
    from .linalg_extra import qr as _qr

    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
                  "release.", UserWarning, stacklevel=2)
    q, r = _qr(input, "reduced" if some else "complete")
    return return_types.qr(q, r)


def svd(input, some=True, compute_uv=True):
    """``torch.svd``: ``(U, S, V)`` (``V``, not ``V^H``); reduced if ``some``; without
    ``compute_uv``, ``U`` and ``V`` are zero-filled (m x m, n x n)."""
    from .linalg_extra import svd as _svd

    U, S, Vh = _svd(input, full_matrices=not some)
    if not compute_uv:
        m, n = input.shape[-2:]
        U = input.new_zeros((*input.shape[:-2], m, m))
        V = input.new_zeros((*input.shape[:-2], n, n))
        return return_types.svd(U, S, V)
    return return_types.svd(U, S, Vh.mT)


# ---- Cholesky helpers -----------------------------------------------------------------------------
def cholesky_solve(B, L, upper=False):
    """Solve ``A X = B`` given the Cholesky factor ``L`` of ``A`` (``U`` if ``upper``)."""
    if upper:
        y = solve_triangular(L.mT, B, upper=False)
        return solve_triangular(L, y, upper=True)
    y = solve_triangular(L, B, upper=False)
    return solve_triangular(L.mT, y, upper=True)


def cholesky_inverse(L, upper=False):
    """The inverse of ``A`` from its Cholesky factor ``L`` (``U`` if ``upper``)."""
    return cholesky_solve(_eye_like(L).expand(L.shape), L, upper)


def chain_matmul(*matrices, out=None):
    """Deprecated ``torch.chain_matmul``: the product of 2-D matrices (see ``linalg.multi_dot``)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
                  "parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    for i, m in enumerate(matrices):
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)
