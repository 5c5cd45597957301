"""Gamma, Chi2, Beta, Dirichlet, StudentT and Cauchy, with PyTorch's formulas.

Gamma-based samples (Gamma, Chi2, Beta, Dirichlet, StudentT) follow the right law and are
reproducible under a seed, but are not PyTorch's numbers (see ``_sampling``); their ``rsample``
gradients are PyTorch's. Cauchy samples are PyTorch's under a seed.
"""

from __future__ import annotations

import math
import numbers

import lanterna

from . import _sampling, constraints
from .distribution import Distribution, broadcast_all
from .extra import _batch_shape_of
from .univariate import _expand_params


class Gamma(Distribution):
    """``Gamma(concentration, rate)``: density ``rate^a x^(a-1) exp(-rate x) / Gamma(a)``."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(_batch_shape_of(self.concentration, concentration, rate), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand_params(self, Gamma, batch_shape, ("concentration", "rate"), _instance)

    mean = property(lambda self: self.concentration / self.rate)
    mode = property(lambda self: ((self.concentration - 1) / self.rate).clamp(min=0))
    variance = property(lambda self: self.concentration / self.rate.pow(2))

    def rsample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        value = _sampling.standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=lanterna.finfo(value.dtype).tiny)  # not recorded, as in PyTorch
        return value

    def log_prob(self, value):
        value = lanterna.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (lanterna.xlogy(self.concentration, self.rate) + lanterna.xlogy(self.concentration - 1, value)
                - self.rate * value - lanterna.lgamma(self.concentration))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return lanterna.special.gammainc(self.concentration, self.rate * value)

    def entropy(self):
        return (self.concentration - lanterna.log(self.rate) + lanterna.lgamma(self.concentration)
                + (1.0 - self.concentration) * lanterna.digamma(self.concentration))


class Chi2(Gamma):
    """``Chi2(df)``: ``Gamma(df / 2, 1 / 2)``."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, self._get_checked_instance(Chi2, _instance))

    df = property(lambda self: self.concentration * 2)


class Dirichlet(Distribution):
    """``Dirichlet(concentration)`` over the simplex of the last dimension."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = lanterna.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return _sampling.sample_dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return lanterna.xlogy(c - 1.0, value).sum(-1) + lanterna.lgamma(c.sum(-1)) - lanterna.lgamma(c).sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        c = self.concentration
        cm1 = (c - 1).clamp(min=0.0)
        total = cm1.sum(-1, True)
        empty = (total == 0).expand_as(cm1)  # 0 / 0: NaN, as PyTorch (without NumPy's warning)
        mode = lanterna.where(empty, lanterna.full_like(cm1, math.nan), cm1 / total.masked_fill(total == 0, 1.0))
        # All concentrations below one: the mass piles up on a vertex; PyTorch takes the argmax of
        # the all-NaN row above, which is the first vertex.
        first = (lanterna.arange(c.shape[-1], device=c.device) == 0).to(mode.dtype).expand_as(mode)
        return lanterna.where((c < 1).all(dim=-1, keepdim=True).expand_as(mode), first, mode)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        c = self.concentration
        k = c.size(-1)
        a0 = c.sum(-1)
        return (lanterna.lgamma(c).sum(-1) - lanterna.lgamma(a0) - (k - a0) * lanterna.digamma(a0)
                - ((c - 1.0) * lanterna.digamma(c)).sum(-1))


class Beta(Distribution):
    """``Beta(concentration1, concentration0)`` on ``[0, 1]`` (a two-component Dirichlet)."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, numbers.Number) and isinstance(concentration0, numbers.Number):
            both = lanterna.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            both = lanterna.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = lanterna.Size(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    concentration1 = property(lambda self: self._dirichlet.concentration[..., 0])
    concentration0 = property(lambda self: self._dirichlet.concentration[..., 1])
    mean = property(lambda self: self.concentration1 / (self.concentration1 + self.concentration0))
    mode = property(lambda self: self._dirichlet.mode[..., 0])

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(lanterna.stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()


class StudentT(Distribution):
    """``StudentT(df, loc=0.0, scale=1.0)``."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _expand_params(self, StudentT, batch_shape, ("df", "loc", "scale"), _instance)
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self):
        return lanterna.where(self.df <= 1, lanterna.full_like(self.loc, math.nan), self.loc)

    mode = property(lambda self: self.loc)

    @property
    def variance(self):
        df = self.df
        finite = df > 2
        safe_df = lanterna.where(finite, df, lanterna.full_like(df, 3.0))  # no NaN gradients from df <= 2
        var = self.scale.pow(2) * safe_df / (safe_df - 2)
        var = lanterna.where(finite, var, lanterna.full_like(var, math.inf))
        return lanterna.where(df <= 1, lanterna.full_like(var, math.nan), var)

    def rsample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        x = lanterna.empty(shape, dtype=self.df.dtype, device=self.df.device).normal_()
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (x * lanterna.rsqrt(z / self.df))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + lanterna.lgamma(0.5 * self.df)
             - lanterna.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * lanterna.log1p(y**2.0 / self.df) - z

    def entropy(self):
        lbeta = lanterna.lgamma(0.5 * self.df) + math.lgamma(0.5) - lanterna.lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1) * (lanterna.digamma(0.5 * (self.df + 1))
                                                          - lanterna.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)


class Cauchy(Distribution):
    """``Cauchy(loc, scale)``: samples are ``loc + scale * tan(pi * (u - 1/2))``, PyTorch's ``cauchy_``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(_batch_shape_of(self.loc, loc, scale), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand_params(self, Cauchy, batch_shape, ("loc", "scale"), _instance)

    mean = property(lambda self: lanterna.full(self._extended_shape(), math.nan, dtype=self.loc.dtype,
                                               device=self.loc.device))
    mode = property(lambda self: self.loc)
    variance = property(lambda self: lanterna.full(self._extended_shape(), math.inf, dtype=self.loc.dtype,
                                                   device=self.loc.device))

    def rsample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        eps = self.loc.new_empty(shape).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return lanterna.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return lanterna.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
