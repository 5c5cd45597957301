"""The op functions of the ``lanterna`` (``torch``) namespace, gathered from the op families."""
# ruff: noqa: F401  (re-exports: ``__all__`` below lists every imported name)

from __future__ import annotations

from .compare import (allclose, bitwise_and, bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift,
                      bitwise_xor, eq, equal, ge, greater, greater_equal, gt, isclose, le, less, less_equal,
                      logical_and, logical_or, logical_xor, lt, ne, not_equal)
from .creation import (Generator, arange, as_tensor, asarray, bernoulli, empty, empty_like, eye, from_numpy, full,
                       full_like, linspace, logspace, multinomial, normal, ones, ones_like, poisson, rand, rand_like,
                       randint, randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like)
from .einsum import einsum
from .elementwise import add, div, floor_divide, fmod, mul, pow, remainder, rsub, sub
from .gather import (argwhere, gather, index_add, index_copy, index_fill, index_select, masked_scatter,
                     masked_select, nonzero, scatter, scatter_add, scatter_reduce, take, take_along_dim)
from .index import index_put
from .joining import (cat, chunk, column_stack, concat, concatenate, dstack, flip, fliplr, flipud, hstack, narrow,
                      repeat_interleave, roll, rot90, row_stack, select, split, stack, tensor_split, tile, tril, triu,
                      unbind, vstack)
from .linalg import (addbmm, addmm, addmv, addr, baddbmm, bmm, cross, dot, ger, inner, kron, matmul, mm, mv, outer,
                     tensordot, vdot)
from .linalg_extra import cholesky, det, inverse, logdet, matrix_power, pinv as pinverse, slogdet
from .misc import (bincount, block_diag, bucketize, cartesian_prod, cdist, combinations, diag, diag_embed, diagonal,
                   dist, is_nonzero, ravel,
                   diagonal_scatter, diff, histc, meshgrid, searchsorted, trace, tril_indices, triu_indices, unique,
                   unique_consecutive)
from .pointwise import (addcdiv, addcmul, arctan2, atan2, clamp, clamp_max, clamp_min, clip, copysign, float_power,
                        heaviside, logaddexp, logaddexp2,
                        fmax, fmin, hypot, lerp, masked_fill, maximum, minimum, nan_to_num, where, xlogy)
from .reduce import (all, amax, amin, aminmax, any, argmax, argmin, count_nonzero, max, mean, min, nanmean, nansum,
                     prod, sum)
from .shape import (adjoint, as_strided, atleast_1d, atleast_2d, atleast_3d, broadcast_shapes, broadcast_tensors,
                    broadcast_to, clone, flatten, moveaxis, movedim, permute, reshape, squeeze, swapaxes, swapdims, t,
                    transpose, unflatten, unsqueeze)
from .sorting import argsort, kthvalue, msort, sort, topk
from .stats import (cummax, cummin, cumprod, cumsum, logcumsumexp, logsumexp, median, mode, norm, std, std_mean, var,
                    var_mean)
from .unary import (abs, absolute, acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, asin, asinh, atan,
                    atanh, ceil, cos, cosh, deg2rad, erf, erfc, exp, exp2, expm1, fix, floor, frac, isfinite, isinf,
                    isnan, isneginf, isposinf, isreal, log, log1p, log2, log10, logical_not, logit, neg, negative,
                    positive, rad2deg, reciprocal, relu, round, rsqrt, sgn, sigmoid, sign, signbit, sin, sinc, sinh, sqrt,
                    square, tan, tanh, trunc)

__all__ = [name for name in dir() if not name.startswith("_") and name != "annotations"]
