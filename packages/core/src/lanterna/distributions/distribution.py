"""The :class:`Distribution` base class of ``lanterna.distributions``."""

from __future__ import annotations

import math

import lanterna


def broadcast_all(*values):
    """Numbers become tensors of the default dtype (or of the first tensor's dtype); all broadcast."""
    dtype = next((v.dtype for v in values if isinstance(v, lanterna.Tensor)), lanterna.get_default_dtype())
    tensors = [v if isinstance(v, lanterna.Tensor) else lanterna.tensor(float(v), dtype=dtype) for v in values]
    return lanterna.broadcast_tensors(*tensors)


def clamp_probs(probs):
    eps = lanterna.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


class Distribution:
    """``torch.distributions.Distribution``: shapes, sampling and the shared properties."""

    has_rsample = False
    arg_constraints: dict = {}  # parameter name -> (check, description), validated at construction
    _validate_args = True

    @staticmethod
    def set_default_validate_args(value):
        Distribution._validate_args = bool(value)

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = lanterna.Size(batch_shape)
        self._event_shape = lanterna.Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for name, (check, text) in self.arg_constraints.items():
                if name not in self.__dict__:
                    continue  # a lazily computed parameter (probs from logits ...)
                value = self.__dict__[name]
                if not bool(check(value).all()):
                    raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) "
                                     f"of distribution {self!r} to satisfy the constraint {text}, but found "
                                     f"invalid values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        return lanterna.Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=lanterna.Size()):
        with lanterna.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=lanterna.Size()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sampler (rsample)")

    def sample_n(self, n):
        return self.sample(lanterna.Size((n,)))

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
