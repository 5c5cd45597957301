"""``lanterna.distributions`` (``torch.distributions``): the distributions tutorials use.

``Normal``, ``Uniform``, ``Bernoulli``, ``Categorical``, ``Exponential``, ``Laplace``,
``OneHotCategorical``, ``MultivariateNormal``, ``Beta``, ``Gamma``, ``Chi2``, ``Dirichlet``,
``StudentT``, ``Cauchy``, ``LogNormal``, ``HalfNormal``, ``Gumbel``, ``Poisson``, ``Binomial``,
``Geometric``, ``Multinomial``, ``Independent`` and ``TransformedDistribution`` (with the maps of
``distributions.transforms``) with ``sample``/``rsample``, ``log_prob``, ``entropy``,
``mean``/``mode``/``variance``/``stddev`` (and ``cdf``/``icdf`` where PyTorch has them),
``support``/``expand``/``enumerate_support``, argument and sample validation, PyTorch's formulas
and, under a seed, PyTorch's samples (except the Gamma-based families, Poisson and Binomial, whose
samples follow the same law but not PyTorch's numbers); ``kl_divergence`` for the pairs PyTorch
registers among these families.

>>> import lanterna as torch
>>> from lanterna.distributions import Normal
>>> Normal(torch.tensor(0.0), torch.tensor(1.0)).log_prob(torch.tensor(0.0))
tensor(-0.9189)
"""

from __future__ import annotations

from . import constraints, kl, transforms
from .continuous import Beta, Cauchy, Chi2, Dirichlet, Gamma, StudentT
from .discrete import Binomial, Geometric, Multinomial, Poisson
from .distribution import Distribution
from .extra import Exponential, Laplace, MultivariateNormal, OneHotCategorical
from .kl import kl_divergence, register_kl
from .transformed import Gumbel, HalfNormal, Independent, LogNormal, TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform, IndependentTransform,
                         PowerTransform, SigmoidTransform, SoftplusTransform, TanhTransform, Transform,
                         identity_transform)
from .univariate import Bernoulli, Categorical, Normal, Uniform

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
           "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform", "Exponential", "Gamma", "Geometric",
           "Gumbel", "HalfNormal", "Independent", "IndependentTransform", "Laplace", "LogNormal", "Multinomial",
           "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "PowerTransform", "SigmoidTransform",
           "SoftplusTransform", "StudentT", "TanhTransform", "Transform", "TransformedDistribution", "Uniform",
           "constraints", "identity_transform", "kl", "kl_divergence", "register_kl", "transforms"]
