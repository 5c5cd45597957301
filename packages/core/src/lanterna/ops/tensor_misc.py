"""Smaller Tensor methods PyTorch has: ``as_subclass``, ``map_``/``map2_``, ``dim_order``,
``new_empty_strided``, the in-place ``igamma_``/``igammac_`` and a few queries.

>>> import lanterna as torch
>>> torch.zeros(2, 3).t().dim_order()
(1, 0)
"""

from __future__ import annotations

import warnings

from .._tensor import Tensor


def as_subclass(self, cls):
    """``self``'s data as an instance of the Tensor subclass ``cls``: an alias that shares storage
    and stays in the autograd graph (``AliasBackward0``), as in PyTorch."""
    from ._apply import apply
    from .copies import AliasBackward0

    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"as_subclass(): argument 'cls' must be a subclass of torch.Tensor, not "
                        f"{getattr(cls, '__name__', type(cls).__name__)}")
    alias = apply(AliasBackward0, self)
    out = cls._make(alias._data, alias._backend, alias._device)
    out._version, out._base = alias._version, alias._base
    if alias.grad_fn is not None:
        out.grad_fn, out._requires_grad = alias.grad_fn, True
    return out


def _check_map_operand(self, other, name, arg):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(other).__name__}")
    if other.dtype is not self.dtype:
        raise TypeError(f"{name}: expected {self.type()} for '{arg}' (got {other.type()})")
    return other.expand(self.shape)._host()


def _map(self, name, fn, *others):
    """Write ``fn(self[i], *others[i])`` into every element of ``self`` (Python numbers in and out)."""
    import numpy as np

    if self.device.type != "cpu":
        raise TypeError(f"{name} is only implemented on CPU tensors")
    host = self._host()
    flat = [a.reshape(-1) for a in (np.array(host), *others)]
    values = [fn(*(a[i].item() for a in flat)) for i in range(host.size)]
    host[...] = np.asarray(values, dtype=host.dtype).reshape(host.shape)
    self._version[0] += 1
    return self


def map_(self, tensor, callable):
    """``self[i] = callable(self[i], tensor[i])`` for every element (``tensor`` broadcast to ``self``)."""
    return _map(self, "map_", callable, _check_map_operand(self, tensor, "map_", "other"))


def map2_(self, x, y, callable):
    """``self[i] = callable(self[i], x[i], y[i])`` for every element."""
    return _map(self, "map2_", callable, _check_map_operand(self, x, "map2_", "x"),
                _check_map_operand(self, y, "map2_", "y"))


def dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory (``(0, 1, ..., n-1)`` when contiguous): the
    insertion sort of ``torch._prims_common`` over the strides, so ties resolve as in PyTorch."""
    if ambiguity_check is not False:
        raise NotImplementedError("dim_order(ambiguity_check=...) is not supported")
    strides, shape = self.stride(), self.shape
    n = len(shape)

    def should_swap(a, b):
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa != sb:
            return -1 if sa < sb else 1
        return 1 if shape[a] > shape[b] else 0

    perm = list(reversed(range(n)))
    for i in range(1, n):
        d1 = i
        for d0 in reversed(range(i)):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return tuple(reversed(perm))


def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                      pin_memory=False):
    """An uninitialised tensor with ``size`` and ``stride`` (``self``'s dtype and device by default)."""
    from .layout import empty_strided

    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


def const_data_ptr(self):
    return self.data_ptr()


def is_distributed(self):
    return False


def grad_dtype(self):
    """The dtype gradients of this tensor take: its own."""
    return self.dtype


def volatile(self):
    """Removed from PyTorch long ago: always False, with PyTorch's warning."""
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
    return False


def igamma_(self, other):
    from .inplace import inplace
    from .specfun import igamma

    return inplace(self, igamma, other)


def igammac_(self, other):
    from .inplace import inplace
    from .specfun import igammac

    return inplace(self, igammac, other)
