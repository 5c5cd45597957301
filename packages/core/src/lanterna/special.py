"""``lanterna.special``: PyTorch's ``torch.special`` namespace.

>>> import lanterna as torch
>>> torch.special.gammaln(torch.tensor([4.0]))   # log(3!)
tensor([1.7918])
"""
# ruff: noqa: F401  (re-exports)

from .ops.nn_activation import log_softmax, softmax
from .ops.pointwise import xlogy
from .ops.specfun_cephes import (airy_ai, bessel_j0, bessel_j1, bessel_y0, bessel_y1, chebyshev_polynomial_t,
                                 chebyshev_polynomial_u, chebyshev_polynomial_v, chebyshev_polynomial_w,
                                 hermite_polynomial_h, hermite_polynomial_he, laguerre_polynomial_l,
                                 legendre_polynomial_p, modified_bessel_i0, modified_bessel_i1, modified_bessel_k0,
                                 modified_bessel_k1, scaled_modified_bessel_k0, scaled_modified_bessel_k1,
                                 shifted_chebyshev_polynomial_t, shifted_chebyshev_polynomial_u,
                                 shifted_chebyshev_polynomial_v, shifted_chebyshev_polynomial_w, spherical_bessel_j0)
from .ops.specfun import (digamma, entr, erfcx, erfinv, i0, i0e, i1, i1e, log_ndtr, multigammaln, ndtr, ndtri,
                          polygamma, xlog1py, zeta)
from .ops.specfun import digamma as psi
from .ops.specfun import igamma as gammainc
from .ops.specfun import igammac as gammaincc
from .ops.specfun import lgamma as gammaln
from .ops.stats import logsumexp
from .ops.unary import erf, erfc, exp2, expm1, log1p, logit, round, sinc
from .ops.unary import sigmoid as expit

__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
           "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "hermite_polynomial_h",
           "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
           "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
           "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "spherical_bessel_j0",
           "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc",
           "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta"]
