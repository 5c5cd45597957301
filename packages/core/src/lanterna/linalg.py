"""``lanterna.linalg``: PyTorch's ``torch.linalg`` namespace."""
# ruff: noqa: F401  (re-exports)

from .ops.linalg_extra import (cholesky, eigh, eigvalsh, inv, matrix_norm, matrix_power, norm, pinv, qr,
                               slogdet, solve, svd, svdvals)
from .ops.linalg_extra import LinAlgError, cross
from .ops.linalg_extra import linalg_det as det
from .ops.linalg_more import (cholesky_ex, cond, diagonal, householder_product, inv_ex, lstsq, lu, lu_factor,
                              lu_factor_ex, lu_solve, matmul, matrix_exp, matrix_rank, multi_dot, solve_triangular,
                              vecdot)
from .ops.linalg_tensor import solve_ex, tensorinv, tensorsolve
from .ops.stats import vector_norm
from .ops.stats_extra import linalg_vander as vander

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh",
           "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul",
           "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet",
           "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm"]
