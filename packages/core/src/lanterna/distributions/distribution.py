"""The :class:`Distribution` base class of ``lanterna.distributions``."""

from __future__ import annotations

import math

import lanterna

from . import constraints


def broadcast_all(*values):
    """Numbers become tensors of the default dtype (or of the first tensor's dtype); all broadcast."""
    dtype = next((v.dtype for v in values if isinstance(v, lanterna.Tensor)), lanterna.get_default_dtype())
    tensors = [v if isinstance(v, lanterna.Tensor) else lanterna.tensor(float(v), dtype=dtype) for v in values]
    return lanterna.broadcast_tensors(*tensors)


def sum_rightmost(value, dim):
    """``value`` summed over its ``dim`` right-most dimensions (``dim == 0``: unchanged)."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:value.dim() - dim] + (-1,)).sum(-1)


def clamp_probs(probs):
    eps = lanterna.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


class Distribution:
    """``torch.distributions.Distribution``: shapes, sampling, validation and the shared properties."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}  # parameter name -> constraint, validated at construction
    _validate_args = True

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = lanterna.Size(batch_shape)
        self._event_shape = lanterna.Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if name in self.__dict__:
                    value = self.__dict__[name]
                elif isinstance(getattr(type(self), name, None), property):
                    value = getattr(self, name)  # a parameter exposed as a property (Chi2's df ...)
                else:
                    continue  # a lazily computed parameter (probs from logits ...)
                if not bool(constraint.check(value).all()):
                    raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) "
                                     f"of distribution {self!r} to satisfy the constraint {constraint!r}, but found "
                                     f"invalid values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def support(self):
        raise NotImplementedError

    def _extended_shape(self, sample_shape=()):
        if not isinstance(sample_shape, lanterna.Size):
            sample_shape = lanterna.Size(sample_shape)
        return lanterna.Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _get_checked_instance(self, cls, _instance=None):
        """A bare instance for ``expand`` (a subclass must implement its own ``expand``)."""
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                                      "__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def expand(self, batch_shape, _instance=None):
        raise NotImplementedError

    def _validate_sample(self, value):
        """PyTorch's checks of a ``log_prob``/``cdf`` argument: a tensor whose right-most sizes are the
        event shape, broadcastable with the batch shape, inside the support."""
        if not isinstance(value, lanterna.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = value.dim() - len(self._event_shape)
        if value.size()[event_dim_start:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {value.size()} vs "
                             f"{self._event_shape}.")
        actual_shape = value.size()
        expected_shape = self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual_shape), reversed(expected_shape)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {actual_shape} vs "
                                 f"{expected_shape}.")
        support = self.support
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be "
                             f"within the support ({support!r}) of the distribution {self!r}, but found invalid "
                             f"values:\n{value}")

    def sample(self, sample_shape=lanterna.Size()):
        with lanterna.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=lanterna.Size()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sampler (rsample)")

    def sample_n(self, n):
        return self.sample(lanterna.Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError(f"{self.__class__} does not implement mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{self.__class__} does not implement variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def perplexity(self):
        return self.entropy().exp()

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}"
                         for p in names)
        return f"{type(self).__name__}({args})"


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
