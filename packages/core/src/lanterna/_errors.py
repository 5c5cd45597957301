"""The exception classes PyTorch exposes at the top level (``except torch.OutOfMemoryError``).

>>> import lanterna as torch
>>> issubclass(torch.OutOfMemoryError, RuntimeError)
True
"""

from __future__ import annotations


class AcceleratorError(RuntimeError):
    """An error reported by an accelerator's runtime (a failed kernel launch ...)."""


class OutOfMemoryError(RuntimeError):
    """A device ran out of memory for an allocation."""


for _cls in (AcceleratorError, OutOfMemoryError):  # print as PyTorch's: <class 'torch.OutOfMemoryError'>
    _cls.__module__ = "torch"
