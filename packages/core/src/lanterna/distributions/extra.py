"""Exponential, Laplace, OneHotCategorical and MultivariateNormal, with PyTorch's formulas and its
sampling (so a seed gives PyTorch's samples)."""

from __future__ import annotations

import math
import numbers

import lanterna

from . import constraints
from .distribution import Distribution, broadcast_all
from .univariate import Categorical, _expand_params


def _batch_shape_of(param, *args):
    """Numbers only give a scalar distribution; otherwise the broadcast parameters' shape."""
    return lanterna.Size() if all(isinstance(a, numbers.Number) for a in args) else param.shape


class Exponential(Distribution):
    """``Exponential(rate)``: density ``rate * exp(-rate * x)`` on ``x >= 0``."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(_batch_shape_of(self.rate, rate), validate_args=validate_args)

    mean = property(lambda self: self.rate.reciprocal())
    mode = property(lambda self: lanterna.zeros_like(self.rate))
    stddev = property(lambda self: self.rate.reciprocal())
    variance = property(lambda self: self.rate.pow(-2))

    def expand(self, batch_shape, _instance=None):
        return _expand_params(self, Exponential, batch_shape, ("rate",), _instance)

    def rsample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        return self.rate.new_empty(shape).exponential_() / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - lanterna.exp(-self.rate * value)

    def icdf(self, value):
        return -lanterna.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - lanterna.log(self.rate)


class Laplace(Distribution):
    """``Laplace(loc, scale)``: density ``exp(-|x - loc| / scale) / (2 scale)``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(_batch_shape_of(self.loc, loc, scale), validate_args=validate_args)

    mean = mode = property(lambda self: self.loc)
    variance = property(lambda self: 2 * self.scale.pow(2))
    stddev = property(lambda self: (2**0.5) * self.scale)

    def expand(self, batch_shape, _instance=None):
        return _expand_params(self, Laplace, batch_shape, ("loc", "scale"), _instance)

    def rsample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        eps = lanterna.finfo(self.loc.dtype).eps
        u = self.loc.new_empty(shape).uniform_(eps - 1, 1)  # PyTorch's draw, so seeds agree
        return self.loc - self.scale * u.sign() * lanterna.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -lanterna.log(2 * self.scale) - lanterna.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * lanterna.expm1(-(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * lanterna.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + lanterna.log(2 * self.scale)


def _one_hot(indices, n, like):
    return (indices.unsqueeze(-1) == lanterna.arange(n, device=indices.device)).to(like.dtype)


class OneHotCategorical(Distribution):
    """``OneHotCategorical(probs=None, logits=None)``: a Categorical whose samples are one-hot vectors."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(OneHotCategorical, _instance)
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, lanterna.Size(batch_shape), self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    _param = property(lambda self: self._categorical.__dict__.get("probs", self._categorical.__dict__.get("logits")))
    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    mean = property(lambda self: self._categorical.probs)
    variance = property(lambda self: self._categorical.probs * (1 - self._categorical.probs))
    param_shape = property(lambda self: self._categorical.param_shape)

    @property
    def mode(self):
        probs = self._categorical.probs
        return _one_hot(probs.argmax(dim=-1), probs.shape[-1], probs)

    def sample(self, sample_shape=lanterna.Size()):
        indices = self._categorical.sample(lanterna.Size(sample_shape))
        return _one_hot(indices, self._categorical._num_events, self._categorical.probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.max(-1)[1])

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self.event_shape[0]
        values = lanterna.eye(n, dtype=self._param.dtype, device=self._param.device)
        values = values.view((n,) + (1,) * len(self.batch_shape) + (n,))
        return values.expand((n,) + tuple(self.batch_shape) + (n,)) if expand else values


class MultivariateNormal(Distribution):
    """``MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None)``:
    exactly one matrix parameter; sampling is ``loc + L @ eps`` with ``L`` the Cholesky factor."""

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        given, name = next((m, n) for m, n in ((scale_tril, "scale_tril"), (covariance_matrix, "covariance_matrix"),
                                               (precision_matrix, "precision_matrix")) if m is not None)
        if given.dim() < 2:
            what = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(f"{what} must be at least two-dimensional, with optional leading batch dimensions")
        batch_shape = lanterna.broadcast_shapes(given.shape[:-2], loc.shape[:-1])
        self.__dict__[name] = given.expand(batch_shape + (-1, -1))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = given
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = lanterna.linalg.cholesky(given)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(given)

    def _matrix_shape(self):
        return self._batch_shape + self._event_shape + self._event_shape

    def __getattr__(self, name):  # the matrices not given, computed once from the Cholesky factor
        tril = self.__dict__.get("_unbroadcasted_scale_tril")
        if tril is None or name not in ("scale_tril", "covariance_matrix", "precision_matrix"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        if name == "scale_tril":
            value = tril
        elif name == "covariance_matrix":
            value = lanterna.matmul(tril, tril.mT)
        else:
            value = lanterna.cholesky_inverse(tril)
        value = value.expand(self._matrix_shape())
        self.__dict__[name] = value
        return value

    mean = mode = property(lambda self: self.loc)

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = lanterna.Size(batch_shape)
        loc_shape = batch_shape + self.event_shape
        cov_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(cov_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        eps = lanterna.empty(shape, dtype=self.loc.dtype, device=self.loc.device).normal_()
        return self.loc + lanterna.matmul(self._unbroadcasted_scale_tril, eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        tril = self._unbroadcasted_scale_tril
        m = _mahalanobis(tril, diff)
        half_log_det = tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - half_log_det

    def entropy(self):
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return h if len(self._batch_shape) == 0 else h.expand(self._batch_shape)


def _mahalanobis(tril, diff):
    """``|L^-1 diff|^2`` over the last dimension, broadcasting ``L``'s batch against ``diff``'s."""
    batch = lanterna.broadcast_shapes(tril.shape[:-2], diff.shape[:-1])
    n = diff.shape[-1]
    sol = lanterna.linalg.solve_triangular(tril.expand(batch + (n, n)), diff.expand(batch + (n,)).unsqueeze(-1),
                                           upper=False)
    return sol.squeeze(-1).pow(2).sum(-1)


def _precision_to_scale_tril(p):
    """The lower Cholesky factor of ``P^-1``, as PyTorch computes it (no explicit inverse of ``P``)."""
    lf = lanterna.linalg.cholesky(lanterna.flip(p, (-2, -1)))
    l_inv = lanterna.transpose(lanterna.flip(lf, (-2, -1)), -2, -1)
    eye = lanterna.eye(p.shape[-1], dtype=p.dtype, device=p.device)
    return lanterna.linalg.solve_triangular(l_inv, eye, upper=False)
