"""``GradBucket``: what a DDP communication hook receives, one bucket of flattened gradients."""

from __future__ import annotations


class GradBucket:
    """One bucket of gradients, flattened into one tensor, handed to a communication hook.

    ``buffer()`` is the flat tensor to reduce. The hook returns a future of the reduced tensor
    (same number of elements), which DDP writes back into the parameters' ``.grad``.
    """

    def __init__(self, index, buffer, params, offsets, is_last):
        self._index = index
        self._buffer = buffer
        self._params = list(params)
        self._offsets = list(offsets)
        self._is_last = is_last

    def index(self) -> int:
        """The bucket's index: 0 is the first bucket all-reduced (the last parameters)."""
        return self._index

    def buffer(self):
        """The flattened gradients of the bucket (one 1-D tensor)."""
        return self._buffer

    def gradients(self):
        """The gradient of each parameter: views into :meth:`buffer`, shaped like the parameters."""
        return [self._buffer[off:off + p.numel()].view(p.shape) for p, off in zip(self._params, self._offsets)]

    def parameters(self):
        """The parameters of the bucket, in the order of :meth:`gradients`."""
        return list(self._params)

    def is_last(self) -> bool:
        """True for the last bucket of the iteration to be all-reduced."""
        return self._is_last

    def set_buffer(self, buffer) -> None:
        """Replace the bucket's flat tensor (same number of elements)."""
        self._buffer = buffer

    def __repr__(self):
        return f"GradBucket(index={self._index}, numel={self._buffer.numel()}, is_last={self._is_last})"


__all__ = ["GradBucket"]
