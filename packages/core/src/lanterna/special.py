"""``lanterna.special``: PyTorch's ``torch.special`` namespace (the functions Lanterna has).

>>> import lanterna as torch
>>> torch.special.gammaln(torch.tensor([4.0]))   # log(3!)
tensor([1.7918])
"""
# ruff: noqa: F401  (re-exports)

from .ops.nn_activation import log_softmax, softmax
from .ops.pointwise import xlogy
from .ops.specfun import (digamma, entr, erfcx, erfinv, i0, i0e, i1, i1e, log_ndtr, multigammaln, ndtr, ndtri,
                          polygamma, xlog1py, zeta)
from .ops.specfun import digamma as psi
from .ops.specfun import igamma as gammainc
from .ops.specfun import igammac as gammaincc
from .ops.specfun import lgamma as gammaln
from .ops.stats import logsumexp
from .ops.unary import erf, erfc, exp2, expm1, log1p, logit, round, sinc
from .ops.unary import sigmoid as expit

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc",
           "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta"]
