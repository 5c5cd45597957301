"""``lanterna.distributions`` (``torch.distributions``): the distributions tutorials use.

``Normal``, ``Uniform``, ``Bernoulli``, ``Categorical``, ``Exponential``, ``Laplace``,
``OneHotCategorical`` and ``MultivariateNormal`` with ``sample``/``rsample``, ``log_prob``,
``entropy``, ``mean``/``variance``/``stddev`` (and ``cdf``/``icdf`` where PyTorch has them),
``support``/``expand``/``enumerate_support``, argument and sample validation, PyTorch's formulas
and, under a seed, PyTorch's samples; ``kl_divergence`` between two of the same family.

>>> import lanterna as torch
>>> from lanterna.distributions import Normal
>>> Normal(torch.tensor(0.0), torch.tensor(1.0)).log_prob(torch.tensor(0.0))
tensor(-0.9189)
"""

from __future__ import annotations

import lanterna

from . import constraints
from .distribution import Distribution
from .extra import Exponential, Laplace, MultivariateNormal, OneHotCategorical, _mahalanobis
from .univariate import Bernoulli, Categorical, Normal, Uniform, _softplus

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "Laplace", "MultivariateNormal", "Normal",
           "OneHotCategorical", "Uniform", "constraints", "kl_divergence", "register_kl"]

_KL: dict = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(P, Q) def kl(p, q): ...`` adds a pair to :func:`kl_divergence`."""

    def decorator(fn):
        _KL[type_p, type_q] = fn
        return fn

    return decorator


def kl_divergence(p, q):
    """``KL(p || q)`` for the registered pairs of distribution types (batch-wise)."""
    for tp in type(p).__mro__:
        for tq in type(q).__mro__:
            fn = _KL.get((tp, tq))
            if fn is not None:
                return fn(p, q)
    raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
                              f"{type(q).__name__}")


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = lanterna.where((q.probs == 0).expand_as(t), lanterna.full_like(t, float("inf")), t)
    t = lanterna.where((p.probs == 0).expand_as(t), lanterna.zeros_like(t), t)
    return t.sum(-1)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    inf = lanterna.full_like(p.probs, float("inf"))
    zero = lanterna.zeros_like(p.probs)
    t1 = p.probs * (_softplus(-q.logits) - _softplus(-p.logits))
    t1 = lanterna.where(p.probs == 0, zero, lanterna.where(q.probs == 0, inf, t1))
    t2 = (1 - p.probs) * (_softplus(q.logits) - _softplus(p.logits))
    t2 = lanterna.where(p.probs == 1, zero, lanterna.where(q.probs == 1, inf, t2))
    return t1 + t2


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    t1 = -rate_ratio.log()
    return t1 + rate_ratio - 1


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -scale_ratio.log()
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * lanterna.exp(-loc_abs_diff / p.scale)
    return t1 + t2 + t3 - 1


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot be "
                         "computed")
    pl, ql = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = ql.diagonal(dim1=-2, dim2=-1).log().sum(-1) - pl.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    batch = lanterna.broadcast_shapes(ql.shape[:-2], pl.shape[:-2])
    n = p.event_shape[0]
    x = lanterna.linalg.solve_triangular(ql.expand(batch + (n, n)), pl.expand(batch + (n, n)), upper=False)
    term2 = x.reshape(-1, n * n).pow(2).sum(-1).reshape(x.shape[:-2])  # trace(X X^T)
    term3 = _mahalanobis(ql, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)
    return lanterna.where(outside, lanterna.full_like(result, float("inf")), result)
