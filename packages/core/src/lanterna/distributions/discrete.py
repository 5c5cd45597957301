"""Poisson, Binomial, Geometric and Multinomial, with PyTorch's formulas.

Geometric and Multinomial samples are PyTorch's under a seed (a transform of uniform draws; a
count of Categorical draws); Poisson and Binomial follow the right law but not PyTorch's numbers.
"""

from __future__ import annotations

import math
import numbers

import lanterna

from . import _sampling, constraints
from .distribution import Distribution, broadcast_all
from .univariate import Bernoulli, Categorical, _bce_with_logits, _ProbsOrLogits


class Poisson(Distribution):
    """``Poisson(rate)`` over the non-negative integers."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = lanterna.Size() if isinstance(rate, numbers.Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Poisson, _instance)
        new.rate = self.rate.expand(lanterna.Size(batch_shape))
        Distribution.__init__(new, lanterna.Size(batch_shape), validate_args=False)
        new._validate_args = self._validate_args
        return new

    mean = variance = property(lambda self: self.rate)
    mode = property(lambda self: self.rate.floor())

    def sample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        with lanterna.no_grad():
            return _sampling.poisson(self.rate.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()


class _BinaryProbsOrLogits(_ProbsOrLogits):
    """``probs`` <-> ``logits`` as PyTorch's ``is_binary=True`` conversions."""

    _logits_to_probs = staticmethod(Bernoulli._logits_to_probs)
    _probs_to_logits = staticmethod(Bernoulli._probs_to_logits)


class Binomial(_BinaryProbsOrLogits):
    """``Binomial(total_count=1, probs=None, logits=None)``: successes in ``total_count`` trials."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, param = ("probs", probs) if probs is not None else ("logits", logits)
        total_count, param = broadcast_all(total_count, param)
        self.total_count = total_count.type_as(param)
        self.__dict__[name] = param
        super().__init__(param.size(), validate_args=validate_args)

    _param = property(lambda self: self.__dict__.get("probs", self.__dict__.get("logits")))

    def expand(self, batch_shape, _instance=None):
        names = ["total_count"] + [n for n in ("probs", "logits") if n in self.__dict__]
        return _expand_named(self, Binomial, batch_shape, names, _instance)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    mean = property(lambda self: self.total_count * self.probs)
    mode = property(lambda self: lanterna.minimum(((self.total_count + 1) * self.probs).floor(), self.total_count))
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    def sample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        with lanterna.no_grad():
            return _sampling.binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_factorial_n = lanterna.lgamma(n + 1)
        log_factorial_k = lanterna.lgamma(value + 1)
        log_factorial_nmk = lanterna.lgamma(n - value + 1)
        clamped = (logits.clamp(min=0) + logits - logits.clamp(max=0)) / 2  # max(logits, 0), halved gradient at 0
        normalize_term = n * clamped + n * lanterna.log1p(lanterna.exp(-lanterna.abs(logits))) - log_factorial_n
        return value * logits - log_factorial_k - log_factorial_nmk - normalize_term

    def _homogeneous_count(self, what):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return total_count

    def entropy(self):
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(lanterna.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = self._homogeneous_count("enumerate_support")
        values = lanterna.arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class Geometric(_BinaryProbsOrLogits):
    """``Geometric(probs=None, logits=None)``: failures before the first success (``0, 1, 2 ...``)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, given = ("probs", probs) if probs is not None else ("logits", logits)
        (self.__dict__[name],) = broadcast_all(given)
        batch_shape = lanterna.Size() if isinstance(given, numbers.Number) else given.size()
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            value = self.probs
            valid = value > 0
            if not bool(valid.all()):
                raise ValueError(f"Expected parameter probs ({type(value).__name__} of shape {tuple(value.shape)}) "
                                 f"of distribution {self!r} to be positive but found invalid values:\n"
                                 f"{value.detach()[~valid]}")

    def expand(self, batch_shape, _instance=None):
        names = [n for n in ("probs", "logits") if n in self.__dict__]
        return _expand_named(self, Geometric, batch_shape, names, _instance)

    mean = property(lambda self: 1.0 / self.probs - 1.0)
    mode = property(lambda self: lanterna.zeros_like(self.probs))
    variance = property(lambda self: (1.0 / self.probs - 1.0) / self.probs)

    def sample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        tiny = lanterna.finfo(self.probs.dtype).tiny
        with lanterna.no_grad():
            u = self.probs.new_empty(shape).uniform_(tiny, 1)  # PyTorch's draw, so seeds agree
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # 0 * log(0) for a certain success at the first trial: the probability is one.
        probs = lanterna.where((probs == 1) & (value == 0), lanterna.zeros_like(probs), probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs) / self.probs


class Multinomial(Distribution):
    """``Multinomial(total_count=1, probs=None, logits=None)``: category counts of ``total_count``
    Categorical draws (so a seed gives PyTorch's samples)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = lanterna.Size(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = self._binomial.expand(batch_shape + self.event_shape)  # for entropy
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    logits = property(lambda self: self._categorical.logits)
    probs = property(lambda self: self._categorical.probs)
    param_shape = property(lambda self: self._categorical.param_shape)
    mean = property(lambda self: self.probs * self.total_count)
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    def sample(self, sample_shape=lanterna.Size()):
        sample_shape = lanterna.Size(sample_shape)
        samples = self._categorical.sample(lanterna.Size((self.total_count,)) + sample_shape)
        order = list(range(1, samples.dim())) + [0]  # the draws dimension last
        samples = samples.permute(*order)
        counts = lanterna.zeros(self._extended_shape(sample_shape), dtype=samples.dtype, device=samples.device)
        counts.scatter_add_(-1, samples, lanterna.ones_like(samples))
        return counts.type_as(self.probs)

    def entropy(self):
        n = lanterna.tensor(self.total_count)
        term1 = n * self._categorical.entropy() - lanterna.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = lanterna.exp(self._binomial.log_prob(support))
        weights = lanterna.lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum([0, -1])

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = lanterna.where((value == 0) & (logits == -math.inf), lanterna.zeros_like(logits), logits)
        log_factorial_n = lanterna.lgamma(value.sum(-1) + 1)
        log_factorial_xs = lanterna.lgamma(value + 1).sum(-1)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)


def _expand_named(dist, cls, batch_shape, names, _instance):
    """``expand`` for distributions whose parameters live in ``__dict__`` (some derived lazily)."""
    new = dist._get_checked_instance(cls, _instance)
    batch_shape = lanterna.Size(batch_shape)
    for name in names:
        new.__dict__[name] = dist.__dict__[name].expand(batch_shape)
    Distribution.__init__(new, batch_shape, validate_args=False)
    new._validate_args = dist._validate_args
    return new
