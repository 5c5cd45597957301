"""Normal, Uniform, Bernoulli and Categorical, with PyTorch's formulas and sampling streams."""

from __future__ import annotations

import math

import lanterna

from . import constraints
from .distribution import LOG_SQRT_2PI, Distribution, broadcast_all, clamp_probs


def _softplus(x):
    return lanterna.logaddexp(x, lanterna.zeros_like(x))


def _log_sigmoid(x):
    """``F.logsigmoid`` as PyTorch's CPU kernel computes it: ``min(0, x) - log1p(exp(-|x|))``."""
    return x.clamp(max=0) - (-x.abs()).exp().log1p()


def _bce_with_logits(logits, target):
    """``F.binary_cross_entropy_with_logits(logits, target, reduction="none")``, PyTorch's formula
    ``(1 - target) * logits - logsigmoid(logits)`` (so results agree to the last bit)."""
    return (1 - target) * logits - _log_sigmoid(logits)


def _expand_params(dist, cls, batch_shape, names, _instance):
    """``expand``: a new ``cls`` whose parameters ``names`` are expanded to ``batch_shape``."""
    new = dist._get_checked_instance(cls, _instance)
    batch_shape = lanterna.Size(batch_shape)
    for name in names:
        setattr(new, name, getattr(dist, name).expand(batch_shape))
    Distribution.__init__(new, batch_shape, validate_args=False)
    new._validate_args = dist._validate_args
    return new


class Normal(Distribution):
    """``Normal(loc, scale)``: reparameterized (``rsample``) Gaussian."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    mean = mode = property(lambda self: self.loc)
    stddev = property(lambda self: self.scale)
    variance = property(lambda self: self.scale.pow(2))

    def sample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        with lanterna.no_grad():
            return lanterna.normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        eps = lanterna.empty(shape, dtype=self.loc.dtype, device=self.loc.device).normal_()
        return self.loc + eps * self.scale

    def expand(self, batch_shape, _instance=None):
        return _expand_params(self, Normal, batch_shape, ("loc", "scale"), _instance)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - LOG_SQRT_2PI

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + lanterna.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * lanterna.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


class Uniform(Distribution):
    """``Uniform(low, high)`` on the half-open interval ``[low, high)``."""

    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, validate_args=validate_args)

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    def expand(self, batch_shape, _instance=None):
        return _expand_params(self, Uniform, batch_shape, ("low", "high"), _instance)

    mean = property(lambda self: (self.high + self.low) / 2)
    mode = property(lambda self: lanterna.full_like(self.high, math.nan))
    stddev = property(lambda self: (self.high - self.low) / 12**0.5)
    variance = property(lambda self: (self.high - self.low).pow(2) / 12)

    def rsample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        rand = lanterna.rand(shape, dtype=self.low.dtype, device=self.low.device)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lb = self.low.le(value).type_as(self.low)
        ub = self.high.gt(value).type_as(self.low)
        return (lb * ub).log() - (self.high - self.low).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()


class _ProbsOrLogits(Distribution):
    """Parameterised by exactly one of ``probs`` and ``logits``; the other is derived on use."""

    def _set(self, probs, logits):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        if not isinstance(value, lanterna.Tensor):
            value = lanterna.tensor(value, dtype=lanterna.get_default_dtype())
        self.__dict__[name] = value
        return value

    def __getattr__(self, name):  # the derived parameter, computed once
        if name == "probs":
            value = self._logits_to_probs(self.__dict__["logits"])
        elif name == "logits":
            value = self._probs_to_logits(self.__dict__["probs"])
        else:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        self.__dict__[name] = value
        return value

    @property
    def param_shape(self):
        return (self.__dict__.get("probs") if "probs" in self.__dict__ else self.logits).shape


class Bernoulli(_ProbsOrLogits):
    """``Bernoulli(probs=None, logits=None)``: samples are 0.0 or 1.0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = self._set(probs, logits)
        super().__init__(param.shape, validate_args=validate_args)

    @staticmethod
    def _logits_to_probs(logits):
        return lanterna.sigmoid(logits)

    @staticmethod
    def _probs_to_logits(probs):
        p = clamp_probs(probs)
        return p.log() - (-p).log1p()

    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return lanterna.where(self.probs == 0.5, lanterna.full_like(mode, math.nan), mode)

    def sample(self, sample_shape=lanterna.Size()):
        shape = self._extended_shape(sample_shape)
        with lanterna.no_grad():
            return lanterna.bernoulli(self.probs.expand(shape))

    def expand(self, batch_shape, _instance=None):
        names = [n for n in ("probs", "logits") if n in self.__dict__]
        return _expand_params(self, Bernoulli, batch_shape, names, _instance)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        param = self.__dict__.get("probs", self.__dict__.get("logits"))
        values = lanterna.arange(2, dtype=param.dtype, device=param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class Categorical(_ProbsOrLogits):
    """``Categorical(probs=None, logits=None)`` over the last dimension's categories."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if probs is not None:
            param = self._set(probs, None)
            if param.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = param / param.sum(-1, keepdim=True)
        else:
            param = self._set(None, logits)
            if param.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = param - param.logsumexp(dim=-1, keepdim=True)
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)

    @staticmethod
    def _logits_to_probs(logits):
        return lanterna.softmax(logits, dim=-1)

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = lanterna.Size(batch_shape)
        param_shape = batch_shape + lanterna.Size((self._num_events,))
        for name in ("probs", "logits"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(param_shape)
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @staticmethod
    def _probs_to_logits(probs):
        return clamp_probs(probs).log()

    mean = property(lambda self: lanterna.full(self._extended_shape(), math.nan, dtype=self.probs.dtype))
    variance = property(lambda self: lanterna.full(self._extended_shape(), math.nan, dtype=self.probs.dtype))
    mode = property(lambda self: self.probs.argmax(dim=-1))

    def sample(self, sample_shape=lanterna.Size()):
        sample_shape = lanterna.Size(sample_shape)
        probs_2d = self.probs.reshape(-1, self._num_events)
        with lanterna.no_grad():
            samples_2d = lanterna.multinomial(probs_2d, sample_shape.numel(), True).T
        return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = lanterna.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=lanterna.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = lanterna.arange(self._num_events, device=self.logits.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
