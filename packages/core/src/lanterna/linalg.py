"""``lanterna.linalg``: PyTorch's ``torch.linalg`` namespace."""
# ruff: noqa: F401  (re-exports)

from .ops.linalg_extra import (cholesky, det, eigh, eigvalsh, inv, matrix_norm, matrix_power, norm, pinv, qr,
                               slogdet, solve, svd, svdvals)
from .ops.linalg_extra import LinAlgError, cross
from .ops.stats import vector_norm

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "matrix_norm", "matrix_power", "norm", "pinv",
           "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm"]
