"""``torch.linalg.solve_ex``, ``tensorinv`` and ``tensorsolve``.

``solve_ex`` is ``solve`` plus LAPACK's ``info`` (the 1-based index of the first zero pivot of
``A``'s LU factorisation, 0 where ``A`` is invertible), raising only when asked to. The tensor
forms reshape to one square matrix and go through ``inv`` / ``solve``, so their gradients are
those ops' gradients.

>>> import lanterna as torch
>>> torch.linalg.solve_ex(torch.tensor([[2.0, 0.0], [0.0, 4.0]]), torch.tensor([2.0, 2.0])).result
tensor([1.0000, 0.5000])
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from . import return_types
from .linalg_extra import LinAlgError, _float_input, inv, solve
from .misc import _back, _host


def _factor(a):
    """``(P, L, U)`` of the LU factorisation of ``a`` with partial pivoting, and LAPACK's info."""
    from .linalg_more import _lu_np, _unpack_np

    lu, piv, info = _lu_np(a)
    return _unpack_np(lu, piv, np.float64), info.astype(np.int32)


def _lu_solve_singular(a, b, left):
    """LAPACK's ``getrs`` with the factors of ``A = P L U``, not stopping at zero pivots (plain
    substitution: 0/0 and x/0 give NaN and inf where PyTorch's do). ``A X = B`` (left) is
    ``X = U^-1 L^-1 P^T B``; ``X A = B`` is ``U^T L^T P^T X^T = B^T``."""
    from .linalg_more import _tri_solve_np

    (P, L, U), _ = _factor(a)
    b = b.astype(np.float64)
    if left:
        y = _tri_solve_np(L, np.swapaxes(P, -1, -2) @ b, False, True)
        return _tri_solve_np(U, y, True, False)
    y = _tri_solve_np(np.swapaxes(U, -1, -2), np.swapaxes(b, -1, -2), False, False)
    z = _tri_solve_np(np.swapaxes(L, -1, -2), y, True, True)
    return np.swapaxes(P @ z, -1, -2)


def _singular_error(name, info):
    """PyTorch's error for the first singular matrix of a batch (info is its per-matrix info)."""
    flat = info.reshape(-1)
    bad = int(np.flatnonzero(flat)[0])
    where = f"(Batch element {bad}): " if info.ndim else ""
    return LinAlgError(f"torch.linalg.{name}: {where}The solver failed because the input matrix is singular.")


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``(result, info)`` of ``linalg.solve(A, B)``: ``info`` (int32, one per matrix) is the
    position of the first zero pivot of ``A`` (1-based), 0 when ``A`` is invertible. A singular
    ``A`` raises only with ``check_errors=True``; otherwise ``result`` holds what LAPACK computes
    (inf/NaN)."""
    try:
        result = solve(A, B, left=left)  # all of solve's checks and its gradient
    except LinAlgError:  # some matrix is singular: find which, and LAPACK's values for all
        info = _factor(_host(A))[1]
        if check_errors:
            raise _singular_error("solve_ex", info) from None
        result = _singular_result(A, B, left)
    else:
        info = np.zeros(A.shape[:-2], dtype=np.int32)
    info_t = _back(info, A)
    r = return_types.linalg_solve_ex(result, info_t)
    if out is not None:
        out[0].set_data_(r[0]) if out[0].shape != r[0].shape else out[0].copy_(r[0])
        out[1].set_data_(r[1]) if out[1].shape != r[1].shape else out[1].copy_(r[1])
        return return_types.linalg_solve_ex(out[0], out[1])
    return r


def _singular_result(A, B, left):
    """What ``solve`` computes for a singular ``A`` (no gradient: its values are inf/NaN)."""
    # shape and dtype checks as solve makes them, on an invertible stand-in of A
    from .creation import eye

    stand_in = eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(A.shape)
    solve(stand_in, B, left=left)
    a, b = _host(A), _host(B)
    vec = left and B.dim() == A.dim() - 1 or B.dim() == 1
    rhs = b[..., None] if vec else b
    with np.errstate(all="ignore"):
        x = _lu_solve_singular(a, rhs, left)
    x = x[..., 0] if vec else x
    return _back(x.astype(a.dtype), A)


def _prod(shape):
    return math.prod(int(s) for s in shape)


def tensorinv(A, ind=2, *, out=None):
    """The tensor ``X`` with ``tensordot(X, A, ind)`` the identity: ``A`` reshaped to a square
    matrix (its first ``ind`` dims against the rest), inverted, and reshaped to
    ``A.shape[ind:] + A.shape[:ind]``."""
    if isinstance(ind, bool) or not isinstance(ind, int):
        raise TypeError(f"linalg_tensorinv(): argument 'ind' (position 2) must be int, not {type(ind).__name__}")
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    end, start = tuple(A.shape[ind:]), tuple(A.shape[:ind])
    n, m = _prod(end), _prod(start)
    if n != m:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {n} != {m}")
    _float_input(A, "inv")
    square = A.reshape(n, n)
    from .linalg_more import _lu_np

    info = _lu_np(_host(square))[2]
    if info.any():
        raise LinAlgError(f"inv: The diagonal element {int(info)} is zero, the inversion could not be completed "
                          "because the input matrix is singular.")
    result = inv(square).reshape(end + start)
    if out is not None:
        out.set_data_(result) if out.shape != result.shape else out.copy_(result)
        return out
    return result


def tensorsolve(A, B, dims=None, *, out=None):
    """The tensor ``X`` with ``tensordot(A, X, X.ndim) == B``; ``dims`` (of ``A``) are first moved
    to the end. ``A`` reshapes to a square matrix of side ``prod(B.shape)``."""
    ndim = A.dim()
    if dims is not None:
        if not isinstance(dims, (tuple, list)) or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
            raise TypeError(f"linalg_tensorsolve(): argument 'dims' must be tuple of ints, not {type(dims).__name__}")
        dims = list(dims)
        A = A.movedim(dims, list(range(ndim - len(dims), ndim)))
    result_shape = tuple(A.shape[B.dim():])
    n, m = _prod(result_shape), _prod(B.shape)
    if n != m:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {n} != {m}")
    result = solve(A.reshape(n, n), B.flatten()).reshape(result_shape)
    if out is not None:
        out.set_data_(result) if out.shape != result.shape else out.copy_(result)
        return out
    return result
